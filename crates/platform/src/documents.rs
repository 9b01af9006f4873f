//! Uploaded documents (applications' financial statements, disputes' delivery notes): the
//! accepted types with the content each must start with, and where content lives —
//! content-addressed by its SHA-256, so a second upload of the same bytes is a no-op and a read
//! can be verified against the hash fixed at upload.
use std::path::PathBuf;

/// Accepted types, each with how its content starts (None: UTF-8 text).
const TYPES: &[(&str, Option<&[u8]>)] = &[
    ("application/pdf", Some(b"%PDF-")),
    ("image/png", Some(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", Some(b"\xff\xd8\xff")),
    ("text/csv", None),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some(b"PK\x03\x04"),
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some(b"PK\x03\x04"),
    ),
];

/// Whether `content_type` is accepted.
pub fn accepted_type(content_type: &str) -> bool {
    TYPES.iter().any(|(t, _)| *t == content_type)
}

/// Whether the content is what its declared type says (magic bytes, or UTF-8 for CSV).
pub fn content_matches(content_type: &str, content: &[u8]) -> bool {
    match TYPES.iter().find(|(t, _)| *t == content_type) {
        Some((_, Some(magic))) => content.starts_with(magic),
        Some((_, None)) => std::str::from_utf8(content).is_ok(),
        None => false,
    }
}

/// Where document content lives. The suite and single-node deployments use a local directory;
/// object storage is another implementation of the same two calls.
#[tonic::async_trait]
pub trait DocumentStore: Send + Sync {
    /// Stores `content` under its hex SHA-256 (a second store of the same content is a no-op).
    async fn put(&self, sha256: &str, content: &[u8]) -> anyhow::Result<()>;
    /// The content stored under `sha256`, if any.
    async fn get(&self, sha256: &str) -> anyhow::Result<Option<Vec<u8>>>;
}

/// Content in a local directory, as `<dir>/<first two hex digits>/<sha256>`.
#[derive(Debug, Clone)]
pub struct LocalDirectory {
    root: PathBuf,
}

impl LocalDirectory {
    /// A store under `root` (created when missing).
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }
}

#[tonic::async_trait]
impl DocumentStore for LocalDirectory {
    async fn put(&self, sha256: &str, content: &[u8]) -> anyhow::Result<()> {
        let path = self.path(sha256);
        if tokio::fs::try_exists(&path).await? {
            return Ok(());
        }
        let dir = path.parent().ok_or_else(|| anyhow::anyhow!("no parent"))?;
        tokio::fs::create_dir_all(dir).await?;
        // Write aside and rename: a reader never sees half a document.
        let partial = dir.join(format!("{sha256}.{}.partial", uuid::Uuid::new_v4()));
        {
            use tokio::io::AsyncWriteExt;
            let mut file = tokio::fs::File::create(&partial).await?;
            file.write_all(content).await?;
            file.sync_all().await?;
        }
        tokio::fs::rename(&partial, &path).await?;
        Ok(())
    }

    async fn get(&self, sha256: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(sha256)).await {
            Ok(content) => Ok(Some(content)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
