//! SQL of the scoring service (sqlx Any: one code path for PostgreSQL and SQLite).
use crate::domain::decision::{BureauReport, PaymentBehaviour, Reference};
use crate::domain::financials::Statement;
use credit_platform::clock::Micros;
use prost::Message;
use sqlx::{AnyConnection, Row};

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("a domain value serialises to JSON")
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> sqlx::Result<T> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Stores a statement; one per customer and period (a new one replaces it).
pub async fn put_statement(
    conn: &mut AnyConnection,
    customer_id: &str,
    statement: &Statement,
    at: Micros,
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO financial_statements (customer_id, period_end, body, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, period_end) DO UPDATE SET \
         body = excluded.body, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by",
    )
    .bind(customer_id.to_string())
    .bind(statement.period_end.clone())
    .bind(json(statement))
    .bind(at)
    .bind(by.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// The customer's statements, newest period first.
pub async fn statements(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Vec<Statement>> {
    sqlx::query(
        "SELECT body FROM financial_statements WHERE customer_id = $1 ORDER BY period_end DESC",
    )
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| parse(&row.try_get::<String, _>(0)?))
    .collect()
}

macro_rules! single_body {
    ($put:ident, $get:ident, $table:literal, $type:ty) => {
        /// Replaces the customer's record.
        pub async fn $put(
            conn: &mut AnyConnection,
            customer_id: &str,
            value: &$type,
            at: Micros,
        ) -> sqlx::Result<()> {
            sqlx::query(concat!(
                "INSERT INTO ",
                $table,
                " (customer_id, body, recorded_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body, \
                 recorded_at = excluded.recorded_at"
            ))
            .bind(customer_id.to_string())
            .bind(json(value))
            .bind(at)
            .execute(conn)
            .await?;
            Ok(())
        }

        /// The customer's record, if any.
        pub async fn $get(
            conn: &mut AnyConnection,
            customer_id: &str,
        ) -> sqlx::Result<Option<$type>> {
            sqlx::query(concat!(
                "SELECT body FROM ",
                $table,
                " WHERE customer_id = $1"
            ))
            .bind(customer_id.to_string())
            .fetch_optional(conn)
            .await?
            .map(|row| parse(&row.try_get::<String, _>(0)?))
            .transpose()
        }
    };
}

single_body!(
    put_references,
    references,
    "customer_references",
    Vec<Reference>
);
single_body!(
    put_payment_behaviour,
    payment_behaviour,
    "payment_behaviour",
    PaymentBehaviour
);

/// Replaces the customer's bureau report.
pub async fn put_bureau_report(
    conn: &mut AnyConnection,
    customer_id: &str,
    report: &BureauReport,
    reported_at: Micros,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO bureau_reports (customer_id, provider, body, reported_at, recorded_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id) DO UPDATE SET \
         provider = excluded.provider, body = excluded.body, reported_at = excluded.reported_at, \
         recorded_at = excluded.recorded_at",
    )
    .bind(customer_id.to_string())
    .bind(report.provider.clone())
    .bind(json(report))
    .bind(reported_at)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// When the customer's bureau report was recorded, if there is one.
pub async fn bureau_report_recorded_at(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Option<Micros>> {
    sqlx::query("SELECT recorded_at FROM bureau_reports WHERE customer_id = $1")
        .bind(customer_id.to_string())
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get(0))
        .transpose()
}

/// The customer's bureau report, if any.
pub async fn bureau_report(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Option<BureauReport>> {
    sqlx::query("SELECT body FROM bureau_reports WHERE customer_id = $1")
        .bind(customer_id.to_string())
        .fetch_optional(conn)
        .await?
        .map(|row| parse(&row.try_get::<String, _>(0)?))
        .transpose()
}

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

/// Every customer with any information on file, in id order.
pub async fn customers(conn: &mut AnyConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query(
        "SELECT customer_id FROM financial_statements UNION SELECT customer_id FROM bureau_reports \
         UNION SELECT customer_id FROM customer_references \
         UNION SELECT customer_id FROM payment_behaviour ORDER BY 1",
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| row.try_get(0))
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

/// Every customer's bureau report, by customer.
pub async fn bureau_reports(conn: &mut AnyConnection) -> sqlx::Result<Vec<(String, BureauReport)>> {
    sqlx::query("SELECT customer_id, body FROM bureau_reports")
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, parse(&row.try_get::<String, _>(1)?)?)))
        .collect()
}
