//! The active collections policy (dunning, write-off authority, worklist, limitation rules),
//! read in the caller's transaction by every use case that applies it.
use crate::domain::policy::Policy;
use credit_platform::error::ApiError;
use credit_platform::policies;
use sqlx::AnyConnection;

/// The active policy and its version.
pub async fn active_policy(conn: &mut AnyConnection) -> Result<(i64, Policy), ApiError> {
    let version = policies::active_version(conn)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no active dunning policy")))?;
    let stored = policies::get(conn, version)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("policy {version} missing")))?;
    let policy = Policy::parse(&stored.document).map_err(|p| {
        ApiError::Internal(anyhow::anyhow!("stored policy {version} invalid: {p:?}"))
    })?;
    Ok((version, policy))
}
