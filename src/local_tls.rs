//! A certificate authority of the suite's own (rcgen), so `--tls` shows the production mode —
//! every service over mutual TLS, the gateway over TLS — in one command, with no PKI to set
//! up. A new CA is made at every start: nothing outlives the process but the files a client
//! needs to trust it (`DATA_DIR/tls/ca.crt`).
use anyhow::Context as _;
use std::path::{Path, PathBuf};

/// Directory under the data directory with the CA certificate and the suite's certificate.
pub const TLS_DIR: &str = "tls";
/// The CA certificate clients trust (`grpcurl -cacert`, `creditctl --ca-file`).
pub const CA_FILE: &str = "ca.crt";

/// How long the certificates of one run are valid.
const VALIDITY: time::Duration = time::Duration::days(30);

/// A certificate authority that lives in memory and signs workload certificates.
pub struct LocalCa {
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
    pem: String,
}

impl LocalCa {
    /// A new CA named `name`.
    pub fn generate(name: &str) -> anyhow::Result<Self> {
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(5);
        params.not_after = now + VALIDITY;
        let pem = params.self_signed(&key)?.pem();
        Ok(Self { params, key, pem })
    }

    /// The CA certificate (PEM).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// (certificate PEM, key PEM) of a workload `name` on loopback (`localhost`, `127.0.0.1`),
    /// for server and client authentication — services serve with it and present it when they
    /// call each other, as a cert-manager workload certificate does in a cluster.
    pub fn issue_workload(&self, name: &str) -> anyhow::Result<(String, String)> {
        self.issue(
            name,
            vec!["localhost".into(), "127.0.0.1".into()],
            vec![
                rcgen::ExtendedKeyUsagePurpose::ServerAuth,
                rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            ],
        )
    }

    /// (certificate PEM, key PEM) of a client `name`, good for client authentication only.
    pub fn issue_client(&self, name: &str) -> anyhow::Result<(String, String)> {
        self.issue(
            name,
            vec![format!("{name}.client.credit-suite.localhost")],
            vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth],
        )
    }

    fn issue(
        &self,
        name: &str,
        subject_alt_names: Vec<String>,
        usages: Vec<rcgen::ExtendedKeyUsagePurpose>,
    ) -> anyhow::Result<(String, String)> {
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(subject_alt_names)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.extended_key_usages = usages;
        params.not_before = self.params.not_before;
        params.not_after = self.params.not_after;
        let issuer = rcgen::Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// The files of a suite run over TLS.
#[derive(Debug, Clone)]
pub struct SuiteTls {
    /// The CA every certificate of this run chains to.
    pub ca: PathBuf,
    /// The suite's workload certificate and key (every server, and every call between them).
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A new CA and the suite's certificate in `data_dir/tls` (keys readable by the owner only).
pub fn create(data_dir: &Path) -> anyhow::Result<SuiteTls> {
    let dir = data_dir.join(TLS_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let ca = LocalCa::generate("credit-suite local CA")?;
    let (cert, key) = ca.issue_workload("credit-suite")?;
    let files = SuiteTls {
        ca: dir.join(CA_FILE),
        cert: dir.join("suite.crt"),
        key: dir.join("suite.key"),
    };
    std::fs::write(&files.ca, ca.pem())?;
    std::fs::write(&files.cert, cert)?;
    credit_platform::secret::write_private(&files.key, &key)?;
    Ok(files)
}
