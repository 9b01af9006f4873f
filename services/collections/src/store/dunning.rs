//! Dunning: where each (customer, currency) stands in its strategy, and the messages written.
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};

/// An open receivable of one customer and currency, as dunning sees it.
#[derive(Debug, Clone)]
pub struct OpenItem {
    /// The document.
    pub document_id: String,
    /// Its stored kind.
    pub kind: String,
    /// Issue day.
    pub issue_day: i64,
    /// Due day.
    pub due_day: i64,
    /// What may be dunned: open less what open disputes hold (minor units).
    pub open: i64,
}

/// The receivables dunning may ask for, by due day: what an open dispute holds is not dunned;
/// a receivable wholly disputed is not listed, nor one an active payment plan covers.
pub async fn open_items(
    conn: &mut AnyConnection,
    customer_id: &str,
    currency: &str,
) -> sqlx::Result<Vec<OpenItem>> {
    sqlx::query(
        "SELECT d.document_id, d.kind, d.issue_day, d.due_day, \
         d.open_amount - CAST(COALESCE(x.disputed, 0) AS BIGINT) AS collectible \
         FROM documents d LEFT JOIN (SELECT invoice_id, SUM(amount) AS disputed FROM disputes \
         WHERE state = 'OPEN' GROUP BY invoice_id) x ON x.invoice_id = d.document_id \
         WHERE d.customer_id = $1 AND d.currency = $2 \
         AND d.kind IN ('INVOICE', 'FEE', 'INTEREST') \
         AND d.open_amount - CAST(COALESCE(x.disputed, 0) AS BIGINT) > 0 \
         AND NOT EXISTS (SELECT 1 FROM plan_invoices p WHERE p.invoice_id = d.document_id \
         AND p.active = 1) \
         ORDER BY d.due_day, d.document_id",
    )
    .bind(customer_id.to_string())
    .bind(currency.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(OpenItem {
            document_id: row.try_get(0)?,
            kind: row.try_get(1)?,
            issue_day: row.try_get(2)?,
            due_day: row.try_get(3)?,
            open: row.try_get(4)?,
        })
    })
    .collect()
}

/// Where a customer stands in one currency: the anchor, the index and code of the last step.
pub async fn dunning_state(
    conn: &mut AnyConnection,
    customer_id: &str,
    currency: &str,
) -> sqlx::Result<Option<(String, usize, String)>> {
    sqlx::query(
        "SELECT anchor_id, step_index, step_code FROM dunning_state \
         WHERE customer_id = $1 AND currency = $2",
    )
    .bind(customer_id.to_string())
    .bind(currency.to_string())
    .fetch_optional(conn)
    .await?
    .map(|row| {
        Ok((
            row.try_get::<String, _>(0)?,
            usize::try_from(row.try_get::<i64, _>(1)?).unwrap_or_default(),
            row.try_get::<String, _>(2)?,
        ))
    })
    .transpose()
}

/// Records the step taken for a customer in one currency.
pub async fn save_dunning_state(
    conn: &mut AnyConnection,
    (customer_id, currency): (&str, &str),
    anchor_id: &str,
    (step_index, step_code): (usize, &str),
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dunning_state (customer_id, currency, anchor_id, step_index, step_code, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (customer_id, currency) \
         DO UPDATE SET anchor_id = excluded.anchor_id, step_index = excluded.step_index, \
         step_code = excluded.step_code, updated_at = excluded.updated_at",
    )
    .bind(customer_id.to_string())
    .bind(currency.to_string())
    .bind(anchor_id.to_string())
    .bind(step_index as i64)
    .bind(step_code.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every (customer, currency) with open receivables, optionally of one customer.
pub async fn dunned_accounts(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query(
        "SELECT DISTINCT customer_id, currency FROM documents \
         WHERE kind IN ('INVOICE', 'FEE', 'INTEREST') AND open_amount > 0 \
         AND ($1 = '' OR customer_id = $1) ORDER BY customer_id, currency",
    )
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
    .collect()
}

/// Messages written to a customer since `since` (what the contact limit counts).
pub async fn messages_since(
    conn: &mut AnyConnection,
    customer_id: &str,
    since: Micros,
) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM messages WHERE customer_id = $1 AND created_at > $2")
        .bind(customer_id.to_string())
        .bind(since)
        .fetch_one(conn)
        .await?
        .try_get(0)
}

/// An e-mail a dunning step wrote, waiting for delivery.
pub struct NewMessage<'a> {
    /// Its id.
    pub message_id: &'a str,
    /// The customer.
    pub customer_id: &'a str,
    /// ISO 4217.
    pub currency: &'a str,
    /// The step that wrote it.
    pub step_code: &'a str,
    /// The address.
    pub recipient: &'a str,
    /// The language it is written in.
    pub language: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// When it was written.
    pub created_at: Micros,
}

/// Queues an e-mail.
pub async fn insert_message(conn: &mut AnyConnection, m: NewMessage<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO messages (message_id, customer_id, currency, step_code, channel, \
         recipient, language, subject, body, state, attempts, last_error, created_at, \
         sent_at) VALUES ($1, $2, $3, $4, 'EMAIL', $5, $6, $7, $8, 'PENDING', 0, '', $9, \
         NULL)",
    )
    .bind(m.message_id.to_string())
    .bind(m.customer_id.to_string())
    .bind(m.currency.to_string())
    .bind(m.step_code.to_string())
    .bind(m.recipient.to_string())
    .bind(m.language.to_string())
    .bind(m.subject.to_string())
    .bind(m.body.to_string())
    .bind(m.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A message waiting for delivery: (id, recipient, subject, body, attempts so far).
pub type PendingMessage = (String, String, String, String, i32);

/// The oldest messages waiting for delivery, at most `limit`.
pub async fn pending_messages(
    conn: &mut AnyConnection,
    limit: i64,
) -> sqlx::Result<Vec<PendingMessage>> {
    sqlx::query(
        "SELECT message_id, recipient, subject, body, attempts FROM messages \
         WHERE state = 'PENDING' ORDER BY created_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
        ))
    })
    .collect()
}

/// Records a delivery attempt (`state` SENT, FAILED or still PENDING); answers the message's
/// customer and step code.
pub async fn record_delivery(
    conn: &mut AnyConnection,
    message_id: &str,
    state: &str,
    error: &str,
    at: Micros,
) -> sqlx::Result<(String, String)> {
    let row = sqlx::query(
        "UPDATE messages SET state = $2, attempts = attempts + 1, last_error = $3, \
         sent_at = CASE WHEN $2 = 'SENT' THEN $4 ELSE sent_at END \
         WHERE message_id = $1 RETURNING customer_id, step_code, recipient",
    )
    .bind(message_id.to_string())
    .bind(state.to_string())
    .bind(error.to_string())
    .bind(at)
    .fetch_one(conn)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// A message as stored.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// Its id.
    pub message_id: String,
    /// The customer.
    pub customer_id: String,
    /// The step it belongs to.
    pub step_code: String,
    /// "EMAIL".
    pub channel: String,
    /// To whom.
    pub recipient: String,
    /// Language written in.
    pub language: String,
    /// Subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// "PENDING", "SENT" or "FAILED".
    pub state: String,
    /// Delivery attempts.
    pub attempts: i32,
    /// The last failure.
    pub last_error: String,
    /// Written (µs).
    pub created_at: Micros,
    /// Delivered (µs).
    pub sent_at: Option<Micros>,
    /// The currency of the items it lists.
    pub currency: String,
}

/// A customer's messages, newest first (ids are UUID v7, so in the order they were written):
/// `limit` of them written before the message `before` ("" for the newest).
pub async fn messages_of(
    conn: &mut AnyConnection,
    customer_id: &str,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<StoredMessage>> {
    sqlx::query(
        "SELECT message_id, customer_id, step_code, channel, recipient, language, subject, \
         body, state, attempts, last_error, created_at, sent_at, currency FROM messages \
         WHERE customer_id = $1 AND ($2 = '' OR message_id < $2) \
         ORDER BY message_id DESC LIMIT $3",
    )
    .bind(customer_id.to_string())
    .bind(before.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(StoredMessage {
            message_id: row.try_get(0)?,
            customer_id: row.try_get(1)?,
            step_code: row.try_get(2)?,
            channel: row.try_get(3)?,
            recipient: row.try_get(4)?,
            language: row.try_get(5)?,
            subject: row.try_get(6)?,
            body: row.try_get(7)?,
            state: row.try_get(8)?,
            attempts: row.try_get(9)?,
            last_error: row.try_get(10)?,
            created_at: row.try_get(11)?,
            sent_at: row.try_get(12)?,
            currency: row.try_get(13)?,
        })
    })
    .collect()
}
