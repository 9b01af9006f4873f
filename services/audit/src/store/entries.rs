//! Log entries: appended in chunks, read by index, after an index, or by filter.
use crate::domain::entry::{Entry, format_time, parse_time};
use crate::domain::merkle::Hash;
use credit_platform::clock::Micros;
use credit_platform::customer_in_scope;
use credit_platform::db::Db;
use credit_platform::scope::DataScope;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The entry columns, written once (a macro so `concat!` keeps every statement static).
macro_rules! entry_columns {
    () => {
        "log_index, source, source_sequence, event_type, entity_type, entity_id, customer_id, \
         actor_subject, actor_roles, request_id, trace_id, occurred_at, recorded_at, payload, \
         leaf_hash"
    };
}

/// An entry as stored, with the leaf hash recorded when it was appended.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// The entry.
    pub entry: Entry,
    /// The leaf hash stored with it (hex), which verification compares with a recomputation.
    pub leaf_hash: String,
}

fn entry_from_row(row: &AnyRow) -> sqlx::Result<StoredEntry> {
    let roles: String = row.try_get("actor_roles")?;
    Ok(StoredEntry {
        entry: Entry {
            actor_roles: roles.split_whitespace().map(str::to_string).collect(),
            actor_subject: row.try_get("actor_subject")?,
            customer_id: row.try_get("customer_id")?,
            entity_id: row.try_get("entity_id")?,
            entity_type: row.try_get("entity_type")?,
            event_type: row.try_get("event_type")?,
            log_index: row.try_get("log_index")?,
            occur_time: format_time(row.try_get("occurred_at")?),
            payload_json: row.try_get("payload")?,
            record_time: format_time(row.try_get("recorded_at")?),
            request_id: row.try_get("request_id")?,
            source: row.try_get("source")?,
            source_sequence: row.try_get("source_sequence")?,
            trace_id: row.try_get("trace_id")?,
        },
        leaf_hash: row.try_get("leaf_hash")?,
    })
}

/// Rows per INSERT statement: one round trip per hundred entries (15 parameters each, well
/// under both backends' parameter limits).
const INSERT_CHUNK: usize = 100;

/// Appends entries with their leaf hashes, a hundred rows per statement.
pub async fn insert_entries(
    conn: &mut AnyConnection,
    entries: &[(Entry, Hash)],
) -> sqlx::Result<()> {
    for chunk in entries.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO audit_entries ({}) VALUES {}",
            entry_columns!(),
            credit_platform::db::value_rows(chunk.len(), 15, 1)
        );
        // Safe: the text is the constant column list and numbered placeholders; values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (entry, leaf) in chunk {
            query = query
                .bind(entry.log_index)
                .bind(entry.source.clone())
                .bind(entry.source_sequence)
                .bind(entry.event_type.clone())
                .bind(entry.entity_type.clone())
                .bind(entry.entity_id.clone())
                .bind(entry.customer_id.clone())
                .bind(entry.actor_subject.clone())
                .bind(entry.actor_roles.join(" "))
                .bind(entry.request_id.clone())
                .bind(entry.trace_id.clone())
                .bind(parse_time(&entry.occur_time).unwrap_or(0))
                .bind(parse_time(&entry.record_time).unwrap_or(0))
                .bind(entry.payload_json.clone())
                .bind(hex::encode(leaf));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The entry at `log_index`.
pub async fn get_entry(db: &Db, log_index: i64) -> sqlx::Result<Option<StoredEntry>> {
    sqlx::query(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM audit_entries WHERE log_index = $1"
    ))
    .bind(log_index)
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(entry_from_row)
    .transpose()
}

/// Up to `limit` entries after `after` (exclusive; -1 for the start), oldest first — the scan
/// verification and tree loading use.
pub async fn entries_after(db: &Db, after: i64, limit: i64) -> sqlx::Result<Vec<StoredEntry>> {
    sqlx::query(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM audit_entries WHERE log_index > $1 ORDER BY log_index LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(entry_from_row)
    .collect()
}

/// Every stored leaf hash in log order (the tree is rebuilt from these at start, and inside an
/// append's transaction when another writer moved the head).
pub async fn leaf_hashes(conn: &mut AnyConnection) -> anyhow::Result<Vec<Hash>> {
    let rows = sqlx::query("SELECT leaf_hash FROM audit_entries ORDER BY log_index")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            let text: String = row.try_get(0)?;
            let mut hash = [0u8; 32];
            hex::decode_to_slice(&text, &mut hash)?;
            Ok(hash)
        })
        .collect()
}

/// Which entries a query wants.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub customer_id: Option<String>,
    /// Entity kind.
    pub entity_type: Option<String>,
    /// Entity id.
    pub entity_id: Option<String>,
    /// Actor subject.
    pub actor_subject: Option<String>,
    /// Event type.
    pub event_type: Option<String>,
    /// Source service.
    pub source: Option<String>,
    /// Occurred at or after.
    pub start: Option<Micros>,
    /// Occurred before.
    pub end: Option<Micros>,
    /// The reader's data scope: entries of customers outside it are left out (entries of no
    /// customer, a policy approved, are not customer data).
    pub scope: DataScope,
}

/// A page of a query: where to start and in which direction.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Newest first.
    pub descending: bool,
    /// Continue after (ascending) or before (descending) this index.
    pub cursor: Option<i64>,
    /// Only entries in this index range (export: what a checkpoint covers).
    pub index_range: (i64, i64),
    /// At most this many.
    pub limit: i64,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// Entries matching `filter`, one page. The SQL names only the conditions that are set, so
/// each query shape uses its index.
pub async fn list_entries(db: &Db, filter: &Filter, page: Page) -> sqlx::Result<Vec<StoredEntry>> {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let mut add = |condition: &str, bind: Bind| {
        binds.push(bind);
        conditions.push(condition.replace('?', &format!("${}", binds.len())));
    };
    let text_filters = [
        ("customer_id = ?", &filter.customer_id),
        ("entity_type = ?", &filter.entity_type),
        ("entity_id = ?", &filter.entity_id),
        ("actor_subject = ?", &filter.actor_subject),
        ("event_type = ?", &filter.event_type),
        ("source = ?", &filter.source),
    ];
    for (condition, value) in text_filters {
        if let Some(value) = value {
            add(condition, Bind::Text(value.clone()));
        }
    }
    if let Some(start) = filter.start {
        add("occurred_at >= ?", Bind::Int(start));
    }
    if let Some(end) = filter.end {
        add("occurred_at < ?", Bind::Int(end));
    }
    add("log_index >= ?", Bind::Int(page.index_range.0));
    add("log_index < ?", Bind::Int(page.index_range.1));
    if let Some(cursor) = page.cursor {
        let condition = if page.descending {
            "log_index < ?"
        } else {
            "log_index > ?"
        };
        add(condition, Bind::Int(cursor));
    }
    if !filter.scope.is_all() {
        binds.push(Bind::Text(filter.scope.region_filter()));
        let regions = format!("${}", binds.len());
        binds.push(Bind::Text(filter.scope.business_unit_filter()));
        let units = format!("${}", binds.len());
        let within = customer_in_scope!("customer_id", "?R", "?B")
            .replace("?R", &regions)
            .replace("?B", &units);
        conditions.push(format!("(customer_id = '' OR {within})"));
    }
    let order = if page.descending { "DESC" } else { "ASC" };
    binds.push(Bind::Int(page.limit));
    let sql = format!(
        "SELECT {} FROM audit_entries WHERE {} ORDER BY log_index {order} LIMIT ${}",
        entry_columns!(),
        conditions.join(" AND "),
        binds.len()
    );
    // Safe: the text is assembled from the constant conditions above; values are bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text),
            Bind::Int(int) => query.bind(int),
        };
    }
    query
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(entry_from_row)
        .collect()
}
