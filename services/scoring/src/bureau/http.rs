//! A bureau over HTTP: `GET {base}/companies/{customer id}?blocks=firmographics,failure_score`
//! answering a [`ProviderDocument`] as JSON, 404 when the company is unknown.
use super::{BureauProvider, DataBlock, ProviderDocument, ProviderError};
use std::time::Duration;

/// An HTTP bureau.
pub struct HttpProvider {
    name: String,
    base_url: String,
    client: reqwest::Client,
}

impl HttpProvider {
    /// A provider at `base_url`, with a 5 s timeout per request.
    pub fn new(name: &str, base_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            name: name.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .connect_timeout(Duration::from_secs(2))
                .build()?,
        })
    }
}

#[tonic::async_trait]
impl BureauProvider for HttpProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(
        &self,
        customer_id: &str,
        blocks: &[DataBlock],
    ) -> Result<Option<ProviderDocument>, ProviderError> {
        let unavailable = |reason: String| ProviderError::Unavailable {
            provider: self.name.clone(),
            reason,
        };
        let names: Vec<&str> = blocks.iter().map(|b| b.name()).collect();
        let response = self
            .client
            .get(format!("{}/companies/{customer_id}", self.base_url))
            .query(&[("blocks", names.join(","))])
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(unavailable(format!("HTTP {}", response.status())));
        }
        let mut document: ProviderDocument =
            response
                .json()
                .await
                .map_err(|e| ProviderError::Malformed {
                    provider: self.name.clone(),
                    reason: e.to_string(),
                })?;
        let mut asked = ProviderDocument::default();
        asked.fill_from(std::mem::take(&mut document), blocks);
        Ok(Some(asked))
    }
}
