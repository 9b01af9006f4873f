//! Scoring's latest view of each customer, as followed on its feed.
use credit_platform::clock::Micros;
use sqlx::AnyConnection;

/// A customer's score as scoring said it.
pub struct CustomerRisk<'a> {
    /// The customer.
    pub customer_id: &'a str,
    /// Risk class.
    pub risk_class: &'a str,
    /// Probability of default, as decimal text.
    pub probability_of_default: &'a str,
    /// Score points.
    pub score: i64,
    /// The score's id.
    pub score_id: &'a str,
    /// When it was scored.
    pub scored_at: Micros,
}

/// Keeps the newest score of the customer: an older one (feed order) never replaces a newer.
pub async fn record_risk(conn: &mut AnyConnection, risk: CustomerRisk<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO customer_risk (customer_id, risk_class, probability_of_default, score, \
         score_id, scored_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (customer_id) DO UPDATE SET risk_class = excluded.risk_class, \
         probability_of_default = excluded.probability_of_default, score = excluded.score, \
         score_id = excluded.score_id, scored_at = excluded.scored_at \
         WHERE customer_risk.scored_at <= excluded.scored_at",
    )
    .bind(risk.customer_id.to_string())
    .bind(risk.risk_class.to_string())
    .bind(risk.probability_of_default.to_string())
    .bind(risk.score)
    .bind(risk.score_id.to_string())
    .bind(risk.scored_at)
    .execute(conn)
    .await?;
    Ok(())
}
