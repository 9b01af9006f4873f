//! The gRPC adapter: validate (every bad field named), call the use case, map errors.
mod access;
mod import;
mod validate;

pub use access::access;
use credit_platform::calendar;
use credit_platform::ids::{enum_filter, required_enum};
use validate::{group_of, kind_filter, period};

use crate::app::Ledger;
use crate::app::disputes::Disputes;
use crate::app::dunning::Dunning;
use crate::app::plans::Plans;
use crate::app::promises::Promises;
use crate::app::worklist::Desk;
use crate::app::write_offs::WriteOffs;
use crate::domain::aging::Buckets;
use credit_platform::error::ApiError;
use credit_platform::handler::{
    Answer, accept_mutation, accept_read, accept_read_with, accept_stream, answer,
};
use credit_platform::ids::{check_external_id, check_text};
use credit_platform::mutation::with_retry;
use credit_platform::paging::{PageRequest, decode_page_token, encode_page_token, page_size};
use credit_platform::readiness::Readiness;
use credit_platform::scope::{self, DataScope};
use credit_proto::collections as pb;
use credit_proto::collections::collections_service_server::CollectionsService;
use tonic::{Request, Response, Status, Streaming};

/// Most rows in one import.
pub const MAX_IMPORT_ROWS: usize = 1_000_000;

/// The collections gRPC service: the use cases behind it.
#[derive(Clone)]
pub struct CollectionsGrpc {
    /// The ledger.
    pub ledger: Ledger,
    pub dunning: Dunning,
    pub disputes: Disputes,
    /// Promises to pay.
    pub promises: Promises,
    /// Write-offs.
    pub write_offs: WriteOffs,
    /// Payment plans.
    pub plans: Plans,
    /// The collector's desk.
    pub desk: Desk,
    /// The statute of limitations.
    pub limitation: crate::app::limitation::Limitation,
    /// Whether the service answers.
    pub readiness: Readiness,
}

impl CollectionsGrpc {
    /// NOT_FOUND for a customer outside the caller's data scope, as if it did not exist.
    async fn seen(&self, scope: &DataScope, customer_id: &str) -> Result<(), Status> {
        let hidden = || ApiError::NotFound {
            kind: "customer",
            id: customer_id.to_string(),
        };
        Ok(scope::must_see(self.ledger.db(), scope, customer_id, hidden).await?)
    }

    /// PERMISSION_DENIED (`OUT_OF_SCOPE`) for a change to a customer outside the scope.
    async fn changed(&self, scope: &DataScope, customer_id: &str) -> Result<(), Status> {
        Ok(scope::must_change(self.ledger.db(), scope, customer_id).await?)
    }

    /// [`Self::seen`] when the request names a customer (a portfolio report filters instead).
    async fn seen_if_named(&self, scope: &DataScope, customer_id: &str) -> Result<(), Status> {
        if customer_id.is_empty() {
            return Ok(());
        }
        self.seen(scope, customer_id).await
    }

    /// A receivable document, when the caller's scope sees its customer.
    async fn seen_document(
        &self,
        scope: &DataScope,
        document_id: &str,
    ) -> Result<pb::ReceivableDocument, Status> {
        let document = self.ledger.document(document_id).await?;
        let hidden = || ApiError::NotFound {
            kind: "document",
            id: document_id.to_string(),
        };
        scope::must_see(self.ledger.db(), scope, &document.customer_id, hidden).await?;
        Ok(document)
    }
}

#[tonic::async_trait]
impl CollectionsService for CollectionsGrpc {
    async fn put_customer(&self, request: Request<pb::PutCustomerRequest>) -> Answer<pb::Customer> {
        let (context, request) = accept_mutation(&self.readiness, request, validate::customer)?;
        answer(with_retry(|| self.ledger.put_customer(&context, &request)).await)
    }

    async fn get_customer(&self, request: Request<pb::GetCustomerRequest>) -> Answer<pb::Customer> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
        })?;
        self.seen(&context.caller.scope, &request.customer_id)
            .await?;
        answer(self.ledger.customer(&request.customer_id).await)
    }

    async fn import_documents(
        &self,
        request: Request<Streaming<pb::ImportDocumentsRequest>>,
    ) -> Answer<pb::ImportReport> {
        let context = accept_stream(&self.readiness, &request)?;
        let (options, rows) = import::read(request.into_inner()).await?;
        // An import from a caller limited to a scope changes only its customers' documents.
        if !context.caller.scope.is_all() {
            let customers: std::collections::BTreeSet<&str> = rows
                .iter()
                .map(|r| r.document.customer_id.as_str())
                .collect();
            for customer in customers {
                self.changed(&context.caller.scope, customer).await?;
            }
        }
        answer(with_retry(|| self.ledger.import(&context, &options, rows.clone())).await)
    }

    async fn get_document(
        &self,
        request: Request<pb::GetDocumentRequest>,
    ) -> Answer<pb::ReceivableDocument> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_external_id(&request.document_id, "document_id", v);
        })?;
        Ok(Response::new(
            self.seen_document(&context.caller.scope, &request.document_id)
                .await?,
        ))
    }

    async fn list_documents(
        &self,
        request: Request<pb::ListDocumentsRequest>,
    ) -> Answer<pb::ListDocumentsResponse> {
        let (context, request, (kind, size, after)) =
            accept_read_with(&self.readiness, request, |request, v| {
                check_external_id(&request.customer_id, "customer_id", v);
                let kind = kind_filter(request.kind, v);
                let size = v.check(page_size(request.page_size).map_err(ApiError::into_violations));
                let after = v
                    .check(
                        decode_page_token(&request.page_token).map_err(ApiError::into_violations),
                    )
                    .filter(|t| !t.is_empty())
                    .and_then(|t| {
                        let (day, id) = t.split_once('|')?;
                        Some((day.parse::<i64>().ok()?, id.to_string()))
                    });
                Some((kind, size, after))
            })?;
        self.seen(&context.caller.scope, &request.customer_id)
            .await?;
        let size = size.unwrap_or(100);
        let documents = self
            .ledger
            .documents(&request.customer_id, kind, request.open_only, after, size)
            .await
            .map_err(Status::from)?;
        let next_page_token = match documents.last() {
            Some(last) if documents.len() as i64 == size => encode_page_token(&format!(
                "{}|{}",
                last.issue_date
                    .as_ref()
                    .and_then(calendar::day_of)
                    .unwrap_or_default(),
                last.document_id
            )),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListDocumentsResponse {
            documents,
            next_page_token,
        }))
    }

    async fn list_document_versions(
        &self,
        request: Request<pb::ListDocumentVersionsRequest>,
    ) -> Answer<pb::ListDocumentVersionsResponse> {
        let (context, request, page) = accept_read_with(&self.readiness, request, |request, v| {
            check_external_id(&request.document_id, "document_id", v);
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        self.seen_document(&context.caller.scope, &request.document_id)
            .await?;
        answer(self.ledger.versions(&request.document_id, &page).await)
    }

    async fn allocate_document(
        &self,
        request: Request<pb::AllocateDocumentRequest>,
    ) -> Answer<pb::ReceivableDocument> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_external_id(&request.document_id, "document_id", v);
            if request.allocations.is_empty() {
                v.add("allocations", "at least one");
            }
        })?;
        let document = self
            .seen_document(&context.caller.scope, &request.document_id)
            .await?;
        self.changed(&context.caller.scope, &document.customer_id)
            .await?;
        answer(with_retry(|| self.ledger.allocate(&context, &request)).await)
    }

    async fn get_aging(&self, request: Request<pb::GetAgingRequest>) -> Answer<pb::Aging> {
        let (context, request, (day, buckets, group_by)) =
            accept_read_with(&self.readiness, request, |request, v| {
                let day = calendar::optional_day_in("as_of_date", request.as_of_date.as_ref(), v)
                    .map(|day| day.unwrap_or_else(|| self.ledger.today()));
                let bounds: Vec<i64> = request.bucket_days.iter().map(|d| i64::from(*d)).collect();
                let buckets = Buckets::new(&bounds)
                    .map_err(|e| v.add("bucket_days", e))
                    .ok();
                let group_by = group_of(request.group_by, v);
                if !request.customer_id.is_empty() {
                    check_external_id(&request.customer_id, "customer_id", v);
                }
                Some((day?, buckets?, group_by))
            })?;
        let scope = &context.caller.scope;
        self.seen_if_named(scope, &request.customer_id).await?;
        answer(
            self.ledger
                .aging(day, buckets, group_by, &request.customer_id, scope)
                .await,
        )
    }

    async fn get_collection_metrics(
        &self,
        request: Request<pb::GetCollectionMetricsRequest>,
    ) -> Answer<pb::CollectionMetrics> {
        let (context, request, (start, end, group_by)) =
            accept_read_with(&self.readiness, request, |request, v| {
                let period = period(
                    request.start_date.as_ref(),
                    request.end_date.as_ref(),
                    self.ledger.today(),
                    v,
                );
                let group_by = group_of(request.group_by, v);
                if !request.customer_id.is_empty() {
                    check_external_id(&request.customer_id, "customer_id", v);
                }
                let (start, end) = period?;
                Some((start, end, group_by))
            })?;
        let scope = &context.caller.scope;
        self.seen_if_named(scope, &request.customer_id).await?;
        answer(
            self.ledger
                .metrics(start, end, group_by, &request.customer_id, scope)
                .await,
        )
    }

    async fn run_dunning(&self, request: Request<pb::RunDunningRequest>) -> Answer<pb::DunningRun> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            if !request.customer_id.is_empty() {
                check_external_id(&request.customer_id, "customer_id", v);
            }
        })?;
        let scope = &context.caller.scope;
        if !request.customer_id.is_empty() {
            self.changed(scope, &request.customer_id).await?;
        }
        answer(self.dunning.run(scope, &request.customer_id).await)
    }

    async fn get_dunning_preview(
        &self,
        request: Request<pb::GetDunningPreviewRequest>,
    ) -> Answer<pb::DunningPreview> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
        })?;
        self.seen(&context.caller.scope, &request.customer_id)
            .await?;
        answer(self.dunning.preview(&request.customer_id).await)
    }

    async fn list_messages(
        &self,
        request: Request<pb::ListMessagesRequest>,
    ) -> Answer<pb::ListMessagesResponse> {
        let (context, request, page) = accept_read_with(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        self.seen(&context.caller.scope, &request.customer_id)
            .await?;
        answer(self.dunning.messages(&request.customer_id, &page).await)
    }

    async fn upload_dunning_policy(
        &self,
        request: Request<pb::UploadDunningPolicyRequest>,
    ) -> Answer<pb::DunningPolicy> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_text(&request.document_json, "document_json", true, 256 * 1024, v);
        })?;
        answer(with_retry(|| self.dunning.upload_policy(&context, &request)).await)
    }

    async fn approve_dunning_policy(
        &self,
        request: Request<pb::ApproveDunningPolicyRequest>,
    ) -> Answer<pb::DunningPolicy> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            if request.version < 1 {
                v.add("version", "a version number, from 1");
            }
        })?;
        answer(with_retry(|| self.dunning.approve_policy(&context, &request)).await)
    }

    async fn get_dunning_policy(
        &self,
        request: Request<pb::GetDunningPolicyRequest>,
    ) -> Answer<pb::DunningPolicy> {
        let (_, request) = accept_read(&self.readiness, request, |request, v| {
            if request.version < 0 {
                v.add("version", "0 (the active one) or a version");
            }
        })?;
        answer(self.dunning.get_policy(request.version).await)
    }

    async fn open_dispute(&self, request: Request<pb::OpenDisputeRequest>) -> Answer<pb::Dispute> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_external_id(&request.invoice_id, "invoice_id", v);
            if request.amount.is_none() {
                v.add("amount", "required");
            }
            match pb::DisputeReason::try_from(request.reason) {
                Ok(pb::DisputeReason::Unspecified) | Err(_) => v.add(
                    "reason",
                    "PRICE, QUANTITY, DAMAGED, NOT_RECEIVED, DUPLICATE or OTHER",
                ),
                Ok(_) => {}
            }
            check_text(&request.line, "line", false, 200, v);
            check_text(&request.owner, "owner", false, 200, v);
            check_text(&request.comment, "comment", true, 2000, v);
        })?;
        answer(with_retry(|| self.disputes.open(&context, &request)).await)
    }

    async fn comment_dispute(
        &self,
        request: Request<pb::CommentDisputeRequest>,
    ) -> Answer<pb::Dispute> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            credit_platform::ids::check_uuid(&request.dispute_id, "dispute_id", v);
            check_text(&request.text, "text", true, 2000, v);
        })?;
        answer(with_retry(|| self.disputes.comment(&context, &request)).await)
    }

    async fn resolve_dispute(
        &self,
        request: Request<pb::ResolveDisputeRequest>,
    ) -> Answer<pb::Dispute> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            credit_platform::ids::check_uuid(&request.dispute_id, "dispute_id", v);
            if required_enum::<pb::DisputeResolution>(request.resolution, "resolution", v)
                == Some("CREDIT_NOTE")
            {
                check_external_id(&request.credit_note_id, "credit_note_id", v);
            }
            check_text(&request.comment, "comment", true, 2000, v);
        })?;
        answer(with_retry(|| self.disputes.resolve(&context, &request)).await)
    }

    async fn list_disputes(
        &self,
        request: Request<pb::ListDisputesRequest>,
    ) -> Answer<pb::ListDisputesResponse> {
        let (context, request, state) =
            accept_read_with(&self.readiness, request, |request, v| {
                if !request.customer_id.is_empty() {
                    check_external_id(&request.customer_id, "customer_id", v);
                }
                let state = enum_filter::<pb::DisputeState>(request.state, "state", v);
                Some((
                    state,
                    PageRequest::parse(request.page_size, &request.page_token, v)?,
                ))
            })?;
        answer(
            self.disputes
                .list(
                    &context.caller.scope,
                    &request.customer_id,
                    state.0,
                    &state.1,
                )
                .await,
        )
    }

    async fn record_promise(
        &self,
        request: Request<pb::RecordPromiseRequest>,
    ) -> Answer<pb::Promise> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            if request.amount.is_none() {
                v.add("amount", "required");
            }
            calendar::day_in("promised_date", request.promised_date.as_ref(), v);
            check_text(&request.note, "note", false, 2000, v);
        })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(with_retry(|| self.promises.record(&context, &request)).await)
    }

    async fn list_promises(
        &self,
        request: Request<pb::ListPromisesRequest>,
    ) -> Answer<pb::ListPromisesResponse> {
        let (context, request, page) = accept_read_with(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        self.seen(&context.caller.scope, &request.customer_id)
            .await?;
        answer(self.promises.list(&request.customer_id, &page).await)
    }

    async fn request_write_off(
        &self,
        request: Request<pb::RequestWriteOffRequest>,
    ) -> Answer<pb::WriteOff> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_external_id(&request.invoice_id, "invoice_id", v);
            if request.amount.is_none() {
                v.add("amount", "required");
            }
            check_text(&request.reason, "reason", true, 2000, v);
            if !request.dispute_id.is_empty() {
                credit_platform::ids::check_uuid(&request.dispute_id, "dispute_id", v);
            }
        })?;
        answer(with_retry(|| self.write_offs.request(&context, &request)).await)
    }

    async fn decide_write_off(
        &self,
        request: Request<pb::DecideWriteOffRequest>,
    ) -> Answer<pb::WriteOff> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            credit_platform::ids::check_uuid(&request.write_off_id, "write_off_id", v);
            check_text(&request.comment, "comment", true, 2000, v);
        })?;
        answer(with_retry(|| self.write_offs.decide(&context, &request)).await)
    }

    async fn record_recovery(
        &self,
        request: Request<pb::RecordRecoveryRequest>,
    ) -> Answer<pb::WriteOff> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            credit_platform::ids::check_uuid(&request.write_off_id, "write_off_id", v);
            if request.amount.is_none() {
                v.add("amount", "required");
            }
            check_text(&request.reference, "reference", false, 200, v);
        })?;
        answer(with_retry(|| self.write_offs.recover(&context, &request)).await)
    }

    async fn list_write_offs(
        &self,
        request: Request<pb::ListWriteOffsRequest>,
    ) -> Answer<pb::ListWriteOffsResponse> {
        let (context, request, state) =
            accept_read_with(&self.readiness, request, |request, v| {
                if !request.customer_id.is_empty() {
                    check_external_id(&request.customer_id, "customer_id", v);
                }
                let state = enum_filter::<pb::WriteOffState>(request.state, "state", v);
                Some((
                    state,
                    PageRequest::parse(request.page_size, &request.page_token, v)?,
                ))
            })?;
        answer(
            self.write_offs
                .list(
                    &context.caller.scope,
                    &request.customer_id,
                    state.0,
                    &state.1,
                )
                .await,
        )
    }

    async fn create_payment_plan(
        &self,
        request: Request<pb::CreatePaymentPlanRequest>,
    ) -> Answer<pb::PaymentPlan> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            if request.invoice_ids.is_empty() || request.invoice_ids.len() > 1000 {
                v.add("invoice_ids", "from 1 to 1000 invoices");
            }
            let mut seen = std::collections::BTreeSet::new();
            for (i, id) in request.invoice_ids.iter().enumerate() {
                check_external_id(id, &format!("invoice_ids[{i}]"), v);
                if !seen.insert(id) {
                    v.add(format!("invoice_ids[{i}]"), "listed twice");
                }
            }
            if !(0..=30).contains(&request.grace_days) {
                v.add("grace_days", "from 0 to 30");
            }
            check_text(&request.note, "note", false, 2000, v);
        })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(with_retry(|| self.plans.create(&context, &request)).await)
    }

    async fn list_payment_plans(
        &self,
        request: Request<pb::ListPaymentPlansRequest>,
    ) -> Answer<pb::ListPaymentPlansResponse> {
        let (context, request, page) = accept_read_with(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        self.seen(&context.caller.scope, &request.customer_id)
            .await?;
        answer(self.plans.list(&request.customer_id, &page).await)
    }

    async fn get_worklist(&self, request: Request<pb::GetWorklistRequest>) -> Answer<pb::Worklist> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            check_text(&request.collector, "collector", false, 200, v);
            check_text(&request.segment, "segment", false, 64, v);
            if !(0..=1000).contains(&request.limit) {
                v.add("limit", "from 1 to 1000 (0: 100)");
            }
        })?;
        let limit = match request.limit {
            0 => 100,
            n => usize::try_from(n).unwrap_or(100),
        };
        answer(
            self.desk
                .worklist(
                    request.collector.trim(),
                    request.segment.trim(),
                    limit,
                    &context.caller.scope,
                )
                .await,
        )
    }

    async fn assign_collector(
        &self,
        request: Request<pb::AssignCollectorRequest>,
    ) -> Answer<pb::AssignCollectorResponse> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_text(&request.collector, "collector", false, 200, v);
            if request.customer_ids.is_empty() && request.segments.is_empty() {
                v.add("customer_ids", "name customers or segments to assign");
            }
            for (i, id) in request.customer_ids.iter().enumerate() {
                check_external_id(id, &format!("customer_ids[{i}]"), v);
            }
            for (i, segment) in request.segments.iter().enumerate() {
                check_text(segment, &format!("segments[{i}]"), true, 64, v);
            }
        })?;
        let scope = &context.caller.scope;
        if !request.segments.is_empty() {
            // A segment spans regions and business units.
            scope.must_be_whole("assigning a segment")?;
        }
        for customer in &request.customer_ids {
            self.changed(scope, customer).await?;
        }
        answer(with_retry(|| self.desk.assign(&context, &request)).await)
    }

    async fn log_activity(&self, request: Request<pb::LogActivityRequest>) -> Answer<pb::Activity> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            required_enum::<pb::ActivityKind>(request.kind, "kind", v);
            required_enum::<pb::ActivityOutcome>(request.outcome, "outcome", v);
            check_text(&request.note, "note", true, 4000, v);
        })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(with_retry(|| self.desk.log(&context, &request)).await)
    }

    async fn list_activities(
        &self,
        request: Request<pb::ListActivitiesRequest>,
    ) -> Answer<pb::ListActivitiesResponse> {
        let (context, request, page) = accept_read_with(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        self.seen(&context.caller.scope, &request.customer_id)
            .await?;
        answer(self.desk.activities(&request.customer_id, &page).await)
    }

    async fn list_limitations(
        &self,
        request: Request<pb::ListLimitationsRequest>,
    ) -> Answer<pb::ListLimitationsResponse> {
        let (context, request, page) = accept_read_with(&self.readiness, request, |request, v| {
            if !request.customer_id.is_empty() {
                check_external_id(&request.customer_id, "customer_id", v);
            }
            if !(0..=36_500).contains(&request.within_days) {
                v.add("within_days", "from 0 (every one) to 36500");
            }
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        let scope = &context.caller.scope;
        self.seen_if_named(scope, &request.customer_id).await?;
        answer(
            self.limitation
                .list(
                    scope,
                    &request.customer_id,
                    i64::from(request.within_days),
                    &page,
                )
                .await,
        )
    }

    async fn record_limitation_act(
        &self,
        request: Request<pb::RecordLimitationActRequest>,
    ) -> Answer<pb::RecordLimitationActResponse> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            check_external_id(&request.customer_id, "customer_id", v);
            for (i, id) in request.invoice_ids.iter().enumerate() {
                check_external_id(id, &format!("invoice_ids[{i}]"), v);
            }
            check_text(&request.note, "note", true, 2000, v);
        })?;
        self.changed(&context.caller.scope, &request.customer_id)
            .await?;
        answer(with_retry(|| self.limitation.record(&context, &request)).await)
    }

    async fn get_dispute_metrics(
        &self,
        request: Request<pb::GetDisputeMetricsRequest>,
    ) -> Answer<pb::DisputeMetrics> {
        let (context, _, ((start, end), group_by)) =
            accept_read_with(&self.readiness, request, |request, v| {
                let period = period(
                    request.start_date.as_ref(),
                    request.end_date.as_ref(),
                    self.ledger.today(),
                    v,
                );
                let group_by = group_of(request.group_by, v);
                Some((period?, group_by))
            })?;
        answer(
            self.disputes
                .metrics(start, end, group_by, &context.caller.scope)
                .await,
        )
    }

    async fn attach_dispute_document(
        &self,
        request: Request<pb::AttachDisputeDocumentRequest>,
    ) -> Answer<pb::Dispute> {
        let (context, request) = accept_mutation(&self.readiness, request, |request, v| {
            credit_platform::ids::check_uuid(&request.dispute_id, "dispute_id", v);
            check_text(&request.file_name, "file_name", true, 255, v);
        })?;
        answer(with_retry(|| self.disputes.attach(&context, &request)).await)
    }

    async fn get_dispute_document(
        &self,
        request: Request<pb::GetDisputeDocumentRequest>,
    ) -> Answer<pb::DisputeDocumentContent> {
        let (context, request) = accept_read(&self.readiness, request, |request, v| {
            credit_platform::ids::check_uuid(&request.dispute_id, "dispute_id", v);
            if request.sha256.len() != 64 || !request.sha256.chars().all(|c| c.is_ascii_hexdigit())
            {
                v.add("sha256", "64 hex digits");
            }
        })?;
        answer(
            self.disputes
                .document(
                    &context.caller.scope,
                    &request.dispute_id,
                    &request.sha256.to_lowercase(),
                )
                .await,
        )
    }
}
