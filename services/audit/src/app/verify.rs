//! Full verification: recompute every leaf from the stored entries, rebuild the tree, and check
//! every stored checkpoint's signature and root against it. Needs nothing but read access to
//! the database and the trusted verifier keys, so an auditor can run it (`credit-audit verify`)
//! without the service.
use crate::domain::checkpoint::TrustedKeys;
use crate::domain::merkle::MerkleTree;
use crate::store::{self, StoredCheckpoint, StoredEntry};
use credit_platform::db::Db;
use std::collections::HashMap;

/// What verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// Every entry and checkpoint checked out.
    pub intact: bool,
    /// Entries read.
    pub entries_checked: i64,
    /// Checkpoints whose signature and root were checked.
    pub checkpoints_checked: i64,
    /// The newest checkpoint's tree size.
    pub tree_size: i64,
    /// The first index found bad, when an entry is to blame.
    pub first_bad_index: Option<i64>,
    /// What was wrong, in words.
    pub problem: String,
}

impl Verification {
    fn bad(mut self, index: Option<i64>, problem: String) -> Self {
        self.intact = false;
        self.first_bad_index = index;
        self.problem = problem;
        self
    }
}

const PAGE: i64 = 5000;

/// Names what happened to an entry whose content no longer hashes to its recorded leaf. The
/// entry's own index is part of the leaf, so an entry that was moved still hashes right at its
/// old place — which tells an insertion or a renumbering deletion from an edit.
fn diagnose(stored: &StoredEntry, index: i64) -> (i64, String) {
    let hashes_at = |at: i64| {
        let mut moved = stored.entry.clone();
        moved.log_index = at;
        hex::encode(moved.leaf_hash()) == stored.leaf_hash
    };
    if index > 0 && hashes_at(index - 1) {
        (
            index - 1,
            format!(
                "an entry was inserted at index {}: the entries from there on were recorded one \
                 place earlier",
                index - 1
            ),
        )
    } else if hashes_at(index + 1) {
        (
            index,
            format!("entry {index} was deleted: the entries after it were moved down one place"),
        )
    } else {
        (
            index,
            format!("entry {index} does not match its leaf hash: it was edited or moved"),
        )
    }
}

/// Verifies the log in `db` against `trusted` keys and the log's `origin`.
pub async fn verify(db: &Db, trusted: &TrustedKeys, origin: &str) -> anyhow::Result<Verification> {
    let started = std::time::Instant::now();
    let result = run(db, trusted, origin).await;
    let outcome = match &result {
        Ok(v) if v.intact => "intact",
        Ok(_) => "tampered",
        Err(_) => "error",
    };
    metrics::counter!("audit_verifications_total", "result" => outcome).increment(1);
    metrics::histogram!("audit_verification_seconds").record(started.elapsed().as_secs_f64());
    if let Ok(v) = &result {
        metrics::gauge!("audit_verification_intact").set(if v.intact { 1.0 } else { 0.0 });
        if !v.intact {
            tracing::error!(problem = %v.problem, first_bad_index = ?v.first_bad_index,
                "audit log verification failed");
        }
    }
    result
}

async fn run(db: &Db, trusted: &TrustedKeys, origin: &str) -> anyhow::Result<Verification> {
    // Read the head before the entries and checkpoints: appends that commit meanwhile only add
    // entries past it, which the scan leaves for the next run.
    let (head, _, _) = store::census(db).await?;
    let checkpoints: Vec<StoredCheckpoint> = store::checkpoints(db)
        .await?
        .into_iter()
        .filter(|c| c.tree_size <= head)
        .collect();
    let mut report = Verification {
        intact: true,
        tree_size: checkpoints.last().map_or(0, |c| c.tree_size),
        ..Verification::default()
    };

    // Every checkpoint must carry a valid signature by a trusted key, for this log, and say
    // what its row says.
    let mut heads = Vec::with_capacity(checkpoints.len());
    for stored in &checkpoints {
        let opened = match trusted.open(&stored.signed_note) {
            Ok(head) => head,
            Err(error) => {
                return Ok(report.bad(
                    None,
                    format!("checkpoint of tree size {}: {error}", stored.tree_size),
                ));
            }
        };
        if opened.origin != origin
            || opened.tree_size as i64 != stored.tree_size
            || hex::encode(opened.root_hash) != stored.root_hash
        {
            return Ok(report.bad(
                None,
                format!(
                    "checkpoint of tree size {}: the stored row does not match its signed note",
                    stored.tree_size
                ),
            ));
        }
        heads.push(opened);
        report.checkpoints_checked += 1;
    }

    let mut tree = MerkleTree::new();
    let mut next_checkpoint = heads.iter().peekable();
    let mut last_good_checkpoint = 0i64;
    let mut source_sequences: HashMap<String, i64> = HashMap::new();
    let mut after = -1i64;
    'scan: loop {
        let page = store::entries_after(db, after, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for stored in page {
            let index = tree.len() as i64;
            if index >= head {
                break 'scan;
            }
            let entry = &stored.entry;
            if entry.log_index != index {
                return Ok(report.bad(
                    Some(index),
                    format!(
                        "entry {index} is missing: the next stored entry is {}",
                        entry.log_index
                    ),
                ));
            }
            let leaf = entry.leaf_hash();
            if hex::encode(leaf) != stored.leaf_hash {
                let (bad, problem) = diagnose(&stored, index);
                return Ok(report.bad(Some(bad), problem));
            }
            let expected = source_sequences
                .get(&entry.source)
                .map_or(1, |last| last + 1);
            if entry.source_sequence != expected {
                return Ok(report.bad(
                    Some(index),
                    format!(
                        "entry {index} holds {} sequence {} where {expected} was due: \
                         entries were removed, inserted or reordered",
                        entry.source, entry.source_sequence
                    ),
                ));
            }
            source_sequences.insert(entry.source.clone(), entry.source_sequence);
            tree.push(leaf);
            report.entries_checked += 1;
            after = entry.log_index;
            while let Some(head) = next_checkpoint.next_if(|h| h.tree_size == tree.len() as u64) {
                let root = tree
                    .root_at(tree.len())
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                if root != head.root_hash {
                    return Ok(report.bad(
                        Some(last_good_checkpoint),
                        format!(
                            "the entries do not hash to the signed checkpoint of tree size {}: \
                             entries from {last_good_checkpoint} to {} were rewritten together \
                             with their leaf hashes",
                            head.tree_size,
                            head.tree_size - 1
                        ),
                    ));
                }
                last_good_checkpoint = head.tree_size as i64;
            }
        }
    }
    let size = tree.len() as i64;
    if let Some(head) = next_checkpoint.next() {
        return Ok(report.bad(
            Some(size),
            format!(
                "entries from {size} on are missing: a signed checkpoint covers {}",
                head.tree_size
            ),
        ));
    }
    if size < head {
        return Ok(report.bad(
            Some(size),
            format!("entries from {size} on are missing: the log head says {head}"),
        ));
    }
    // Entries stored past the head were not appended by the log (an append moves the head in
    // the same transaction, and one statement reads both).
    let (now_head, count, max_index) = store::census(db).await?;
    if max_index.is_some_and(|max| max >= now_head) || count > now_head {
        return Ok(report.bad(
            Some(now_head),
            format!(
                "{count} entries are stored (largest index {}) but the log head says {now_head}",
                max_index.unwrap_or(-1)
            ),
        ));
    }
    Ok(report)
}
