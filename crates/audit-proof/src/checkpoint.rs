//! Signed checkpoints: the tree size and root hash as a C2SP checkpoint
//! (c2sp.org/tlog-checkpoint), signed as a C2SP signed note with Ed25519 — the format of
//! Go's sumdb, Sigstore and the CT static logs, so their tools can check ours.
use crate::merkle::Hash;
use credit_clock::Micros;
use signed_note::{Note, StandardSigner, StandardVerifier, Verifier, VerifierList};
use tlog_tiles::Checkpoint;

/// Why a checkpoint does not check out.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The note is not a well-formed signed note or checkpoint.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    /// No trusted key signed it, or a signature is wrong.
    #[error("checkpoint signature does not verify: {0}")]
    Signature(String),
}

/// A checkpoint's content, read from a verified note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    /// The log's origin line.
    pub origin: String,
    /// Tree size.
    pub tree_size: u64,
    /// Root hash.
    pub root_hash: Hash,
    /// Signing time from the `time` extension line (Unix microseconds).
    pub signed_at: Option<Micros>,
}

/// Signs checkpoints with the log's Ed25519 key.
pub struct CheckpointSigner {
    signer: StandardSigner,
    verifier_key: String,
    origin: String,
}

/// Generates a signing key in signed-note format ("PRIVATE+KEY+name+id+key") and its verifier
/// key ("name+id+key"). `name` is also the log's origin.
pub fn generate_key(name: &str) -> (String, String) {
    signed_note::generate_key(&mut rand_core::OsRng, name)
}

impl CheckpointSigner {
    /// A signer from a signed-note private key; the key's name is the log's origin.
    pub fn new(signing_key: &str) -> anyhow::Result<Self> {
        let signer = StandardSigner::new(signing_key.trim())
            .map_err(|e| anyhow::anyhow!("the audit signing key is not usable: {e}"))?;
        let verifier_key = verifier_key_of(signing_key.trim())?;
        let origin = signed_note::Signer::name(&signer).to_string();
        Ok(Self {
            signer,
            verifier_key,
            origin,
        })
    }

    /// The verifier key others check our checkpoints with.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The signed note of the tree of `tree_size` with `root`, signed at `at`.
    pub fn sign(&self, tree_size: u64, root: &Hash, at: Micros) -> anyhow::Result<String> {
        let extension = format!("time {at}\n");
        let checkpoint =
            Checkpoint::new(&self.origin, tree_size, tlog_tiles::Hash(*root), &extension)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut note =
            Note::new(&checkpoint.to_bytes(), &[]).map_err(|e| anyhow::anyhow!("{e}"))?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(String::from_utf8(note.to_bytes())?)
    }
}

/// The verifier key of a signed-note private key ("PRIVATE+KEY+name+id+base64(0x01 ‖ seed)");
/// the signer validated the format and the key id already.
fn verifier_key_of(signing_key: &str) -> anyhow::Result<String> {
    use base64::Engine;
    // Base64 has '+' too: the key is everything after the fourth separator.
    let mut parts = signing_key.splitn(5, '+');
    let (name, key64) = (parts.nth(2), parts.nth(1));
    let (Some(name), Some(key64)) = (name, key64) else {
        anyhow::bail!("malformed signing key");
    };
    let raw = base64::engine::general_purpose::STANDARD.decode(key64)?;
    let seed: [u8; 32] = raw
        .get(1..)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("the signing key is not an Ed25519 key"))?;
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    Ok(signed_note::new_ed25519_verifier_key(name, &public))
}

/// Trusted verifier keys: the current one and any retired ones still needed for old checkpoints.
pub struct TrustedKeys {
    verifiers: Vec<StandardVerifier>,
}

impl TrustedKeys {
    /// Trusts every key in `verifier_keys` (signed-note verifier key format).
    pub fn new<'a>(verifier_keys: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Self> {
        let verifiers = verifier_keys
            .into_iter()
            .map(|key| {
                StandardVerifier::new(key.trim())
                    .map_err(|e| anyhow::anyhow!("verifier key '{key}': {e}"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { verifiers })
    }

    /// Checks the note's signature and reads its tree head.
    pub fn open(&self, signed_note: &str) -> Result<TreeHead, CheckpointError> {
        let note = Note::from_bytes(signed_note.as_bytes())
            .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        let list = VerifierList::new(
            self.verifiers
                .iter()
                .map(|v| Box::new(v.clone()) as Box<dyn Verifier>)
                .collect(),
        );
        note.verify(&list)
            .map_err(|e| CheckpointError::Signature(e.to_string()))?;
        let checkpoint = Checkpoint::from_bytes(note.text())
            .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        let signed_at = checkpoint
            .extension()
            .lines()
            .find_map(|line| line.strip_prefix("time "))
            .and_then(|t| t.parse().ok());
        Ok(TreeHead {
            origin: checkpoint.origin().to_string(),
            tree_size: checkpoint.size(),
            root_hash: checkpoint.hash().0,
            signed_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_checkpoint_opens_with_the_verifier_key_and_not_with_another() {
        let (signing, verifier) = generate_key("audit.example");
        let signer = CheckpointSigner::new(&signing).expect("signer");
        assert_eq!(signer.verifier_key(), verifier);
        assert_eq!(signer.origin(), "audit.example");
        let root = [7u8; 32];
        let note = signer.sign(42, &root, 1_700_000_000_000_000).expect("sign");
        assert!(note.starts_with("audit.example\n42\n"), "{note}");
        assert!(note.contains("\n— audit.example "), "{note}");

        let head = TrustedKeys::new([verifier.as_str()])
            .expect("keys")
            .open(&note)
            .expect("verifies");
        assert_eq!(head.tree_size, 42);
        assert_eq!(head.root_hash, root);
        assert_eq!(head.signed_at, Some(1_700_000_000_000_000));

        let (_, stranger) = generate_key("audit.example");
        assert!(matches!(
            TrustedKeys::new([stranger.as_str()])
                .expect("keys")
                .open(&note),
            Err(CheckpointError::Signature(_))
        ));
        let forged = note.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(
            TrustedKeys::new([verifier.as_str()])
                .expect("keys")
                .open(&forged),
            Err(CheckpointError::Signature(_))
        ));
    }
}
