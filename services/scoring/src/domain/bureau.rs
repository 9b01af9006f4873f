//! What a credit bureau sells and says, in the domain's terms: the data blocks a policy buys and
//! the report they flatten into. Providers (the `bureau` adapter) fill these in.
use serde::{Deserialize, Serialize};

/// A data block a provider sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataBlock {
    /// Age, employees, industry.
    Firmographics,
    /// The failure (insolvency) score.
    FailureScore,
    /// The payment index.
    PaymentIndex,
    /// Insolvency filings, judgments, liens.
    LegalEvents,
}

impl DataBlock {
    /// The block's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Firmographics => "firmographics",
            Self::FailureScore => "failure_score",
            Self::PaymentIndex => "payment_index",
            Self::LegalEvents => "legal_events",
        }
    }
}

/// A legal event from a bureau.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalEvent {
    /// "INSOLVENCY", "JUDGMENT", "LIEN", …
    pub kind: String,
    /// When it was filed (ISO 8601 date).
    pub filed_on: String,
}

/// What a credit bureau says about a company (its data blocks, flattened).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BureauReport {
    /// Which provider answered.
    pub provider: String,
    /// Years in business.
    pub years_in_business: Option<f64>,
    pub employees: Option<f64>,
    /// NACE section letter.
    pub industry: Option<String>,
    /// Failure score, 1 (riskiest) to 100.
    pub failure_score: Option<f64>,
    /// Payment index, 1 to 100 (80: on time).
    pub payment_index: Option<f64>,
    /// Legal events on record.
    pub legal_events: Vec<LegalEvent>,
}
