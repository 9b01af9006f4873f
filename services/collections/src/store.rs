//! SQL of the collections service (sqlx Any: one code path for PostgreSQL and SQLite).
use crate::domain::ledger::Kind;
use credit_platform::clock::Micros;
use credit_proto::collections as pb;
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
    /// Version.
    pub version: i64,
    /// Created.
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
) -> sqlx::Result<Vec<(i64, Vec<u8>, String, String, Micros)>> {
    sqlx::query(
        "SELECT version, body, actor, source, recorded_at FROM document_versions \
         WHERE document_id = $1 ORDER BY version",
    )
    .bind(document_id.to_string())
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

/// The columns and joins of a [`pb::Customer`] as shown: with scoring's latest class and
/// probability and the collector in charge (its own, else its segment's).
macro_rules! customer_select {
    () => {
        "SELECT c.customer_id, c.name, c.segment, c.region, c.group_id, c.language, \
         c.time_zone, c.collector, c.updated_at, c.email, \
         COALESCE(r.risk_class, c.risk_class), COALESCE(r.probability_of_default, ''), \
         CASE WHEN c.collector <> '' THEN c.collector ELSE COALESCE(s.collector, '') END, \
         c.jurisdiction \
         FROM customers c LEFT JOIN customer_risk r ON r.customer_id = c.customer_id \
         LEFT JOIN segment_collectors s ON s.segment = c.segment"
    };
}

fn customer_from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<pb::Customer> {
    Ok(pb::Customer {
        customer_id: row.try_get(0)?,
        name: row.try_get(1)?,
        segment: row.try_get(2)?,
        region: row.try_get(3)?,
        group_id: row.try_get(4)?,
        language: row.try_get(5)?,
        time_zone: row.try_get(6)?,
        collector: row.try_get(7)?,
        update_time: Some(credit_platform::clock::to_timestamp(row.try_get(8)?)),
        email: row.try_get(9)?,
        risk_class: row.try_get(10)?,
        probability_of_default: row.try_get(11)?,
        collector_in_charge: row.try_get(12)?,
        jurisdiction: row.try_get(13)?,
    })
}

/// A customer profile as shown.
pub async fn customer(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Option<pb::Customer>> {
    sqlx::query(concat!(customer_select!(), " WHERE c.customer_id = $1"))
        .bind(customer_id.to_string())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(customer_from_row)
        .transpose()
}

/// Every customer profile as shown, by id.
pub async fn customers(
    conn: &mut AnyConnection,
) -> sqlx::Result<std::collections::HashMap<String, pb::Customer>> {
    sqlx::query(customer_select!())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| customer_from_row(row).map(|c| (c.customer_id.clone(), c)))
        .collect()
}

/// Writes a customer profile.
pub async fn put_customer(
    conn: &mut AnyConnection,
    c: &pb::Customer,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO customers (customer_id, name, segment, region, group_id, language, \
         time_zone, collector, updated_at, email, risk_class, jurisdiction) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name, \
         segment = excluded.segment, region = excluded.region, group_id = excluded.group_id, \
         language = excluded.language, time_zone = excluded.time_zone, \
         collector = CASE WHEN excluded.collector <> '' THEN excluded.collector \
         ELSE customers.collector END, updated_at = excluded.updated_at, \
         email = excluded.email, risk_class = excluded.risk_class, \
         jurisdiction = excluded.jurisdiction",
    )
    .bind(c.customer_id.clone())
    .bind(c.name.clone())
    .bind(c.segment.clone())
    .bind(c.region.clone())
    .bind(c.group_id.clone())
    .bind(c.language.clone())
    .bind(c.time_zone.clone())
    .bind(c.collector.clone())
    .bind(at)
    .bind(c.email.clone())
    .bind(c.risk_class.clone())
    .bind(c.jurisdiction.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// What aging and metrics group a customer by.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    /// Segment.
    pub segment: String,
    /// Region.
    pub region: String,
    /// Top of its corporate group.
    pub group_id: String,
    /// Collector in charge (its own, else its segment's).
    pub collector: String,
}

/// Every customer's grouping.
pub async fn customer_groups(
    conn: &mut AnyConnection,
) -> sqlx::Result<std::collections::HashMap<String, Grouping>> {
    sqlx::query(
        "SELECT c.customer_id, c.segment, c.region, c.group_id, \
         CASE WHEN c.collector <> '' THEN c.collector ELSE COALESCE(s.collector, '') END \
         FROM customers c LEFT JOIN segment_collectors s ON s.segment = c.segment",
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            Grouping {
                segment: row.try_get(1)?,
                region: row.try_get(2)?,
                group_id: row.try_get(3)?,
                collector: row.try_get(4)?,
            },
        ))
    })
    .collect()
}

/// Invoices issued from `start` to `end` (inclusive) per (customer, currency): credit sales.
pub async fn credit_sales(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sums(
        conn,
        "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT) FROM documents \
         WHERE kind = 'INVOICE' AND issue_day >= $1 AND issue_day <= $2 \
         AND ($3 = '' OR customer_id = $3) GROUP BY customer_id, currency",
        (start, end),
        customer_id,
    )
    .await
}

/// A sum per (customer, currency) between two bounds ($1, $2), optionally of one customer ($3).
async fn sums(
    conn: &mut AnyConnection,
    sql: &'static str,
    (from, to): (i64, i64),
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query(sql)
        .bind(from)
        .bind(to)
        .bind(customer_id.to_string())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
}

/// Open invoices as of `day`, added up per (customer, currency, due day): the amount less what
/// was applied by that day, for invoices issued by then.
pub async fn open_as_of(
    conn: &mut AnyConnection,
    day: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64, i64, i64)>> {
    sqlx::query(
        "SELECT d.customer_id, d.currency, d.due_day, \
         CAST(SUM(d.amount - COALESCE(a.applied, 0)) AS BIGINT), COUNT(*) \
         FROM documents d LEFT JOIN (SELECT invoice_id, CAST(SUM(amount) AS BIGINT) AS applied \
         FROM allocations WHERE applied_day <= $1 GROUP BY invoice_id) a \
         ON a.invoice_id = d.document_id \
         WHERE d.kind IN ('INVOICE', 'FEE', 'INTEREST') AND d.issue_day <= $1 \
         AND ($2 = '' OR d.customer_id = $2) \
         AND d.amount - COALESCE(a.applied, 0) <> 0 \
         GROUP BY d.customer_id, d.currency, d.due_day",
    )
    .bind(day)
    .bind(customer_id.to_string())
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

/// Unapplied cash and credit as of `day` per (customer, currency).
pub async fn unapplied_as_of(
    conn: &mut AnyConnection,
    day: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query(
        "SELECT d.customer_id, d.currency, CAST(SUM(d.amount - COALESCE(a.applied, 0)) AS BIGINT) \
         FROM documents d LEFT JOIN (SELECT source_id, CAST(SUM(amount) AS BIGINT) AS applied \
         FROM allocations WHERE applied_day <= $1 GROUP BY source_id) a \
         ON a.source_id = d.document_id \
         WHERE d.kind IN ('PAYMENT', 'CREDIT_NOTE') AND d.issue_day <= $1 \
         AND ($2 = '' OR d.customer_id = $2) \
         GROUP BY d.customer_id, d.currency",
    )
    .bind(day)
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
    .collect()
}

/// Disputes open at the end of `day` per (customer, currency): (amount, count).
pub async fn disputes_open_at(
    conn: &mut AnyConnection,
    day: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
    let end = (day + 1) * credit_platform::clock::MICROS_PER_DAY;
    sqlx::query(
        "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT), COUNT(*) FROM disputes \
         WHERE opened_at < $1 AND (resolved_at IS NULL OR resolved_at >= $1) \
         AND ($2 = '' OR customer_id = $2) GROUP BY customer_id, currency",
    )
    .bind(end)
    .bind(customer_id.to_string())
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

/// Promises settled from `start` to `end` (days, inclusive) per (customer, currency):
/// (settled, kept).
pub async fn promises_settled(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
    sqlx::query(
        "SELECT customer_id, currency, COUNT(*), \
         SUM(CASE WHEN state = 'KEPT' THEN 1 ELSE 0 END) FROM promises \
         WHERE settled_at >= $1 AND settled_at < $2 AND ($3 = '' OR customer_id = $3) \
         GROUP BY customer_id, currency",
    )
    .bind(start * credit_platform::clock::MICROS_PER_DAY)
    .bind((end + 1) * credit_platform::clock::MICROS_PER_DAY)
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get::<i64, _>(3)?,
        ))
    })
    .collect()
}

/// Write-offs approved from `start` to `end` (days, inclusive) per (customer, currency).
pub async fn written_off(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sums(
        conn,
        "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT) FROM write_offs \
         WHERE state = 'APPROVED' AND decided_at >= $1 AND decided_at < $2 \
         AND ($3 = '' OR customer_id = $3) GROUP BY customer_id, currency",
        (
            start * credit_platform::clock::MICROS_PER_DAY,
            (end + 1) * credit_platform::clock::MICROS_PER_DAY,
        ),
        customer_id,
    )
    .await
}

/// Money recovered on write-offs from `start` to `end` (days, inclusive) per (customer,
/// currency).
pub async fn recovered(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
    customer_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sums(
        conn,
        "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT) FROM recoveries \
         WHERE day >= $1 AND day <= $2 AND ($3 = '' OR customer_id = $3) \
         GROUP BY customer_id, currency",
        (start, end),
        customer_id,
    )
    .await
}
