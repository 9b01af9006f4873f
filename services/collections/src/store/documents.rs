//! The ledger: documents, their versions and the allocations between them.
use crate::domain::ledger::Kind;
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};

/// A document as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// The ERP's id.
    pub document_id: String,
    /// The customer.
    pub customer_id: String,
    /// What it is.
    pub kind: Kind,
    /// ISO 4217.
    pub currency: String,
    /// Minor units.
    pub amount: i64,
    /// Invoices: to pay; others: unapplied.
    pub open_amount: i64,
    /// Booking day.
    pub issue_day: i64,
    /// Invoices: due day.
    pub due_day: Option<i64>,
    /// The canonical document as written (input fields only).
    pub body: Vec<u8>,
    pub version: i64,
    pub created_at: Micros,
    /// Last change.
    pub updated_at: Micros,
}

/// The columns of a [`StoredDocument`] (SQL must be static text).
macro_rules! document_columns {
    () => {
        "document_id, customer_id, kind, currency, amount, open_amount, issue_day, due_day, body, \
         version, created_at, updated_at"
    };
}

fn document_from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<StoredDocument> {
    Ok(StoredDocument {
        document_id: row.try_get("document_id")?,
        customer_id: row.try_get("customer_id")?,
        kind: {
            let name: String = row.try_get("kind")?;
            Kind::from_name(&name).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown document kind {name:?}").into())
            })?
        },
        currency: row.try_get("currency")?,
        amount: row.try_get("amount")?,
        open_amount: row.try_get("open_amount")?,
        issue_day: row.try_get("issue_day")?,
        due_day: row.try_get("due_day")?,
        body: row.try_get("body")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// One document.
pub async fn document(
    conn: &mut AnyConnection,
    document_id: &str,
) -> sqlx::Result<Option<StoredDocument>> {
    sqlx::query(concat!(
        "SELECT ",
        document_columns!(),
        " FROM documents WHERE document_id = $1"
    ))
    .bind(document_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(document_from_row)
    .transpose()
}

/// Writes a document (inserted when `new`).
pub async fn save_document(
    conn: &mut AnyConnection,
    d: &StoredDocument,
    new: bool,
) -> sqlx::Result<()> {
    let query = if new {
        concat!(
            "INSERT INTO documents (",
            document_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )
    } else {
        "UPDATE documents SET customer_id = $2, kind = $3, currency = $4, amount = $5, \
         open_amount = $6, issue_day = $7, due_day = $8, body = $9, version = $10, \
         created_at = $11, updated_at = $12 WHERE document_id = $1"
    };
    sqlx::query(query)
        .bind(d.document_id.clone())
        .bind(d.customer_id.clone())
        .bind(d.kind.name())
        .bind(d.currency.clone())
        .bind(d.amount)
        .bind(d.open_amount)
        .bind(d.issue_day)
        .bind(d.due_day)
        .bind(d.body.clone())
        .bind(d.version)
        .bind(d.created_at)
        .bind(d.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets a document's open amount.
pub async fn set_open(
    conn: &mut AnyConnection,
    document_id: &str,
    open: i64,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE documents SET open_amount = $2, updated_at = $3 WHERE document_id = $1")
        .bind(document_id.to_string())
        .bind(open)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// What every payment and credit note applies to `invoice_id`, except `except`'s.
pub async fn applied_to(
    conn: &mut AnyConnection,
    invoice_id: &str,
    except: &str,
) -> sqlx::Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM allocations WHERE invoice_id = $1 \
         AND source_id <> $2",
    )
    .bind(invoice_id.to_string())
    .bind(except.to_string())
    .fetch_one(conn)
    .await?;
    row.try_get::<i64, _>(0)
}

/// The allocations of a payment or credit note: (invoice, amount).
pub async fn allocations_of(
    conn: &mut AnyConnection,
    source_id: &str,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query(
        "SELECT invoice_id, amount FROM allocations WHERE source_id = $1 ORDER BY invoice_id",
    )
    .bind(source_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
    .collect()
}

/// Replaces the allocations of a payment or credit note.
pub async fn replace_allocations(
    conn: &mut AnyConnection,
    source_id: &str,
    allocations: &[(String, i64)],
    applied_day: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM allocations WHERE source_id = $1")
        .bind(source_id.to_string())
        .execute(&mut *conn)
        .await?;
    for (invoice_id, amount) in allocations {
        sqlx::query(
            "INSERT INTO allocations (source_id, invoice_id, amount, applied_day) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(source_id.to_string())
        .bind(invoice_id.clone())
        .bind(*amount)
        .bind(applied_day)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What is applied to an invoice, by document: (source, its kind, amount, applied day).
pub async fn applied_list(
    conn: &mut AnyConnection,
    invoice_id: &str,
) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
    sqlx::query(
        "SELECT a.source_id, d.kind, a.amount, a.applied_day FROM allocations a \
         JOIN documents d ON d.document_id = a.source_id WHERE a.invoice_id = $1 \
         ORDER BY a.applied_day, a.source_id",
    )
    .bind(invoice_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        ))
    })
    .collect()
}

/// Records a version of a document.
pub async fn insert_version(
    conn: &mut AnyConnection,
    document_id: &str,
    version: i64,
    body: &[u8],
    actor: &str,
    source: &str,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO document_versions (document_id, version, body, actor, source, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(document_id.to_string())
    .bind(version)
    .bind(body.to_vec())
    .bind(actor.to_string())
    .bind(source.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A document's versions, oldest first: (version, body, actor, source, when).
pub async fn versions(
    conn: &mut AnyConnection,
    document_id: &str,
    after_version: i64,
    limit: i64,
) -> sqlx::Result<Vec<(i64, Vec<u8>, String, String, Micros)>> {
    sqlx::query(
        "SELECT version, body, actor, source, recorded_at FROM document_versions \
         WHERE document_id = $1 AND version > $2 ORDER BY version LIMIT $3",
    )
    .bind(document_id.to_string())
    .bind(after_version)
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

/// A customer's documents after the paging key (issue day descending, then id), filtered.
pub async fn customer_documents(
    conn: &mut AnyConnection,
    customer_id: &str,
    kind: &str,
    open_only: bool,
    after: Option<(i64, String)>,
    limit: i64,
) -> sqlx::Result<Vec<StoredDocument>> {
    let (after_day, after_id) = after.unwrap_or((i64::MAX, String::new()));
    sqlx::query(concat!(
        "SELECT ",
        document_columns!(),
        " FROM documents WHERE customer_id = $1 AND ($2 = '' OR kind = $2) \
         AND ($3 = 0 OR open_amount <> 0) \
         AND (issue_day < $4 OR (issue_day = $4 AND document_id > $5)) \
         ORDER BY issue_day DESC, document_id LIMIT $6"
    ))
    .bind(customer_id.to_string())
    .bind(kind.to_string())
    .bind(i64::from(open_only))
    .bind(after_day)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(document_from_row)
    .collect()
}
