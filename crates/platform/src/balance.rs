//! Spreading calls over a service's replicas, and keeping them off replicas that cannot serve.
//!
//! A peer's URL names either one host, re-resolved every few seconds (a Kubernetes headless
//! Service answers with the address of every ready Pod), or a fixed list
//! (`http://10.0.0.1:50051,10.0.0.2:50051`). Calls go through tonic's balanced channel (tower's
//! power-of-two-choices over pending requests). Each replica's own gRPC health is watched
//! (`Health/Watch` on the overall name): a replica that reports NOT_SERVING (starting, draining at
//! shutdown, its database unreachable) or whose watch stream breaks (the process died, its
//! connection was cut, keep-alive pings went unanswered because it hangs) is ejected at once, and
//! added back when it reports SERVING again.
//!
//! When no replica is serving, calls go to every known replica rather than nowhere, and before
//! any address is known to the URL itself: a call then fails fast with the peer's own answer
//! (UNAVAILABLE) instead of waiting in an empty balancer until its deadline.
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::mpsc;
use tonic::transport::channel::Change;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// How often a host name is resolved again (new Pods join within this).
const RESOLVE_EVERY: Duration = Duration::from_secs(5);
/// Keep-alive pings on the health watch: a replica that stops answering them (hung, stopped,
/// cut off by the network) is ejected within interval + timeout.
const WATCH_PING: Duration = Duration::from_secs(2);
const WATCH_PING_TIMEOUT: Duration = Duration::from_secs(3);
/// Pause between health watches of a replica that is not serving (doubling from the first).
const WATCH_RETRY_FIRST: Duration = Duration::from_millis(250);
const WATCH_RETRY_MAX: Duration = Duration::from_secs(2);
/// How often a peer without the health service is assumed serving again.
const NO_HEALTH_RECHECK: Duration = Duration::from_secs(30);

/// Where a peer's replicas are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    scheme: String,
    hosts: Vec<(String, u16)>,
}

impl FromStr for Target {
    type Err = anyhow::Error;

    /// `http://host:port`, or `http://host:port,host:port,…` for a fixed list of replicas.
    fn from_str(url: &str) -> anyhow::Result<Self> {
        let bad = |why: &str| anyhow::anyhow!("'{url}' is not a usable peer URL: {why}");
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("it must start with http:// or https://"))?;
        let default_port = match scheme {
            "http" => 80,
            "https" => 443,
            _ => return Err(bad("it must start with http:// or https://")),
        };
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') {
            return Err(bad("a peer URL has no path"));
        }
        let hosts = authority
            .split(',')
            .map(|host| {
                let uri = http::Uri::from_str(&format!("{scheme}://{}", host.trim()))
                    .map_err(|e| bad(&e.to_string()))?;
                let name = uri
                    .host()
                    .filter(|h| !h.is_empty())
                    .ok_or_else(|| bad("no host"))?;
                Ok((
                    name.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string(),
                    uri.port_u16().unwrap_or(default_port),
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            scheme: scheme.to_string(),
            hosts,
        })
    }
}

impl Target {
    /// Whether the peer is called over TLS (`https://`).
    pub fn is_tls(&self) -> bool {
        self.scheme == "https"
    }

    /// The first host's name, as its certificate must name it.
    pub fn first_host(&self) -> &str {
        &self.hosts[0].0
    }

    /// The URL of the first host, as the peer is named when one address stands for all.
    fn first_url(&self) -> String {
        let (host, port) = &self.hosts[0];
        format!("{}://{}", self.scheme, authority(host, *port))
    }

    fn replica_url(&self, addr: SocketAddr) -> String {
        format!("{}://{addr}", self.scheme)
    }

    /// Every address the hosts resolve to now.
    async fn resolve(&self) -> std::io::Result<BTreeSet<SocketAddr>> {
        let mut found = BTreeSet::new();
        for (host, port) in &self.hosts {
            found.extend(tokio::net::lookup_host((host.as_str(), *port)).await?);
        }
        Ok(found)
    }
}

fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A setting listing peers as `name=url` pairs separated by commas, where a url may list several
/// replicas, also separated by commas (`limits=http://10.0.0.1:50051,10.0.0.2:50051,audit=http://
/// audit:50051`): a piece without `=` is one more replica of the entry before it. Each entry is
/// parsed as `T`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NamedPeers<T>(pub Vec<T>);

impl<T> std::ops::Deref for NamedPeers<T> {
    type Target = Vec<T>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<T: FromStr<Err: std::fmt::Display>> FromStr for NamedPeers<T> {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut entries: Vec<String> = Vec::new();
        for piece in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if piece.contains('=') {
                entries.push(piece.to_string());
                continue;
            }
            let replica = piece
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            match entries.last_mut() {
                Some(entry) if replica => {
                    entry.push(',');
                    entry.push_str(piece);
                }
                _ => {
                    return Err(format!(
                        "'{piece}' must look like name=http://host:port (or host:port, another \
                         replica of the entry before it)"
                    ));
                }
            }
        }
        entries
            .iter()
            .map(|entry| entry.parse().map_err(|e: T::Err| e.to_string()))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

/// One member of the balanced set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Member {
    /// A resolved replica.
    Replica(SocketAddr),
    /// The URL itself, while no address is known.
    Unresolved,
}

/// A channel over every replica of the peer at `url`, from `endpoint` (the settings of one
/// connection, applied to each replica). Must be called inside a tokio runtime: the discovery
/// task runs until every clone of the channel is dropped.
pub fn balanced_channel(
    url: &str,
    endpoint: impl Fn(&str) -> anyhow::Result<Endpoint> + Send + 'static,
) -> anyhow::Result<Channel> {
    let target: Target = url.parse()?;
    let unresolved = endpoint(&target.first_url())?;
    let (channel, changes) = Channel::balance_channel(64);
    changes
        .try_send(Change::Insert(Member::Unresolved, unresolved))
        .map_err(|e| anyhow::anyhow!("balancing {url}: {e}"))?;
    tokio::spawn(discover(url.to_string(), target, endpoint, changes));
    Ok(channel)
}

struct Replica {
    serving: bool,
    watch: tokio::task::JoinHandle<()>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.watch.abort();
    }
}

/// Keeps the balanced set equal to the serving replicas (see the module's description) until
/// the channel is dropped.
async fn discover(
    peer: String,
    target: Target,
    endpoint: impl Fn(&str) -> anyhow::Result<Endpoint>,
    changes: mpsc::Sender<Change<Member, Endpoint>>,
) {
    let (report, mut reports) = mpsc::channel::<(SocketAddr, bool)>(64);
    let mut replicas: BTreeMap<SocketAddr, Replica> = BTreeMap::new();
    let mut members: BTreeSet<Member> = BTreeSet::from([Member::Unresolved]);
    let mut resolve = tokio::time::interval(RESOLVE_EVERY);
    resolve.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = changes.closed() => return,
            _ = resolve.tick() => match target.resolve().await {
                // An empty answer or a failed lookup keeps the replicas known: a DNS hiccup
                // must not empty the set.
                Ok(found) if !found.is_empty() => {
                    replicas.retain(|addr, _| found.contains(addr));
                    for addr in found {
                        if replicas.contains_key(&addr) {
                            continue;
                        }
                        let Ok(replica) = endpoint(&target.replica_url(addr)) else {
                            continue;
                        };
                        let watch = tokio::spawn(watch_health(addr, replica, report.clone()));
                        // Trusted until it says otherwise: DNS of a headless Service lists
                        // only ready Pods.
                        replicas.insert(addr, Replica { serving: true, watch });
                    }
                }
                Ok(_) => {}
                Err(error) => tracing::debug!(%peer, %error, "could not resolve the peer"),
            },
            Some((addr, serving)) = reports.recv() => {
                if let Some(replica) = replicas.get_mut(&addr)
                    && replica.serving != serving
                {
                    replica.serving = serving;
                    if serving {
                        tracing::info!(%peer, %addr, "replica serving again; calls go to it");
                    } else {
                        tracing::warn!(%peer, %addr, "replica not serving; ejected");
                    }
                }
            }
        }
        let wanted = wanted_members(&replicas);
        for gone in members.difference(&wanted) {
            if changes.send(Change::Remove(gone.clone())).await.is_err() {
                return;
            }
        }
        for new in wanted.difference(&members) {
            let url = match new {
                Member::Replica(addr) => target.replica_url(*addr),
                Member::Unresolved => target.first_url(),
            };
            let Ok(connection) = endpoint(&url) else {
                continue;
            };
            if changes
                .send(Change::Insert(new.clone(), connection))
                .await
                .is_err()
            {
                return;
            }
        }
        members = wanted;
        let serving = replicas.values().filter(|r| r.serving).count();
        metrics::gauge!("grpc_client_replicas", "peer" => peer.clone(), "state" => "serving")
            .set(serving as f64);
        metrics::gauge!("grpc_client_replicas", "peer" => peer.clone(), "state" => "ejected")
            .set((replicas.len() - serving) as f64);
    }
}

/// The serving replicas; when none serves, every known one; when none is known, the URL.
fn wanted_members(replicas: &BTreeMap<SocketAddr, Replica>) -> BTreeSet<Member> {
    let serving: BTreeSet<Member> = replicas
        .iter()
        .filter(|(_, r)| r.serving)
        .map(|(addr, _)| Member::Replica(*addr))
        .collect();
    if !serving.is_empty() {
        serving
    } else if !replicas.is_empty() {
        replicas.keys().map(|addr| Member::Replica(*addr)).collect()
    } else {
        BTreeSet::from([Member::Unresolved])
    }
}

/// Reports whether the replica at `addr` serves, for as long as the task runs: a watch stream
/// while it serves (so a change or a break is seen at once), checks with backoff while not (a
/// draining replica must not be held up by a stream).
async fn watch_health(
    addr: SocketAddr,
    endpoint: Endpoint,
    report: mpsc::Sender<(SocketAddr, bool)>,
) {
    let channel = endpoint
        .http2_keep_alive_interval(WATCH_PING)
        .keep_alive_timeout(WATCH_PING_TIMEOUT)
        .keep_alive_while_idle(true)
        .connect_lazy();
    let mut health = HealthClient::new(channel);
    let mut pause = WATCH_RETRY_FIRST;
    loop {
        let overall = HealthCheckRequest {
            service: String::new(),
        };
        match health.watch(overall).await {
            Ok(stream) => {
                let mut stream = stream.into_inner();
                loop {
                    let serving = matches!(stream.message().await,
                        Ok(Some(answer)) if answer.status == ServingStatus::Serving as i32);
                    if report.send((addr, serving)).await.is_err() {
                        return;
                    }
                    if !serving {
                        break;
                    }
                    pause = WATCH_RETRY_FIRST;
                }
            }
            // A peer without the health service cannot say; it is trusted and asked again later.
            Err(status) if status.code() == tonic::Code::Unimplemented => {
                if report.send((addr, true)).await.is_err() {
                    return;
                }
                tokio::time::sleep(NO_HEALTH_RECHECK).await;
                continue;
            }
            Err(_) => {
                if report.send((addr, false)).await.is_err() {
                    return;
                }
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(WATCH_RETRY_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;
    use tonic_health::server::{HealthReporter, health_reporter};

    #[test]
    fn a_peer_url_names_one_host_or_a_list() {
        let one: Target = "http://limits:50051".parse().expect("one host");
        assert_eq!(one.hosts, vec![("limits".to_string(), 50051)]);
        let list: Target = "http://10.0.0.1:1, 10.0.0.2:2".parse().expect("a list");
        assert_eq!(
            list.hosts,
            vec![("10.0.0.1".to_string(), 1), ("10.0.0.2".to_string(), 2)]
        );
        let v6: Target = "https://[::1]".parse().expect("IPv6, default port");
        assert_eq!(v6.hosts, vec![("::1".to_string(), 443)]);
        assert_eq!(v6.first_url(), "https://[::1]:443");
        for bad in [
            "limits:50051",
            "ftp://limits",
            "http://limits/path",
            "http://a:1,",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn named_peers_may_list_several_replicas() {
        let peers: NamedPeers<String> = "limits=http://10.0.0.1:1,10.0.0.2:1, audit=http://audit:2"
            .parse()
            .expect("valid");
        assert_eq!(
            peers.0,
            vec![
                "limits=http://10.0.0.1:1,10.0.0.2:1".to_string(),
                "audit=http://audit:2".to_string()
            ]
        );
        for bad in ["10.0.0.2:1", "limits=http://a:1,b"] {
            assert!(bad.parse::<NamedPeers<String>>().is_err(), "{bad} accepted");
        }
    }

    /// A replica answering health: the overall name says whether it serves, and the name "who"
    /// which replica answered a call. It runs on its own runtime, so killing it
    /// drops every connection at once, as the death of its process would.
    struct TestReplica {
        reporter: HealthReporter,
        addr: SocketAddr,
        kill: std::sync::mpsc::Sender<()>,
    }

    async fn replica(index: usize) -> TestReplica {
        let (reporter, service) = health_reporter();
        let who = match index {
            0 => tonic_health::ServingStatus::Serving,
            _ => tonic_health::ServingStatus::NotServing,
        };
        reporter.set_service_status("who", who).await;
        reporter
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let (kill, killed) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.spawn(async move {
                let listener = TcpListener::from_std(listener).expect("listener");
                let _ = tonic::transport::Server::builder()
                    .add_service(service)
                    .serve_with_incoming(crate::server::incoming(listener))
                    .await;
            });
            // Killed, or the test ended: the runtime goes, with every connection it held.
            let _ = killed.recv();
            runtime.shutdown_background();
        });
        TestReplica {
            reporter,
            addr,
            kill,
        }
    }

    fn endpoint(url: &str) -> anyhow::Result<Endpoint> {
        Ok(Endpoint::from_str(url)?.connect_timeout(Duration::from_millis(500)))
    }

    /// Which replica answered each of `calls` calls (None: the call failed): replica 0 says
    /// SERVING for the name "who", replica 1 NOT_SERVING.
    async fn answered_by(channel: &Channel, calls: usize) -> Vec<Option<usize>> {
        let mut answers = Vec::new();
        for _ in 0..calls {
            let asked = HealthClient::new(channel.clone())
                .check(HealthCheckRequest {
                    service: "who".into(),
                })
                .await;
            answers.push(match asked {
                Ok(answer) if answer.get_ref().status == ServingStatus::Serving as i32 => Some(0),
                Ok(_) => Some(1),
                Err(_) => None,
            });
        }
        answers
    }

    /// Waits (bounded) until `calls` calls in a row all satisfy `wanted`.
    async fn until_calls(channel: &Channel, what: &str, wanted: impl Fn(Option<usize>) -> bool) {
        for _ in 0..100 {
            if answered_by(channel, 10).await.into_iter().all(&wanted) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("calls never settled: {what}");
    }

    #[tokio::test]
    async fn calls_spread_over_replicas_and_skip_one_that_does_not_serve_or_died() {
        let (a, b) = (replica(0).await, replica(1).await);
        let url = format!("http://{},{}", a.addr, b.addr);
        let channel = balanced_channel(&url, endpoint).expect("channel");
        // Both replicas get calls.
        for _ in 0..100 {
            let seen: BTreeSet<_> = answered_by(&channel, 20).await.into_iter().collect();
            if seen.contains(&Some(0)) && seen.contains(&Some(1)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seen: BTreeSet<_> = answered_by(&channel, 40).await.into_iter().collect();
        assert_eq!(
            seen,
            BTreeSet::from([Some(0), Some(1)]),
            "both replicas serve"
        );

        // A replica that says NOT_SERVING gets no calls; back when it serves again.
        a.reporter
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        until_calls(&channel, "only b while a drains", |by| by == Some(1)).await;
        a.reporter
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        for _ in 0..100 {
            if answered_by(&channel, 20).await.contains(&Some(0)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            answered_by(&channel, 40).await.contains(&Some(0)),
            "a serves again"
        );

        // A replica that dies is ejected: every call succeeds on the other.
        let _ = b.kill.send(());
        until_calls(&channel, "only a once b died", |by| by == Some(0)).await;
    }

    #[tokio::test]
    async fn with_no_replica_serving_calls_fail_fast_instead_of_waiting() {
        // A port nothing listens on.
        let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = closed.local_addr().expect("addr");
        drop(closed);
        let channel = balanced_channel(&format!("http://{addr}"), endpoint).expect("channel");
        for _ in 0..3 {
            let asked = tokio::time::timeout(
                Duration::from_secs(5),
                HealthClient::new(channel.clone()).check(HealthCheckRequest::default()),
            )
            .await
            .expect("a call to a peer that is down fails, it does not wait");
            assert_eq!(asked.expect_err("down").code(), tonic::Code::Unavailable);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}
