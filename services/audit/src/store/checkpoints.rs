//! Signed checkpoints of the tree.
use credit_platform::clock::Micros;
use credit_platform::db::Db;
use sqlx::Row;
use sqlx::any::AnyRow;

macro_rules! checkpoint_columns {
    () => {
        "tree_size, root_hash, signed_at, signed_note"
    };
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
