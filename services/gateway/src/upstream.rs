//! Where each proto package's calls go. Every service serves the same event-feed contract
//! (`credit.event.v1.EventFeedService`), so a feed call names its source in the `credit-feed`
//! metadata: the service's name as its events carry it in `source` ("collections"), or its
//! package ("credit.collections.v1").
use credit_platform::balance::NamedPeers;
use credit_platform::error::{ApiError, FieldViolation};
use std::str::FromStr;
use std::time::Duration;
use tonic::transport::Channel;

/// One route: calls to services of `package` go to `address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// Proto package, for example "credit.limits.v1".
    pub package: String,
    /// URL of the service, for example "http://limits:50051".
    pub address: String,
}

impl FromStr for Upstream {
    type Err = String;

    /// Parses "credit.limits.v1=http://limits:50051".
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (package, address) = text.split_once('=').ok_or_else(|| {
            format!("upstream '{text}' must look like credit.limits.v1=http://host:port")
        })?;
        let package = package.trim();
        let address = address.trim();
        if package.is_empty()
            || !package
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(format!(
                "upstream package '{package}' is not a proto package name"
            ));
        }
        if !(address.starts_with("http://") || address.starts_with("https://")) {
            return Err(format!(
                "upstream address '{address}' must start with http:// or https://"
            ));
        }
        Ok(Self {
            package: package.to_string(),
            address: address.to_string(),
        })
    }
}

/// Every route, as `GATEWAY_UPSTREAMS` gives them (see [`NamedPeers`]).
pub type Upstreams = NamedPeers<Upstream>;

/// Paths of the event feed every service serves.
pub const FEED_PATH: &str = "/credit.event.v1.EventFeedService/";
/// The feed service's name (health, reflection).
pub const FEED_SERVICE: &str = "credit.event.v1.EventFeedService";
pub use credit_platform::auth::FEED_METADATA;

/// The package of a gRPC path "/pkg.Service/Method".
fn package_of_path(path: &str) -> Option<&str> {
    let service = path.trim_start_matches('/').split('/').next()?;
    Some(service.rsplit_once('.')?.0)
}

/// The service's name within its package ("credit.collections.v1" → "collections").
fn short_name(package: &str) -> &str {
    package.split('.').nth(1).unwrap_or(package)
}

/// The routing table: package → channel.
#[derive(Clone, Debug)]
pub struct Routes {
    routes: Vec<(String, Channel)>,
}

impl Routes {
    /// Lazily connected channels; a down upstream fails calls fast (connect timeout) instead of
    /// failing the gateway's start.
    pub fn connect(upstreams: &[Upstream], connect_timeout: Duration) -> anyhow::Result<Self> {
        let mut routes = Vec::new();
        for upstream in upstreams {
            let channel = credit_platform::client::channel(&upstream.address, connect_timeout)?;
            routes.push((upstream.package.clone(), channel));
        }
        Ok(Self { routes })
    }

    /// The channel for a gRPC path "/pkg.Service/Method", if its package is routed.
    pub fn lookup(&self, path: &str) -> Option<&Channel> {
        self.package(package_of_path(path)?)
    }

    fn package(&self, package: &str) -> Option<&Channel> {
        self.routes
            .iter()
            .find(|(p, _)| p == package)
            .map(|(_, c)| c)
    }

    /// The channel for a call: by the path's package, or for the shared event feed by the
    /// source its `credit-feed` metadata names.
    pub fn route(&self, path: &str, metadata: &http::HeaderMap) -> Result<&Channel, ApiError> {
        let package = self.package_of(path, metadata)?;
        self.package(package).ok_or_else(|| {
            ApiError::UnknownService(format!("the gateway routes no service for {path}"))
        })
    }

    /// The routed package a call goes to (see [`Routes::route`]).
    pub fn package_of<'a>(
        &'a self,
        path: &'a str,
        metadata: &http::HeaderMap,
    ) -> Result<&'a str, ApiError> {
        if !path.starts_with(FEED_PATH) {
            return Ok(package_of_path(path).unwrap_or_default());
        }
        let known = || {
            self.routes
                .iter()
                .map(|(p, _)| short_name(p))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let source = metadata
            .get(FEED_METADATA)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::from(FieldViolation::new(
                    FEED_METADATA,
                    format!(
                        "name the service whose event feed to read in the {FEED_METADATA} \
                         metadata: one of {}",
                        known()
                    ),
                ))
            })?;
        self.routes
            .iter()
            .find(|(p, _)| p == source || short_name(p) == source)
            .map(|(p, _)| p.as_str())
            .ok_or_else(|| {
                ApiError::UnknownService(format!(
                    "the gateway routes no event feed of {source:?}: one of {}",
                    known()
                ))
            })
    }

    /// Every route.
    pub fn iter(&self) -> impl Iterator<Item = &(String, Channel)> {
        self.routes.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_routes_and_refuses_malformed_ones() {
        let u: Upstream = "credit.limits.v1=http://127.0.0.1:1"
            .parse()
            .expect("valid");
        assert_eq!(u.package, "credit.limits.v1");
        assert!("credit.limits.v1".parse::<Upstream>().is_err());
        assert!("credit..v1=http://x".parse::<Upstream>().is_err());
        assert!("credit.limits.v1=limits:50051".parse::<Upstream>().is_err());
    }

    #[test]
    fn a_route_may_list_several_replicas() {
        let routes: Upstreams =
            "credit.limits.v1=http://10.0.0.1:1,10.0.0.2:1,credit.audit.v1=http://a:2"
                .parse()
                .expect("valid");
        assert_eq!(routes[0].address, "http://10.0.0.1:1,10.0.0.2:1");
        assert_eq!(routes[1].package, "credit.audit.v1");
        assert!("credit.limits.v1=limits:1".parse::<Upstreams>().is_err());
    }

    #[tokio::test]
    async fn routes_by_the_package_of_the_path() {
        let upstreams = vec![
            "credit.limits.v1=http://127.0.0.1:1"
                .parse()
                .expect("valid"),
        ];
        let routes = Routes::connect(&upstreams, Duration::from_secs(1)).expect("routes");
        assert!(
            routes
                .lookup("/credit.limits.v1.LimitsService/CheckCredit")
                .is_some()
        );
        assert!(
            routes
                .lookup("/credit.limits.v1.DiagnosticsService/Ping")
                .is_some()
        );
        assert!(
            routes
                .lookup("/credit.scoring.v1.ScoringService/Score")
                .is_none()
        );
        assert!(routes.lookup("/nonsense").is_none());
    }

    #[tokio::test]
    async fn the_shared_feed_is_routed_by_the_source_its_metadata_names() {
        let upstreams: Vec<Upstream> = [
            "credit.limits.v1=http://127.0.0.1:1",
            "credit.collections.v1=http://127.0.0.1:2",
        ]
        .iter()
        .map(|u| u.parse().expect("valid"))
        .collect();
        let routes = Routes::connect(&upstreams, Duration::from_secs(1)).expect("routes");
        let feed = "/credit.event.v1.EventFeedService/StreamEvents";
        let with = |value: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(FEED_METADATA, value.parse().expect("header"));
            headers
        };
        let to = |value: &str| routes.package_of(feed, &with(value)).map(str::to_string);
        assert_eq!(to("collections").expect("by name"), "credit.collections.v1");
        assert_eq!(
            to("credit.collections.v1").expect("by package"),
            "credit.collections.v1"
        );
        assert_eq!(to("limits").expect("limits"), "credit.limits.v1");
        assert!(routes.route(feed, &with("collections")).is_ok());
        let missing = routes
            .route(feed, &http::HeaderMap::new())
            .expect_err("no metadata");
        assert!(
            matches!(&missing, ApiError::InvalidArgument(v) if v[0].field == FEED_METADATA),
            "{missing:?}"
        );
        assert!(
            missing.to_string().contains("limits, collections"),
            "{missing}"
        );
        let unknown = routes
            .route(feed, &with("scoring"))
            .expect_err("not routed");
        assert!(
            matches!(unknown, ApiError::UnknownService(_)),
            "{unknown:?}"
        );
        // Other calls still go by their package, whatever the metadata says.
        assert!(
            routes
                .route(
                    "/credit.limits.v1.LimitsService/CheckCredit",
                    &with("collections")
                )
                .is_ok()
        );
    }
}
