//! Blocked orders: a credit check limits rejected, referred by sales instead of failing the
//! order. The credit case holds the order, the check's stored inputs and reasons; an analyst
//! with the authority for the amount releases it (a one-off approval: limits reserves the order
//! beyond the available credit), rejects it, or rechecks it after something changed. Every
//! outcome is an event on this service's feed, which the sales-order service follows.
use crate::app::Applications;
use crate::convert::{amount_of, case_check, credit_case_to_wire};
use crate::domain::credit_case::{CaseMove, CaseState, CreditCase};
use crate::domain::policy::Case;
use crate::peers::{LimitsPeer, derived};
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::mutation;
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_platform::scope::{self, DataScope};
use credit_proto::applications as pb;
use credit_proto::limits as lpb;
use prost::Message;
use rust_decimal::Decimal;
use sqlx::AnyConnection;
use std::str::FromStr;

fn not_found(case_id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "credit case",
        id: case_id.to_string(),
    }
}

fn approved(answer: &lpb::CheckCreditResponse) -> bool {
    answer.outcome == lpb::CheckOutcome::Approved as i32
}

async fn load(conn: &mut AnyConnection, case_id: &str) -> Result<CreditCase, ApiError> {
    store::credit_case(conn, case_id)
        .await?
        .ok_or_else(|| not_found(case_id))
}

fn event(event_type: &'static str, case: &CreditCase) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: "credit_case",
        entity_id: case.case_id.clone(),
        customer_id: case.customer_id.clone(),
        payload: Payload::of(&pb::CreditCaseChanged {
            credit_case: Some(pb::CreditCase {
                // The check's inputs stay in the case; the feed says what was decided.
                inputs_json: String::new(),
                ..credit_case_to_wire(case)
            }),
        }),
    }
}

/// The credit-case use cases.
#[derive(Clone)]
pub struct CreditCases {
    applications: Applications,
}

impl CreditCases {
    /// Cases kept with the applications.
    pub fn new(applications: Applications) -> Self {
        Self { applications }
    }

    fn limits(&self) -> Result<&LimitsPeer, ApiError> {
        self.applications.limits.as_ref().ok_or_else(|| {
            ApiError::StateConflict(
                "applications is not connected to limits: set APPLICATIONS_LIMITS_URL".into(),
            )
        })
    }

    /// Opens a case for a rejected check (or finds it: one case per decision, and a new
    /// rejected check of an order with an open case joins that case).
    pub async fn refer(
        &self,
        context: &RequestContext,
        request: &pb::ReferBlockedOrderRequest,
    ) -> Result<pb::CreditCase, ApiError> {
        let decision = self.limits()?.decision(&request.decision_id).await?;
        let answer = decision.response.clone().unwrap_or_default();
        if approved(&answer) {
            return Err(ApiError::StateConflict(format!(
                "credit decision {} APPROVED the order: nothing is blocked",
                request.decision_id
            )));
        }
        let apps = &self.applications;
        let mut m = begin_mutation!(
            &apps.db,
            &*apps.clock,
            context,
            "ReferBlockedOrder",
            request
        );
        scope::may_change(&mut m.tx, &context.caller.scope, &decision.customer_id).await?;
        if let Some(case) = store::case_of_decision(&mut m.tx, &request.decision_id).await? {
            let case = credit_case_to_wire(&case);
            mutation::finish(&apps.signals, m, &case).await?;
            return Ok(case);
        }
        let check = case_check(&answer, &decision.actor_subject);
        if let Some(mut case) =
            store::open_case_of_order(&mut m.tx, &decision.customer_id, &decision.order_id).await?
        {
            if case.join(check, decision.inputs_json.clone()) {
                store::save_case(&mut m.tx, &case, m.now, false).await?;
                outbox::append(
                    &mut m.tx,
                    context,
                    m.now,
                    event("credit.applications.credit_case.rechecked", &case),
                )
                .await?;
            }
            let case = credit_case_to_wire(&case);
            mutation::finish(&apps.signals, m, &case).await?;
            return Ok(case);
        }
        let (order_amount, checked) = order_amounts(&decision.inputs_json, &answer)?;
        let (required_level, release_roles) = self
            .authority(&mut m.tx, &decision.customer_id, &checked)
            .await?;
        let case = CreditCase {
            case_id: uuid::Uuid::now_v7().to_string(),
            customer_id: decision.customer_id.clone(),
            order_id: decision.order_id.clone(),
            order_amount: amount_of(&order_amount),
            checked_amount: amount_of(&checked),
            state: CaseState::Open,
            checks: vec![check],
            inputs_json: decision.inputs_json.clone(),
            referred_by: context.caller.subject.clone(),
            referred_at: m.now,
            resolution: None,
            resolved_by: String::new(),
            resolved_at: None,
            comment: String::new(),
            reservation_id: String::new(),
            required_level,
            release_roles,
        };
        store::save_case(&mut m.tx, &case, m.now, true).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event("credit.applications.credit_case.opened", &case),
        )
        .await?;
        let case = credit_case_to_wire(&case);
        mutation::finish(&apps.signals, m, &case).await?;
        Ok(case)
    }

    /// The level (and roles) the authority matrix names for the order's amount, for the risk
    /// class of the customer's latest approved application and the region and business unit
    /// of its master data (the copy kept from limits' feed; the application's before that
    /// copy exists). A customer this service never assessed has no risk class: only the
    /// authority of last resort covers it.
    async fn authority(
        &self,
        conn: &mut AnyConnection,
        customer_id: &str,
        checked: &credit_proto::types::Money,
    ) -> Result<(String, Vec<String>), ApiError> {
        let apps = &self.applications;
        let (_, policy) = apps.active_policy(conn).await?;
        let latest = apps.latest_approved(conn, customer_id).await?;
        let (risk_class, applicant) = latest
            .map(|(_, app)| {
                (
                    app.recommendation.unwrap_or_default().risk_class,
                    app.applicant.unwrap_or_default(),
                )
            })
            .unwrap_or_default();
        let place = scope::of_customer(conn, customer_id)
            .await?
            .unwrap_or(scope::CustomerScope {
                region: applicant.region,
                business_unit: applicant.business_unit,
            });
        let case = Case {
            risk_class,
            scoring_rejected: false,
            recommended_limit: None,
            amount: Decimal::from_str(&checked.amount).unwrap_or_default(),
            currency: checked.currency_code.clone(),
            payment_terms_days: 0,
            region: place.region,
            business_unit: place.business_unit,
            decrease: false,
            early_warning: false,
        };
        Ok(policy.release_authority(&case))
    }

    /// One case, when its customer is inside `scope` (NOT_FOUND otherwise, alike).
    pub async fn get(&self, scope: &DataScope, case_id: &str) -> Result<pb::CreditCase, ApiError> {
        let mut conn = self.applications.db.pool.acquire().await?;
        let case = load(&mut conn, case_id).await?;
        if !scope::sees(&mut conn, scope, &case.customer_id).await? {
            return Err(not_found(case_id));
        }
        Ok(credit_case_to_wire(&case))
    }

    /// Cases of customers inside `scope`, newest first.
    pub async fn list(
        &self,
        scope: &DataScope,
        state: &str,
        customer_id: &str,
        page: &PageRequest,
    ) -> Result<pb::ListCreditCasesResponse, ApiError> {
        let mut conn = self.applications.db.pool.acquire().await?;
        let mut cases = store::list_cases(
            &mut conn,
            scope,
            [state, customer_id, &page.after],
            page.fetch(),
        )
        .await?;
        let next_page_token = page.finish(&mut cases, |c| c.case_id.clone());
        Ok(pb::ListCreditCasesResponse {
            cases: cases.iter().map(credit_case_to_wire).collect(),
            next_page_token,
        })
    }

    /// The open case for a change by a caller limited to `scope` (OUT_OF_SCOPE outside it).
    async fn open_case(&self, scope: &DataScope, case_id: &str) -> Result<CreditCase, ApiError> {
        let mut conn = self.applications.db.pool.acquire().await?;
        let case = load(&mut conn, case_id).await?;
        scope::may_change(&mut conn, scope, &case.customer_id).await?;
        case.ensure_open()?;
        Ok(case)
    }

    /// Checks the case's order in limits again, with a person's release when given; the
    /// request id derives from the caller's, so a retry never reserves twice.
    async fn check_again(
        &self,
        case: &CreditCase,
        request_id: &str,
        release: Option<lpb::CreditRelease>,
    ) -> Result<lpb::CheckCreditResponse, ApiError> {
        let purpose = if release.is_some() {
            "release"
        } else {
            "recheck"
        };
        self.limits()?
            .check(lpb::CheckCreditRequest {
                customer_id: case.customer_id.clone(),
                order_id: case.order_id.clone(),
                amount: Some(crate::convert::money_of(&case.order_amount)),
                request_id: derived(request_id, purpose),
                release,
                ..Default::default()
            })
            .await
    }

    /// Releases the order: limits reserves it beyond the available credit on the approver's
    /// authority.
    pub async fn release(
        &self,
        context: &RequestContext,
        request: &pb::ReleaseBlockedOrderRequest,
    ) -> Result<pb::CreditCase, ApiError> {
        let case = self
            .open_case(&context.caller.scope, &request.case_id)
            .await?;
        case.may_decide(&context.caller.subject, &context.caller.roles, "release")?;
        let release = lpb::CreditRelease {
            approved_by: context.caller.subject.clone(),
            reference: case.case_id.clone(),
            reason: request.comment.clone(),
        };
        let answer = self
            .check_again(&case, &request.request_id, Some(release))
            .await?;
        if !approved(&answer) {
            let check = case_check(&answer, &context.caller.subject);
            return Err(ApiError::StateConflict(format!(
                "limits could not reserve the order ({}); the case stays open",
                check.reasons.join(", ")
            )));
        }
        self.resolve(
            context,
            "ReleaseBlockedOrder",
            request,
            &request.case_id,
            Resolution::Released {
                answer,
                on_recheck: false,
                comment: request.comment.clone(),
            },
        )
        .await
    }

    /// Rejects the order for good: the same authority as releasing it (four eyes, the level
    /// the amount needs), so refusing a customer's order is no easier than approving it.
    pub async fn reject(
        &self,
        context: &RequestContext,
        request: &pb::RejectBlockedOrderRequest,
    ) -> Result<pb::CreditCase, ApiError> {
        let case = self
            .open_case(&context.caller.scope, &request.case_id)
            .await?;
        case.may_decide(&context.caller.subject, &context.caller.roles, "reject")?;
        self.resolve(
            context,
            "RejectBlockedOrder",
            request,
            &request.case_id,
            Resolution::Rejected {
                reason: request.reason.clone(),
            },
        )
        .await
    }

    /// Checks the order again: released when it fits now, still open otherwise.
    pub async fn recheck(
        &self,
        context: &RequestContext,
        request: &pb::RecheckBlockedOrderRequest,
    ) -> Result<pb::CreditCase, ApiError> {
        let case = self
            .open_case(&context.caller.scope, &request.case_id)
            .await?;
        let answer = self.check_again(&case, &request.request_id, None).await?;
        let resolution = if approved(&answer) {
            Resolution::Released {
                answer,
                on_recheck: true,
                comment: String::new(),
            }
        } else {
            Resolution::StillBlocked { answer }
        };
        self.resolve(
            context,
            "RecheckBlockedOrder",
            request,
            &request.case_id,
            resolution,
        )
        .await
    }

    async fn resolve(
        &self,
        context: &RequestContext,
        method: &'static str,
        request: &impl Message,
        case_id: &str,
        resolution: Resolution,
    ) -> Result<pb::CreditCase, ApiError> {
        let apps = &self.applications;
        let mut m = begin_mutation!(&apps.db, &*apps.clock, context, method, request);
        let mut case = load(&mut m.tx, case_id).await?;
        let by = context.caller.subject.clone();
        let (event_type, case_move) = match resolution {
            Resolution::Released {
                answer,
                on_recheck,
                comment,
            } => (
                "credit.applications.credit_case.released",
                CaseMove::Release {
                    check: case_check(&answer, &by),
                    reservation_id: answer
                        .reservation
                        .map(|r| r.reservation_id)
                        .unwrap_or_default(),
                    on_recheck,
                    comment,
                },
            ),
            Resolution::Rejected { reason } => (
                "credit.applications.credit_case.rejected",
                CaseMove::Reject { reason },
            ),
            Resolution::StillBlocked { answer } => (
                "credit.applications.credit_case.rechecked",
                CaseMove::StillBlocked {
                    check: case_check(&answer, &by),
                },
            ),
        };
        case.apply(case_move, &by, m.now)?;
        store::save_case(&mut m.tx, &case, m.now, false).await?;
        outbox::append(&mut m.tx, context, m.now, event(event_type, &case)).await?;
        let case = credit_case_to_wire(&case);
        mutation::finish(&apps.signals, m, &case).await?;
        Ok(case)
    }
}

/// How a case moves.
enum Resolution {
    /// Limits reserved the order.
    Released {
        answer: lpb::CheckCreditResponse,
        on_recheck: bool,
        comment: String,
    },
    /// Rejected by a person.
    Rejected { reason: String },
    /// A recheck that still does not fit.
    StillBlocked { answer: lpb::CheckCreditResponse },
}

/// The order amount (order currency) and the checked amount (account currency) of a stored
/// decision.
fn order_amounts(
    inputs_json: &str,
    answer: &lpb::CheckCreditResponse,
) -> Result<(credit_proto::types::Money, credit_proto::types::Money), ApiError> {
    #[derive(serde::Deserialize)]
    struct Inputs {
        order_amount: Decimal,
        order_currency: String,
    }
    let inputs: Inputs = serde_json::from_str(inputs_json)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored check inputs: {e}")))?;
    let order = credit_proto::types::Money {
        amount: inputs.order_amount.to_string(),
        currency_code: inputs.order_currency,
    };
    // In the currency's canonical form ("60000.00 EUR"), as every amount this service shows.
    let order = credit_platform::money::Money::from_proto(Some(&order), "order_amount")
        .map(|m| m.to_proto())
        .unwrap_or(order);
    // Without a rate there is no checked amount; the order amount stands in (the matrix then
    // reads it in the order currency).
    let checked = answer
        .checked_amount
        .clone()
        .unwrap_or_else(|| order.clone());
    Ok((order, checked))
}
