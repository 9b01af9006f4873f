//! The gRPC adapter: validate (every bad field named), call the use case, map errors.
mod access;
mod stress;

pub use access::access;

use crate::app::Scoring;
use crate::app::StressTesting;
use crate::convert;
use credit_platform::error::ApiError;
use credit_platform::handler::{
    Answer, accept_mutation, accept_mutation_with, accept_read, accept_read_with, answer,
};
use credit_platform::ids::{check_external_id, check_uuid};
use credit_platform::money::Money;
use credit_platform::mutation::with_retry;
use credit_platform::paging::{PageRequest, decode_page_token, encode_page_token, page_size};
use credit_platform::readiness::Readiness;
use credit_platform::scope::{self, DataScope};
use credit_proto::scoring as pb;
use credit_proto::scoring::scoring_service_server::ScoringService;
use stress::stress_request;
use tonic::{Request, Response, Status};

/// The scoring gRPC service.
#[derive(Clone)]
pub struct ScoringGrpc {
    scoring: Scoring,
    stress: StressTesting,
    readiness: Readiness,
}

impl ScoringGrpc {
    /// Adapters over `scoring`.
    pub fn new(scoring: Scoring, stress: StressTesting, readiness: Readiness) -> Self {
        Self {
            scoring,
            stress,
            readiness,
        }
    }
}

impl ScoringGrpc {
    /// NOT_FOUND for a customer outside the caller's data scope, as if it had no data here.
    async fn seen(&self, scope: &DataScope, customer_id: &str) -> Result<(), Status> {
        let hidden = || ApiError::NotFound {
            kind: "customer",
            id: customer_id.to_string(),
        };
        Ok(scope::must_see(self.scoring.db(), scope, customer_id, hidden).await?)
    }

    /// PERMISSION_DENIED (`OUT_OF_SCOPE`) for a change to a customer outside the scope.
    async fn changed(&self, scope: &DataScope, customer_id: &str) -> Result<(), Status> {
        Ok(scope::must_change(self.scoring.db(), scope, customer_id).await?)
    }
}

#[tonic::async_trait]
impl ScoringService for ScoringGrpc {
    async fn put_financial_statement(
        &self,
        request: Request<pb::PutFinancialStatementRequest>,
    ) -> Answer<pb::FinancialStatementAnalysis> {
        let (context, request, statement) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                convert::statement(request.statement.as_ref(), v)
            })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(
            with_retry(|| {
                self.scoring
                    .put_statement(&context, &request, statement.clone())
            })
            .await,
        )
    }

    async fn list_financial_statements(
        &self,
        request: Request<pb::ListFinancialStatementsRequest>,
    ) -> Answer<pb::ListFinancialStatementsResponse> {
        let (context, request, page) = accept_read_with(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        self.seen(&context.caller.scope, &request.customer_id)
            .await?;
        answer(
            self.scoring
                .list_statements(&request.customer_id, &page)
                .await,
        )
    }

    async fn put_references(
        &self,
        request: Request<pb::PutReferencesRequest>,
    ) -> Answer<pb::PutReferencesResponse> {
        let (context, request, references) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                Some(convert::references(&request.references, v))
            })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(
            with_retry(|| {
                self.scoring
                    .put_references(&context, &request, references.clone())
            })
            .await,
        )
    }

    async fn put_bureau_report(
        &self,
        request: Request<pb::PutBureauReportRequest>,
    ) -> Answer<pb::PutBureauReportResponse> {
        let (context, request, report) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                convert::bureau_report(request.report.as_ref(), v)
            })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(
            with_retry(|| {
                self.scoring
                    .put_bureau_report(&context, &request, report.clone())
            })
            .await,
        )
    }

    async fn put_payment_behaviour(
        &self,
        request: Request<pb::PutPaymentBehaviourRequest>,
    ) -> Answer<pb::PutPaymentBehaviourResponse> {
        let (context, request, behaviour) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                convert::payment_behaviour(request.payment_behaviour.as_ref(), v)
            })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(
            with_retry(|| {
                self.scoring
                    .put_payment_behaviour(&context, &request, behaviour.clone())
            })
            .await,
        )
    }

    async fn score_customer(
        &self,
        request: Request<pb::ScoreCustomerRequest>,
    ) -> Answer<pb::Score> {
        let (context, request, requested) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                let requested = request.requested_amount.as_ref().and_then(|m| {
                    v.check(Money::from_proto(Some(m), "requested_amount"))
                        .map(|m| (m.amount, m.currency.code().to_string()))
                });
                if requested
                    .as_ref()
                    .is_some_and(|(amount, _)| amount.is_sign_negative())
                {
                    v.add("requested_amount.amount", "must not be negative");
                }
                Some(requested)
            })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(
            with_retry(|| {
                self.scoring
                    .score_customer(&context, &request, requested.clone())
            })
            .await,
        )
    }

    async fn get_score(&self, request: Request<pb::GetScoreRequest>) -> Answer<pb::Score> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_uuid(&request.score_id, "score_id", v);
        })?;
        let score = self.scoring.get_score(&request.score_id).await?;
        let hidden = || ApiError::NotFound {
            kind: "score",
            id: request.score_id.clone(),
        };
        scope::must_see(
            self.scoring.db(),
            &context.caller.scope,
            &score.customer_id,
            hidden,
        )
        .await?;
        Ok(Response::new(score))
    }

    async fn list_scores(
        &self,
        request: Request<pb::ListScoresRequest>,
    ) -> Answer<pb::ListScoresResponse> {
        let (context, request, (limit, before)) =
            accept_read_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                let limit =
                    v.check(page_size(request.page_size).map_err(ApiError::into_violations));
                let before = v.check(
                    decode_page_token(&request.page_token).map_err(ApiError::into_violations),
                );
                Some((limit?, before?))
            })?;
        self.seen(&context.caller.scope, &request.customer_id)
            .await?;
        let before = (!before.is_empty()).then_some(before);
        let mut scores = self
            .scoring
            .list_scores(&request.customer_id, before.as_deref(), limit + 1)
            .await?;
        let more = scores.len() as i64 > limit;
        scores.truncate(limit as usize);
        let next_page_token = match (more, scores.last()) {
            (true, Some(last)) => encode_page_token(&last.score_id),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListScoresResponse {
            scores,
            next_page_token,
        }))
    }

    async fn upload_policy(&self, request: Request<pb::UploadPolicyRequest>) -> Answer<pb::Policy> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            if request.document_json.trim().is_empty() {
                v.add("document_json", "required");
            }
        })?;
        answer(with_retry(|| self.scoring.upload_policy(&context, &request)).await)
    }

    async fn approve_policy(
        &self,
        request: Request<pb::ApprovePolicyRequest>,
    ) -> Answer<pb::Policy> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            if request.version < 1 {
                v.add("version", "a version number, from 1");
            }
        })?;
        answer(with_retry(|| self.scoring.approve_policy(&context, &request)).await)
    }

    async fn get_policy(&self, request: Request<pb::GetPolicyRequest>) -> Answer<pb::Policy> {
        let (_, request) = accept_read(&self.readiness, request, |request, v| {
            if request.version < 0 {
                v.add("version", "must not be negative");
            }
        })?;
        answer(self.scoring.get_policy(request.version).await)
    }

    async fn list_policies(
        &self,
        request: Request<pb::ListPoliciesRequest>,
    ) -> Answer<pb::ListPoliciesResponse> {
        let (_, _, page) = accept_read_with(&self.readiness, request, |request, v| {
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        answer(self.scoring.list_policies(&page).await)
    }

    async fn notify_bureau_change(
        &self,
        request: Request<pb::NotifyBureauChangeRequest>,
    ) -> Answer<pb::NotifyBureauChangeResponse> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            credit_platform::ids::check_text(&request.provider, "provider", true, 64, v);
        })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(
            self.scoring
                .notify_bureau_change(&context, &request.customer_id)
                .await,
        )
    }

    type RescorePortfolioStream = std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<pb::RescorePortfolioResponse, Status>> + Send>,
    >;

    async fn rescore_portfolio(
        &self,
        request: Request<pb::RescorePortfolioRequest>,
    ) -> Answer<Self::RescorePortfolioStream> {
        let (context, _, every) =
            accept_read_with(
                &self.readiness,
                request,
                |request, v| match usize::try_from(request.progress_every) {
                    Ok(0) => Some(100),
                    Ok(every) => Some(every),
                    Err(_) => {
                        v.add("progress_every", "must not be negative");
                        None
                    }
                },
            )?;
        // Every customer is rescored: not for a token limited to part of the portfolio.
        context
            .caller
            .scope
            .must_be_whole("rescoring the portfolio")?;
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        let scoring = self.scoring.clone();
        tokio::spawn(async move { scoring.rescore_portfolio(&context, every, sender).await });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }

    async fn run_stress_scenario(
        &self,
        request: Request<pb::RunStressScenarioRequest>,
    ) -> Answer<pb::RunStressScenarioResponse> {
        let (context, _, scenario) = accept_read_with(&self.readiness, request, stress_request)?;
        answer(self.stress.run(scenario, &context.caller.scope).await)
    }

    async fn get_model(&self, request: Request<pb::GetModelRequest>) -> Answer<pb::Model> {
        accept_read(&self.readiness, request, |_, _| {})?;
        let card = self.scoring.model();
        let m = card.metrics;
        Ok(Response::new(pb::Model {
            version: card.version.clone(),
            trained_at: card.trained_at.clone(),
            characteristics: card
                .characteristics
                .iter()
                .map(|c| pb::ModelCharacteristic {
                    name: c.binned.name.clone(),
                    information_value: format!("{:.4}", c.binned.information_value),
                    bins: c.binned.bins.len() as i32,
                })
                .collect(),
            holdout_auc: format!("{:.4}", m.holdout.auc),
            holdout_gini: format!("{:.4}", m.holdout.gini),
            holdout_ks: format!("{:.4}", m.holdout.ks),
            training_rows: m.training_rows as i64,
            holdout_rows: m.holdout_rows as i64,
            bad_rate: format!("{:.4}", m.bad_rate),
        }))
    }
}
