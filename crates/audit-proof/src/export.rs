//! JSON Lines export that can be checked offline: the first line is a signed checkpoint, every
//! other line an entry with its leaf hash and its inclusion proof against that checkpoint.
//! [`check_export`] is the offline check (`creditctl audit check-export`); services/audit/README.md shows how
//! to do the same with any SHA-256 and Ed25519 library.
use crate::checkpoint::TrustedKeys;
use crate::entry::Entry;
use crate::merkle::{Hash, verify_inclusion};
use serde::{Deserialize, Serialize};
use std::io::BufRead;

/// One line of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExportLine {
    /// The checkpoint every proof in the file refers to.
    Checkpoint {
        /// Tree size.
        tree_size: i64,
        /// Root hash, hex.
        root_hash: String,
        /// The C2SP signed note.
        signed_note: String,
        /// The verifier key that signed it (trust it only if you know it).
        verifier_key: String,
    },
    /// An entry.
    Entry {
        /// The entry; its canonical JSON is the leaf's data.
        entry: Box<Entry>,
        /// SHA-256(0x00 ‖ canonical entry), hex.
        leaf_hash: String,
        /// The audit path from the leaf to the checkpoint's root, hex, leaf side first.
        inclusion_proof: Vec<String>,
    },
}

impl ExportLine {
    /// The line as JSON Lines text, newline included.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("an export line serialises to JSON");
        line.push('\n');
        line
    }
}

/// What an offline check of an export established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCheck {
    /// The log's origin.
    pub origin: String,
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// Entries proven to be in the log.
    pub entries: u64,
}

fn hash_from_hex(text: &str) -> anyhow::Result<Hash> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash)?;
    Ok(hash)
}

/// Checks an export: the checkpoint's signature by a trusted key, and every entry's leaf hash
/// and inclusion proof against it. Fails on the first line that does not check out, naming it.
pub fn check_export(reader: impl BufRead, trusted: &TrustedKeys) -> anyhow::Result<ExportCheck> {
    let mut lines = reader.lines().enumerate();
    let Some((_, first)) = lines.next() else {
        anyhow::bail!("the export is empty");
    };
    let ExportLine::Checkpoint { signed_note, .. } = serde_json::from_str(&first?)? else {
        anyhow::bail!("line 1 is not the checkpoint");
    };
    let head = trusted.open(&signed_note)?;
    let mut entries = 0;
    for (number, line) in lines {
        let number = number + 1;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let ExportLine::Entry {
            entry,
            leaf_hash,
            inclusion_proof,
        } = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("line {number}: not an export entry: {e}"))?
        else {
            anyhow::bail!("line {number}: a second checkpoint");
        };
        let leaf = entry.leaf_hash();
        if hex::encode(leaf) != leaf_hash {
            anyhow::bail!(
                "line {number}: entry {} does not hash to its leaf hash",
                entry.log_index
            );
        }
        let proof = inclusion_proof
            .iter()
            .map(|h| hash_from_hex(h))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let index = u64::try_from(entry.log_index)?;
        if !verify_inclusion(&leaf, index, head.tree_size, &proof, &head.root_hash) {
            anyhow::bail!(
                "line {number}: entry {} is not proven to be in the tree of size {}",
                entry.log_index,
                head.tree_size
            );
        }
        entries += 1;
    }
    Ok(ExportCheck {
        origin: head.origin,
        tree_size: head.tree_size,
        entries,
    })
}
