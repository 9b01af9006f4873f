//! gRPC over TLS for the servers: certificate and key from files, and — when a client CA is
//! given — mutual TLS, where a client without a certificate from that CA is refused at the
//! handshake. The files are read again when they change (cert-manager renews certificates in
//! place), so a renewal needs no restart: new connections get the new certificate, open ones
//! keep theirs.
use anyhow::Context as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Where a server's TLS material is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain, the server's own first.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// PEM CA certificates that client certificates must chain to (mutual TLS); none: clients
    /// need no certificate.
    pub client_ca: Option<PathBuf>,
}

/// How often the files are looked at for changes.
const RELOAD_EVERY: Duration = Duration::from_secs(10);
/// Longest a client may take over its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// A server's TLS settings in force, replaced when the files change.
#[derive(Clone)]
pub struct ServerTls {
    files: TlsFiles,
    current: Arc<RwLock<Arc<rustls::ServerConfig>>>,
    seen: Arc<RwLock<Vec<Option<SystemTime>>>>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Reads the files now (an error names the file at fault).
    pub fn load(files: TlsFiles) -> anyhow::Result<Self> {
        let config = server_config(&files)?;
        let seen = modified(&files);
        Ok(Self {
            files,
            current: Arc::new(RwLock::new(Arc::new(config))),
            seen: Arc::new(RwLock::new(seen)),
        })
    }

    /// Reads the files again if any changed; a broken new set leaves the old one in force.
    pub fn reload_if_changed(&self) -> anyhow::Result<bool> {
        let now = modified(&self.files);
        if *self.seen.read().expect("seen") == now {
            return Ok(false);
        }
        let config = server_config(&self.files)?;
        *self.current.write().expect("tls") = Arc::new(config);
        *self.seen.write().expect("seen") = now;
        tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
        Ok(true)
    }

    /// Watches the files until the process ends.
    pub async fn keep_current(self) {
        loop {
            tokio::time::sleep(RELOAD_EVERY).await;
            if let Err(error) = self.reload_if_changed() {
                tracing::warn!(error = %format!("{error:#}"),
                    "could not reload the TLS files; the previous ones stay in force");
            }
        }
    }

    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.current.read().expect("tls").clone())
    }

    /// The TLS connections of `tcp`: each handshake runs on its own, so a slow or hostile
    /// client holds up nobody; a failed one is dropped (and logged at debug).
    pub fn accept<S>(self, tcp: S) -> Incoming
    where
        S: futures::Stream<Item = io::Result<TcpStream>> + Send + 'static,
    {
        use futures::StreamExt;
        let (sender, receiver) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            let mut tcp = std::pin::pin!(tcp);
            loop {
                let next = tokio::select! {
                    next = tcp.next() => next,
                    // The server is gone: stop accepting.
                    _ = sender.closed() => return,
                };
                let stream = match next {
                    Some(Ok(stream)) => stream,
                    Some(Err(error)) => {
                        tracing::debug!(%error, "accepting a connection failed");
                        continue;
                    }
                    None => return,
                };
                let (acceptor, sender) = (self.acceptor(), sender.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = sender.send(Ok(Connection::Tls(Box::new(tls)))).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%error, "TLS handshake refused"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        });
        Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver))
    }
}

fn modified(files: &TlsFiles) -> Vec<Option<SystemTime>> {
    [
        Some(&files.cert),
        Some(&files.key),
        files.client_ca.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
    .collect()
}

fn certificates(path: &Path, setting: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("{setting} {}", path.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "{setting} {} holds no certificate",
        path.display()
    );
    Ok(certs)
}

fn server_config(files: &TlsFiles) -> anyhow::Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = certificates(&files.cert, "GRPC_TLS_CERT_FILE")?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("GRPC_TLS_KEY_FILE {}", files.key.display()))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match &files.client_ca {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in certificates(path, "GRPC_TLS_CLIENT_CA_FILE")? {
                roots.add(cert)?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .context("GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE do not make a pair")?;
    // gRPC is HTTP/2 only.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// What this process presents and trusts when it calls peers over TLS (`https://` URLs): the
/// CA their server certificates must chain to, and its own certificate and key as its client
/// identity (the workload certificate it serves with: issue it for both server and client
/// authentication).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerFiles {
    pub ca: PathBuf,
    pub identity: Option<(PathBuf, PathBuf)>,
}

static PEER_TLS: OnceLock<PeerFiles> = OnceLock::new();

/// Calls to `https://` peers trust and present `files` (once, at start).
pub fn call_peers_with(files: PeerFiles) {
    let _ = PEER_TLS.set(files);
}

/// The TLS settings of a connection to a peer named `host`, read from the files now (so a
/// renewed client certificate is presented on the next new connection).
pub fn peer_config(host: &str) -> anyhow::Result<tonic::transport::ClientTlsConfig> {
    let files = PEER_TLS.get().ok_or_else(|| {
        anyhow::anyhow!(
            "an https:// peer needs GRPC_TLS_PEER_CA_FILE (the CA its certificate chains to)"
        )
    })?;
    let read = |path: &Path, setting: &str| {
        std::fs::read(path).with_context(|| format!("{setting} {}", path.display()))
    };
    let mut config = tonic::transport::ClientTlsConfig::new()
        .domain_name(host)
        .ca_certificate(tonic::transport::Certificate::from_pem(read(
            &files.ca,
            "GRPC_TLS_PEER_CA_FILE",
        )?));
    if let Some((cert, key)) = &files.identity {
        config = config.identity(tonic::transport::Identity::from_pem(
            read(cert, "GRPC_TLS_CERT_FILE")?,
            read(key, "GRPC_TLS_KEY_FILE")?,
        ));
    }
    Ok(config)
}

/// The servers' TLS of this process (none: plaintext).
static SERVER_TLS: OnceLock<ServerTls> = OnceLock::new();

/// Serves every server of this process over TLS from `files` (once, at start), and keeps the
/// files current.
pub fn serve_over(files: TlsFiles) -> anyhow::Result<()> {
    let tls = ServerTls::load(files)?;
    tokio::spawn(tls.clone().keep_current());
    let _ = SERVER_TLS.set(tls);
    Ok(())
}

/// The servers' TLS, when set.
pub fn server_tls() -> Option<ServerTls> {
    SERVER_TLS.get().cloned()
}

/// Accepted connections, in clear or over TLS.
pub type Incoming = Pin<Box<dyn futures::Stream<Item = io::Result<Connection>> + Send>>;

/// One accepted connection.
pub enum Connection {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl tonic::transport::server::Connected for Connection {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        match self {
            Self::Plain(tcp) => tcp.connect_info(),
            Self::Tls(tls) => tls.get_ref().0.connect_info(),
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
        }
    }
}
