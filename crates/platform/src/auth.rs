//! Bearer-token authentication and role checks, the same at the gateway and at every service.
//!
//! Tokens are JWTs signed with HS256 (shared secret) or RS256/EdDSA (public key). The verified
//! [`Caller`] is put into the request's extensions, so handlers record who made each change.
use crate::error::ApiError;
use crate::scope::DataScope;
use crate::secret::{ExposeSecret, SecretString};
use crate::token_keys::{KeySet, VerificationKey};
pub use credit_client::{
    BearerToken, Claims, FEED_METADATA, FeedOf, ScopeClaims, mint_hs256_scoped_token,
    mint_hs256_token, roles,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Who is calling, from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who it is, as recorded and compared everywhere (who created, approved, released…): the
    /// token's subject qualified by its issuer, `<iss>#<sub>` — two identity providers may
    /// both have an "alice", and they are not one person — or the subject alone for tokens
    /// without an issuer (development).
    pub subject: String,
    /// The token's roles.
    pub roles: Vec<String>,
    /// The regions and business units the token limits its holder to.
    pub scope: DataScope,
}

/// The claims read from a verified token (`aud` is checked by the validation, as a string or
/// an array, and not needed after).
#[derive(Debug, serde::Deserialize)]
struct VerifiedClaims {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    regions: Option<Vec<String>>,
    #[serde(default)]
    business_units: Option<Vec<String>>,
}

impl Caller {
    /// The caller of a token from `issuer` (when it names one) for `subject`.
    pub fn of(issuer: Option<&str>, subject: &str, roles: Vec<String>) -> Self {
        let subject = match issuer.filter(|i| !i.is_empty()) {
            // An OpenID issuer is an https URL without a fragment, so '#' cannot be part of it.
            Some(issuer) => format!("{issuer}#{subject}"),
            None => subject.to_string(),
        };
        Self {
            subject,
            roles,
            scope: DataScope::all(),
        }
    }

    /// The same caller limited to `scope`.
    pub fn within(mut self, scope: DataScope) -> Self {
        self.scope = scope;
        self
    }

    /// A caller for work the service does by itself (expiry sweeps, consumers).
    pub fn system(job: &str) -> Self {
        Self {
            subject: format!("system:{job}"),
            roles: Vec::new(),
            scope: DataScope::all(),
        }
    }

    /// Whether the caller holds one of `allowed` (or is admin).
    pub fn has_any_role(&self, allowed: &[&str]) -> bool {
        self.roles.iter().any(|r| r == roles::ADMIN) || self.holds_one_of(allowed)
    }

    /// Whether the caller holds one of `allowed` itself (admin or not).
    pub fn holds_one_of(&self, allowed: &[&str]) -> bool {
        self.roles.iter().any(|r| allowed.contains(&r.as_str()))
    }
}

/// Token verification settings (see the configuration reference in docs/operations.md).
#[derive(Debug, Clone, clap::Args)]
pub struct AuthConfig {
    /// Shared HS256 secret — development only (--auth-development): whoever holds it can mint
    /// any token, so in production a compromised service could act as any other. Exactly one of
    /// this, --jwt-public-key-file, --jwt-jwks-file and --jwt-jwks-url must be set.
    #[arg(
        long,
        env = "JWT_HS256_SECRET",
        hide_env_values = true,
        value_parser = crate::secret::parse
    )]
    pub jwt_hs256_secret: Option<SecretString>,
    /// PEM public key file for RS256 or EdDSA tokens (see --jwt-algorithm).
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<std::path::PathBuf>,
    /// Algorithm of --jwt-public-key-file tokens: RS256 or EdDSA.
    #[arg(long, env = "JWT_ALGORITHM", default_value = "RS256")]
    pub jwt_algorithm: String,
    /// JSON Web Key Set file (keys with `kid`), read again when it changes.
    #[arg(long, env = "JWT_JWKS_FILE")]
    pub jwt_jwks_file: Option<std::path::PathBuf>,
    /// JSON Web Key Set URL (the identity provider's `jwks_uri`, https), fetched again
    /// periodically and when a token names an unknown key.
    #[arg(long, env = "JWT_JWKS_URL")]
    pub jwt_jwks_url: Option<String>,
    /// Accepted `iss` (comma separated for several); required outside development.
    #[arg(long, env = "JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// Required `aud` (a token may carry it as a string or in an array); required outside
    /// development.
    #[arg(long, env = "JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// Development mode: accepts an HS256 secret and tokens without issuer and audience. Never
    /// in production.
    #[arg(long, env = "AUTH_DEVELOPMENT", default_value_t = false)]
    pub auth_development: bool,
}

impl AuthConfig {
    /// HS256 with `secret` and no issuer/audience: development mode (suite, tests).
    pub fn hs256(secret: &str) -> Self {
        Self {
            jwt_hs256_secret: Some(SecretString::from(secret)),
            jwt_public_key_file: None,
            jwt_algorithm: "RS256".into(),
            jwt_jwks_file: None,
            jwt_jwks_url: None,
            jwt_issuer: None,
            jwt_audience: None,
            auth_development: true,
        }
    }

    /// The accepted issuers.
    fn issuers(&self) -> Vec<String> {
        self.jwt_issuer
            .iter()
            .flat_map(|i| i.split(','))
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The keys, from the one source configured.
    fn keys(&self) -> anyhow::Result<KeySet> {
        let sources = [
            self.jwt_hs256_secret.is_some(),
            self.jwt_public_key_file.is_some(),
            self.jwt_jwks_file.is_some(),
            self.jwt_jwks_url.is_some(),
        ];
        match sources.iter().filter(|s| **s).count() {
            0 => anyhow::bail!(
                "set one of JWT_JWKS_URL, JWT_JWKS_FILE and JWT_PUBLIC_KEY_FILE (or \
                 JWT_HS256_SECRET with AUTH_DEVELOPMENT=true)"
            ),
            1 => {}
            _ => anyhow::bail!(
                "set only one of JWT_HS256_SECRET, JWT_PUBLIC_KEY_FILE, JWT_JWKS_FILE and \
                 JWT_JWKS_URL"
            ),
        }
        if let Some(secret) = &self.jwt_hs256_secret {
            anyhow::ensure!(
                self.auth_development,
                "JWT_HS256_SECRET is for development only (AUTH_DEVELOPMENT=true): whoever \
                 holds a shared secret can mint tokens for anyone; verify with JWT_JWKS_URL, \
                 JWT_JWKS_FILE or JWT_PUBLIC_KEY_FILE"
            );
            let secret = secret.expose_secret();
            anyhow::ensure!(
                secret.len() >= 32,
                "JWT_HS256_SECRET must be at least 32 bytes"
            );
            return Ok(KeySet::fixed(vec![VerificationKey {
                kid: None,
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(secret.as_bytes()),
            }]));
        }
        if let Some(path) = &self.jwt_public_key_file {
            let pem = std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("reading JWT_PUBLIC_KEY_FILE {}: {e}", path.display())
            })?;
            let (key, algorithm) = match self.jwt_algorithm.as_str() {
                "RS256" => (DecodingKey::from_rsa_pem(&pem)?, Algorithm::RS256),
                "EdDSA" => (DecodingKey::from_ed_pem(&pem)?, Algorithm::EdDSA),
                other => anyhow::bail!("JWT_ALGORITHM must be RS256 or EdDSA, not {other}"),
            };
            return Ok(KeySet::fixed(vec![VerificationKey {
                kid: None,
                algorithm,
                key,
            }]));
        }
        if let Some(path) = &self.jwt_jwks_file {
            return KeySet::from_jwks_file(path);
        }
        let url = self.jwt_jwks_url.as_deref().expect("one source is set");
        KeySet::from_jwks_url(url)
    }
}

/// What a caller whose token is refused is told, whatever the reason.
pub const INVALID_TOKEN: &str = "invalid token";

/// How often keys from a JWKS are read again, and at most how often a token naming an unknown
/// key makes them be read again.
const KEYS_REFRESH: Duration = Duration::from_secs(300);
const KEYS_REFRESH_AT_MOST: Duration = Duration::from_secs(10);

/// Every algorithm a verification key may have (see `token_keys`).
const ACCEPTED_ALGORITHMS: [Algorithm; 10] = [
    Algorithm::HS256,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Verifies bearer tokens.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: KeySet,
    /// The claims' rules, one copy per algorithm a key may have (each pinned to it), made
    /// once rather than per call.
    validations: Arc<Vec<Validation>>,
}

impl TokenVerifier {
    /// Builds the verifier from configuration; fails on a missing or unreadable key, and, outside
    /// development, on a missing issuer or audience. Keys from a JWKS are kept current by a task
    /// on the current tokio runtime (keys from a URL arrive with [`TokenVerifier::ready`]).
    pub fn from_config(config: &AuthConfig) -> anyhow::Result<Self> {
        let issuers = config.issuers();
        if !config.auth_development {
            anyhow::ensure!(
                !issuers.is_empty(),
                "JWT_ISSUER is required (the identity provider's issuer): a token from any \
                 other issuer must be refused"
            );
            anyhow::ensure!(
                config.jwt_audience.is_some(),
                "JWT_AUDIENCE is required: a token issued for another application must be \
                 refused"
            );
        }
        let keys = config.keys()?;
        // The algorithm is the key's (checked per token); these are the claims' rules.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 30;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        match &config.jwt_audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        if !issuers.is_empty() {
            validation.set_issuer(&issuers);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        if keys.refreshes()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(
                keys.clone()
                    .keep_current(KEYS_REFRESH, KEYS_REFRESH_AT_MOST),
            );
        }
        Ok(Self {
            keys,
            validations: Arc::new(
                ACCEPTED_ALGORITHMS
                    .iter()
                    .map(|algorithm| {
                        let mut pinned = validation.clone();
                        pinned.algorithms = vec![*algorithm];
                        pinned
                    })
                    .collect(),
            ),
        })
    }

    /// Waits (up to `within`) until keys are loaded — at once unless they come from a URL —
    /// so a service does not start refusing every caller.
    pub async fn ready(&self, within: Duration) -> anyhow::Result<()> {
        let started = tokio::time::Instant::now();
        loop {
            if !self.keys.is_empty() {
                return Ok(());
            }
            let error = match self.keys.refresh().await {
                Ok(()) => continue,
                Err(error) => error,
            };
            if started.elapsed() >= within {
                return Err(error.context("no token keys"));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Reads the keys again from their source now (a JWKS file that changed, a JWKS URL).
    pub async fn refresh_keys(&self) -> anyhow::Result<()> {
        self.keys.refresh().await
    }

    /// The caller of a token, or why it is refused.
    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        // The caller learns only that the token is refused; why (expired, wrong signature,
        // issuer, audience…) goes to the log, where an operator can read it and an attacker
        // probing tokens cannot.
        let refused = |why: &dyn std::fmt::Display| {
            tracing::info!(reason = %why, "bearer token refused");
            ApiError::Unauthenticated(INVALID_TOKEN.into())
        };
        let header = jsonwebtoken::decode_header(token).map_err(|e| refused(&e))?;
        let key = self.keys.key_for(&header).map_err(|e| refused(&e))?;
        let validation = self
            .validations
            .iter()
            .find(|v| v.algorithms == [key.algorithm])
            .ok_or_else(|| refused(&format!("algorithm {:?} not accepted", key.algorithm)))?;
        let data = jsonwebtoken::decode::<VerifiedClaims>(token, &key.key, validation)
            .map_err(|e| refused(&e))?;
        if data.claims.sub.is_empty() {
            return Err(refused(&"no subject"));
        }
        if roles::service_with_approver_role(&data.claims.roles) {
            return Err(refused(&"a service identity holding an approver role"));
        }
        let claims = data.claims;
        let scope = DataScope::from_claims(claims.regions, claims.business_units)
            .map_err(|why| refused(&why))?;
        Ok(Caller::of(claims.iss.as_deref(), &claims.sub, claims.roles).within(scope))
    }

    /// The caller of an `authorization` header value ("Bearer <jwt>").
    pub fn verify_header(&self, header: Option<&http::HeaderValue>) -> Result<Caller, ApiError> {
        let value = header
            .ok_or_else(|| {
                ApiError::Unauthenticated("missing bearer token (authorization header)".into())
            })?
            .to_str()
            .map_err(|_| ApiError::Unauthenticated("authorization header is not text".into()))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::Unauthenticated("authorization header must be 'Bearer <token>'".into())
            })?;
        self.verify(token.trim())
    }
}

/// A fresh random HS256 secret (64 hex characters).
pub fn generate_hs256_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The token a service presents when it calls another service (audit reading the feeds, for
/// example): read from a file at every connection, so a mounted token that the platform rotates
/// keeps working; or given directly; or, in development where every service shares the HS256
/// secret, minted on demand for the service's own subject.
#[derive(Clone, Debug)]
pub enum ServiceToken {
    /// Re-read from this file whenever a token is needed.
    File(std::path::PathBuf),
    /// A fixed token.
    Fixed(SecretString),
    /// Minted with the shared HS256 secret for `subject` with `roles`, valid one hour.
    Minted {
        /// The HS256 secret.
        secret: SecretString,
        /// The service's subject, for example "service:audit".
        subject: String,
        /// Its roles.
        roles: Vec<String>,
    },
}

impl ServiceToken {
    /// The token a service configured with `auth` presents as `subject`: the file when one is
    /// set; otherwise, with a shared HS256 secret (development), minted with `roles`; `None`
    /// when neither is available (production with asymmetric keys needs the file).
    pub fn from_settings(
        file: Option<&std::path::Path>,
        auth: &AuthConfig,
        subject: &str,
        roles: &[&str],
    ) -> Option<Self> {
        if let Some(path) = file {
            return Some(Self::File(path.to_path_buf()));
        }
        auth.jwt_hs256_secret.as_ref().map(|secret| Self::Minted {
            secret: secret.clone(),
            subject: subject.to_string(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        })
    }

    /// The token to send now.
    pub fn current(&self) -> anyhow::Result<String> {
        match self {
            Self::File(path) => Ok(std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("reading the service token {}: {e}", path.display()))?
                .trim()
                .to_string()),
            Self::Fixed(token) => Ok(token.expose_secret().to_string()),
            Self::Minted {
                secret,
                subject,
                roles,
            } => {
                let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
                mint_hs256_token(
                    secret.expose_secret(),
                    subject,
                    &roles,
                    std::time::Duration::from_secs(3600),
                )
            }
        }
    }
}

/// What a method requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token (health, reflection).
    Public,
    /// Any valid token.
    Authenticated,
    /// A valid token with one of these roles (admin always passes).
    AnyRole(&'static [&'static str]),
    /// A valid token with one of these roles, admin or not: what only a service identity may
    /// do on the authority of people it has verified (setting a limit).
    OnlyRole(&'static [&'static str]),
}

/// Maps a gRPC path ("/credit.limits.v1.LimitsService/CheckCredit") to what it requires;
/// `None` when no rule names it. A method a server serves without a rule is refused.
pub type AccessPolicy = Arc<dyn Fn(&str) -> Option<Access> + Send + Sync>;

/// The methods among `served` (gRPC paths) that `policy` names no rule for.
pub fn unguarded<'a>(
    served: &'a [String],
    policy: &dyn Fn(&str) -> Option<Access>,
) -> Vec<&'a str> {
    served
        .iter()
        .map(String::as_str)
        .filter(|path| policy(path).is_none())
        .collect()
}

/// Health and reflection are public everywhere; everything else needs a token.
pub fn is_public_path(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// Tower layer that verifies the token and role of every call before it reaches a handler.
#[derive(Clone)]
pub struct AuthLayer {
    verifier: TokenVerifier,
    policy: AccessPolicy,
    served: Arc<std::collections::HashSet<String>>,
}

impl AuthLayer {
    /// A layer using `verifier` and `policy` in front of the methods `served` (gRPC paths):
    /// a served method the policy names no rule for is refused whatever the token. Paths that
    /// are not served need a valid token and then get the server's UNIMPLEMENTED.
    pub fn new(verifier: TokenVerifier, policy: AccessPolicy, served: Vec<String>) -> Self {
        Self {
            verifier,
            policy,
            served: Arc::new(served.into_iter().collect()),
        }
    }

    /// The caller of a request, or the error to answer with. `Ok(None)` for public methods.
    pub fn authorize<B>(&self, request: &http::Request<B>) -> Result<Option<Caller>, ApiError> {
        let path = request.uri().path();
        let access = if is_public_path(path) {
            Some(Access::Public)
        } else {
            (self.policy)(path)
        };
        if access == Some(Access::Public) {
            return Ok(None);
        }
        let caller = self
            .verifier
            .verify_header(request.headers().get(http::header::AUTHORIZATION))?;
        let Some(access) = access else {
            if self.served.contains(path) {
                // Deny by default: a method nobody wrote a rule for is nobody's.
                return Err(ApiError::PermissionDenied(format!(
                    "no access rule grants {path}"
                )));
            }
            return Ok(Some(caller));
        };
        let granted = match access {
            Access::Public | Access::Authenticated => true,
            Access::AnyRole(allowed) => caller.has_any_role(allowed),
            Access::OnlyRole(allowed) => caller.holds_one_of(allowed),
        };
        if !granted {
            let allowed = match access {
                Access::AnyRole(allowed) | Access::OnlyRole(allowed) => allowed.join(", "),
                _ => String::new(),
            };
            return Err(ApiError::PermissionDenied(format!(
                "{path} needs one of the roles {allowed}"
            )));
        }
        Ok(Some(caller))
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    layer: AuthLayer,
}

impl<S, B, R> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures::future::Either<
        S::Future,
        futures::future::Ready<Result<http::Response<R>, S::Error>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.layer.authorize(&request) {
            Ok(caller) => {
                if let Some(caller) = caller {
                    request.extensions_mut().insert(caller);
                }
                futures::future::Either::Left(self.inner.call(request))
            }
            Err(error) => {
                let status: tonic::Status = error.into();
                futures::future::Either::Right(futures::future::ready(Ok(status.into_http())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn layer() -> AuthLayer {
        let verifier = TokenVerifier::from_config(&AuthConfig::hs256(SECRET)).expect("verifier");
        AuthLayer::new(
            verifier,
            Arc::new(|path: &str| {
                if path.ends_with("/CheckCredit") {
                    Some(Access::AnyRole(&[roles::SALES_ORDER]))
                } else if path.ends_with("/Forgotten") {
                    None
                } else {
                    Some(Access::Authenticated)
                }
            }),
            vec!["/x.Y/CheckCredit".to_string(), "/x.Y/Forgotten".to_string()],
        )
    }

    #[test]
    fn a_token_carries_its_data_scope_and_bad_scope_claims_are_refused() {
        let verifier = TokenVerifier::from_config(&AuthConfig::hs256(SECRET)).expect("verifier");
        let scoped = |regions: Vec<&str>| {
            let scope = ScopeClaims {
                regions: Some(regions.into_iter().map(String::from).collect()),
                business_units: None,
            };
            mint_hs256_scoped_token(
                SECRET,
                "ana",
                &[roles::ANALYST],
                &scope,
                Duration::from_secs(60),
            )
            .expect("token")
        };
        let caller = verifier.verify(&scoped(vec!["EU"])).expect("valid");
        assert!(caller.scope.admits("EU", "steel"));
        assert!(!caller.scope.admits("US", "steel"));
        let unscoped = mint_hs256_token(SECRET, "ana", &[roles::ANALYST], Duration::from_secs(60))
            .expect("token");
        assert!(verifier.verify(&unscoped).expect("valid").scope.is_all());
        assert!(
            !verifier
                .verify(&scoped(vec![]))
                .expect("valid")
                .scope
                .admits("EU", "x"),
            "an empty claim sees nothing"
        );
        assert!(matches!(
            verifier.verify(&scoped(vec!["EU", ""])),
            Err(ApiError::Unauthenticated(m)) if m == INVALID_TOKEN
        ));
    }

    #[test]
    fn a_served_method_without_a_rule_is_denied_even_to_an_admin() {
        let admin = mint_hs256_token(SECRET, "root", &[roles::ADMIN], Duration::from_secs(60))
            .expect("token");
        assert!(matches!(
            layer().authorize(&request("/x.Y/Forgotten", Some(&admin))),
            Err(ApiError::PermissionDenied(_))
        ));
        // Not served here: a valid token passes on to UNIMPLEMENTED, none is UNAUTHENTICATED.
        assert!(matches!(
            layer().authorize(&request("/x.Z/Forgotten", Some(&admin))),
            Ok(Some(_))
        ));
        assert!(matches!(
            layer().authorize(&request("/x.Z/Forgotten", None)),
            Err(ApiError::Unauthenticated(_))
        ));
        let served = vec!["/x.Y/CheckCredit".to_string(), "/x.Y/Forgotten".to_string()];
        let policy = |path: &str| {
            path.ends_with("/CheckCredit")
                .then_some(Access::Authenticated)
        };
        assert_eq!(unguarded(&served, &policy), ["/x.Y/Forgotten"]);
    }

    fn request(path: &str, token: Option<&str>) -> http::Request<()> {
        let mut builder = http::Request::builder().uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        builder.body(()).expect("request")
    }

    #[test]
    fn a_valid_token_with_the_role_passes_and_names_the_caller() {
        let token = mint_hs256_token(
            SECRET,
            "orders",
            &[roles::SALES_ORDER],
            Duration::from_secs(60),
        )
        .expect("token");
        let caller = layer()
            .authorize(&request("/x.Y/CheckCredit", Some(&token)))
            .expect("ok")
            .expect("caller");
        assert_eq!(caller.subject, "orders");
    }

    #[test]
    fn missing_wrong_or_expired_tokens_are_unauthenticated() {
        let l = layer();
        assert!(matches!(
            l.authorize(&request("/x.Y/Z", None)),
            Err(ApiError::Unauthenticated(_))
        ));
        let foreign = mint_hs256_token(
            "another-secret-another-secret-xx",
            "a",
            &[],
            Duration::from_secs(60),
        )
        .expect("token");
        // Whatever is wrong with a token, the caller is told only that it is invalid.
        for token in [foreign.as_str(), "garbage"] {
            match l.authorize(&request("/x.Y/Z", Some(token))) {
                Err(ApiError::Unauthenticated(message)) => assert_eq!(message, INVALID_TOKEN),
                other => panic!("{token}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_token_without_the_role_is_denied_and_admin_passes() {
        let viewer = mint_hs256_token(SECRET, "v", &[roles::VIEWER], Duration::from_secs(60))
            .expect("token");
        assert!(matches!(
            layer().authorize(&request("/x.Y/CheckCredit", Some(&viewer))),
            Err(ApiError::PermissionDenied(_))
        ));
        let admin = mint_hs256_token(SECRET, "root", &[roles::ADMIN], Duration::from_secs(60))
            .expect("token");
        assert!(
            layer()
                .authorize(&request("/x.Y/CheckCredit", Some(&admin)))
                .is_ok()
        );
    }

    #[test]
    fn health_and_reflection_need_no_token() {
        assert_eq!(
            layer()
                .authorize(&request("/grpc.health.v1.Health/Check", None))
                .expect("public"),
            None
        );
    }

    #[test]
    fn short_secrets_are_refused_at_start() {
        assert!(TokenVerifier::from_config(&AuthConfig::hs256("short")).is_err());
    }
}
