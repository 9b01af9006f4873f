//! Stored credit decisions: inputs and the answer given, for showing and replaying.
use crate::domain::Micros;
use sqlx::{AnyConnection, Row};

/// A stored decision.
#[derive(Debug, Clone)]
pub struct StoredDecision {
    pub decision_id: String,
    pub customer_id: String,
    pub order_id: String,
    /// Request id of the check.
    pub request_id: String,
    /// Who asked.
    pub actor_subject: String,
    /// "APPROVED" or "REJECTED".
    pub outcome: String,
    /// JSON of the domain CheckInputs.
    pub inputs: String,
    /// Encoded CheckCreditResponse as answered.
    pub response: Vec<u8>,
    /// When the check was decided.
    pub decided_at: Micros,
}

/// Inserts a decision.
pub async fn insert(conn: &mut AnyConnection, d: &StoredDecision) -> sqlx::Result<()> {
    insert_many(conn, std::slice::from_ref(d)).await
}

/// Rows per INSERT of [`insert_many`] (nine parameters a row).
const CHUNK: usize = 200;

/// Inserts decisions, a statement per two hundred.
pub async fn insert_many(conn: &mut AnyConnection, decided: &[StoredDecision]) -> sqlx::Result<()> {
    let size = |d: &StoredDecision| d.inputs.len() + d.response.len() + 256;
    for chunk in
        credit_platform::db::runs(decided, CHUNK, credit_platform::db::STATEMENT_BYTES, size)
    {
        let sql = format!(
            "INSERT INTO credit_decisions (decision_id, customer_id, order_id, request_id, \
             actor_subject, outcome, inputs, response, decided_at) VALUES {}",
            credit_platform::db::value_rows(chunk.len(), 9, 1)
        );
        // Safe: constant text and numbered placeholders; values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in chunk {
            query = query
                .bind(d.decision_id.clone())
                .bind(d.customer_id.clone())
                .bind(d.order_id.clone())
                .bind(d.request_id.clone())
                .bind(d.actor_subject.clone())
                .bind(d.outcome.clone())
                .bind(d.inputs.clone())
                .bind(d.response.clone())
                .bind(d.decided_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// One decision.
pub async fn get(
    conn: &mut AnyConnection,
    decision_id: &str,
) -> sqlx::Result<Option<StoredDecision>> {
    sqlx::query(
        "SELECT decision_id, customer_id, order_id, request_id, actor_subject, outcome, inputs, response, decided_at \
         FROM credit_decisions WHERE decision_id = $1",
    )
    .bind(decision_id.to_string())
    .fetch_optional(conn)
    .await?
    .map(|row| {
        Ok(StoredDecision {
            decision_id: row.try_get("decision_id")?,
            customer_id: row.try_get("customer_id")?,
            order_id: row.try_get("order_id")?,
            request_id: row.try_get("request_id")?,
            actor_subject: row.try_get("actor_subject")?,
            outcome: row.try_get("outcome")?,
            inputs: row.try_get("inputs")?,
            response: row.try_get("response")?,
            decided_at: row.try_get("decided_at")?,
        })
    })
    .transpose()
}
