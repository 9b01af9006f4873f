//! The keys bearer tokens are verified with: a PEM public key, or a JSON Web Key Set (JWKS) from a
//! file or an HTTPS URL — each key with its `kid` and algorithm, so an identity provider rotates
//! keys by publishing the next one before it signs with it, and nothing here restarts — or, for
//! development only, one HS256 secret.
//!
//! A token is checked against the key its header names (`kid`) and only with that key's own
//! algorithm, so a token cannot choose how it is verified (no RS256 key used as an HMAC secret).
use anyhow::Context as _;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// One key a token may be signed with.
#[derive(Clone)]
pub struct VerificationKey {
    /// Its id (`kid`), when the set names its keys.
    pub kid: Option<String>,
    /// The only algorithm tokens signed with it may use.
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// Where the keys come from, and so whether and how they are read again.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Fixed for the life of the process (an HS256 secret, a PEM file).
    Fixed,
    /// A JWKS file, read again when it changes (a mounted Secret or ConfigMap is replaced).
    JwksFile(PathBuf),
    /// A JWKS at an HTTPS URL (the identity provider's `jwks_uri`), fetched again periodically
    /// and when a token names a key not yet known.
    JwksUrl(String),
}

/// The keys in force, shared by every clone of the verifier and replaced as a whole.
#[derive(Clone)]
pub struct KeySet {
    keys: Arc<RwLock<Vec<VerificationKey>>>,
    source: KeySource,
    /// When the file was last seen changed (JwksFile).
    seen_modified: Arc<RwLock<Option<SystemTime>>>,
    /// Wakes the refresher when a token names an unknown key.
    wanted: Arc<tokio::sync::Notify>,
}

impl KeySet {
    /// A set that never changes.
    pub fn fixed(keys: Vec<VerificationKey>) -> Self {
        Self::new(keys, KeySource::Fixed)
    }

    fn new(keys: Vec<VerificationKey>, source: KeySource) -> Self {
        Self {
            keys: Arc::new(RwLock::new(keys)),
            source,
            seen_modified: Arc::new(RwLock::new(None)),
            wanted: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The keys of the JWKS file at `path` (read now; an unreadable or empty set is an error).
    pub fn from_jwks_file(path: &Path) -> anyhow::Result<Self> {
        let set = Self::new(Vec::new(), KeySource::JwksFile(path.to_path_buf()));
        set.reload_file()?;
        Ok(set)
    }

    /// The keys at the JWKS `url`, empty until [`KeySet::refresh`] has fetched them.
    pub fn from_jwks_url(url: &str) -> anyhow::Result<Self> {
        let parsed = reqwest::Url::parse(url).with_context(|| format!("JWT_JWKS_URL {url}"))?;
        // Plain HTTP only to this machine (a test's key server), never across a network.
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        anyhow::ensure!(
            parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback),
            "JWT_JWKS_URL must be https:// (keys fetched in clear could be swapped): {url}"
        );
        Ok(Self::new(Vec::new(), KeySource::JwksUrl(url.to_string())))
    }

    /// The key a token with `header` must verify with: the one its `kid` names, or the only
    /// key of its algorithm when the token names none.
    pub fn key_for(&self, header: &Header) -> Result<VerificationKey, String> {
        let found = self.find(header);
        if found.is_err() {
            self.notice_unknown_key();
        }
        found
    }

    fn find(&self, header: &Header) -> Result<VerificationKey, String> {
        let keys = self.keys.read().expect("key set");
        let candidates: Vec<&VerificationKey> = match &header.kid {
            Some(kid) => keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid.as_str()))
                .collect(),
            None => keys.iter().collect(),
        };
        let usable: Vec<&VerificationKey> = candidates
            .iter()
            .copied()
            .filter(|k| k.algorithm == header.alg)
            .collect();
        match (usable.as_slice(), &header.kid) {
            ([key], _) => Ok((*key).clone()),
            ([], Some(kid)) if candidates.is_empty() => Err(format!("no key with kid {kid}")),
            ([], _) => Err(format!("no key for algorithm {:?}", header.alg)),
            (_, _) => Err("several keys fit and the token names none (kid)".into()),
        }
    }

    /// A token named a key not known: the file may have changed, or the provider published a
    /// new key; look again (the refresher limits how often).
    fn notice_unknown_key(&self) {
        match &self.source {
            KeySource::Fixed => {}
            KeySource::JwksFile(_) | KeySource::JwksUrl(_) => self.wanted.notify_one(),
        }
    }

    fn replace(&self, keys: Vec<VerificationKey>) {
        *self.keys.write().expect("key set") = keys;
    }

    /// Reads the JWKS file again if it changed since last read.
    fn reload_file(&self) -> anyhow::Result<bool> {
        let KeySource::JwksFile(path) = &self.source else {
            return Ok(false);
        };
        let modified = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .with_context(|| format!("JWT_JWKS_FILE {}", path.display()))?;
        if *self.seen_modified.read().expect("modified") == Some(modified) {
            return Ok(false);
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading JWT_JWKS_FILE {}", path.display()))?;
        let keys =
            parse_jwks(&text).with_context(|| format!("JWT_JWKS_FILE {}", path.display()))?;
        self.replace(keys);
        *self.seen_modified.write().expect("modified") = Some(modified);
        Ok(true)
    }

    /// Reads the keys again from their source (the file when it changed, the URL always).
    pub async fn refresh(&self) -> anyhow::Result<()> {
        match &self.source {
            KeySource::Fixed => Ok(()),
            KeySource::JwksFile(_) => self.reload_file().map(|_| ()),
            KeySource::JwksUrl(url) => {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()?;
                let text = client
                    .get(url)
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .with_context(|| format!("fetching JWT_JWKS_URL {url}"))?
                    .text()
                    .await?;
                let keys = parse_jwks(&text).with_context(|| format!("JWT_JWKS_URL {url}"))?;
                self.replace(keys);
                Ok(())
            }
        }
    }

    /// Whether the set is read again while the process runs.
    pub fn refreshes(&self) -> bool {
        !matches!(self.source, KeySource::Fixed)
    }

    /// Keeps the keys current until the process ends: every `every`, and soon after a token
    /// named an unknown key (at most once per `at_most_every`).
    pub async fn keep_current(self, every: Duration, at_most_every: Duration) {
        let mut last = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = self.wanted.notified() => {
                    let since = last.elapsed();
                    if since < at_most_every {
                        tokio::time::sleep(at_most_every - since).await;
                    }
                }
            }
            last = tokio::time::Instant::now();
            if let Err(error) = self.refresh().await {
                // The keys in force stay: a provider that is briefly away must not lock
                // everyone out.
                tracing::warn!(error = %format!("{error:#}"), "could not refresh the token keys");
            }
        }
    }

    /// How many keys are in force.
    pub fn len(&self) -> usize {
        self.keys.read().expect("key set").len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The verification keys of a JWKS document. Keys for encryption (`use: enc`) are skipped;
/// symmetric keys are refused (a shared secret published in a key set is no secret); a set of
/// more than one key must name each (`kid`).
pub fn parse_jwks(text: &str) -> anyhow::Result<Vec<VerificationKey>> {
    let set: JwkSet = serde_json::from_str(text).context("not a JSON Web Key Set")?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        if matches!(
            jwk.common.public_key_use,
            Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
        ) {
            continue;
        }
        let kid = jwk.common.key_id.clone();
        let name = kid.as_deref().unwrap_or("without kid");
        let algorithm = algorithm_of(jwk).with_context(|| format!("key {name}"))?;
        let key = DecodingKey::from_jwk(jwk).with_context(|| format!("key {name}"))?;
        keys.push(VerificationKey {
            kid,
            algorithm,
            key,
        });
    }
    anyhow::ensure!(!keys.is_empty(), "the set has no verification key");
    anyhow::ensure!(
        keys.len() == 1 || keys.iter().all(|k| k.kid.is_some()),
        "a set of several keys must give each a kid"
    );
    Ok(keys)
}

/// A key's algorithm: its `alg`, else the usual one for its type.
fn algorithm_of(jwk: &Jwk) -> anyhow::Result<Algorithm> {
    if let Some(alg) = jwk.common.key_algorithm {
        let algorithm = match alg {
            KeyAlgorithm::RS256 => Algorithm::RS256,
            KeyAlgorithm::RS384 => Algorithm::RS384,
            KeyAlgorithm::RS512 => Algorithm::RS512,
            KeyAlgorithm::PS256 => Algorithm::PS256,
            KeyAlgorithm::PS384 => Algorithm::PS384,
            KeyAlgorithm::PS512 => Algorithm::PS512,
            KeyAlgorithm::ES256 => Algorithm::ES256,
            KeyAlgorithm::ES384 => Algorithm::ES384,
            KeyAlgorithm::EdDSA => Algorithm::EdDSA,
            other => anyhow::bail!("algorithm {other:?} is not accepted for tokens"),
        };
        return Ok(algorithm);
    }
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Ok(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            Ok(Algorithm::ES256)
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P384 => {
            Ok(Algorithm::ES384)
        }
        AlgorithmParameters::OctetKeyPair(_) => Ok(Algorithm::EdDSA),
        AlgorithmParameters::OctetKey(_) => {
            anyhow::bail!("a symmetric key in a key set is refused")
        }
        _ => anyhow::bail!("no algorithm given and none usual for this key type"),
    }
}
