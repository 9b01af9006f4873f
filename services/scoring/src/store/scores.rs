//! Scores, append-only, newest by id (UUID v7 sorts by time).
use credit_platform::clock::Micros;
use prost::Message;
use sqlx::{AnyConnection, Row};

/// Stores a score.
pub async fn insert_score(
    conn: &mut AnyConnection,
    score: &credit_proto::scoring::Score,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO scores (score_id, customer_id, scored_at, score, risk_class, policy_version, \
         model_version, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(score.score_id.clone())
    .bind(score.customer_id.clone())
    .bind(at)
    .bind(score.score)
    .bind(score.risk_class.clone())
    .bind(score.policy_version)
    .bind(score.model_version.clone())
    .bind(score.encode_to_vec())
    .execute(conn)
    .await?;
    Ok(())
}

fn decode_score(row: &sqlx::any::AnyRow) -> sqlx::Result<credit_proto::scoring::Score> {
    let bytes: Vec<u8> = row.try_get(0)?;
    credit_proto::scoring::Score::decode(bytes.as_slice())
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// One score.
pub async fn score(
    conn: &mut AnyConnection,
    score_id: &str,
) -> sqlx::Result<Option<credit_proto::scoring::Score>> {
    sqlx::query("SELECT body FROM scores WHERE score_id = $1")
        .bind(score_id.to_string())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(decode_score)
        .transpose()
}

/// The customer's scores before `before` (a score id; UUID v7 ids sort by time), newest first.
pub async fn scores(
    conn: &mut AnyConnection,
    customer_id: &str,
    before: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<credit_proto::scoring::Score>> {
    sqlx::query(
        "SELECT body FROM scores WHERE customer_id = $1 AND ($2 = '' OR score_id < $2) \
         ORDER BY score_id DESC LIMIT $3",
    )
    .bind(customer_id.to_string())
    .bind(before.unwrap_or_default().to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(decode_score)
    .collect()
}

/// Every customer's latest score (UUID v7 ids sort by time).
pub async fn latest_scores(
    conn: &mut AnyConnection,
) -> sqlx::Result<Vec<credit_proto::scoring::Score>> {
    sqlx::query(
        "SELECT s.body FROM scores s JOIN \
         (SELECT MAX(score_id) AS score_id FROM scores GROUP BY customer_id) latest \
         ON s.score_id = latest.score_id",
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(decode_score)
    .collect()
}
