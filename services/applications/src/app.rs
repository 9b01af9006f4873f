//! The applications use cases: each change one transaction with its event; submission scores
//! the applicant (before the transaction: scoring is idempotent by derived request ids) and
//! decides under the active decision policy; a final approval queues the limit for limits in
//! the same transaction.
use crate::domain::policy::{Case, DEFAULT_POLICY, Outcome, Policy};
use crate::domain::sensitive::{mask_email, mask_identifier, mask_name, mask_phone};
use crate::domain::state::{Action, Kind, State};
use crate::peers::{LimitsPeer, ScoringPeer};
use crate::sealing::Sealer;
use crate::store::{self, Filter, LimitInstruction, StoredApplication};
use credit_platform::auth::{Caller, roles};
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, SharedClock, add_months, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::mutation::{self, Mutation};
use credit_platform::outbox::{self, FeedSignals, NewEvent};
use credit_platform::policies;
use credit_proto::applications as pb;
use credit_proto::types::Money as MoneyProto;
use prost::Message;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::AnyConnection;
use std::str::FromStr;
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

fn money_text(m: &Option<MoneyProto>) -> String {
    m.as_ref()
        .map(|m| format!("{} {}", m.amount, m.currency_code))
        .unwrap_or_default()
}

fn decimal(m: &Option<MoneyProto>) -> Option<Decimal> {
    m.as_ref().and_then(|m| Decimal::from_str(&m.amount).ok())
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
            .seal(&clear.encode_to_vec(), &app.application_id)
            .map_err(ApiError::Internal)?;
        let awaiting = app
            .approval_steps
            .iter()
            .find(|s| s.state == "PENDING")
            .map(|s| format!(",{},", s.roles.join(",")))
            .unwrap_or_default();
        let due_at = app
            .approval_steps
            .iter()
            .find(|s| s.state == "PENDING" && !s.overdue)
            .and_then(|s| s.due_time.as_ref())
            .and_then(credit_platform::clock::from_timestamp)
            .unwrap_or(0);
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
            body: masked.encode_to_vec(),
            sensitive,
            created_by: created_by.to_string(),
            created_at,
            updated_at: now,
        })
    }

    /// The application in clear (for the service itself).
    pub(crate) fn clear(&self, row: &StoredApplication) -> Result<pb::Application, ApiError> {
        let mut app = pb::Application::decode(row.body.as_slice())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored application: {e}")))?;
        let bytes = self
            .sealer
            .open(&row.sensitive, &row.application_id)
            .map_err(ApiError::Internal)?;
        let clear = pb::Applicant::decode(bytes.as_slice())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("sealed applicant: {e}")))?;
        merge_sensitive(&mut app, clear);
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
        let mut app = pb::Application::decode(row.body.as_slice())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored application: {e}")))?;
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
        if let Some((id, name)) =
            store::open_with_tax_id(conn, &fingerprints, &app.application_id).await?
        {
            return Err(ApiError::AlreadyExists {
                kind: "open application for this tax id",
                id: format!("{id} ({name})"),
            });
        }
        Ok(())
    }

    pub(crate) fn event(
        &self,
        event_type: &'static str,
        app: &pb::Application,
        extra: serde_json::Value,
    ) -> NewEvent {
        let applicant = app.applicant.clone().unwrap_or_default();
        let mut payload = json!({
            "application_id": app.application_id,
            "customer_id": app.customer_id,
            "state": state_of(app).name(),
            "legal_name": applicant.legal_name,
            "tax_id_masked": mask_identifier(&applicant.tax_id),
            "requested_limit": money_text(
                &app.credit_request.as_ref().and_then(|r| r.requested_limit.clone())
            ),
            "submission": app.submission_count,
        });
        if let (Some(target), serde_json::Value::Object(more)) = (payload.as_object_mut(), extra) {
            target.extend(more);
        }
        NewEvent {
            event_type,
            entity_type: "application",
            entity_id: app.application_id.clone(),
            customer_id: app.customer_id.clone(),
            payload,
        }
    }

    /// Saves a new draft.
    pub async fn create(
        &self,
        context: &RequestContext,
        request: &pb::CreateApplicationRequest,
    ) -> Result<pb::Application, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "CreateApplication",
            request
        );
        let mut app = request.application.clone().unwrap_or_default();
        app.application_id = uuid::Uuid::now_v7().to_string();
        app.state = pb::ApplicationState::Draft as i32;
        app.created_by = context.caller.subject.clone();
        app.create_time = Some(to_timestamp(m.now));
        app.update_time = app.create_time;
        clear_outputs(&mut app);
        canonical_request(&mut app);
        self.refuse_duplicate(&mut m.tx, &app).await?;
        let row = self.to_row(&app, &context.caller.subject, m.now, m.now)?;
        store::insert(&mut m.tx, &row).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            self.event("credit.applications.application.created", &app, json!({})),
        )
        .await?;
        let answer = self.view(&row, &context.caller)?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Replaces a draft's (or returned application's) content.
    pub async fn update(
        &self,
        context: &RequestContext,
        request: &pb::UpdateApplicationRequest,
    ) -> Result<pb::Application, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "UpdateApplication",
            request
        );
        let given = request.application.clone().unwrap_or_default();
        let row = store::get(&mut m.tx, &given.application_id)
            .await?
            .ok_or_else(|| not_found(&given.application_id))?;
        row.state
            .allows(Action::Update)
            .map_err(ApiError::StateConflict)?;
        let mut app = self.clear(&row)?;
        app.customer_id = given.customer_id;
        app.applicant = given.applicant;
        app.credit_request = given.credit_request;
        app.financial_statements = given.financial_statements;
        app.update_time = Some(to_timestamp(m.now));
        canonical_request(&mut app);
        self.refuse_duplicate(&mut m.tx, &app).await?;
        let row = self.to_row(&app, &row.created_by, row.created_at, m.now)?;
        store::update(&mut m.tx, &row).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            self.event("credit.applications.application.updated", &app, json!({})),
        )
        .await?;
        let answer = self.view(&row, &context.caller)?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// One application, as the caller may see it.
    pub async fn get(
        &self,
        caller: &Caller,
        application_id: &str,
    ) -> Result<pb::Application, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let row = store::get(&mut conn, application_id)
            .await?
            .ok_or_else(|| not_found(application_id))?;
        self.view(&row, caller)
    }

    /// A page of applications, masked.
    pub async fn list(
        &self,
        filter: &Filter,
        before: &str,
        page_size: i64,
    ) -> Result<(Vec<pb::Application>, String), ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let rows = store::list(&mut conn, filter, before, page_size + 1).await?;
        let more = rows.len() as i64 > page_size;
        let page: Vec<&StoredApplication> = rows.iter().take(page_size as usize).collect();
        let next = if more {
            page.last()
                .map(|r| r.application_id.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let masked = Caller::system("list");
        let apps = page
            .into_iter()
            .map(|row| self.view(row, &masked))
            .collect::<Result<_, _>>()?;
        Ok((apps, next))
    }

    /// The active decision policy with its version.
    pub(crate) async fn active_policy(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<(i64, Policy), ApiError> {
        let version = policies::active_version(conn)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no active decision policy")))?;
        let row = policies::get(conn, version)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("policy {version} missing")))?;
        let policy = Policy::parse(&row.document).map_err(|p| {
            ApiError::Internal(anyhow::anyhow!("stored policy {version} invalid: {p:?}"))
        })?;
        Ok((version, policy))
    }

    /// Submits: validates completeness, scores, decides or refers.
    pub async fn submit(
        &self,
        context: &RequestContext,
        request: &pb::SubmitApplicationRequest,
        check_complete: impl Fn(&pb::Application) -> Result<(), ApiError>,
    ) -> Result<pb::Application, ApiError> {
        let scoring = self.scoring.as_ref().ok_or_else(|| {
            ApiError::StateConflict(
                "applications is not connected to scoring: set APPLICATIONS_SCORING_URL".into(),
            )
        })?;
        // Read and score outside the write transaction: scoring may take a while, and its
        // answers are idempotent (request ids derived from this request's).
        let before = {
            let mut conn = self.db.pool.acquire().await?;
            store::get(&mut conn, &request.application_id)
                .await?
                .ok_or_else(|| not_found(&request.application_id))?
        };
        let app = self.clear(&before)?;
        if before.state.allows(Action::Submit).is_ok() {
            check_complete(&app)?;
        }
        let score = if before.state.allows(Action::Submit).is_ok() {
            Some(scoring.assess(&app, &request.request_id).await?)
        } else {
            None
        };
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "SubmitApplication",
            request
        );
        let row = store::get(&mut m.tx, &request.application_id)
            .await?
            .ok_or_else(|| not_found(&request.application_id))?;
        row.state
            .allows(Action::Submit)
            .map_err(ApiError::StateConflict)?;
        let (Some(score), true) = (score, row.updated_at == before.updated_at) else {
            return Err(ApiError::StateConflict(
                "the application changed while it was being scored; submit it again".into(),
            ));
        };
        let mut app = self.clear(&row)?;
        let (version, policy) = self.active_policy(&mut m.tx).await?;
        let events = self
            .decide(
                &mut m.tx,
                m.now,
                &mut app,
                &score,
                version,
                &policy,
                &context.caller.subject,
            )
            .await?;
        with_notice(&mut app);
        let stored = self.to_row(&app, &row.created_by, row.created_at, m.now)?;
        store::update(&mut m.tx, &stored).await?;
        for event in events {
            outbox::append(&mut m.tx, context, m.now, event).await?;
        }
        let answer = self.view(&stored, &context.caller)?;
        self.finish(m, &answer).await?;
        self.delivery.notify_one();
        Ok(answer)
    }

    /// Applies the decision policy to a scored submission: the recommendation, then the
    /// automatic decision (and the limit queued for limits) or the approval chain. Answers the
    /// events to append.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn decide(
        &self,
        tx: &mut AnyConnection,
        now: Micros,
        app: &mut pb::Application,
        score: &credit_proto::scoring::Score,
        version: i64,
        policy: &Policy,
        submitter: &str,
    ) -> Result<Vec<NewEvent>, ApiError> {
        let case = case_of(app, score);
        let (outcome, reasons) = policy.recommend(&case);
        app.submission_count += 1;
        app.submitted_by = submitter.to_string();
        app.submit_time = Some(to_timestamp(now));
        app.update_time = app.submit_time;
        if app.first_submit_time.is_none() {
            app.first_submit_time = app.submit_time;
        }
        app.final_decision = None;
        app.approval_steps.clear();
        app.recommendation = Some(pb::Recommendation {
            outcome: outcome.name().into(),
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            score_id: score.score_id.clone(),
            risk_class: score.risk_class.clone(),
            score: score.score,
            probability_of_default: score.probability_of_default.clone(),
            recommended_limit: score
                .recommended_limit
                .as_ref()
                .and_then(|l| l.amount.clone()),
            scoring_rejected: score.rejected,
            score_reasons: score.reasons.iter().take(5).cloned().collect(),
            policy_version: version,
        });
        let mut events = vec![self.event(
            "credit.applications.application.submitted",
            app,
            json!({
                "risk_class": score.risk_class,
                "score": score.score,
                "score_id": score.score_id,
                "recommendation": outcome.name(),
                "reasons": reasons,
                "policy_version": version,
            }),
        )];
        if policy.decides_alone(outcome) {
            let request = app.credit_request.clone().unwrap_or_default();
            let approved = outcome == Outcome::Approve;
            app.final_decision = Some(pb::FinalDecision {
                outcome: if approved { "APPROVED" } else { "REJECTED" }.into(),
                automatic: true,
                approved_limit: if approved {
                    request.requested_limit.clone()
                } else {
                    None
                },
                payment_terms_days: if approved {
                    request.payment_terms_days
                } else {
                    0
                },
                conditions: Vec::new(),
                reasons: reasons.iter().map(|r| r.to_string()).collect(),
                overridden: false,
                override_reason_code: String::new(),
                override_comment: String::new(),
                decided_by: "system".into(),
                decide_time: Some(to_timestamp(now)),
                policy_version: version,
                review_time: approved.then(|| {
                    to_timestamp(add_months(
                        now,
                        policy.review_months(&score.risk_class) as i32,
                    ))
                }),
            });
            app.state = if approved {
                pb::ApplicationState::Approved
            } else {
                pb::ApplicationState::Rejected
            } as i32;
            events.push(self.decision_event(app));
            if approved {
                self.queue_limit(tx, now, app).await?;
            }
        } else {
            app.approval_steps = policy
                .chain(&case)
                .into_iter()
                .enumerate()
                .map(|(i, step)| pb::ApprovalStep {
                    sequence: i as i32 + 1,
                    level: step.level,
                    roles: step.roles,
                    approvals_required: step.approvals_required as i32,
                    state: "WAITING".into(),
                    approvals: Vec::new(),
                    start_time: None,
                    due_time: None,
                    sla_hours: step.sla_hours as i32,
                    overdue: false,
                })
                .collect();
            self.start_next_step(app, now);
            app.state = pb::ApplicationState::InReview as i32;
            events.push(self.event(
                "credit.applications.application.referred",
                app,
                json!({"levels": app.approval_steps.iter().map(|s| &s.level).collect::<Vec<_>>()}),
            ));
        }
        Ok(events)
    }

    /// Makes the first waiting step current, due after its SLA.
    fn start_next_step(&self, app: &mut pb::Application, now: Micros) -> bool {
        let Some(step) = app.approval_steps.iter_mut().find(|s| s.state == "WAITING") else {
            return false;
        };
        let sla = i64::from(step.sla_hours) * 3_600_000_000;
        step.state = "PENDING".into();
        step.start_time = Some(to_timestamp(now));
        step.due_time = Some(to_timestamp(now + sla));
        true
    }

    pub(crate) fn decision_event(&self, app: &pb::Application) -> NewEvent {
        let d = app.final_decision.clone().unwrap_or_default();
        let approved = d.outcome == "APPROVED";
        self.event(
            if approved {
                "credit.applications.application.approved"
            } else {
                "credit.applications.application.rejected"
            },
            app,
            json!({
                "automatic": d.automatic,
                "approved_limit": money_text(&d.approved_limit),
                "payment_terms_days": d.payment_terms_days,
                "conditions": d.conditions,
                "reasons": d.reasons,
                "overridden": d.overridden,
                "override_reason_code": d.override_reason_code,
                "override_comment": d.override_comment,
                "decided_by": d.decided_by,
                "policy_version": d.policy_version,
                "recommendation": app.recommendation.as_ref().map(|r| r.outcome.clone()),
            }),
        )
    }

    /// Queues the approved limit (or limit change) for limits in the approval's transaction,
    /// and moves the customer's review schedule onto this application.
    async fn queue_limit(
        &self,
        tx: &mut AnyConnection,
        now: Micros,
        app: &mut pb::Application,
    ) -> Result<(), ApiError> {
        let d = app.final_decision.clone().unwrap_or_default();
        let limit = d.approved_limit.clone().unwrap_or_default();
        let applicant = app.applicant.clone().unwrap_or_default();
        let change = app.limit_change.clone().unwrap_or_default();
        let instruction = LimitInstruction {
            instruction_id: uuid::Uuid::now_v7().to_string(),
            application_id: app.application_id.clone(),
            customer_id: app.customer_id.clone(),
            name: applicant.legal_name.clone(),
            currency_code: limit.currency_code.clone(),
            amount: limit.amount.clone(),
            segment: applicant.segment.clone(),
            region: applicant.region.clone(),
            business_unit: applicant.business_unit.clone(),
            parent_customer_id: applicant.parent_customer_id.clone(),
            reason: format!(
                "credit application {} ({}) approved by {}",
                app.application_id,
                kind_of(app).name(),
                d.decided_by
            ),
            kind: kind_of(app),
            temporary_end: change
                .temporary_end_time
                .as_ref()
                .and_then(credit_platform::clock::from_timestamp),
        };
        store::insert_instruction(tx, &instruction, now).await?;
        // The newest approval carries the customer's next review.
        store::unschedule_other_reviews(tx, &app.customer_id, &app.application_id).await?;
        app.limit_setting = Some(pb::LimitSetting {
            state: "PENDING".into(),
            attempts: 0,
            last_error: String::new(),
            done_time: None,
        });
        Ok(())
    }

    /// An approver acts on the current step.
    pub async fn act(
        &self,
        context: &RequestContext,
        request: &impl Message,
        method: &'static str,
        application_id: &str,
        act: ApproverAct,
    ) -> Result<pb::Application, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, method, request);
        let row = store::get(&mut m.tx, application_id)
            .await?
            .ok_or_else(|| not_found(application_id))?;
        row.state
            .allows(Action::Decide)
            .map_err(ApiError::StateConflict)?;
        let mut app = self.clear(&row)?;
        let caller = &context.caller;
        let version = app
            .recommendation
            .as_ref()
            .map(|r| r.policy_version)
            .unwrap_or_default();
        let policy = {
            let stored = policies::get(&mut m.tx, version).await?.ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("policy {version} of a submission missing"))
            })?;
            Policy::parse(&stored.document)
                .map_err(|p| ApiError::Internal(anyhow::anyhow!("stored policy invalid: {p:?}")))?
        };
        // Four eyes: who asked never approves, and nobody acts twice on one submission.
        if caller.subject == app.created_by || caller.subject == app.submitted_by {
            return Err(ApiError::PermissionDenied(format!(
                "four-eyes rule: {} created or submitted this application and may not decide it",
                caller.subject
            )));
        }
        let acted_before = app
            .approval_steps
            .iter()
            .flat_map(|s| &s.approvals)
            .any(|a| a.approver == caller.subject);
        if acted_before {
            return Err(ApiError::PermissionDenied(format!(
                "four-eyes rule: {} already acted on this submission; another approver is needed",
                caller.subject
            )));
        }
        let index = app
            .approval_steps
            .iter()
            .position(|s| s.state == "PENDING")
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("in review without a step")))?;
        let step = &app.approval_steps[index];
        let entitled = caller
            .roles
            .iter()
            .any(|r| r == roles::ADMIN || step.roles.contains(r));
        if !entitled {
            return Err(ApiError::PermissionDenied(format!(
                "the application waits for the {} level ({}); the caller has none of these roles",
                step.level,
                step.roles.join(", ")
            )));
        }
        let case = case_of_recommendation(&app);
        let recommendation = app
            .recommendation
            .as_ref()
            .and_then(|r| Outcome::from_name(&r.outcome))
            .unwrap_or(Outcome::Refer);
        let now_ts = Some(to_timestamp(m.now));
        let mut events = Vec::new();
        match act {
            ApproverAct::Approve {
                mut approved_limit,
                payment_terms_days,
                conditions,
                comment,
                override_reason_code,
                override_comment,
            } => {
                let requested = app
                    .credit_request
                    .as_ref()
                    .and_then(|r| r.requested_limit.clone())
                    .unwrap_or_default();
                if let Some(limit) = &approved_limit {
                    let amount = decimal(&Some(limit.clone())).unwrap_or_default();
                    if limit.currency_code != requested.currency_code {
                        return Err(FieldViolation::new(
                            "approved_limit.currency_code",
                            format!(
                                "must be {}, the currency asked for",
                                requested.currency_code
                            ),
                        )
                        .into());
                    }
                    // A decrease may be approved anywhere up to the limit it cuts; anything
                    // else at most at the amount asked for.
                    let (ceiling, what) = match (kind_of(&app), &app.limit_change) {
                        (Kind::LimitDecrease, Some(change)) => (
                            change.current_limit.clone().unwrap_or_default(),
                            "the current limit",
                        ),
                        _ => (requested.clone(), "the amount asked for"),
                    };
                    if amount > decimal(&Some(ceiling.clone())).unwrap_or_default() {
                        return Err(FieldViolation::new(
                            "approved_limit.amount",
                            format!("at most {what} ({})", ceiling.amount),
                        )
                        .into());
                    }
                }
                canonical(&mut approved_limit);
                let step = &mut app.approval_steps[index];
                step.approvals.push(pb::Approval {
                    approver: caller.subject.clone(),
                    action: "APPROVE".into(),
                    approved_limit,
                    payment_terms_days,
                    conditions,
                    reasons: Vec::new(),
                    comment,
                    action_time: now_ts,
                });
                let level = step.level.clone();
                let complete = step.approvals.len() as i32 >= step.approvals_required;
                if complete {
                    step.state = "APPROVED".into();
                }
                events.push(self.event(
                    "credit.applications.approval.recorded",
                    &app,
                    json!({"level": level, "approver": caller.subject, "action": "APPROVE",
                           "step_complete": complete}),
                ));
                if complete && !self.start_next_step(&mut app, m.now) {
                    // The deciding level approved: the final decision.
                    let approvals: Vec<&pb::Approval> = app
                        .approval_steps
                        .iter()
                        .flat_map(|s| &s.approvals)
                        .collect();
                    let limit = approvals
                        .iter()
                        .rev()
                        .find_map(|a| a.approved_limit.clone())
                        .unwrap_or(requested);
                    let terms = approvals
                        .iter()
                        .rev()
                        .map(|a| a.payment_terms_days)
                        .find(|d| *d > 0)
                        .unwrap_or_else(|| {
                            app.credit_request
                                .as_ref()
                                .map(|r| r.payment_terms_days)
                                .unwrap_or_default()
                        });
                    let mut all_conditions: Vec<String> = Vec::new();
                    for c in approvals.iter().flat_map(|a| &a.conditions) {
                        if !all_conditions.contains(c) {
                            all_conditions.push(c.clone());
                        }
                    }
                    let amount = decimal(&Some(limit.clone()));
                    let overridden = policy.is_override(recommendation, &case, amount);
                    check_override(
                        &policy,
                        caller,
                        overridden,
                        &override_reason_code,
                        &override_comment,
                        &format!(
                            "approving {} {} departs from the recommendation",
                            limit.amount, limit.currency_code
                        ),
                    )?;
                    let risk_class = app
                        .recommendation
                        .as_ref()
                        .map(|r| r.risk_class.clone())
                        .unwrap_or_default();
                    app.final_decision = Some(pb::FinalDecision {
                        outcome: "APPROVED".into(),
                        automatic: false,
                        approved_limit: Some(limit),
                        payment_terms_days: terms,
                        conditions: all_conditions,
                        reasons: Vec::new(),
                        overridden,
                        // Kept only where they explain a departure.
                        override_reason_code: if overridden {
                            override_reason_code.clone()
                        } else {
                            String::new()
                        },
                        override_comment: if overridden {
                            override_comment.clone()
                        } else {
                            String::new()
                        },
                        decided_by: caller.subject.clone(),
                        decide_time: now_ts,
                        policy_version: version,
                        review_time: Some(to_timestamp(add_months(
                            m.now,
                            policy.review_months(&risk_class) as i32,
                        ))),
                    });
                    app.state = pb::ApplicationState::Approved as i32;
                    events.push(self.decision_event(&app));
                    self.queue_limit(&mut m.tx, m.now, &mut app).await?;
                }
            }
            ApproverAct::Reject {
                reasons,
                comment,
                override_reason_code,
                override_comment,
            } => {
                let overridden = policy.is_override(recommendation, &case, None);
                check_override(
                    &policy,
                    caller,
                    overridden,
                    &override_reason_code,
                    &override_comment,
                    "rejecting departs from the recommendation to approve",
                )?;
                let step = &mut app.approval_steps[index];
                step.state = "REJECTED".into();
                step.approvals.push(pb::Approval {
                    approver: caller.subject.clone(),
                    action: "REJECT".into(),
                    reasons: reasons.clone(),
                    comment,
                    action_time: now_ts,
                    ..Default::default()
                });
                cancel_waiting(&mut app);
                app.final_decision = Some(pb::FinalDecision {
                    outcome: "REJECTED".into(),
                    automatic: false,
                    reasons,
                    overridden,
                    override_reason_code: if overridden {
                        override_reason_code
                    } else {
                        String::new()
                    },
                    override_comment: if overridden {
                        override_comment
                    } else {
                        String::new()
                    },
                    decided_by: caller.subject.clone(),
                    decide_time: now_ts,
                    policy_version: version,
                    ..Default::default()
                });
                app.state = pb::ApplicationState::Rejected as i32;
                events.push(self.decision_event(&app));
            }
            ApproverAct::RequestInformation { questions } => {
                let step = &mut app.approval_steps[index];
                step.state = "INFORMATION_REQUESTED".into();
                step.approvals.push(pb::Approval {
                    approver: caller.subject.clone(),
                    action: "REQUEST_INFORMATION".into(),
                    reasons: questions.clone(),
                    action_time: now_ts,
                    ..Default::default()
                });
                cancel_waiting(&mut app);
                app.state = pb::ApplicationState::InformationRequested as i32;
                events.push(self.event(
                    "credit.applications.information.requested",
                    &app,
                    json!({"questions": questions, "by": caller.subject}),
                ));
            }
        }
        app.update_time = now_ts;
        with_notice(&mut app);
        let stored = self.to_row(&app, &row.created_by, row.created_at, m.now)?;
        store::update(&mut m.tx, &stored).await?;
        for event in events {
            outbox::append(&mut m.tx, context, m.now, event).await?;
        }
        let answer = self.view(&stored, caller)?;
        self.finish(m, &answer).await?;
        self.delivery.notify_one();
        Ok(answer)
    }

    /// Escalates every step overdue at the clock's now: the next level takes over (a new step
    /// when the overdue one was the last of the chain); at the top an overdue alarm is raised
    /// once. Answers how many applications were handled.
    pub async fn escalate_overdue(&self) -> Result<usize, ApiError> {
        let due = {
            let mut conn = self.db.pool.acquire().await?;
            store::overdue(&mut conn, self.clock.now(), 100).await?
        };
        for application_id in &due {
            mutation::with_retry(|| self.escalate(application_id)).await?;
        }
        Ok(due.len())
    }

    async fn escalate(&self, application_id: &str) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await?;
        let now = self.clock.now();
        let Some(row) = store::get(&mut tx, application_id).await? else {
            return Ok(());
        };
        // Someone acted meanwhile: nothing is overdue any more.
        if row.state != State::InReview || row.due_at == 0 || row.due_at > now {
            return Ok(());
        }
        let mut app = self.clear(&row)?;
        let version = app
            .recommendation
            .as_ref()
            .map(|r| r.policy_version)
            .unwrap_or_default();
        let stored_policy = policies::get(&mut tx, version).await?.ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("policy {version} of a submission missing"))
        })?;
        let policy = Policy::parse(&stored_policy.document)
            .map_err(|p| ApiError::Internal(anyhow::anyhow!("stored policy invalid: {p:?}")))?;
        let case = case_of_recommendation(&app);
        let Some(index) = app.approval_steps.iter().position(|s| s.state == "PENDING") else {
            return Ok(());
        };
        let overdue = app.approval_steps[index].clone();
        let has_next = app.approval_steps.iter().any(|s| s.state == "WAITING");
        let above = if has_next {
            None
        } else {
            policy.level_above(&case, &overdue.level)
        };
        let context = RequestContext::system("escalation");
        let event = if has_next || above.is_some() {
            app.approval_steps[index].state = "ESCALATED".into();
            if let Some(step) = above {
                // The deciding level was overdue: the level above decides, with as many
                // approvers as it needed.
                app.approval_steps.push(pb::ApprovalStep {
                    sequence: app.approval_steps.len() as i32 + 1,
                    level: step.level,
                    roles: step.roles,
                    approvals_required: overdue.approvals_required,
                    state: "WAITING".into(),
                    sla_hours: step.sla_hours as i32,
                    ..Default::default()
                });
            }
            self.start_next_step(&mut app, now);
            let to = app
                .approval_steps
                .iter()
                .find(|s| s.state == "PENDING")
                .map(|s| s.level.clone())
                .unwrap_or_default();
            self.event(
                "credit.applications.step.escalated",
                &app,
                json!({"from_level": overdue.level, "to_level": to,
                       "due_time": overdue.due_time.map(|t| t.seconds)}),
            )
        } else {
            app.approval_steps[index].overdue = true;
            self.event(
                "credit.applications.step.overdue",
                &app,
                json!({"level": overdue.level, "due_time": overdue.due_time.map(|t| t.seconds)}),
            )
        };
        app.update_time = Some(to_timestamp(now));
        let stored = self.to_row(&app, &row.created_by, row.created_at, now)?;
        store::update(&mut tx, &stored).await?;
        outbox::append(&mut tx, &context, now, event).await?;
        tx.commit().await?;
        self.signals.notify_committed();
        metrics::counter!("applications_steps_escalated_total").increment(1);
        Ok(())
    }

    /// The service's now.
    pub fn now(&self) -> Micros {
        self.clock.now()
    }

    /// Every application submitted at least once (masked: metrics need no sensitive field).
    pub async fn all_submitted(&self) -> Result<Vec<pb::Application>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let rows = store::submitted(&mut conn).await?;
        rows.iter()
            .map(|row| {
                pb::Application::decode(row.as_slice())
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored application: {e}")))
            })
            .collect()
    }

    /// The applicant withdraws.
    pub async fn withdraw(
        &self,
        context: &RequestContext,
        request: &pb::WithdrawApplicationRequest,
    ) -> Result<pb::Application, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "WithdrawApplication",
            request
        );
        let row = store::get(&mut m.tx, &request.application_id)
            .await?
            .ok_or_else(|| not_found(&request.application_id))?;
        row.state
            .allows(Action::Withdraw)
            .map_err(ApiError::StateConflict)?;
        let mut app = self.clear(&row)?;
        for step in &mut app.approval_steps {
            if step.state == "PENDING" {
                step.state = "CANCELLED".into();
            }
        }
        cancel_waiting(&mut app);
        app.state = pb::ApplicationState::Withdrawn as i32;
        app.update_time = Some(to_timestamp(m.now));
        let stored = self.to_row(&app, &row.created_by, row.created_at, m.now)?;
        store::update(&mut m.tx, &stored).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            self.event(
                "credit.applications.application.withdrawn",
                &app,
                json!({"reason": request.reason}),
            ),
        )
        .await?;
        let answer = self.view(&stored, &context.caller)?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// The latest notice, in `language` (the applicant's when empty).
    pub async fn notice(
        &self,
        application_id: &str,
        language: &str,
    ) -> Result<pb::DecisionNotice, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let row = store::get(&mut conn, application_id)
            .await?
            .ok_or_else(|| not_found(application_id))?;
        // Notices name no sensitive field, so the masked form serves.
        let app = pb::Application::decode(row.body.as_slice())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored application: {e}")))?;
        let language = if language.is_empty() {
            app.applicant
                .as_ref()
                .map(|a| a.preferred_language.clone())
                .unwrap_or_default()
        } else {
            language.to_string()
        };
        notice_for(&app, &language).ok_or_else(|| {
            ApiError::StateConflict(format!(
                "the application is {}: there is no decision or request to notify yet",
                row.state.name()
            ))
        })
    }

    /// Installs the default decision policy as version 1 on first start.
    pub async fn bootstrap_policy(&self) -> Result<(), ApiError> {
        let policy = Policy::parse(DEFAULT_POLICY).map_err(|p| {
            ApiError::Internal(anyhow::anyhow!("default decision policy invalid: {p:?}"))
        })?;
        policies::bootstrap(
            &self.db,
            &*self.clock,
            &self.signals,
            &policy.document.name,
            DEFAULT_POLICY,
            |version| policy_event(version, &policy, true),
        )
        .await
    }

    /// Stores a validated policy as the next version.
    pub async fn upload_policy(
        &self,
        context: &RequestContext,
        request: &pb::UploadDecisionPolicyRequest,
    ) -> Result<pb::DecisionPolicy, ApiError> {
        let policy = Policy::parse(&request.document_json).map_err(|problems| {
            ApiError::InvalidArgument(
                problems
                    .into_iter()
                    .map(|p| {
                        let field = if p.field == "document_json" {
                            p.field
                        } else {
                            format!("document_json.{}", p.field)
                        };
                        FieldViolation::new(field, p.message)
                    })
                    .collect(),
            )
        })?;
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "UploadDecisionPolicy",
            request
        );
        let stored = policies::upload(
            &mut m.tx,
            context,
            m.now,
            &policy.document.name,
            &request.document_json,
            request.activate,
            |version| policy_event(version, &policy, request.activate),
        )
        .await?;
        let answer = wire_policy(stored, request.activate);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// The active policy (version 0) or one version.
    pub async fn get_policy(&self, version: i64) -> Result<pb::DecisionPolicy, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let (stored, active) =
            policies::resolve(&mut conn, version, "decision policy version").await?;
        Ok(wire_policy(stored, active))
    }
}

fn wire_policy(stored: policies::PolicyVersion, active: bool) -> pb::DecisionPolicy {
    pb::DecisionPolicy {
        version: stored.version,
        name: stored.name,
        document_json: stored.document,
        active,
        uploaded_by: stored.uploaded_by,
        upload_time: Some(to_timestamp(stored.uploaded_at)),
    }
}

/// An approver's act.
#[derive(Debug, Clone)]
pub enum ApproverAct {
    /// Approve, maybe with another amount, terms or conditions.
    Approve {
        /// Amount approved.
        approved_limit: Option<MoneyProto>,
        /// Terms approved (0: as asked).
        payment_terms_days: i32,
        /// Conditions.
        conditions: Vec<String>,
        /// Comment.
        comment: String,
        /// Override reason code.
        override_reason_code: String,
        /// Override comment.
        override_comment: String,
    },
    /// Reject.
    Reject {
        /// Reasons.
        reasons: Vec<String>,
        /// Comment.
        comment: String,
        /// Override reason code.
        override_reason_code: String,
        /// Override comment.
        override_comment: String,
    },
    /// Return to the applicant.
    RequestInformation {
        /// Questions.
        questions: Vec<String>,
    },
}

fn check_override(
    policy: &Policy,
    caller: &Caller,
    overridden: bool,
    reason_code: &str,
    comment: &str,
    what: &str,
) -> Result<(), ApiError> {
    if !overridden {
        return Ok(());
    }
    if !policy.may_override(&caller.roles) {
        return Err(ApiError::PermissionDenied(format!(
            "{what}: only {} may override",
            policy.document.override_roles.join(", ")
        )));
    }
    let mut missing = Vec::new();
    if reason_code.trim().is_empty() {
        missing.push(FieldViolation::new(
            "override_reason_code",
            format!("required: {what}"),
        ));
    }
    if comment.trim().is_empty() {
        missing.push(FieldViolation::new(
            "override_comment",
            format!("required: {what}"),
        ));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidArgument(missing))
    }
}

fn cancel_waiting(app: &mut pb::Application) {
    for step in &mut app.approval_steps {
        if step.state == "WAITING" {
            step.state = "CANCELLED".into();
            step.due_time = None;
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

/// The notice the application's latest step calls for, in `language`.
pub fn notice_for(app: &pb::Application, language: &str) -> Option<pb::DecisionNotice> {
    use crate::notice::{Facts, Kind, render};
    let applicant = app.applicant.clone().unwrap_or_default();
    let requested = app
        .credit_request
        .as_ref()
        .and_then(|r| r.requested_limit.clone())
        .unwrap_or_default();
    let mut facts = Facts {
        company: applicant.legal_name,
        reference: app.application_id.clone(),
        requested: (requested.amount, requested.currency_code),
        ..Facts::default()
    };
    if let (true, Some(change)) = (kind_of(app).is_change(), app.limit_change.as_ref()) {
        let previous = change.current_limit.clone().unwrap_or_default();
        facts.previous = (previous.amount, previous.currency_code);
        facts.until = change
            .temporary_end_time
            .as_ref()
            .and_then(credit_platform::clock::from_timestamp)
            .map(credit_platform::clock::date_of)
            .unwrap_or_default();
    }
    let kind = match (state_of(app), app.final_decision.as_ref()) {
        (State::Approved, Some(d)) => {
            let limit = d.approved_limit.clone().unwrap_or_default();
            facts.limit = (limit.amount, limit.currency_code);
            facts.terms_days = i64::from(d.payment_terms_days);
            facts.conditions = d.conditions.clone();
            facts.review_date = d
                .review_time
                .as_ref()
                .map(|t| {
                    credit_platform::clock::from_timestamp(t)
                        .map(credit_platform::clock::date_of)
                        .unwrap_or_default()
                })
                .unwrap_or_default();
            Kind::Approved
        }
        (State::Rejected, Some(d)) => {
            facts.reasons = d.reasons.clone();
            Kind::Rejected
        }
        (State::InformationRequested, _) => {
            facts.questions = app
                .approval_steps
                .iter()
                .flat_map(|s| &s.approvals)
                .rfind(|a| a.action == "REQUEST_INFORMATION")
                .map(|a| a.reasons.clone())
                .unwrap_or_default();
            Kind::InformationRequested
        }
        _ => return None,
    };
    let notice = render(kind, language, &facts);
    Some(pb::DecisionNotice {
        language: notice.language,
        subject: notice.subject,
        body: notice.body,
    })
}

pub(crate) fn with_notice(app: &mut pb::Application) {
    let language = app
        .applicant
        .as_ref()
        .map(|a| a.preferred_language.clone())
        .unwrap_or_default();
    app.notice = notice_for(app, &language);
}

fn clear_outputs(app: &mut pb::Application) {
    app.notice = None;
    app.recommendation = None;
    app.approval_steps.clear();
    app.final_decision = None;
    app.limit_setting = None;
    app.submitted_by.clear();
    app.submission_count = 0;
    app.submit_time = None;
    app.first_submit_time = None;
    app.sensitive_masked = false;
}

/// The state an application's wire form says.
pub fn state_of(app: &pb::Application) -> State {
    match pb::ApplicationState::try_from(app.state) {
        Ok(pb::ApplicationState::InReview) => State::InReview,
        Ok(pb::ApplicationState::InformationRequested) => State::InformationRequested,
        Ok(pb::ApplicationState::Approved) => State::Approved,
        Ok(pb::ApplicationState::Rejected) => State::Rejected,
        Ok(pb::ApplicationState::Withdrawn) => State::Withdrawn,
        _ => State::Draft,
    }
}

/// What the policy decides on, from the application and its score.
fn case_of(app: &pb::Application, score: &credit_proto::scoring::Score) -> Case {
    let request = app.credit_request.clone().unwrap_or_default();
    let applicant = app.applicant.clone().unwrap_or_default();
    let requested = request.requested_limit.clone().unwrap_or_default();
    Case {
        risk_class: score.risk_class.clone(),
        scoring_rejected: score.rejected,
        recommended_limit: score
            .recommended_limit
            .as_ref()
            .and_then(|l| l.amount.as_ref())
            .filter(|m| m.currency_code == requested.currency_code)
            .and_then(|m| Decimal::from_str(&m.amount).ok()),
        amount: Decimal::from_str(&requested.amount).unwrap_or_default(),
        currency: requested.currency_code,
        payment_terms_days: u32::try_from(request.payment_terms_days).unwrap_or_default(),
        region: applicant.region,
        business_unit: applicant.business_unit,
        decrease: kind_of(app) == Kind::LimitDecrease,
        early_warning: app
            .limit_change
            .as_ref()
            .is_some_and(|c| !c.early_warning_score_id.is_empty()),
    }
}

/// What an application asks for (unset reads as a new customer's credit).
pub fn kind_of(app: &pb::Application) -> Kind {
    match pb::ApplicationKind::try_from(app.kind) {
        Ok(pb::ApplicationKind::LimitIncrease) => Kind::LimitIncrease,
        Ok(pb::ApplicationKind::TemporaryIncrease) => Kind::TemporaryIncrease,
        Ok(pb::ApplicationKind::LimitDecrease) => Kind::LimitDecrease,
        _ => Kind::NewCredit,
    }
}

/// The case as recorded at submission (for the override rule at decision time).
fn case_of_recommendation(app: &pb::Application) -> Case {
    let r = app.recommendation.clone().unwrap_or_default();
    let score = credit_proto::scoring::Score {
        risk_class: r.risk_class,
        rejected: r.scoring_rejected,
        recommended_limit: Some(credit_proto::scoring::RecommendedLimit {
            amount: r.recommended_limit,
            ..Default::default()
        }),
        ..Default::default()
    };
    case_of(app, &score)
}

fn policy_event(version: i64, policy: &Policy, active: bool) -> NewEvent {
    NewEvent {
        event_type: if active {
            "credit.applications.decision_policy.activated"
        } else {
            "credit.applications.decision_policy.uploaded"
        },
        entity_type: "decision_policy",
        entity_id: version.to_string(),
        customer_id: String::new(),
        payload: json!({"version": version, "name": policy.document.name}),
    }
}
