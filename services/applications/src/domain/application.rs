//! A credit application as the service keeps it: the record stored (as JSON) for every
//! application, in the domain's terms — its state and kind, amounts with their currency, times
//! in UTC microseconds, its approval chain — independent of the wire, which may change without
//! touching stored rows. The sensitive fields (tax id, contacts, owners, bank account) are
//! sealed apart (`Sensitive`); the record keeps their masked forms.
use super::Amount;
use super::policy::Outcome;
use super::state::{Kind, State};
use super::workflow::Workflow;
use serde::{Deserialize, Serialize};

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    pub lines: Vec<String>,
    pub postal_code: String,
    pub city: String,
    pub country_code: String,
}

/// A person to talk to at the applicant (personal data).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub role: String,
    pub email: String,
    pub phone: String,
}

/// An owner of the applicant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Owner {
    pub name: String,
    /// Percent, a decimal text as given.
    pub share_percent: String,
}

/// The bank account the applicant pays from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BankAccount {
    pub iban: String,
    pub bic: String,
    pub bank_name: String,
    pub account_holder: String,
}

credit_platform::named! {
    /// Who gave a reference (scoring's kinds).
    pub enum ReferenceKind {
        /// A supplier the customer buys from on terms.
        Trade = "TRADE",
        /// The customer's bank.
        Bank = "BANK",
    }
}

/// A trade reference the applicant gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeReference {
    /// Who gave it.
    pub kind: ReferenceKind,
    pub source: String,
    /// Decimal text as given.
    pub days_beyond_terms: String,
    pub highest_credit: Option<Amount>,
    /// Decimal text as given.
    pub years_known: String,
}

/// A financial statement the applicant filed (figures as the decimal texts given).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FinancialStatement {
    pub period_end: String,
    pub currency_code: String,
    pub revenue: String,
    pub ebit: String,
    pub net_income: String,
    pub interest_expense: String,
    pub total_assets: String,
    pub current_assets: String,
    pub cash: String,
    pub inventory: String,
    pub receivables: String,
    pub intangible_assets: String,
    pub total_liabilities: String,
    pub current_liabilities: String,
    pub retained_earnings: String,
    pub equity: String,
}

/// Who applies (sensitive fields masked here; the clear values are sealed apart).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Applicant {
    pub legal_name: String,
    pub trading_name: String,
    pub registration_id: String,
    pub tax_id: String,
    pub country_code: String,
    pub registered_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub contacts: Vec<Contact>,
    pub owners: Vec<Owner>,
    pub parent_company_name: String,
    pub parent_customer_id: String,
    pub industry: String,
    pub years_in_business: i32,
    pub trade_references: Vec<TradeReference>,
    pub bank_account: Option<BankAccount>,
    pub preferred_language: String,
    pub region: String,
    pub business_unit: String,
    pub segment: String,
}

/// The sensitive fields of an applicant in clear: sealed (encrypted) at rest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sensitive {
    pub tax_id: String,
    pub contacts: Vec<Contact>,
    pub owners: Vec<Owner>,
    pub bank_account: Option<BankAccount>,
}

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreditRequest {
    pub requested_limit: Option<Amount>,
    pub payment_terms_days: i32,
    pub expected_monthly_volume: Option<Amount>,
}

/// A reason code of the score.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScoreReason {
    pub code: String,
    pub description: String,
    pub points: i64,
}

credit_platform::named! {
    /// How an application was decided.
    pub enum DecisionOutcome {
        /// Approved.
        Approved = "APPROVED",
        /// Rejected.
        Rejected = "REJECTED",
    }
}

credit_platform::named! {
    /// How setting an approved limit in limits goes.
    pub enum LimitSettingState {
        /// Being delivered; retried while limits is unreachable.
        Pending = "PENDING",
        /// Limits confirmed it.
        Done = "DONE",
        /// Limits refused it for good.
        Failed = "FAILED",
    }
}

/// What the decision policy recommended at submission, on the score it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// What it recommended.
    pub outcome: Outcome,
    pub reasons: Vec<String>,
    pub score_id: String,
    pub risk_class: String,
    pub score: i64,
    /// Decimal text, as scoring gave it.
    pub probability_of_default: String,
    pub recommended_limit: Option<Amount>,
    pub scoring_rejected: bool,
    pub score_reasons: Vec<ScoreReason>,
    pub policy_version: i64,
}

/// The final decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalDecision {
    /// How it was decided.
    pub outcome: DecisionOutcome,
    pub automatic: bool,
    pub approved_limit: Option<Amount>,
    pub payment_terms_days: i32,
    pub conditions: Vec<String>,
    pub reasons: Vec<String>,
    pub overridden: bool,
    pub override_reason_code: String,
    pub override_comment: String,
    pub decided_by: String,
    pub decided_at: Option<i64>,
    pub policy_version: i64,
    pub review_at: Option<i64>,
}

/// How setting the approved limit in limits goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitSetting {
    /// Where delivery stands.
    pub state: LimitSettingState,
    pub attempts: i32,
    pub last_error: String,
    pub done_at: Option<i64>,
}

/// What a limit-change application changes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LimitChange {
    pub current_limit: Option<Amount>,
    pub temporary_end_at: Option<i64>,
    pub reason: String,
    pub proposed_by: String,
    pub early_warning_score_id: String,
    pub early_warning_signals: Vec<String>,
    pub previous_application_id: String,
}

/// The notice to the applicant, as rendered when the application last changed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Notice {
    pub language: String,
    pub subject: String,
    pub body: String,
}

/// An application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub application_id: String,
    pub customer_id: String,
    pub kind: Kind,
    pub state: State,
    pub applicant: Option<Applicant>,
    pub credit_request: Option<CreditRequest>,
    pub financial_statements: Vec<FinancialStatement>,
    pub recommendation: Option<Recommendation>,
    pub workflow: Workflow,
    pub final_decision: Option<FinalDecision>,
    pub limit_setting: Option<LimitSetting>,
    pub limit_change: Option<LimitChange>,
    pub notice: Option<Notice>,
    pub created_by: String,
    /// Who changed its content after creating it (four eyes: none of them approves it).
    #[serde(default)]
    pub edited_by: Vec<String>,
    pub submitted_by: String,
    pub submission_count: i32,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub first_submitted_at: Option<i64>,
}
