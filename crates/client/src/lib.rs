//! What a client of the credit suite needs besides the generated stubs (`credit-proto`): the
//! role names, the token claims, a bearer-token interceptor, and HS256 minting for the
//! development suite. No server code: `creditctl`, the load generator and tests link this.
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// The roles of the suite. `credit.admin` may do everything.
pub mod roles {
    /// Reads accounts, exposure, decisions, events.
    pub const VIEWER: &str = "credit.viewer";
    /// The sales-order service: credit checks and reservation draw-down.
    pub const SALES_ORDER: &str = "credit.sales_order";
    /// Credit analyst: accounts, receivables, holds, reservations.
    pub const ANALYST: &str = "credit.analyst";
    /// Credit manager: all an analyst does plus limits, counting rules and rates.
    pub const MANAGER: &str = "credit.manager";
    /// Auditors and the audit service: read the audit log and every service's event feed.
    pub const AUDITOR: &str = "credit.auditor";
    /// Everything (break-glass: hold it in no person's daily token).
    pub const ADMIN: &str = "credit.admin";
    /// The applications service's own identity: it alone sets limits and releases blocked
    /// orders in limits, carrying the approvers it verified (authority matrix, four eyes).
    /// Admin does not pass for it: nobody else changes a limit.
    pub const APPLICATIONS_SERVICE: &str = "credit.service.applications";
    /// What every service identity's role starts with.
    pub const SERVICE_PREFIX: &str = "credit.service.";
    /// The roles that decide credit: a service identity never holds one (a stolen service
    /// token must not approve anything).
    pub const APPROVERS: &[&str] = &[ANALYST, MANAGER, ADMIN];

    /// Whether `roles` mix a service identity with an approver role (refused).
    pub fn service_with_approver_role(roles: &[String]) -> bool {
        roles.iter().any(|r| r.starts_with(SERVICE_PREFIX))
            && roles.iter().any(|r| APPROVERS.contains(&r.as_str()))
    }
}

/// The claims the suite reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the user or service identity.
    pub sub: String,
    /// Roles granted.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at.
    #[serde(default)]
    pub iat: u64,
    /// Issuer, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The regions whose customers the caller may see and act on; absent: every region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
    /// The business units whose customers the caller may see and act on; absent: every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_units: Option<Vec<String>>,
}

/// A data scope to put in a token: the regions and business units it is limited to (`None`:
/// not limited).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeClaims {
    /// The `regions` claim.
    pub regions: Option<Vec<String>>,
    /// The `business_units` claim.
    pub business_units: Option<Vec<String>>,
}

impl ScopeClaims {
    /// Limited to `regions`, every business unit.
    pub fn regions(regions: &[&str]) -> Self {
        Self {
            regions: Some(regions.iter().map(|r| r.to_string()).collect()),
            business_units: None,
        }
    }
}

/// Signs an HS256 token (development suite, CLI, tests).
pub fn mint_hs256_token(
    secret: &str,
    subject: &str,
    roles: &[&str],
    ttl: std::time::Duration,
) -> anyhow::Result<String> {
    mint_hs256_scoped_token(secret, subject, roles, &ScopeClaims::default(), ttl)
}

/// Signs an HS256 token limited to a data scope (a regional analyst, in the suite and tests).
pub fn mint_hs256_scoped_token(
    secret: &str,
    subject: &str,
    roles: &[&str],
    scope: &ScopeClaims,
    ttl: std::time::Duration,
) -> anyhow::Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let claims = Claims {
        sub: subject.to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        exp: now + ttl.as_secs(),
        iat: now,
        iss: None,
        aud: None,
        regions: scope.regions.clone(),
        business_units: scope.business_units.clone(),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

/// Client interceptor sending `authorization: Bearer <token>` on every call (CLI, load
/// generator, tests; `None` sends no token).
#[derive(Clone, Debug, Default)]
pub struct BearerToken(pub Option<String>);

impl tonic::service::Interceptor for BearerToken {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(token) = &self.0 {
            let value = format!("Bearer {token}").parse().map_err(|_| {
                tonic::Status::invalid_argument("the token is not a valid header value")
            })?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

/// The metadata that names whose event feed a call through the gateway reads: every service
/// serves the same `credit.event.v1.EventFeedService`, so the gateway routes it by this.
pub const FEED_METADATA: &str = "credit-feed";

/// Calls to the event feed of `source` ("limits", "collections"…) through the gateway, with a
/// bearer token.
#[derive(Debug, Clone)]
pub struct FeedOf {
    /// The caller's token.
    pub token: BearerToken,
    /// The service whose feed to read, as its events name it in `source`.
    pub source: String,
}

impl tonic::service::Interceptor for FeedOf {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let mut request = self.token.call(request)?;
        let value = self.source.parse().map_err(|_| {
            tonic::Status::invalid_argument(format!("{FEED_METADATA}: not a valid header value"))
        })?;
        request.metadata_mut().insert(FEED_METADATA, value);
        Ok(request)
    }
}
