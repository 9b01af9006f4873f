//! Where each proto package's calls go.
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
        let service = path.trim_start_matches('/').split('/').next()?;
        let (package, _) = service.rsplit_once('.')?;
        self.routes
            .iter()
            .find(|(p, _)| p == package)
            .map(|(_, c)| c)
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
}
