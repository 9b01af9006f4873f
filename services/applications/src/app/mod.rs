//! The applications use cases: each change one transaction with its event; submission scores
//! the applicant (before the transaction: scoring is idempotent by derived request ids) and
//! decides under the active decision policy; a final approval queues the limit for limits in
//! the same transaction.
use crate::convert::{
    application_of, application_to_wire, sensitive_of, sensitive_to_wire, state_of, workflow_of,
};
use crate::domain::application::Sensitive;
mod approval;
pub mod cases;
pub mod changes;
pub(crate) mod decision;
pub mod delivery;
pub mod documents;
mod drafts;
pub mod early_warning;
pub mod metrics;
mod outcome;
mod policy;
pub mod reviews;

pub use approval::ApproverAct;
pub use outcome::with_notice;

use crate::domain::sensitive::{mask_email, mask_identifier, mask_name, mask_phone};
use crate::domain::state::State;
use crate::peers::{LimitsPeer, ScoringPeer};
use crate::sealing::Sealer;
use crate::store::{self, StoredApplication};
use credit_platform::auth::{Caller, roles};
use credit_platform::clock::{Micros, SharedClock};
use credit_platform::db::Db;
use credit_platform::error::ApiError;
use credit_platform::mutation::{self, Mutation};
use credit_platform::outbox::{FeedSignals, NewEvent, Payload};
use credit_platform::scope::{self, DataScope};
use credit_proto::applications as pb;
use credit_proto::types::Money as MoneyProto;
use credit_proto::wire;
use prost::Message;
use sqlx::AnyConnection;
use std::sync::Arc;
use tokio::sync::Notify;

/// Roles that read sensitive fields in clear (they assess the applicant).
const CLEAR_READERS: &[&str] = &[roles::ANALYST, roles::MANAGER, roles::ADMIN];

/// Whether `caller` reads sensitive fields in clear.
pub fn reads_clear(caller: &Caller) -> bool {
    caller
        .roles
        .iter()
        .any(|r| CLEAR_READERS.contains(&r.as_str()))
}

/// A refusal for who the caller is.
impl From<crate::domain::Refusal> for ApiError {
    fn from(refusal: crate::domain::Refusal) -> Self {
        Self::PermissionDenied(refusal.0)
    }
}

/// The stored application, NOT_FOUND when there is none.
async fn stored(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<StoredApplication, ApiError> {
    store::get(conn, application_id)
        .await?
        .ok_or_else(|| not_found(application_id))
}

fn not_found(application_id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "application",
        id: application_id.to_string(),
    }
}

/// Takes the sensitive fields out of `app` (leaving masked values) and answers them.
fn split_sensitive(app: &mut pb::Application) -> pb::Applicant {
    let Some(a) = app.applicant.as_mut() else {
        return pb::Applicant::default();
    };
    let clear = pb::Applicant {
        tax_id: a.tax_id.clone(),
        contacts: a.contacts.clone(),
        owners: a.owners.clone(),
        bank_account: a.bank_account.clone(),
        ..Default::default()
    };
    a.tax_id = mask_identifier(&a.tax_id);
    for c in &mut a.contacts {
        c.name = mask_name(&c.name);
        c.email = mask_email(&c.email);
        c.phone = mask_phone(&c.phone);
    }
    for o in &mut a.owners {
        o.name = mask_name(&o.name);
    }
    if let Some(b) = a.bank_account.as_mut() {
        b.iban = mask_identifier(&b.iban);
        b.account_holder = mask_name(&b.account_holder);
    }
    clear
}

fn merge_sensitive(app: &mut pb::Application, clear: pb::Applicant) {
    if let Some(a) = app.applicant.as_mut() {
        a.tax_id = clear.tax_id;
        a.contacts = clear.contacts;
        a.owners = clear.owners;
        a.bank_account = clear.bank_account;
    }
}

/// The use cases.
#[derive(Clone)]
pub struct Applications {
    pub(crate) db: Db,
    pub(crate) clock: SharedClock,
    pub(crate) signals: FeedSignals,
    sealer: Arc<Sealer>,
    scoring: Option<ScoringPeer>,
    /// Reads accounts and stored checks, and makes released orders' reservations.
    pub(crate) limits: Option<LimitsPeer>,
    /// Wakes the limit delivery after a commit that queued an instruction.
    pub(crate) delivery: Arc<Notify>,
}

impl Applications {
    /// Use cases over `db`.
    pub fn new(
        db: Db,
        clock: SharedClock,
        signals: FeedSignals,
        sealer: Arc<Sealer>,
        scoring: Option<ScoringPeer>,
        limits: Option<LimitsPeer>,
        delivery: Arc<Notify>,
    ) -> Self {
        Self {
            db,
            clock,
            signals,
            sealer,
            scoring,
            limits,
            delivery,
        }
    }

    pub(crate) async fn finish<R: Message>(&self, m: Mutation, answer: &R) -> Result<(), ApiError> {
        mutation::finish(&self.signals, m, answer).await
    }

    /// The stored form of a clear application.
    pub(crate) fn to_row(
        &self,
        app: &pb::Application,
        created_by: &str,
        created_at: Micros,
        now: Micros,
    ) -> Result<StoredApplication, ApiError> {
        let mut masked = app.clone();
        masked.sensitive_masked = false;
        let clear = split_sensitive(&mut masked);
        let sensitive = self
            .sealer
            .seal(
                &credit_platform::records::encode(&sensitive_of(&clear)),
                &app.application_id,
            )
            .map_err(ApiError::Internal)?;
        let workflow = workflow_of(app)?;
        let awaiting = workflow
            .current()
            .map(|s| format!(",{},", s.roles.join(",")))
            .unwrap_or_default();
        let due_at = workflow.due_at().unwrap_or(0);
        let review_at = match (state_of(app), app.final_decision.as_ref()) {
            (State::Approved, Some(d)) => d
                .review_time
                .as_ref()
                .and_then(credit_platform::clock::from_timestamp)
                .unwrap_or(0),
            _ => 0,
        };
        let applicant = app.applicant.clone().unwrap_or_default();
        Ok(StoredApplication {
            application_id: app.application_id.clone(),
            customer_id: app.customer_id.clone(),
            state: state_of(app),
            tax_fingerprint: self.sealer.fingerprint(&applicant.tax_id),
            awaiting_roles: awaiting,
            due_at,
            review_at,
            legal_name: applicant.legal_name,
            body: application_of(&masked)?,
            sensitive,
            created_by: created_by.to_string(),
            created_at,
            updated_at: now,
        })
    }

    /// The application in clear (for the service itself).
    pub(crate) fn clear(&self, row: &StoredApplication) -> Result<pb::Application, ApiError> {
        let mut app = application_to_wire(&row.body);
        let bytes = self
            .sealer
            .open(&row.sensitive, &row.application_id)
            .map_err(ApiError::Internal)?;
        let clear: Sensitive = credit_platform::records::decode(bytes)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("sealed applicant: {e}")))?;
        merge_sensitive(&mut app, sensitive_to_wire(&clear));
        Ok(app)
    }

    /// The application as `caller` may see it.
    pub(crate) fn view(
        &self,
        row: &StoredApplication,
        caller: &Caller,
    ) -> Result<pb::Application, ApiError> {
        if reads_clear(caller) {
            return self.clear(row);
        }
        let mut app = application_to_wire(&row.body);
        app.sensitive_masked = true;
        Ok(app)
    }

    pub(crate) async fn refuse_duplicate(
        &self,
        conn: &mut AnyConnection,
        app: &pb::Application,
    ) -> Result<(), ApiError> {
        let tax_id = app
            .applicant
            .as_ref()
            .map(|a| a.tax_id.as_str())
            .unwrap_or_default();
        let fingerprints = self.sealer.fingerprints(tax_id);
        // The refusal names the open application's id only: its applicant's name (or anything
        // else about it) is not for a caller who may not be allowed to read it.
        if let Some(id) = store::open_with_tax_id(conn, &fingerprints, &app.application_id).await? {
            return Err(ApiError::AlreadyExists {
                kind: "open application for this tax id",
                id,
            });
        }
        Ok(())
    }

    /// The stored application as a caller limited to `scope` reads it: NOT_FOUND when there is
    /// none, or when its customer is outside the scope (alike).
    pub(crate) async fn seen(
        &self,
        conn: &mut AnyConnection,
        scope: &DataScope,
        application_id: &str,
    ) -> Result<StoredApplication, ApiError> {
        let row = stored(conn, application_id).await?;
        if !scope::sees(conn, scope, &row.customer_id).await? {
            return Err(not_found(application_id));
        }
        Ok(row)
    }

    /// The stored application for a change by a caller limited to `scope`: NOT_FOUND when there
    /// is none, PERMISSION_DENIED (`OUT_OF_SCOPE`) when its customer is outside the scope.
    pub(crate) async fn to_change(
        &self,
        conn: &mut AnyConnection,
        scope: &DataScope,
        application_id: &str,
    ) -> Result<StoredApplication, ApiError> {
        let row = stored(conn, application_id).await?;
        scope::may_change(conn, scope, &row.customer_id).await?;
        Ok(row)
    }

    /// An application event; `payload` is built around [`summary`] of `app`.
    pub(crate) fn event(
        &self,
        event_type: &'static str,
        app: &pb::Application,
        payload: Payload,
    ) -> NewEvent {
        NewEvent {
            event_type,
            entity_type: "application",
            entity_id: app.application_id.clone(),
            customer_id: app.customer_id.clone(),
            payload,
        }
    }
}

/// Money in its canonical form ("40000" becomes "40000.00" in EUR); left as given when it does
/// not parse (validation has refused that already).
fn canonical(m: &mut Option<MoneyProto>) {
    if let Some(parsed) = m
        .as_ref()
        .and_then(|p| credit_platform::money::Money::from_proto(Some(p), "money").ok())
    {
        *m = Some(parsed.to_proto());
    }
}

fn canonical_request(app: &mut pb::Application) {
    if let Some(r) = app.credit_request.as_mut() {
        canonical(&mut r.requested_limit);
        canonical(&mut r.expected_monthly_volume);
    }
}

/// What every application event says about the application: never personal data in clear.
pub(crate) fn summary(app: &pb::Application) -> Option<pb::ApplicationSummary> {
    let applicant = app.applicant.clone().unwrap_or_default();
    Some(pb::ApplicationSummary {
        application_id: app.application_id.clone(),
        customer_id: app.customer_id.clone(),
        state: wire::<pb::ApplicationState>(state_of(app).name()),
        legal_name: applicant.legal_name,
        tax_id_masked: mask_identifier(&applicant.tax_id),
        requested_limit: app
            .credit_request
            .as_ref()
            .and_then(|r| r.requested_limit.clone()),
        submission: i64::from(app.submission_count),
    })
}
