//! Limit instructions: approved limits queued in the approval's transaction, delivered to
//! limits exactly once.
use credit_platform::clock::Micros;
use sqlx::{AnyConnection, Row};

/// An approved limit to set in limits.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LimitInstruction {
    /// Id (UUID v7); the request ids sent to limits derive from it.
    pub instruction_id: String,
    /// The application.
    pub application_id: String,
    /// The account.
    pub customer_id: String,
    /// Account name when it has to be opened.
    pub name: String,
    /// Account currency = the limit's.
    pub currency_code: String,
    /// The limit.
    pub amount: String,
    /// Segment, region, business unit and parent of a new account.
    pub segment: String,
    pub region: String,
    /// Business unit.
    pub business_unit: String,
    /// Parent account.
    pub parent_customer_id: String,
    /// Recorded with the limit change in limits.
    pub reason: String,
    /// New credit (open the account, set the limit) or a change of the existing limit
    /// (instructions queued before changes existed read as new credit).
    #[serde(default)]
    pub kind: crate::domain::state::Kind,
    /// For a temporary increase: when it ends.
    #[serde(default)]
    pub temporary_end: Option<Micros>,
    /// The trace of the decision that queued it (W3C traceparent), so its delivery to limits
    /// joins that trace however much later it happens.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trace_parent: String,
    /// Who approved it (the approvers of the workflow's steps, or "system" for a decision by
    /// policy): limits records them with the change. Instructions queued before this field
    /// existed name the decision's maker.
    #[serde(default)]
    pub approved_by: Vec<String>,
}

/// Queues an instruction (in the approval's transaction).
pub async fn insert_instruction(
    conn: &mut AnyConnection,
    i: &LimitInstruction,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO limit_instructions (instruction_id, application_id, customer_id, body, \
         state, attempts, last_error, next_attempt_at, created_at, done_at) \
         VALUES ($1, $2, $3, $4, 'PENDING', 0, '', $5, $5, NULL)",
    )
    .bind(i.instruction_id.clone())
    .bind(i.application_id.clone())
    .bind(i.customer_id.clone())
    .bind(serde_json::to_string(i).expect("an instruction serialises"))
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Instructions not yet delivered, oldest first.
pub async fn pending_instructions(
    conn: &mut AnyConnection,
    limit: i64,
) -> sqlx::Result<Vec<(LimitInstruction, i32)>> {
    sqlx::query(
        "SELECT body, attempts FROM limit_instructions WHERE state = 'PENDING' \
         ORDER BY created_at, instruction_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        let body: String = row.try_get(0)?;
        let instruction =
            serde_json::from_str(&body).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok((instruction, row.try_get(1)?))
    })
    .collect()
}

/// How many instructions wait for delivery.
pub async fn count_pending_instructions(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM limit_instructions WHERE state = 'PENDING'")
        .fetch_one(conn)
        .await
}

/// Records an attempt: its outcome state ('PENDING' to retry, 'DONE', 'FAILED') and error.
pub async fn record_attempt(
    conn: &mut AnyConnection,
    instruction_id: &str,
    state: &str,
    error: &str,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE limit_instructions SET state = $2, attempts = attempts + 1, last_error = $3, \
         next_attempt_at = $4, done_at = CASE WHEN $2 = 'DONE' THEN $4 ELSE done_at END \
         WHERE instruction_id = $1",
    )
    .bind(instruction_id.to_string())
    .bind(state.to_string())
    .bind(error.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
