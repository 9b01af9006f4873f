//! The characteristics the scorecard sees, by name — one vocabulary for the training data, the
//! sample generator and the service that assembles them from what it knows of a customer.

/// Altman Z'' of the latest statement.
pub const ALTMAN_Z: &str = "altman_z";
/// Current ratio of the latest statement.
pub const CURRENT_RATIO: &str = "current_ratio";
/// Debt to equity of the latest statement.
pub const DEBT_TO_EQUITY: &str = "debt_to_equity";
/// EBIT margin of the latest statement.
pub const EBIT_MARGIN: &str = "ebit_margin";
/// Years since the company was founded.
pub const YEARS_IN_BUSINESS: &str = "years_in_business";
pub const EMPLOYEES: &str = "employees";
/// Industry: NACE section letter (A–U).
pub const INDUSTRY: &str = "industry";
/// Bureau failure score, 1 (riskiest) to 100.
pub const FAILURE_SCORE: &str = "failure_score";
/// Bureau payment index, 1 to 100 (80: pays on time; lower: later).
pub const PAYMENT_INDEX: &str = "payment_index";
/// Average days beyond terms reported by trade references.
pub const TRADE_DAYS_BEYOND_TERMS: &str = "trade_days_beyond_terms";
/// Legal events (judgments, liens, filings) on record.
pub const LEGAL_EVENTS: &str = "legal_events";
/// Our own average days beyond terms with the customer.
pub const INTERNAL_DAYS_BEYOND_TERMS: &str = "internal_days_beyond_terms";
/// Our own share of invoices paid late (0 to 1).
pub const INTERNAL_SHARE_PAID_LATE: &str = "internal_share_paid_late";

/// Every characteristic, in the order of the sample data's columns.
pub const ALL: &[&str] = &[
    ALTMAN_Z,
    CURRENT_RATIO,
    DEBT_TO_EQUITY,
    EBIT_MARGIN,
    YEARS_IN_BUSINESS,
    EMPLOYEES,
    INDUSTRY,
    FAILURE_SCORE,
    PAYMENT_INDEX,
    TRADE_DAYS_BEYOND_TERMS,
    LEGAL_EVENTS,
    INTERNAL_DAYS_BEYOND_TERMS,
    INTERNAL_SHARE_PAID_LATE,
];
