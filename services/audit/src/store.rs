//! SQL of the audit log. One code path for PostgreSQL and SQLite (sqlx Any, `$n` placeholders).
use crate::entry::{Entry, format_time, parse_time};
use crate::merkle::Hash;
use credit_platform::clock::Micros;
use credit_platform::db::{Backend, Db};
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

macro_rules! checkpoint_columns {
    () => {
        "tree_size, root_hash, signed_at, signed_note"
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
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| {
                let first = row * 15;
                let params: Vec<String> = (1..=15).map(|p| format!("${}", first + p)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_entries ({}) VALUES {}",
            entry_columns!(),
            rows.join(", ")
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
    /// Customer.
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

/// The last sequence recorded from `source` (0 when none).
pub async fn source_position(conn: &mut AnyConnection, source: &str) -> sqlx::Result<i64> {
    Ok(
        sqlx::query("SELECT last_sequence FROM audit_sources WHERE source = $1")
            .bind(source.to_string())
            .fetch_optional(conn)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?
            .unwrap_or(0),
    )
}

/// Records how far `source` has been recorded.
pub async fn set_source_position(
    conn: &mut AnyConnection,
    source: &str,
    last_sequence: i64,
    last_occurred_at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_sources (source, last_sequence, last_occurred_at) VALUES ($1, $2, $3) \
         ON CONFLICT (source) DO UPDATE SET last_sequence = excluded.last_sequence, \
         last_occurred_at = excluded.last_occurred_at",
    )
    .bind(source.to_string())
    .bind(last_sequence)
    .bind(last_occurred_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every source with recorded entries: (source, last sequence, when it occurred).
pub async fn source_positions(db: &Db) -> sqlx::Result<Vec<(String, i64, Micros)>> {
    sqlx::query("SELECT source, last_sequence, last_occurred_at FROM audit_sources ORDER BY source")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
}

/// Locks the log head and reads the committed tree size.
pub async fn lock_head(conn: &mut AnyConnection, backend: Backend) -> sqlx::Result<i64> {
    let sql = match backend {
        Backend::Postgres => "SELECT tree_size FROM audit_log_head WHERE id = 1 FOR UPDATE",
        // SQLite: BEGIN IMMEDIATE already holds the write lock.
        Backend::Sqlite => "SELECT tree_size FROM audit_log_head WHERE id = 1",
    };
    sqlx::query(sql).fetch_one(conn).await?.try_get(0)
}

/// Moves the log head.
pub async fn set_head(conn: &mut AnyConnection, tree_size: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE audit_log_head SET tree_size = $1 WHERE id = 1")
        .bind(tree_size)
        .execute(conn)
        .await?;
    Ok(())
}

/// The head, the number of stored entries and the largest index, read in one statement so
/// they describe one moment.
pub async fn census(db: &Db) -> sqlx::Result<(i64, i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT h.tree_size, (SELECT COUNT(*) FROM audit_entries), \
         (SELECT MAX(log_index) FROM audit_entries) FROM audit_log_head h WHERE h.id = 1",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}

/// A stored checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Tree size.
    pub tree_size: i64,
    /// Root hash (hex).
    pub root_hash: String,
    /// When signed.
    pub signed_at: Micros,
    /// The signed note.
    pub signed_note: String,
}

fn checkpoint_from_row(row: &AnyRow) -> sqlx::Result<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        tree_size: row.try_get(0)?,
        root_hash: row.try_get(1)?,
        signed_at: row.try_get(2)?,
        signed_note: row.try_get(3)?,
    })
}

/// Stores a checkpoint (a second one of the same size is ignored).
pub async fn insert_checkpoint(db: &Db, checkpoint: &StoredCheckpoint) -> sqlx::Result<()> {
    sqlx::query(concat!(
        "INSERT INTO audit_checkpoints (",
        checkpoint_columns!(),
        ") VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING"
    ))
    .bind(checkpoint.tree_size)
    .bind(checkpoint.root_hash.clone())
    .bind(checkpoint.signed_at)
    .bind(checkpoint.signed_note.clone())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The newest checkpoint, or the one of `tree_size`.
pub async fn checkpoint(db: &Db, tree_size: Option<i64>) -> sqlx::Result<Option<StoredCheckpoint>> {
    let row = match tree_size {
        Some(size) => {
            sqlx::query(concat!(
                "SELECT ",
                checkpoint_columns!(),
                " FROM audit_checkpoints WHERE tree_size = $1"
            ))
            .bind(size)
            .fetch_optional(&db.pool)
            .await?
        }
        None => {
            sqlx::query(concat!(
                "SELECT ",
                checkpoint_columns!(),
                " FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1"
            ))
            .fetch_optional(&db.pool)
            .await?
        }
    };
    row.as_ref().map(checkpoint_from_row).transpose()
}

/// Every checkpoint, smallest first.
pub async fn checkpoints(db: &Db) -> sqlx::Result<Vec<StoredCheckpoint>> {
    sqlx::query(concat!(
        "SELECT ",
        checkpoint_columns!(),
        " FROM audit_checkpoints ORDER BY tree_size"
    ))
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(checkpoint_from_row)
    .collect()
}
