//! Limit changes of approved customers: permanent or temporary increases and decreases asked
//! by sales, and decreases proposed by scoring's early warnings. Each becomes an application of
//! its kind, built from the customer's latest approved one, and takes the same scoring, policy
//! and approval path; an approval changes the limit in limits exactly once.
use crate::app::Applications;
use crate::convert::{kind_of, kind_to_wire};
use crate::domain::state::Kind;
use crate::peers::LimitsPeer;
use crate::store::{self, StoredApplication};
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_proto::applications as pb;
use credit_proto::limits as lpb;
use credit_proto::types::Money as MoneyProto;
use rust_decimal::Decimal;
use sqlx::AnyConnection;
use std::str::FromStr;

/// A validated change request.
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    /// The customer.
    pub customer_id: String,
    /// Increase, temporary increase or decrease.
    pub kind: Kind,
    /// The limit wanted (for a temporary increase: the whole limit while it lasts).
    pub requested: MoneyProto,
    /// When a temporary increase ends.
    pub temporary_end: Option<Micros>,
    /// Why the change is asked for.
    pub reason: String,
}

/// The permanent limit limits holds for the customer now, in its currency.
pub async fn current_limit(limits: &LimitsPeer, customer_id: &str) -> Result<MoneyProto, ApiError> {
    limit_of(&current_account(limits, customer_id).await?)
}

/// The customer's account in limits now (an approved customer has one).
pub async fn current_account(
    limits: &LimitsPeer,
    customer_id: &str,
) -> Result<lpb::CreditAccount, ApiError> {
    limits.account(customer_id).await?.ok_or_else(|| {
        ApiError::StateConflict(format!(
            "limits has no credit account for {customer_id} yet (an approved limit may still be \
             on its way)"
        ))
    })
}

/// The account's permanent limit, in its currency.
pub fn limit_of(account: &lpb::CreditAccount) -> Result<MoneyProto, ApiError> {
    let customer_id = &account.customer_id;
    let limit = account.credit_limit.clone().unwrap_or_default();
    match lpb::LimitMode::try_from(limit.mode) {
        Ok(lpb::LimitMode::Amount) => Ok(limit.amount.unwrap_or_default()),
        Ok(lpb::LimitMode::Unlimited) => Err(ApiError::StateConflict(format!(
            "{customer_id}'s limit is UNLIMITED: set an amount in limits before changing it"
        ))),
        _ => Ok(MoneyProto {
            amount: "0".into(),
            currency_code: account.currency_code.clone(),
        }),
    }
}

fn amount(m: &MoneyProto) -> Decimal {
    Decimal::from_str(&m.amount).unwrap_or_default()
}

/// Refuses a change that does not go the way its kind says, or is in another currency.
pub fn check_direction(request: &ChangeRequest, current: &MoneyProto) -> Result<(), ApiError> {
    if request.requested.currency_code != current.currency_code {
        return Err(FieldViolation::new(
            "requested_limit.currency_code",
            format!("must be {}, the account's currency", current.currency_code),
        )
        .into());
    }
    let (wanted, now) = (amount(&request.requested), amount(current));
    let fits = match request.kind {
        Kind::LimitDecrease => wanted < now,
        _ => wanted > now,
    };
    if fits {
        return Ok(());
    }
    let direction = if request.kind == Kind::LimitDecrease {
        "below"
    } else {
        "above"
    };
    Err(FieldViolation::new(
        "requested_limit.amount",
        format!(
            "a {} must be {direction} the current limit ({} {})",
            request.kind.name(),
            current.amount,
            current.currency_code
        ),
    )
    .into())
}

/// The change application built from the customer's latest approved one: the same applicant,
/// statements and granted terms; the amount asked is the new limit.
pub fn change_application(
    previous: &pb::Application,
    request: &ChangeRequest,
    current: MoneyProto,
    proposed_by: &str,
    now: Micros,
) -> pb::Application {
    let granted = previous.final_decision.clone().unwrap_or_default();
    let mut credit_request = previous.credit_request.clone().unwrap_or_default();
    credit_request.requested_limit = Some(request.requested.clone());
    if granted.payment_terms_days > 0 {
        credit_request.payment_terms_days = granted.payment_terms_days;
    }
    pb::Application {
        application_id: uuid::Uuid::now_v7().to_string(),
        customer_id: previous.customer_id.clone(),
        state: pb::ApplicationState::Draft as i32,
        applicant: previous.applicant.clone(),
        credit_request: Some(credit_request),
        financial_statements: previous.financial_statements.clone(),
        created_by: proposed_by.to_string(),
        create_time: Some(to_timestamp(now)),
        update_time: Some(to_timestamp(now)),
        kind: kind_to_wire(request.kind) as i32,
        limit_change: Some(pb::LimitChange {
            current_limit: Some(current),
            temporary_end_time: request.temporary_end.map(to_timestamp),
            reason: request.reason.clone(),
            proposed_by: proposed_by.to_string(),
            previous_application_id: previous.application_id.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The event of a new change application.
pub fn requested_event(app: &pb::Application) -> NewEvent {
    let change = app.limit_change.clone().unwrap_or_default();
    NewEvent {
        event_type: "credit.applications.limit_change.requested",
        entity_type: "application",
        entity_id: app.application_id.clone(),
        customer_id: app.customer_id.clone(),
        payload: Payload::of(&pb::LimitChangeRequested {
            application_id: app.application_id.clone(),
            kind: kind_to_wire(kind_of(app)).into(),
            current_limit: change.current_limit,
            requested_limit: app
                .credit_request
                .as_ref()
                .and_then(|r| r.requested_limit.clone()),
            temporary_end_time: change.temporary_end_time,
            reason: change.reason,
            proposed_by: change.proposed_by,
            early_warning_score_id: change.early_warning_score_id,
            previous_application_id: change.previous_application_id,
        }),
    }
}

impl Applications {
    /// The customer's latest approved application, in clear.
    pub(crate) async fn latest_approved(
        &self,
        conn: &mut AnyConnection,
        customer_id: &str,
    ) -> Result<Option<(StoredApplication, pb::Application)>, ApiError> {
        match store::latest_approved(conn, customer_id).await? {
            Some(row) => {
                let app = self.clear(&row)?;
                Ok(Some((row, app)))
            }
            None => Ok(None),
        }
    }

    /// Asks for a limit change: the change application is created, then submitted (scored and
    /// decided) like any other. A retry with the same request id replays both steps.
    pub async fn request_limit_change(
        &self,
        context: &RequestContext,
        request: &pb::RequestLimitChangeRequest,
        change: ChangeRequest,
        check_complete: impl Fn(&pb::Application) -> Result<(), ApiError>,
    ) -> Result<pb::Application, ApiError> {
        let limits = self.limits.as_ref().ok_or_else(|| {
            ApiError::StateConflict(
                "applications is not connected to limits: set APPLICATIONS_LIMITS_URL".into(),
            )
        })?;
        let current = current_limit(limits, &change.customer_id).await?;
        check_direction(&change, &current)?;
        let created = self
            .create_change(context, request, &change, current)
            .await?;
        let submit = pb::SubmitApplicationRequest {
            application_id: created.application_id,
            request_id: crate::peers::derived(&request.request_id, "submit"),
        };
        let context = context.clone().with_request_id(&submit.request_id);
        self.submit(&context, &submit, check_complete).await
    }

    async fn create_change(
        &self,
        context: &RequestContext,
        request: &pb::RequestLimitChangeRequest,
        change: &ChangeRequest,
        current: MoneyProto,
    ) -> Result<pb::Application, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "RequestLimitChange",
            request
        );
        credit_platform::scope::may_change(&mut m.tx, &context.caller.scope, &change.customer_id)
            .await?;
        let (_, previous) = self
            .latest_approved(&mut m.tx, &change.customer_id)
            .await?
            .ok_or_else(|| {
                ApiError::StateConflict(format!(
                    "{} has no approved credit application: apply with CreateApplication first",
                    change.customer_id
                ))
            })?;
        let app = change_application(&previous, change, current, &context.caller.subject, m.now);
        self.refuse_duplicate(&mut m.tx, &app).await?;
        let row = self.to_row(&app, &context.caller.subject, m.now, m.now)?;
        store::insert(&mut m.tx, &row).await?;
        outbox::append(&mut m.tx, context, m.now, requested_event(&app)).await?;
        let answer = self.view(&row, &context.caller)?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }
}
