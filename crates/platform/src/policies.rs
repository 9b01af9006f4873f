//! Versioned policy documents — JSON that credit managers change without a release, validated
//! by the service that applies it — kept in the service's own `policies` and `policy_active`
//! tables (every service that has policies creates both in its migrations). Four eyes: an
//! uploaded version is a proposal, in force only once another manager approves it.
use crate::clock::{Clock, Micros};
use crate::context::RequestContext;
use crate::db::Db;
use crate::error::ApiError;
use crate::outbox::{self, FeedSignals, NewEvent, Payload};
use sqlx::{AnyConnection, Row};

/// The event of a policy version uploaded or activated (`entity_type` names the kind of policy:
/// "policy", "decision_policy", "dunning_policy").
pub fn version_event(
    event_type: &'static str,
    entity_type: &'static str,
    version: i64,
    name: &str,
) -> NewEvent {
    NewEvent {
        event_type,
        entity_type,
        entity_id: version.to_string(),
        customer_id: String::new(),
        payload: Payload::of(&credit_proto::types::PolicyVersionChanged {
            version,
            name: name.to_string(),
        }),
    }
}

/// A stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// Version, from 1.
    pub version: i64,
    /// The document's name.
    pub name: String,
    /// The document.
    pub document: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When it was uploaded.
    pub uploaded_at: Micros,
    /// Who approved it last (put it in force); empty while only proposed.
    pub approved_by: String,
    /// When.
    pub approved_at: Option<Micros>,
}

fn from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<PolicyVersion> {
    Ok(PolicyVersion {
        version: row.try_get(0)?,
        name: row.try_get(1)?,
        document: row.try_get(2)?,
        uploaded_by: row.try_get(3)?,
        uploaded_at: row.try_get(4)?,
        approved_by: row.try_get(5)?,
        approved_at: row.try_get(6)?,
    })
}

/// Stores the next version and answers its number.
pub async fn insert(
    conn: &mut AnyConnection,
    name: &str,
    document: &str,
    uploaded_by: &str,
    at: Micros,
) -> sqlx::Result<i64> {
    let next: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 FROM policies")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    sqlx::query(
        "INSERT INTO policies (version, name, document, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(next)
    .bind(name.to_string())
    .bind(document.to_string())
    .bind(uploaded_by.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(next)
}

/// Makes `version` the one applied.
pub async fn activate(conn: &mut AnyConnection, version: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO policy_active (id, version) VALUES (1, $1) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
    )
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
}

/// The version applied, if any.
pub async fn active_version(conn: &mut AnyConnection) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT version FROM policy_active WHERE id = 1")
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get(0))
        .transpose()
}

/// One version.
pub async fn get(conn: &mut AnyConnection, version: i64) -> sqlx::Result<Option<PolicyVersion>> {
    sqlx::query(
        "SELECT version, name, document, uploaded_by, uploaded_at, approved_by, approved_at \
         FROM policies WHERE version = $1",
    )
    .bind(version)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Every version, newest first.
pub async fn list(
    conn: &mut AnyConnection,
    before_version: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<PolicyVersion>> {
    sqlx::query(
        "SELECT version, name, document, uploaded_by, uploaded_at, approved_by, approved_at \
         FROM policies WHERE version < $1 ORDER BY version DESC LIMIT $2",
    )
    .bind(before_version.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Installs `document` as version 1 and applies it when there is no policy yet (first start),
/// emitting `activated` in the same transaction.
pub async fn bootstrap(
    db: &Db,
    clock: &dyn Clock,
    signals: &FeedSignals,
    name: &str,
    document: &str,
    activated: impl FnOnce(i64) -> NewEvent,
) -> Result<(), ApiError> {
    let mut tx = db.begin_write().await?;
    if active_version(&mut tx).await?.is_some() {
        return Ok(());
    }
    let context = RequestContext::system("bootstrap");
    let now = clock.now();
    let version = insert(&mut tx, name, document, &context.caller.subject, now).await?;
    record_approval(&mut tx, version, &context.caller.subject, now).await?;
    activate(&mut tx, version).await?;
    outbox::append(&mut tx, &context, now, activated(version)).await?;
    tx.commit().await?;
    signals.notify_committed();
    Ok(())
}

/// What an upload asking to be in force at once is told: a version takes effect only when a
/// second manager approves it (`approve_rpc` names how).
pub fn activation_needs_approval(approve_rpc: &str) -> ApiError {
    ApiError::StateConflict(format!(
        "a policy version takes effect only when another manager approves it: upload it \
         without activate, then have a second manager call {approve_rpc}"
    ))
}

/// The upload every policy-holding service does, inside the caller's mutation: stores
/// `document` as the next version — a proposal, not in force — and appends `event(version)`.
pub async fn upload(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    name: &str,
    document: &str,
    event: impl FnOnce(i64) -> NewEvent,
) -> Result<PolicyVersion, ApiError> {
    // A policy decides for every region and business unit.
    context.caller.scope.must_be_whole("a policy")?;
    let version = insert(conn, name, document, &context.caller.subject, now).await?;
    outbox::append(conn, context, now, event(version)).await?;
    Ok(PolicyVersion {
        version,
        name: name.to_string(),
        document: document.to_string(),
        uploaded_by: context.caller.subject.clone(),
        uploaded_at: now,
        approved_by: String::new(),
        approved_at: None,
    })
}

async fn record_approval(
    conn: &mut AnyConnection,
    version: i64,
    approver: &str,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE policies SET approved_by = $1, approved_at = $2 WHERE version = $3")
        .bind(approver.to_string())
        .bind(at)
        .bind(version)
        .execute(conn)
        .await?;
    Ok(())
}

/// Puts `version` in force on the approval of the caller, inside the caller's mutation: four
/// eyes (who uploaded it does not approve it), the version must exist and not be in force
/// already; records the approver and appends `activated(version, name)`. Approving an older
/// version is a rollback, under the same rule.
pub async fn approve(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    version: i64,
    kind: &'static str,
    activated: impl FnOnce(i64, &str) -> NewEvent,
) -> Result<PolicyVersion, ApiError> {
    context.caller.scope.must_be_whole(kind)?;
    let mut stored = get(conn, version)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            kind,
            id: version.to_string(),
        })?;
    let approver = &context.caller.subject;
    if &stored.uploaded_by == approver {
        return Err(ApiError::PermissionDenied(format!(
            "four-eyes rule: {approver} uploaded {kind} version {version} and may not approve \
             it; another manager does"
        )));
    }
    if active_version(conn).await? == Some(version) {
        return Err(ApiError::StateConflict(format!(
            "{kind} version {version} is already in force"
        )));
    }
    record_approval(conn, version, approver, now).await?;
    activate(conn, version).await?;
    outbox::append(conn, context, now, activated(version, &stored.name)).await?;
    stored.approved_by = approver.clone();
    stored.approved_at = Some(now);
    Ok(stored)
}

/// The applied version (`version` 0) or one version, and whether it is the applied one;
/// NOT_FOUND names `kind` ("dunning policy").
pub async fn resolve(
    conn: &mut AnyConnection,
    version: i64,
    kind: &'static str,
) -> Result<(PolicyVersion, bool), ApiError> {
    let active = active_version(conn).await?;
    let wanted = if version == 0 {
        active.unwrap_or_default()
    } else {
        version
    };
    let stored = get(conn, wanted).await?.ok_or_else(|| ApiError::NotFound {
        kind,
        id: version.to_string(),
    })?;
    let is_active = active == Some(stored.version);
    Ok((stored, is_active))
}
