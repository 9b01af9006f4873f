//! The gRPC adapters: decode and validate, call the use case, map errors. No business rules.
pub mod access;
mod validate;
use validate::optional_text;

use crate::app::{self, CheckEngine, Limits, NewAccount, with_retry};
use crate::domain::exposure::Category;
use crate::domain::ids::{check_external_id, check_text, check_uuid};
use credit_platform::error::ApiError;
use credit_platform::handler::{
    Answer, accept_mutation, accept_mutation_with, accept_read, accept_read_with, answer,
};
use credit_platform::money::{Currency, parse_decimal};
use credit_platform::paging::PageRequest;
use credit_platform::readiness::Readiness;
use credit_proto::limits as pb;
use credit_proto::limits::diagnostics_service_server::DiagnosticsService;
use credit_proto::limits::limits_service_server::LimitsService;
use rust_decimal::Decimal;
use tonic::{Request, Response};

/// The limits gRPC service.
#[derive(Clone)]
pub struct LimitsGrpc {
    limits: Limits,
    readiness: Readiness,
    engine: CheckEngine,
}

impl LimitsGrpc {
    /// Adapters over `limits`, with credit checks decided by `engine`.
    pub fn new(limits: Limits, readiness: Readiness, engine: CheckEngine) -> Self {
        Self {
            limits,
            readiness,
            engine,
        }
    }

    /// A stored decision, NOT_FOUND (as if absent) when its customer is outside `scope`.
    async fn seen_decision(
        &self,
        scope: &credit_platform::scope::DataScope,
        decision_id: &str,
    ) -> Result<pb::CreditDecision, ApiError> {
        let found = self.limits.get_decision(decision_id).await;
        let hidden = || ApiError::NotFound {
            kind: "credit decision",
            id: decision_id.to_string(),
        };
        self.limits
            .seen(scope, found, |d| &d.customer_id, hidden)
            .await
    }
}

#[tonic::async_trait]
impl LimitsService for LimitsGrpc {
    async fn create_credit_account(
        &self,
        request: Request<pb::CreateCreditAccountRequest>,
    ) -> Answer<pb::CreditAccount> {
        let (context, request, new) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                let account = request.credit_account.clone().unwrap_or_default();
                if request.credit_account.is_none() {
                    v.add("credit_account", "required");
                }
                check_external_id(&account.customer_id, "credit_account.customer_id", v);
                check_text(&account.name, "credit_account.name", true, 200, v);
                let currency = v.check(Currency::parse_field(
                    &account.currency_code,
                    "credit_account.currency_code",
                ));
                check_text(&account.segment, "credit_account.segment", false, 64, v);
                check_text(&account.region, "credit_account.region", false, 64, v);
                check_text(
                    &account.business_unit,
                    "credit_account.business_unit",
                    false,
                    64,
                    v,
                );
                if !account.parent_customer_id.is_empty() {
                    check_external_id(
                        &account.parent_customer_id,
                        "credit_account.parent_customer_id",
                        v,
                    );
                    if account.parent_customer_id == account.customer_id {
                        v.add(
                            "credit_account.parent_customer_id",
                            "an account cannot be its own parent",
                        );
                    }
                }
                Some(NewAccount {
                    customer_id: account.customer_id.clone(),
                    name: account.name.trim().to_string(),
                    currency: currency?,
                    segment: account.segment.clone(),
                    region: account.region.clone(),
                    business_unit: account.business_unit.clone(),
                    parent_customer_id: optional_text(&account.parent_customer_id),
                })
            })?;
        answer(with_retry(|| self.limits.create_account(&context, &request, new.clone())).await)
    }

    async fn update_credit_account(
        &self,
        request: Request<pb::UpdateCreditAccountRequest>,
    ) -> Answer<pb::CreditAccount> {
        let (context, request, (customer_id, changes)) =
            accept_mutation_with(&self.readiness, request, validate::account_changes)?;
        answer(
            with_retry(|| {
                self.limits
                    .update_account(&context, &request, &customer_id, changes.clone())
            })
            .await,
        )
    }

    async fn get_credit_account(
        &self,
        request: Request<pb::GetCreditAccountRequest>,
    ) -> Answer<pb::CreditAccount> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
        })?;
        answer(
            self.limits
                .get_account(&context.caller.scope, &request.customer_id)
                .await,
        )
    }

    async fn list_credit_accounts(
        &self,
        request: Request<pb::ListCreditAccountsRequest>,
    ) -> Answer<pb::ListCreditAccountsResponse> {
        let (context, _, mut query) =
            accept_read_with(&self.readiness, request, validate::account_query)?;
        query.filter.scope = context.caller.scope;
        answer(self.limits.list_accounts(query).await)
    }

    async fn set_credit_limit(
        &self,
        request: Request<pb::SetCreditLimitRequest>,
    ) -> Answer<pb::CreditAccount> {
        let (context, request, (limit, currency)) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                check_text(&request.reason, "reason", true, 500, v);
                validate::approvals(&request.approved_by, &request.approval_reference, v);
                validate::credit_limit(request.credit_limit.as_ref(), v)
            })?;
        answer(
            with_retry(|| {
                self.limits.set_limit(
                    &context,
                    &request,
                    &request.customer_id,
                    limit.clone(),
                    currency.as_deref(),
                )
            })
            .await,
        )
    }

    async fn list_credit_limit_changes(
        &self,
        request: Request<pb::ListCreditLimitChangesRequest>,
    ) -> Answer<pb::ListCreditLimitChangesResponse> {
        let (context, request, page_size) =
            accept_read_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                v.check(app::page_size(request.page_size).map_err(ApiError::into_violations))
            })?;
        answer(
            self.limits
                .list_limit_changes(
                    &request.customer_id,
                    &context.caller.scope,
                    page_size,
                    &request.page_token,
                )
                .await,
        )
    }

    async fn set_exposure_counting(
        &self,
        request: Request<pb::SetExposureCountingRequest>,
    ) -> Answer<pb::ExposureCounting> {
        let (context, request, (scope_id, counting)) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                validate::counting(request.exposure_counting.as_ref(), v)
            })?;
        answer(
            with_retry(|| {
                self.limits
                    .set_counting(&context, &request, &scope_id, counting)
            })
            .await,
        )
    }

    async fn get_exposure(&self, request: Request<pb::GetExposureRequest>) -> Answer<pb::Exposure> {
        let (context, request, as_of) =
            accept_read_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                let as_of = validate::timestamp(request.as_of_time.as_ref(), "as_of_time", v);
                Some(as_of)
            })?;
        self.limits
            .must_see_account(&context.caller.scope, &request.customer_id)
            .await?;
        answer(self.limits.get_exposure(&request.customer_id, as_of).await)
    }

    async fn post_receivable(
        &self,
        request: Request<pb::PostReceivableRequest>,
    ) -> Answer<pb::ExposureDocument> {
        let (context, request, post) = accept_read_with(&self.readiness, request, |r, v| {
            validate::optional_request_id(&r.request_id, v);
            let due_at = validate::timestamp(r.due_time.as_ref(), "due_time", v);
            validate::document_post(
                (&r.customer_id, &r.document_id),
                Category::OpenReceivables,
                r.open_amount.as_ref(),
                due_at,
                v,
            )
        })?;
        let context = context.with_request_id(&request.request_id);
        answer(
            with_retry(|| {
                self.limits
                    .post_document(&context, "PostReceivable", &request, post.clone())
            })
            .await,
        )
    }

    async fn post_commitment(
        &self,
        request: Request<pb::PostCommitmentRequest>,
    ) -> Answer<pb::ExposureDocument> {
        let (context, request, post) = accept_read_with(&self.readiness, request, |r, v| {
            validate::optional_request_id(&r.request_id, v);
            validate::document_post(
                (&r.customer_id, &r.document_id),
                Category::OtherCommitments,
                r.open_amount.as_ref(),
                None,
                v,
            )
        })?;
        let context = context.with_request_id(&request.request_id);
        answer(
            with_retry(|| {
                self.limits
                    .post_document(&context, "PostCommitment", &request, post.clone())
            })
            .await,
        )
    }

    async fn check_credit(
        &self,
        request: Request<pb::CheckCreditRequest>,
    ) -> Answer<pb::CheckCreditResponse> {
        let (context, request, order) =
            accept_read_with(&self.readiness, request, validate::check_order)?;
        if order.release.is_some() && !access::may_release(&context.caller) {
            return Err(ApiError::PermissionDenied(
                "releasing an order beyond the available credit is done through a credit case \
                 in applications (ReleaseBlockedOrder), which checks the approver's authority"
                    .into(),
            )
            .into());
        }
        // A dry run stores nothing, so it is not keyed for replay.
        let context = if request.dry_run {
            context
        } else {
            context.with_request_id(&request.request_id)
        };
        answer(self.engine.check(context, request, order).await)
    }

    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> Answer<pb::Reservation> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_uuid(&request.reservation_id, "reservation_id", v);
        })?;
        let found = self.limits.get_reservation(&request.reservation_id).await;
        let hidden = || ApiError::NotFound {
            kind: "reservation",
            id: request.reservation_id.clone(),
        };
        answer(
            self.limits
                .seen(&context.caller.scope, found, |r| &r.customer_id, hidden)
                .await,
        )
    }

    async fn ship_reservation(
        &self,
        request: Request<pb::ShipReservationRequest>,
    ) -> Answer<pb::Reservation> {
        let (context, request, amount) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                check_uuid(&request.reservation_id, "reservation_id", v);
                validate::positive_money(request.amount.as_ref(), "amount", v)
            })?;
        answer(with_retry(|| self.limits.ship_reservation(&context, &request, amount)).await)
    }

    async fn invoice_reservation(
        &self,
        request: Request<pb::InvoiceReservationRequest>,
    ) -> Answer<pb::Reservation> {
        let (context, request, (amount, due_at)) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                check_uuid(&request.reservation_id, "reservation_id", v);
                check_external_id(&request.document_id, "document_id", v);
                let amount = validate::positive_money(request.amount.as_ref(), "amount", v);
                let due_at = validate::timestamp(request.due_time.as_ref(), "due_time", v);
                Some((amount?, due_at))
            })?;
        answer(
            with_retry(|| {
                self.limits
                    .invoice_reservation(&context, &request, amount, due_at)
            })
            .await,
        )
    }

    async fn release_reservation(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> Answer<pb::Reservation> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_uuid(&request.reservation_id, "reservation_id", v);
            check_text(&request.reason, "reason", false, 500, v);
        })?;
        answer(with_retry(|| self.limits.release_reservation(&context, &request)).await)
    }

    async fn get_credit_decision(
        &self,
        request: Request<pb::GetCreditDecisionRequest>,
    ) -> Answer<pb::CreditDecision> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_uuid(&request.decision_id, "decision_id", v);
        })?;
        answer(
            self.seen_decision(&context.caller.scope, &request.decision_id)
                .await,
        )
    }

    async fn replay_credit_decision(
        &self,
        request: Request<pb::ReplayCreditDecisionRequest>,
    ) -> Answer<pb::ReplayCreditDecisionResponse> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_uuid(&request.decision_id, "decision_id", v);
        })?;
        // Seen before replayed: a replay reads the stored inputs.
        self.seen_decision(&context.caller.scope, &request.decision_id)
            .await?;
        answer(self.limits.replay_decision(&request.decision_id).await)
    }

    async fn place_credit_hold(
        &self,
        request: Request<pb::PlaceCreditHoldRequest>,
    ) -> Answer<pb::CreditHold> {
        let (context, request, rule) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                check_text(&request.reason, "reason", true, 500, v);
                let rule = match pb::CreditHoldKind::try_from(request.kind) {
                    Ok(pb::CreditHoldKind::Unspecified | pb::CreditHoldKind::Manual) => {
                        if !request.rule_code.is_empty() {
                            v.add("rule_code", "only rule holds have a rule code");
                        }
                        false
                    }
                    Ok(pb::CreditHoldKind::Rule) => {
                        check_external_id(&request.rule_code, "rule_code", v);
                        true
                    }
                    Err(_) => {
                        v.add("kind", "unknown hold kind");
                        false
                    }
                };
                Some(rule)
            })?;
        answer(with_retry(|| self.limits.place_hold(&context, &request, rule)).await)
    }

    async fn release_credit_hold(
        &self,
        request: Request<pb::ReleaseCreditHoldRequest>,
    ) -> Answer<pb::CreditHold> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_uuid(&request.hold_id, "hold_id", v);
            check_text(&request.reason, "reason", true, 500, v);
        })?;
        answer(with_retry(|| self.limits.release_hold(&context, &request)).await)
    }

    async fn list_credit_holds(
        &self,
        request: Request<pb::ListCreditHoldsRequest>,
    ) -> Answer<pb::ListCreditHoldsResponse> {
        let (context, request, page) = accept_read_with(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        self.limits
            .must_see_account(&context.caller.scope, &request.customer_id)
            .await?;
        answer(
            self.limits
                .list_holds(&request.customer_id, request.include_released, &page)
                .await,
        )
    }

    async fn set_fx_rate(&self, request: Request<pb::SetFxRateRequest>) -> Answer<pb::FxRate> {
        let (context, request, (base, quote, value, effective_at)) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                let rate = request.fx_rate.clone().unwrap_or_default();
                if request.fx_rate.is_none() {
                    v.add("fx_rate", "required");
                }
                let base = v.check(Currency::parse_field(
                    &rate.base_currency_code,
                    "fx_rate.base_currency_code",
                ));
                let quote = v.check(Currency::parse_field(
                    &rate.quote_currency_code,
                    "fx_rate.quote_currency_code",
                ));
                if base.is_some() && base == quote {
                    v.add(
                        "fx_rate.quote_currency_code",
                        "must differ from the base currency",
                    );
                }
                let value = v.check(parse_decimal(&rate.rate, "fx_rate.rate"));
                if value.is_some_and(|r| r <= Decimal::ZERO) {
                    v.add("fx_rate.rate", "must be greater than zero");
                }
                let effective_at =
                    validate::timestamp(rate.effective_time.as_ref(), "fx_rate.effective_time", v);
                Some((base?, quote?, value?, effective_at))
            })?;
        answer(
            with_retry(|| {
                self.limits.set_fx_rate(
                    &context,
                    &request,
                    base.code(),
                    quote.code(),
                    value,
                    effective_at,
                )
            })
            .await,
        )
    }

    async fn list_fx_rates(
        &self,
        request: Request<pb::ListFxRatesRequest>,
    ) -> Answer<pb::ListFxRatesResponse> {
        let (_, request, page_size) = accept_read_with(&self.readiness, request, |request, v| {
            for (code, field) in [
                (&request.base_currency_code, "base_currency_code"),
                (&request.quote_currency_code, "quote_currency_code"),
            ] {
                if !code.is_empty() {
                    v.check(Currency::parse_field(code, field));
                }
            }
            v.check(app::page_size(request.page_size).map_err(ApiError::into_violations))
        })?;
        answer(
            self.limits
                .list_fx_rates(
                    optional_text(&request.base_currency_code).as_deref(),
                    optional_text(&request.quote_currency_code).as_deref(),
                    page_size,
                    &request.page_token,
                )
                .await,
        )
    }
}

/// The no-op RPC for transport benchmarks.
#[derive(Clone, Default)]
pub struct Diagnostics;

#[tonic::async_trait]
impl DiagnosticsService for Diagnostics {
    async fn ping(&self, _request: Request<pb::PingRequest>) -> Answer<pb::PingResponse> {
        Ok(Response::new(pb::PingResponse {}))
    }
}
