//! Idempotent mutations (AIP-155): the first answer to (caller, method, request_id) is stored in
//! the same transaction as the change; a retry gets that answer back and changes nothing, and
//! the same id with different parameters is refused.
//!
//! Each service's migrations create `idempotency_keys(caller, method, request_id, request_hash,
//! response, created_at)` with the first three as primary key.
use crate::clock::Micros;
use crate::error::ApiError;
use prost::Message;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// The identity of one mutation attempt.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// Token subject.
    pub caller: String,
    /// Full gRPC method name.
    pub method: &'static str,
    /// The caller's request id.
    pub request_id: String,
    /// SHA-256 of the encoded request, to detect reuse with other parameters.
    pub request_hash: String,
}

impl IdempotencyKey {
    /// Key for `request` (a protobuf message) sent by `caller` to `method`.
    pub fn new(
        caller: &str,
        method: &'static str,
        request_id: &str,
        request: &impl Message,
    ) -> Self {
        let digest = Sha256::digest(request.encode_to_vec());
        let request_hash = digest.iter().map(|b| format!("{b:02x}")).collect();
        Self {
            caller: caller.to_string(),
            method,
            request_id: request_id.to_string(),
            request_hash,
        }
    }
}

/// The stored answer for `key`, if this request was already done. Errors when the id was used
/// with different parameters.
pub async fn replay<R: Message + Default>(
    conn: &mut AnyConnection,
    key: &IdempotencyKey,
) -> Result<Option<R>, ApiError> {
    let row = sqlx::query(
        "SELECT request_hash, response FROM idempotency_keys \
         WHERE caller = $1 AND method = $2 AND request_id = $3",
    )
    .bind(key.caller.clone())
    .bind(key.method)
    .bind(key.request_id.clone())
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let stored = Stored {
        request_hash: row.try_get("request_hash")?,
        response: row.try_get("response")?,
    };
    stored.answer_to(key).map(Some)
}

/// An answer stored for a key: what a replay of the key gives back.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The hash of the request that was answered.
    pub request_hash: String,
    /// The encoded answer.
    pub response: Vec<u8>,
}

impl Stored {
    /// The stored answer, when `key` asks again what was answered; RequestIdReused when the
    /// id was used for a different request.
    pub fn answer_to<R: Message + Default>(&self, key: &IdempotencyKey) -> Result<R, ApiError> {
        if self.request_hash != key.request_hash {
            return Err(ApiError::RequestIdReused(key.request_id.clone()));
        }
        R::decode(self.response.as_slice()).map_err(|e| ApiError::Internal(e.into()))
    }
}

/// The stored answers of a batch of `method` keys, by (caller, request id): one statement per
/// caller (a batch of credit checks has one, the sales-order service), through the key's index.
pub async fn stored_many<'k>(
    conn: &mut AnyConnection,
    method: &'static str,
    keys: impl IntoIterator<Item = &'k IdempotencyKey>,
) -> sqlx::Result<HashMap<(String, String), Stored>> {
    let mut by_caller: HashMap<&str, Vec<&str>> = HashMap::new();
    for key in keys {
        by_caller
            .entry(key.caller.as_str())
            .or_default()
            .push(key.request_id.as_str());
    }
    let mut stored = HashMap::new();
    for (caller, request_ids) in by_caller {
        for chunk in request_ids.chunks(CHUNK) {
            let chunk = crate::db::padded_list(chunk);
            let sql = format!(
                "SELECT request_id, request_hash, response FROM idempotency_keys \
                 WHERE caller = $1 AND method = $2 AND request_id IN ({})",
                crate::db::placeholders(chunk.len(), 3)
            );
            // Safe: constant text and numbered placeholders; values are bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(caller.to_string())
                .bind(method);
            for request_id in &chunk {
                query = query.bind(request_id.to_string());
            }
            for row in query.fetch_all(&mut *conn).await? {
                stored.insert(
                    (caller.to_string(), row.try_get("request_id")?),
                    Stored {
                        request_hash: row.try_get("request_hash")?,
                        response: row.try_get("response")?,
                    },
                );
            }
        }
    }
    Ok(stored)
}

/// Stores the answers of a batch of keys in the caller's transaction, a few statements for
/// all of them (see [`record`]).
pub async fn record_many(
    conn: &mut AnyConnection,
    answers: &[(IdempotencyKey, Vec<u8>)],
    at: Micros,
) -> sqlx::Result<()> {
    let size = |(key, response): &(IdempotencyKey, Vec<u8>)| {
        key.caller.len() + key.request_id.len() + key.request_hash.len() + response.len() + 64
    };
    for chunk in crate::db::runs(answers, CHUNK, crate::db::STATEMENT_BYTES, size) {
        let sql = format!(
            "INSERT INTO idempotency_keys (caller, method, request_id, request_hash, response, \
             created_at) VALUES {}",
            crate::db::value_rows(chunk.len(), 6, 1)
        );
        // Safe: constant text and numbered placeholders; values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (key, response) in chunk {
            query = query
                .bind(key.caller.clone())
                .bind(key.method)
                .bind(key.request_id.clone())
                .bind(key.request_hash.clone())
                .bind(response.clone())
                .bind(at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rows per batched statement (six parameters each: far below both backends' limits).
const CHUNK: usize = 500;

/// Stores the answer for `key` in the caller's transaction. A concurrent twin of the same
/// request makes this (or the commit) fail with a unique violation; the caller then retries
/// and [`replay`] returns the twin's answer.
pub async fn record(
    conn: &mut AnyConnection,
    key: &IdempotencyKey,
    response: &impl Message,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (caller, method, request_id, request_hash, response, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(key.caller.clone())
    .bind(key.method)
    .bind(key.request_id.clone())
    .bind(key.request_hash.clone())
    .bind(response.encode_to_vec())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Validates a request id: required, a UUID in canonical text form.
pub fn validate_request_id(request_id: &str, violations: &mut crate::error::Violations) {
    if request_id.is_empty() {
        violations.add(
            "request_id",
            "required (a UUID chosen by the caller, reused on retries)",
        );
    } else if uuid::Uuid::parse_str(request_id).is_err() || request_id.len() != 36 {
        violations.add(
            "request_id",
            "must be a UUID like 0b7f3c52-3a7e-4f0e-9d61-2f4a7c1e9b10",
        );
    }
}
