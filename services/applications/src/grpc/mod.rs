//! The gRPC adapter: validate (every bad field named), call the use case, map errors.
mod access;
mod upload;
mod validate;

pub use access::access;

use crate::app::cases::CreditCases;
use crate::app::documents::Documents;
use crate::app::reviews::Reviews;
use crate::app::{Applications, ApproverAct};
use crate::domain::state::State;
use crate::store::Filter;
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, Violations};
use credit_platform::handler::{
    Answer, accept_mutation, accept_mutation_with, accept_read, accept_read_with, accept_stream,
    answer,
};
use credit_platform::ids::{check_external_id, check_text, check_uuid, enum_filter, required_enum};
use credit_platform::money::Money;
use credit_platform::mutation::with_retry;
use credit_platform::paging::{PageRequest, decode_page_token, encode_page_token, page_size};
use credit_platform::readiness::Readiness;
use credit_proto::Idempotent;
use credit_proto::applications as pb;
use credit_proto::applications::applications_service_server::ApplicationsService;
use credit_proto::applications::download_document_response::Part as DownloadPart;
use tonic::{Request, Response, Status, Streaming};
use validate::check_application;

/// Download chunk size.
const CHUNK: usize = 64 * 1024;

/// The applications gRPC service.
#[derive(Clone)]
pub struct ApplicationsGrpc {
    applications: Applications,
    documents: Documents,
    reviews: Reviews,
    cases: CreditCases,
    readiness: Readiness,
}

impl ApplicationsGrpc {
    /// Adapters over `applications`.
    pub fn new(
        applications: Applications,
        documents: Documents,
        reviews: Reviews,
        readiness: Readiness,
    ) -> Self {
        Self {
            cases: CreditCases::new(applications.clone()),
            applications,
            documents,
            reviews,
            readiness,
        }
    }

    /// A mutation's request, accepted (see [`accept_mutation`]).
    fn accept<T: Idempotent>(
        &self,
        request: Request<T>,
        check: impl FnOnce(&T, &mut Violations),
    ) -> Result<(RequestContext, T), Status> {
        accept_mutation(&self.readiness, request, check)
    }

    /// An approver's act, validated, on the application's current step.
    async fn decide(
        &self,
        context: RequestContext,
        request: &(impl prost::Message + Idempotent),
        method: &'static str,
        application_id: &str,
        act: ApproverAct,
    ) -> Answer<pb::Application> {
        let context = context.with_request_id(request.request_id());
        answer(
            with_retry(|| {
                self.applications
                    .act(&context, request, method, application_id, act.clone())
            })
            .await,
        )
    }
}

fn texts(list: &[String], field: &str, required: bool, v: &mut Violations) {
    if required && list.iter().all(|t| t.trim().is_empty()) {
        v.add(field, "at least one is required");
    }
    for (i, text) in list.iter().enumerate() {
        check_text(text, &format!("{field}[{i}]"), true, 500, v);
    }
}

fn override_fields(code: &str, comment: &str, v: &mut Violations) {
    check_text(code, "override_reason_code", false, 64, v);
    check_text(comment, "override_comment", false, 2000, v);
}

#[tonic::async_trait]
impl ApplicationsService for ApplicationsGrpc {
    async fn create_application(
        &self,
        request: Request<pb::CreateApplicationRequest>,
    ) -> Answer<pb::Application> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            match &request.application {
                Some(app) => {
                    check_application(app, false, v);
                    // Changes of an approved limit are asked with RequestLimitChange, which
                    // fills them in from the customer's approval and limits.
                    if !matches!(
                        app.kind(),
                        pb::ApplicationKind::Unspecified | pb::ApplicationKind::NewCredit
                    ) {
                        v.add(
                            "application.kind",
                            "must be NEW_CREDIT: limit changes are asked with RequestLimitChange",
                        );
                    }
                    if app.limit_change.is_some() {
                        v.add(
                            "application.limit_change",
                            "not given: RequestLimitChange sets it",
                        );
                    }
                }
                None => v.add("application", "required"),
            }
        })?;
        answer(with_retry(|| self.applications.create(&context, &request)).await)
    }

    async fn update_application(
        &self,
        request: Request<pb::UpdateApplicationRequest>,
    ) -> Answer<pb::Application> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            match &request.application {
                Some(app) => {
                    check_uuid(&app.application_id, "application.application_id", v);
                    check_application(app, false, v);
                }
                None => v.add("application", "required"),
            }
        })?;
        answer(with_retry(|| self.applications.update(&context, &request)).await)
    }

    async fn get_application(
        &self,
        request: Request<pb::GetApplicationRequest>,
    ) -> Answer<pb::Application> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_uuid(&request.application_id, "application_id", v);
        })?;
        answer(
            self.applications
                .get(&context.caller, &request.application_id)
                .await,
        )
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Answer<pb::ListApplicationsResponse> {
        let (context, request, (size, before, state)) =
            accept_read_with(&self.readiness, request, |request, v| {
                let size = v.check(page_size(request.page_size).map_err(ApiError::into_violations));
                let before = v.check(
                    decode_page_token(&request.page_token).map_err(ApiError::into_violations),
                );
                let state = State::from_name(enum_filter::<pb::ApplicationState>(
                    request.state,
                    "state",
                    v,
                ));
                if !request.customer_id.is_empty() {
                    check_external_id(&request.customer_id, "customer_id", v);
                }
                check_text(&request.awaiting_role, "awaiting_role", false, 64, v);
                Some((size?, before?, state))
            })?;
        let filter = Filter {
            state,
            customer_id: (!request.customer_id.is_empty()).then_some(request.customer_id),
            awaiting_role: (!request.awaiting_role.is_empty()).then_some(request.awaiting_role),
            scope: context.caller.scope,
        };
        let (applications, next) = self.applications.list(&filter, &before, size).await?;
        Ok(Response::new(pb::ListApplicationsResponse {
            applications,
            next_page_token: if next.is_empty() {
                next
            } else {
                encode_page_token(&next)
            },
        }))
    }

    async fn submit_application(
        &self,
        request: Request<pb::SubmitApplicationRequest>,
    ) -> Answer<pb::Application> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_uuid(&request.application_id, "application_id", v);
        })?;
        let complete = |app: &pb::Application| {
            let mut v = Violations::new();
            check_application(app, true, &mut v);
            v.into_result()
        };
        answer(with_retry(|| self.applications.submit(&context, &request, complete)).await)
    }

    async fn approve_application(
        &self,
        request: Request<pb::ApproveApplicationRequest>,
    ) -> Answer<pb::Application> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_uuid(&request.application_id, "application_id", v);
            if request.approved_limit.is_some()
                && let Some(m) = v.check(Money::from_proto(
                    request.approved_limit.as_ref(),
                    "approved_limit",
                ))
                && m.amount <= rust_decimal::Decimal::ZERO
            {
                v.add("approved_limit.amount", "must be positive");
            }
            if !(0..=180).contains(&request.payment_terms_days) {
                v.add("payment_terms_days", "must be 0 to 180 days");
            }
            texts(&request.conditions, "conditions", false, v);
            check_text(&request.comment, "comment", false, 2000, v);
            override_fields(&request.override_reason_code, &request.override_comment, v);
        })?;
        let act = ApproverAct::Approve {
            approved_limit: request.approved_limit.clone(),
            payment_terms_days: request.payment_terms_days,
            conditions: request.conditions.clone(),
            comment: request.comment.clone(),
            override_reason_code: request.override_reason_code.clone(),
            override_comment: request.override_comment.clone(),
        };
        self.decide(
            context,
            &request,
            "ApproveApplication",
            &request.application_id,
            act,
        )
        .await
    }

    async fn reject_application(
        &self,
        request: Request<pb::RejectApplicationRequest>,
    ) -> Answer<pb::Application> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_uuid(&request.application_id, "application_id", v);
            texts(&request.reasons, "reasons", true, v);
            check_text(&request.comment, "comment", false, 2000, v);
            override_fields(&request.override_reason_code, &request.override_comment, v);
        })?;
        let act = ApproverAct::Reject {
            reasons: request.reasons.clone(),
            comment: request.comment.clone(),
            override_reason_code: request.override_reason_code.clone(),
            override_comment: request.override_comment.clone(),
        };
        self.decide(
            context,
            &request,
            "RejectApplication",
            &request.application_id,
            act,
        )
        .await
    }

    async fn request_information(
        &self,
        request: Request<pb::RequestInformationRequest>,
    ) -> Answer<pb::Application> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_uuid(&request.application_id, "application_id", v);
            texts(&request.questions, "questions", true, v);
        })?;
        let act = ApproverAct::RequestInformation {
            questions: request.questions.clone(),
        };
        self.decide(
            context,
            &request,
            "RequestInformation",
            &request.application_id,
            act,
        )
        .await
    }

    async fn withdraw_application(
        &self,
        request: Request<pb::WithdrawApplicationRequest>,
    ) -> Answer<pb::Application> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_uuid(&request.application_id, "application_id", v);
            check_text(&request.reason, "reason", false, 500, v);
        })?;
        answer(with_retry(|| self.applications.withdraw(&context, &request)).await)
    }

    async fn upload_document(
        &self,
        request: Request<Streaming<pb::UploadDocumentRequest>>,
    ) -> Answer<pb::Document> {
        let context = accept_stream(&self.readiness, &request)?;
        let (metadata, content) =
            upload::read(request.into_inner(), self.documents.max_bytes).await?;
        let context = context.with_request_id(&metadata.request_id);
        answer(with_retry(|| self.documents.upload(&context, &metadata, content.clone())).await)
    }

    async fn list_documents(
        &self,
        request: Request<pb::ListDocumentsRequest>,
    ) -> Answer<pb::ListDocumentsResponse> {
        let (context, request, page) = accept_read_with(&self.readiness, request, |request, v| {
            check_uuid(&request.application_id, "application_id", v);
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        answer(
            self.documents
                .list(&context.caller.scope, &request.application_id, &page)
                .await,
        )
    }

    type DownloadDocumentStream = std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<pb::DownloadDocumentResponse, Status>> + Send>,
    >;

    async fn download_document(
        &self,
        request: Request<pb::DownloadDocumentRequest>,
    ) -> Answer<Self::DownloadDocumentStream> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_uuid(&request.document_id, "document_id", v);
        })?;
        let (document, content) = self
            .documents
            .download(&context.caller.scope, &request.document_id)
            .await?;
        let mut parts = vec![Ok(pb::DownloadDocumentResponse {
            part: Some(DownloadPart::Document(document)),
        })];
        parts.extend(content.chunks(CHUNK).map(|chunk| {
            Ok(pb::DownloadDocumentResponse {
                part: Some(DownloadPart::Chunk(chunk.to_vec())),
            })
        }));
        Ok(Response::new(Box::pin(futures::stream::iter(parts))))
    }

    async fn get_application_metrics(
        &self,
        request: Request<pb::GetApplicationMetricsRequest>,
    ) -> Answer<pb::ApplicationMetrics> {
        let context = accept_stream(&self.readiness, &request)?;
        let request = request.into_inner();
        let mut v = Violations::new();
        let time = |t: &Option<prost_types::Timestamp>, field: &str, v: &mut Violations| {
            t.as_ref().and_then(|t| {
                let micros = credit_platform::clock::from_timestamp(t);
                if micros.is_none() {
                    v.add(field, "not a valid timestamp");
                }
                micros
            })
        };
        let start = time(&request.start_time, "start_time", &mut v);
        let end = time(&request.end_time, "end_time", &mut v);
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            v.add("end_time", "must be after start_time");
        }
        check_text(&request.region, "region", false, 64, &mut v);
        check_text(&request.segment, "segment", false, 64, &mut v);
        v.into_result()?;
        let scope = crate::app::metrics::Scope {
            start,
            end,
            region: (!request.region.is_empty()).then_some(request.region),
            segment: (!request.segment.is_empty()).then_some(request.segment),
        };
        answer(
            self.applications
                .metrics(&scope, &context.caller.scope)
                .await,
        )
    }

    async fn list_review_cases(
        &self,
        request: Request<pb::ListReviewCasesRequest>,
    ) -> Answer<pb::ListReviewCasesResponse> {
        let (context, request, (state, page)) =
            accept_read_with(&self.readiness, request, |r, v| {
                validate::case_filter::<pb::ReviewCaseState>(
                    r.state,
                    &r.customer_id,
                    r.page_size,
                    &r.page_token,
                    v,
                )
            })?;
        answer(
            self.reviews
                .list(&context.caller.scope, state, &request.customer_id, &page)
                .await,
        )
    }

    async fn request_limit_change(
        &self,
        request: Request<pb::RequestLimitChangeRequest>,
    ) -> Answer<pb::Application> {
        let now = self.applications.now();
        let (context, request, change) =
            accept_mutation_with(&self.readiness, request, |request, v| {
                validate::limit_change(request, now, v)
            })?;
        let complete = |app: &pb::Application| {
            let mut v = Violations::new();
            check_application(app, true, &mut v);
            v.into_result()
        };
        answer(
            self.applications
                .request_limit_change(&context, &request, change, complete)
                .await,
        )
    }

    async fn refer_blocked_order(
        &self,
        request: Request<pb::ReferBlockedOrderRequest>,
    ) -> Answer<pb::CreditCase> {
        let (context, request) = self.accept(request, |r, v| {
            check_uuid(&r.decision_id, "decision_id", v);
        })?;
        answer(self.cases.refer(&context, &request).await)
    }

    async fn get_credit_case(
        &self,
        request: Request<pb::GetCreditCaseRequest>,
    ) -> Answer<pb::CreditCase> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_uuid(&request.case_id, "case_id", v);
        })?;
        answer(
            self.cases
                .get(&context.caller.scope, &request.case_id)
                .await,
        )
    }

    async fn list_credit_cases(
        &self,
        request: Request<pb::ListCreditCasesRequest>,
    ) -> Answer<pb::ListCreditCasesResponse> {
        let (context, request, state) = accept_read_with(&self.readiness, request, |r, v| {
            validate::case_filter::<pb::CreditCaseState>(
                r.state,
                &r.customer_id,
                r.page_size,
                &r.page_token,
                v,
            )
        })?;
        answer(
            self.cases
                .list(
                    &context.caller.scope,
                    state.0,
                    &request.customer_id,
                    &state.1,
                )
                .await,
        )
    }

    async fn release_blocked_order(
        &self,
        request: Request<pb::ReleaseBlockedOrderRequest>,
    ) -> Answer<pb::CreditCase> {
        let (context, request) = self.accept(request, |r, v| {
            check_uuid(&r.case_id, "case_id", v);
            check_text(&r.comment, "comment", true, 2000, v);
        })?;
        answer(self.cases.release(&context, &request).await)
    }

    async fn reject_blocked_order(
        &self,
        request: Request<pb::RejectBlockedOrderRequest>,
    ) -> Answer<pb::CreditCase> {
        let (context, request) = self.accept(request, |r, v| {
            check_uuid(&r.case_id, "case_id", v);
            check_text(&r.reason, "reason", true, 2000, v);
        })?;
        answer(with_retry(|| self.cases.reject(&context, &request)).await)
    }

    async fn recheck_blocked_order(
        &self,
        request: Request<pb::RecheckBlockedOrderRequest>,
    ) -> Answer<pb::CreditCase> {
        let (context, request) = self.accept(request, |r, v| {
            check_uuid(&r.case_id, "case_id", v);
        })?;
        answer(self.cases.recheck(&context, &request).await)
    }

    async fn close_review_case(
        &self,
        request: Request<pb::CloseReviewCaseRequest>,
    ) -> Answer<pb::ReviewCase> {
        let (context, request) = self.accept(request, |r, v| {
            check_uuid(&r.case_id, "case_id", v);
            required_enum::<pb::ReviewOutcome>(r.outcome, "outcome", v);
            check_text(&r.comment, "comment", true, 2000, v);
        })?;
        answer(with_retry(|| self.reviews.close(&context, &request)).await)
    }

    async fn get_decision_notice(
        &self,
        request: Request<pb::GetDecisionNoticeRequest>,
    ) -> Answer<pb::DecisionNotice> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_uuid(&request.application_id, "application_id", v);
            if !request.language.is_empty()
                && !validate::LANGUAGES.contains(&request.language.as_str())
            {
                v.add(
                    "language",
                    format!("must be one of {}", validate::LANGUAGES.join(", ")),
                );
            }
        })?;
        answer(
            self.applications
                .notice(
                    &context.caller.scope,
                    &request.application_id,
                    &request.language,
                )
                .await,
        )
    }

    async fn upload_decision_policy(
        &self,
        request: Request<pb::UploadDecisionPolicyRequest>,
    ) -> Answer<pb::DecisionPolicy> {
        let (context, request) = accept_mutation(&self.readiness, request, |_, _| {})?;
        answer(with_retry(|| self.applications.upload_policy(&context, &request)).await)
    }

    async fn approve_decision_policy(
        &self,
        request: Request<pb::ApproveDecisionPolicyRequest>,
    ) -> Answer<pb::DecisionPolicy> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            if request.version < 1 {
                v.add("version", "a version number, from 1");
            }
        })?;
        answer(with_retry(|| self.applications.approve_policy(&context, &request)).await)
    }

    async fn get_decision_policy(
        &self,
        request: Request<pb::GetDecisionPolicyRequest>,
    ) -> Answer<pb::DecisionPolicy> {
        let (_, request) = accept_read(&self.readiness, request, |request, v| {
            if request.version < 0 {
                v.add("version", "must not be negative");
            }
        })?;
        answer(self.applications.get_policy(request.version).await)
    }
}
