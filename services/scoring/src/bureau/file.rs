//! A bureau in a directory: one `<customer id>.json` per company (a [`ProviderDocument`]), for
//! development, tests, and data bought in bulk.
use super::{BureauProvider, DataBlock, ProviderDocument, ProviderError};
use std::path::PathBuf;

/// Reads `<dir>/<customer_id>.json`.
pub struct FileProvider {
    name: String,
    dir: PathBuf,
}

impl FileProvider {
    /// A provider over `dir`.
    pub fn new(name: &str, dir: impl Into<PathBuf>) -> Self {
        Self {
            name: name.to_string(),
            dir: dir.into(),
        }
    }
}

#[tonic::async_trait]
impl BureauProvider for FileProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(
        &self,
        customer_id: &str,
        blocks: &[DataBlock],
    ) -> Result<Option<ProviderDocument>, ProviderError> {
        // Customer ids are validated (letters, digits, '.', '_', '-'; no leading dot), so the
        // file name cannot leave the directory.
        let path = self.dir.join(format!("{customer_id}.json"));
        let text = match tokio::fs::read_to_string(&path).await {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(ProviderError::Unavailable {
                    provider: self.name.clone(),
                    reason: format!("{}: {error}", path.display()),
                });
            }
        };
        let mut document: ProviderDocument =
            serde_json::from_str(&text).map_err(|e| ProviderError::Malformed {
                provider: self.name.clone(),
                reason: format!("{}: {e}", path.display()),
            })?;
        // Only what was asked for: a provider bills by block.
        let mut asked = ProviderDocument::default();
        asked.fill_from(std::mem::take(&mut document), blocks);
        Ok(Some(asked))
    }
}
