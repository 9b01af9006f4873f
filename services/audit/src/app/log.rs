//! The append-only log: entries in the database, the Merkle tree over them in memory, signed
//! checkpoints.
//!
//! One writer at a time: appends hold the tree's write lock for their transaction, and the
//! head row's lock (PostgreSQL) or the write lock (SQLite) keeps a second process from
//! interleaving; a process that finds the head moved rebuilds its tree from storage first.
use crate::domain::checkpoint::CheckpointSigner;
use crate::domain::entry::Entry;
use crate::domain::merkle::{Hash, MerkleTree, ProofError};
use crate::domain::sensitive::mask_payload;
use crate::store::{self, StoredCheckpoint, StoredEntry};
use credit_platform::clock::{SharedClock, from_timestamp};
use credit_platform::db::Db;
use credit_platform::scope;
use credit_proto::event::Event;
use std::sync::Arc;
use tokio::sync::RwLock;

/// Why a batch was not appended.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The feed skipped sequences: recording on would hide the missing events.
    #[error("{feed} feed jumped from sequence {after} to {got}; the events between are missing")]
    Gap {
        /// The source.
        feed: String,
        /// The last sequence recorded.
        after: i64,
        /// The sequence received.
        got: i64,
    },
    /// Storage failed; nothing was recorded.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Anything else; nothing was recorded.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// What an append did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appended {
    /// New entries.
    pub recorded: usize,
    /// Events already recorded before (redelivered), skipped.
    pub duplicates: usize,
    /// The source's position after the append.
    pub position: i64,
}

/// The audit log.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    tree: RwLock<MerkleTree>,
    signer: CheckpointSigner,
    clock: SharedClock,
}

impl AuditLog {
    /// Opens the log over `db`, rebuilding the tree from the stored leaf hashes.
    pub async fn open(
        db: Db,
        signer: CheckpointSigner,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let mut conn = db.pool.acquire().await?;
        let tree = MerkleTree::from_leaves(store::leaf_hashes(&mut conn).await?);
        drop(conn);
        metrics::gauge!("audit_tree_size").set(tree.len() as f64);
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                tree: RwLock::new(tree),
                signer,
                clock,
            }),
        })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The checkpoint signer.
    pub fn signer(&self) -> &CheckpointSigner {
        &self.inner.signer
    }

    /// Entries in the log.
    pub async fn size(&self) -> usize {
        self.inner.tree.read().await.len()
    }

    /// The last sequence recorded from `source`.
    pub async fn position(&self, source: &str) -> sqlx::Result<i64> {
        let mut conn = self.inner.db.pool.acquire().await?;
        store::source_position(&mut conn, source).await
    }

    /// Records `events` from `source`, in feed order, in one transaction with the source's new
    /// position. Events at or before the stored position are redeliveries and are skipped.
    pub async fn append(&self, source: &str, events: &[Event]) -> Result<Appended, AppendError> {
        let mut tree = self.inner.tree.write().await;
        let before = tree.len();
        let result = self.append_locked(&mut tree, source, events).await;
        if result.is_err() {
            // The transaction rolled back: forget the leaves it added.
            tree.truncate(before);
        }
        result
    }

    async fn append_locked(
        &self,
        tree: &mut MerkleTree,
        source: &str,
        events: &[Event],
    ) -> Result<Appended, AppendError> {
        let db = &self.inner.db;
        let mut tx = db.begin_write().await?;
        let head = store::lock_head(&mut tx, db.backend()).await?;
        if head != tree.len() as i64 {
            // Another writer appended since this tree was built.
            tracing::warn!(
                head,
                in_memory = tree.len(),
                "audit log head moved; reloading the tree"
            );
            *tree = MerkleTree::from_leaves(store::leaf_hashes(&mut tx).await?);
        }
        let mut position = store::source_position(&mut tx, source).await?;
        let mut appended = Appended::default();
        let recorded_at = self.inner.clock.now();
        let mut last_occurred = 0;
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            if event.sequence <= position {
                appended.duplicates += 1;
                continue;
            }
            if event.sequence != position + 1 {
                return Err(AppendError::Gap {
                    feed: source.to_string(),
                    after: position,
                    got: event.sequence,
                });
            }
            let mut event = event.clone();
            // The configured name, not the producer's claim, says where an entry came from.
            event.source = source.to_string();
            // A typed payload is shown as the suite's descriptors render it, not as the
            // producer's JSON claims it (the two can only differ if the producer is broken).
            if let Some(typed) = &event.payload {
                match credit_proto::json::any(typed) {
                    Ok(json) => event.payload_json = json,
                    Err(error) => tracing::warn!(source, sequence = event.sequence, %error,
                        "typed payload not rendered; recording the producer's JSON"),
                }
            }
            let (payload, masked) = mask_payload(&event.payload_json);
            if !masked.is_empty() {
                tracing::warn!(source, sequence = event.sequence, fields = ?masked,
                    "event carried sensitive values in clear; masked before recording");
                metrics::counter!("audit_sensitive_values_masked_total", "source" => source.to_string())
                    .increment(masked.len() as u64);
                event.payload_json = payload;
            }
            // Limits' account events place their customer: audit's data scopes read it.
            if let Some(place) = scope::placed_by(&event).map_err(|e| anyhow::anyhow!("{e}"))? {
                scope::record(&mut tx, &event.customer_id, &place, recorded_at)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            let entry = Entry::from_event(tree.len() as i64, recorded_at, &event);
            let leaf = entry.leaf_hash();
            tree.push(leaf);
            rows.push((entry, leaf));
            position = event.sequence;
            last_occurred = event
                .occur_time
                .as_ref()
                .and_then(from_timestamp)
                .unwrap_or(0);
            appended.recorded += 1;
        }
        store::insert_entries(&mut tx, &rows).await?;
        if appended.recorded > 0 {
            store::set_source_position(&mut tx, source, position, last_occurred).await?;
            store::set_head(&mut tx, tree.len() as i64).await?;
        }
        tx.commit().await?;
        appended.position = position;
        metrics::counter!("audit_entries_recorded_total", "source" => source.to_string())
            .increment(appended.recorded as u64);
        metrics::counter!("audit_events_redelivered_total", "source" => source.to_string())
            .increment(appended.duplicates as u64);
        metrics::gauge!("audit_tree_size").set(tree.len() as f64);
        Ok(appended)
    }

    /// Signs and stores a checkpoint of the current tree, unless the newest one already covers
    /// it. Returns the newest checkpoint.
    pub async fn checkpoint(&self) -> anyhow::Result<Option<StoredCheckpoint>> {
        let tree = self.inner.tree.read().await;
        let latest = store::checkpoint(&self.inner.db, None).await?;
        let size = tree.len() as i64;
        if size == 0 || latest.as_ref().is_some_and(|c| c.tree_size >= size) {
            return Ok(latest);
        }
        let root = tree
            .root_at(tree.len())
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let signed_at = self.inner.clock.now();
        let signed_note = self.inner.signer.sign(size as u64, &root, signed_at)?;
        let checkpoint = StoredCheckpoint {
            tree_size: size,
            root_hash: hex::encode(root),
            signed_at,
            signed_note,
        };
        store::insert_checkpoint(&self.inner.db, &checkpoint).await?;
        metrics::counter!("audit_checkpoints_signed_total").increment(1);
        metrics::gauge!("audit_checkpoint_tree_size").set(size as f64);
        Ok(Some(checkpoint))
    }

    /// The root hash of the tree of `size`.
    pub async fn root_at(&self, size: usize) -> Result<Hash, ProofError> {
        self.inner.tree.read().await.root_at(size)
    }

    /// The inclusion proof of `index` in the tree of `size`.
    pub async fn inclusion_proof(
        &self,
        index: usize,
        size: usize,
    ) -> Result<Vec<Hash>, ProofError> {
        self.inner.tree.read().await.inclusion_proof(index, size)
    }

    /// Inclusion proofs of several entries against one tree size, under one lock.
    pub async fn inclusion_proofs(
        &self,
        indexes: impl Iterator<Item = usize>,
        size: usize,
    ) -> Result<Vec<Vec<Hash>>, ProofError> {
        let tree = self.inner.tree.read().await;
        indexes
            .map(|index| tree.inclusion_proof(index, size))
            .collect()
    }

    /// The consistency proof between the trees of `first` and `second`.
    pub async fn consistency_proof(
        &self,
        first: usize,
        second: usize,
    ) -> Result<Vec<Hash>, ProofError> {
        self.inner
            .tree
            .read()
            .await
            .consistency_proof(first, second)
    }

    /// The entry at `index`.
    pub async fn entry(&self, index: i64) -> sqlx::Result<Option<StoredEntry>> {
        store::get_entry(&self.inner.db, index).await
    }
}
