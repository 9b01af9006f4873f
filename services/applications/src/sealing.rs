//! Encryption at rest of sensitive fields (AES-256-GCM, a fresh random nonce per value, the
//! application id as associated data so a sealed value cannot be moved to another row), and
//! keyed fingerprints that find a tax id without storing it.
//!
//! Keys rotate without re-encrypting: every sealed value names its key, the current key seals,
//! previous keys (configured beside it) still open; duplicate detection compares the
//! fingerprint under every known key.
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use credit_platform::secret::{ExposeSecret, SecretString};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// One key: its id (the first 8 hex digits of its SHA-256), cipher and fingerprint key.
#[derive(Clone)]
struct Key {
    id: String,
    cipher: Aes256Gcm,
    fingerprint_key: [u8; 32],
}

impl Key {
    fn parse(text: &str) -> anyhow::Result<Self> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| anyhow::anyhow!("an encryption key must be 32 bytes in base64"))?;
        anyhow::ensure!(
            bytes.len() == 32,
            "an encryption key must be 32 bytes in base64 (this one has {})",
            bytes.len()
        );
        let id = hex::encode(&Sha256::digest(&bytes)[..4]);
        let cipher = Aes256Gcm::new_from_slice(&bytes)
            .map_err(|_| anyhow::anyhow!("an encryption key must be 32 bytes"))?;
        // A separate key for fingerprints, so the two uses never share one.
        let fingerprint_key: [u8; 32] = Sha256::new()
            .chain_update(b"credit-applications fingerprint")
            .chain_update(&bytes)
            .finalize()
            .into();
        Ok(Self {
            id,
            cipher,
            fingerprint_key,
        })
    }
}

/// Seals and opens sensitive values.
#[derive(Clone)]
pub struct Sealer {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer(current key {})", self.current.id)
    }
}

/// A new random key in the configuration's form.
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

impl Sealer {
    /// From the current key and the retired ones (base64, 32 bytes each).
    pub fn new(current: &SecretString, previous: &[SecretString]) -> anyhow::Result<Self> {
        Ok(Self {
            current: Key::parse(current.expose_secret())?,
            previous: previous
                .iter()
                .map(|k| Key::parse(k.expose_secret()))
                .collect::<anyhow::Result<_>>()?,
        })
    }

    /// Seals `plaintext` for the row `bound_to`: "<key id>:<base64(nonce ‖ ciphertext)>".
    pub fn seal(&self, plaintext: &[u8], bound_to: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .current
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: bound_to.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!("{}:{}", self.current.id, STANDARD.encode(out)))
    }

    /// Opens a value sealed for `bound_to` under any known key.
    pub fn open(&self, sealed: &str, bound_to: &str) -> anyhow::Result<Vec<u8>> {
        let (id, body) = sealed
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("not a sealed value"))?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "sealed with key {id}, which is not configured \
                     (APPLICATIONS_PREVIOUS_ENCRYPTION_KEYS)"
                )
            })?;
        let bytes = STANDARD
            .decode(body)
            .map_err(|_| anyhow::anyhow!("sealed value is not base64"))?;
        anyhow::ensure!(bytes.len() > 12, "sealed value too short");
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce
            .try_into()
            .map_err(|_| anyhow::anyhow!("sealed value too short"))?;
        key.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: bound_to.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealed value does not open: altered, or another row's"))
    }

    /// The fingerprint of `value` under the current key ("" for an empty value).
    pub fn fingerprint(&self, value: &str) -> String {
        Self::fingerprint_with(&self.current, value)
    }

    /// The fingerprints of `value` under every known key, current first.
    pub fn fingerprints(&self, value: &str) -> Vec<String> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(|k| Self::fingerprint_with(k, value))
            .collect()
    }

    fn fingerprint_with(key: &Key, value: &str) -> String {
        let normal: String = value
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if normal.is_empty() {
            return String::new();
        }
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.fingerprint_key)
            .expect("HMAC takes a key of any length");
        mac.update(normal.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_row_and_survive_key_rotation() {
        let old = SecretString::from(generate_key());
        let new = SecretString::from(generate_key());
        let before = Sealer::new(&old, &[]).expect("key");
        let sealed = before
            .seal(b"DE44500105175407324931", "app-1")
            .expect("seal");
        assert!(!sealed.contains("DE44"));
        assert_eq!(
            before.open(&sealed, "app-1").expect("open"),
            b"DE44500105175407324931"
        );
        assert!(before.open(&sealed, "app-2").is_err(), "bound to its row");
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(before.open(&altered, "app-1").is_err());

        let after = Sealer::new(&new, std::slice::from_ref(&old)).expect("keys");
        assert!(
            after.open(&sealed, "app-1").is_ok(),
            "old values still open"
        );
        assert!(
            Sealer::new(&new, &[])
                .expect("key")
                .open(&sealed, "app-1")
                .is_err()
        );
        assert!(
            after
                .fingerprints("fr 403 032 65045")
                .contains(&before.fingerprint("FR40303265045")),
            "the old fingerprint is still found"
        );
        assert_eq!(before.fingerprint(""), "");
        assert!(Sealer::new(&SecretString::from("short"), &[]).is_err());
    }
}
