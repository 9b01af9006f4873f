//! Credit bureaus behind one interface, in the manner of Dun & Bradstreet's data blocks: the
//! policy chooses which blocks it needs, providers are asked in priority order until the blocks
//! are all there, and a stored report younger than the policy's age is reused instead of paying
//! for a new one. A file-backed provider (one JSON per company) and an HTTP provider ship.
mod file;
mod http;

pub use file::FileProvider;
pub use http::HttpProvider;

pub use crate::domain::bureau::DataBlock;
use crate::domain::bureau::{BureauReport, LegalEvent};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::Arc;

/// A provider's answer: the blocks it has, in the shape both shipped providers read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderDocument {
    /// Firmographics block.
    #[serde(default)]
    pub firmographics: Option<Firmographics>,
    /// Failure-score block.
    #[serde(default)]
    pub failure_score: Option<ScoreBlock>,
    /// Payment-index block.
    #[serde(default)]
    pub payment_index: Option<ScoreBlock>,
    /// Legal-events block.
    #[serde(default)]
    pub legal_events: Option<Vec<LegalEvent>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Firmographics {
    /// Years in business.
    pub years_in_business: Option<f64>,
    pub employees: Option<f64>,
    /// NACE section letter.
    pub industry: Option<String>,
}

/// A 1–100 score block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreBlock {
    /// The value.
    pub value: f64,
}

impl ProviderDocument {
    fn has(&self, block: DataBlock) -> bool {
        match block {
            DataBlock::Firmographics => self.firmographics.is_some(),
            DataBlock::FailureScore => self.failure_score.is_some(),
            DataBlock::PaymentIndex => self.payment_index.is_some(),
            DataBlock::LegalEvents => self.legal_events.is_some(),
        }
    }

    /// Takes from `other` the requested blocks this document lacks.
    fn fill_from(&mut self, other: ProviderDocument, blocks: &[DataBlock]) {
        for block in blocks {
            if self.has(*block) {
                continue;
            }
            match block {
                DataBlock::Firmographics => self.firmographics = other.firmographics.clone(),
                DataBlock::FailureScore => self.failure_score = other.failure_score,
                DataBlock::PaymentIndex => self.payment_index = other.payment_index,
                DataBlock::LegalEvents => self.legal_events = other.legal_events.clone(),
            }
        }
    }
}

/// Why a provider could not answer (the next one is asked).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Network, timeout, server error.
    #[error("{provider} unavailable: {reason}")]
    Unavailable {
        /// The provider.
        provider: String,
        /// What went wrong.
        reason: String,
    },
    /// The answer could not be read.
    #[error("{provider} answered something unreadable: {reason}")]
    Malformed {
        /// The provider.
        provider: String,
        /// What went wrong.
        reason: String,
    },
}

/// A credit bureau.
#[tonic::async_trait]
pub trait BureauProvider: Send + Sync {
    /// Its name (in reports and configuration).
    fn name(&self) -> &str;
    /// The requested blocks for a company; None when the provider does not know it.
    async fn fetch(
        &self,
        customer_id: &str,
        blocks: &[DataBlock],
    ) -> Result<Option<ProviderDocument>, ProviderError>;
}

/// A configured provider: "name=./dir" (file) or "name=https://…" (HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSpec {
    pub name: String,
    /// Directory or base URL.
    pub location: String,
}

impl FromStr for ProviderSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, location) = text
            .split_once('=')
            .ok_or_else(|| format!("'{text}': expected name=directory or name=https://…"))?;
        if name.trim().is_empty() || location.trim().is_empty() {
            return Err(format!(
                "'{text}': expected name=directory or name=https://…"
            ));
        }
        Ok(Self {
            name: name.trim().to_string(),
            location: location.trim().to_string(),
        })
    }
}

impl ProviderSpec {
    /// The provider this spec names.
    pub fn build(&self) -> anyhow::Result<Arc<dyn BureauProvider>> {
        if self.location.starts_with("http://") || self.location.starts_with("https://") {
            Ok(Arc::new(HttpProvider::new(&self.name, &self.location)?))
        } else {
            Ok(Arc::new(FileProvider::new(&self.name, &self.location)))
        }
    }
}

/// The providers in priority order.
#[derive(Clone, Default)]
pub struct Bureaus {
    providers: Vec<Arc<dyn BureauProvider>>,
}

/// What a fetch found.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The merged report.
    pub report: BureauReport,
    /// The providers that contributed, in order.
    pub providers: Vec<String>,
    /// Providers that failed on the way (asked, not answered).
    pub failures: Vec<String>,
}

impl Bureaus {
    /// Providers in priority order.
    pub fn new(providers: Vec<Arc<dyn BureauProvider>>) -> Self {
        Self { providers }
    }

    /// Whether any provider is configured.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// Asks the providers named in `order` (all, in configuration order, when empty) for
    /// `blocks`, stopping as soon as every block is there; None when nobody knows the company.
    pub async fn fetch(
        &self,
        customer_id: &str,
        blocks: &[DataBlock],
        order: &[String],
    ) -> Option<Fetched> {
        let providers: Vec<&Arc<dyn BureauProvider>> = if order.is_empty() {
            self.providers.iter().collect()
        } else {
            order
                .iter()
                .filter_map(|name| self.providers.iter().find(|p| p.name() == name))
                .collect()
        };
        let mut merged = ProviderDocument::default();
        let mut used = Vec::new();
        let mut failures = Vec::new();
        for provider in providers {
            match provider.fetch(customer_id, blocks).await {
                Ok(Some(document)) => {
                    let before = blocks.iter().filter(|b| merged.has(**b)).count();
                    merged.fill_from(document, blocks);
                    if blocks.iter().filter(|b| merged.has(**b)).count() > before {
                        used.push(provider.name().to_string());
                    }
                    metrics::counter!("scoring_bureau_requests_total", "provider" => provider.name().to_string(), "outcome" => "answered").increment(1);
                }
                Ok(None) => {
                    metrics::counter!("scoring_bureau_requests_total", "provider" => provider.name().to_string(), "outcome" => "unknown_company").increment(1);
                }
                Err(error) => {
                    tracing::warn!(%error, "bureau provider failed; asking the next one");
                    metrics::counter!("scoring_bureau_requests_total", "provider" => provider.name().to_string(), "outcome" => "failed").increment(1);
                    failures.push(error.to_string());
                }
            }
            if blocks.iter().all(|b| merged.has(*b)) {
                break;
            }
        }
        if used.is_empty() {
            return None;
        }
        let firmographics = merged.firmographics.unwrap_or_default();
        Some(Fetched {
            report: BureauReport {
                provider: used.join("+"),
                years_in_business: firmographics.years_in_business,
                employees: firmographics.employees,
                industry: firmographics.industry,
                failure_score: merged.failure_score.map(|s| s.value),
                payment_index: merged.payment_index.map(|s| s.value),
                legal_events: merged.legal_events.unwrap_or_default(),
            },
            providers: used,
            failures,
        })
    }
}
