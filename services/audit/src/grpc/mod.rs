//! The gRPC adapter of the audit log: validate, call the log, map errors.
mod access;

pub use access::access;

use crate::app::AuditLog;
use crate::domain::checkpoint::TrustedKeys;
use crate::domain::export::ExportLine;
use crate::domain::merkle::Hash;
use crate::feeds::SourceBoard;
use crate::store::{Filter, Page, StoredCheckpoint, StoredEntry};
use credit_platform::clock::{from_timestamp, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, FieldViolation, Violations};
use credit_platform::handler::{Answer, accept_read_with};
use credit_platform::paging::{PageRequest, decode_page_token, encode_page_token, page_size};
use credit_platform::readiness::Readiness;
use credit_platform::scope::{self, DataScope};
use credit_proto::audit as pb;
use credit_proto::audit::audit_service_server::AuditService;
use futures::Stream;
use std::pin::Pin;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// The audit gRPC service.
#[derive(Clone)]
pub struct AuditGrpc {
    log: AuditLog,
    board: SourceBoard,
    configured: Vec<String>,
    trusted: Arc<TrustedKeys>,
    readiness: Readiness,
}

impl AuditGrpc {
    /// The adapter over `log`.
    pub fn new(
        log: AuditLog,
        board: SourceBoard,
        configured: Vec<String>,
        trusted: Arc<TrustedKeys>,
        readiness: Readiness,
    ) -> Self {
        Self {
            log,
            board,
            configured,
            trusted,
            readiness,
        }
    }

    fn checkpoint_to_proto(&self, stored: &StoredCheckpoint) -> pb::Checkpoint {
        let mut root = Vec::new();
        if let Ok(bytes) = hex::decode(&stored.root_hash) {
            root = bytes;
        }
        pb::Checkpoint {
            tree_size: stored.tree_size,
            root_hash: root,
            sign_time: Some(to_timestamp(stored.signed_at)),
            origin: self.log.signer().origin().to_string(),
            signed_note: stored.signed_note.clone(),
            verifier_key: self.log.signer().verifier_key().to_string(),
        }
    }

    async fn latest_checkpoint(&self) -> Result<StoredCheckpoint, ApiError> {
        self.log
            .stored_checkpoint(None)
            .await?
            .ok_or_else(|| ApiError::RuleViolation {
                reason: "NOT_YET_CHECKPOINTED",
                message:
                    "the log has no checkpoint yet; retry after the first entries are recorded"
                        .into(),
            })
    }

    /// The tree size a request names (0 = the newest checkpoint's), checked against the log.
    async fn tree_size(&self, field: &str, requested: i64) -> Result<usize, ApiError> {
        if requested < 0 {
            return Err(FieldViolation::new(field, "must not be negative").into());
        }
        if requested == 0 {
            return Ok(self.latest_checkpoint().await?.tree_size as usize);
        }
        let size = self.log.size().await;
        if requested as usize > size {
            return Err(FieldViolation::new(
                field,
                format!("larger than the log ({size} entries)"),
            )
            .into());
        }
        Ok(requested as usize)
    }
}

fn entry_to_proto(stored: &StoredEntry) -> pb::AuditEntry {
    let mut leaf: Hash = [0; 32];
    // The stored hex was written by the log; verification reports it if someone changed it.
    let _ = hex::decode_to_slice(&stored.leaf_hash, &mut leaf);
    stored.entry.to_proto(&leaf)
}

fn hashes(proof: Vec<Hash>) -> Vec<Vec<u8>> {
    proof.into_iter().map(|h| h.to_vec()).collect()
}

fn filter_from(filter: Option<pb::AuditEntryFilter>) -> Result<Filter, ApiError> {
    let filter = filter.unwrap_or_default();
    let mut violations = Violations::new();
    let set = |text: String| (!text.is_empty()).then_some(text);
    if !filter.entity_id.is_empty() && filter.entity_type.is_empty() {
        violations.add("filter.entity_type", "required with filter.entity_id");
    }
    let mut time = |field: &str, ts: Option<prost_types::Timestamp>| {
        ts.and_then(|ts| {
            let micros = from_timestamp(&ts);
            if micros.is_none() {
                violations.add(field, "not a valid timestamp");
            }
            micros
        })
    };
    let start = time("filter.start_time", filter.start_time);
    let end = time("filter.end_time", filter.end_time);
    if let (Some(start), Some(end)) = (start, end)
        && start >= end
    {
        violations.add("filter.end_time", "must be after filter.start_time");
    }
    violations.into_result()?;
    Ok(Filter {
        customer_id: set(filter.customer_id),
        entity_type: set(filter.entity_type),
        entity_id: set(filter.entity_id),
        actor_subject: set(filter.actor_subject),
        event_type: set(filter.event_type),
        source: set(filter.source),
        start,
        end,
        // The reader's, set by the handler.
        scope: DataScope::all(),
    })
}

fn descending(order_by: &str) -> Result<bool, ApiError> {
    match order_by.trim() {
        "" | "log_index" | "log_index asc" => Ok(false),
        "log_index desc" => Ok(true),
        _ => Err(FieldViolation::new(
            "order_by",
            "must be \"log_index\" (oldest first) or \"log_index desc\" (newest first)",
        )
        .into()),
    }
}

const EXPORT_PAGE: i64 = 1000;

#[tonic::async_trait]
impl AuditService for AuditGrpc {
    async fn get_checkpoint(
        &self,
        request: Request<pb::GetCheckpointRequest>,
    ) -> Answer<pb::GetCheckpointResponse> {
        self.readiness.ensure_ready()?;
        let size = request.into_inner().tree_size;
        if size < 0 {
            return Err(
                ApiError::from(FieldViolation::new("tree_size", "must not be negative")).into(),
            );
        }
        let stored = if size == 0 {
            self.latest_checkpoint().await?
        } else {
            self.log
                .stored_checkpoint(Some(size))
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::NotFound {
                    kind: "checkpoint of tree size",
                    id: size.to_string(),
                })?
        };
        Ok(Response::new(pb::GetCheckpointResponse {
            checkpoint: Some(self.checkpoint_to_proto(&stored)),
        }))
    }

    async fn get_inclusion_proof(
        &self,
        request: Request<pb::GetInclusionProofRequest>,
    ) -> Answer<pb::GetInclusionProofResponse> {
        self.readiness.ensure_ready()?;
        let request = request.into_inner();
        if request.log_index < 0 {
            return Err(
                ApiError::from(FieldViolation::new("log_index", "must not be negative")).into(),
            );
        }
        let size = self.tree_size("tree_size", request.tree_size).await?;
        let entry = self
            .log
            .entry(request.log_index)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::NotFound {
                kind: "audit entry",
                id: request.log_index.to_string(),
            })?;
        if request.log_index as usize >= size {
            return Err(ApiError::RuleViolation {
                reason: "NOT_YET_CHECKPOINTED",
                message: format!(
                    "entry {} is not in the tree of size {size}; ask again after the next checkpoint",
                    request.log_index
                ),
            }
            .into());
        }
        let proof = self
            .log
            .inclusion_proof(request.log_index as usize, size)
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e:?}")))?;
        let root = self
            .log
            .root_at(size)
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e:?}")))?;
        let checkpoint = self
            .log
            .stored_checkpoint(Some(size as i64))
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::GetInclusionProofResponse {
            entry: Some(entry_to_proto(&entry)),
            tree_size: size as i64,
            root_hash: root.to_vec(),
            hashes: hashes(proof),
            checkpoint: checkpoint.map(|c| self.checkpoint_to_proto(&c)),
        }))
    }

    async fn get_consistency_proof(
        &self,
        request: Request<pb::GetConsistencyProofRequest>,
    ) -> Answer<pb::GetConsistencyProofResponse> {
        self.readiness.ensure_ready()?;
        let request = request.into_inner();
        let second = self
            .tree_size("second_tree_size", request.second_tree_size)
            .await?;
        if request.first_tree_size < 1 || request.first_tree_size as usize > second {
            return Err(ApiError::from(FieldViolation::new(
                "first_tree_size",
                format!("must be between 1 and the second tree size ({second})"),
            ))
            .into());
        }
        let first = request.first_tree_size as usize;
        let internal = |e| ApiError::Internal(anyhow::anyhow!("{e:?}"));
        let proof = self
            .log
            .consistency_proof(first, second)
            .await
            .map_err(internal)?;
        let first_root = self.log.root_at(first).await.map_err(internal)?;
        let second_root = self.log.root_at(second).await.map_err(internal)?;
        Ok(Response::new(pb::GetConsistencyProofResponse {
            first_tree_size: first as i64,
            first_root_hash: first_root.to_vec(),
            second_tree_size: second as i64,
            second_root_hash: second_root.to_vec(),
            hashes: hashes(proof),
        }))
    }

    async fn get_audit_entry(
        &self,
        request: Request<pb::GetAuditEntryRequest>,
    ) -> Answer<pb::GetAuditEntryResponse> {
        self.readiness.ensure_ready()?;
        let scope = RequestContext::from_request(&request).caller.scope;
        let index = request.into_inner().log_index;
        if index < 0 {
            return Err(
                ApiError::from(FieldViolation::new("log_index", "must not be negative")).into(),
            );
        }
        let entry = self
            .log
            .entry(index)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::NotFound {
                kind: "audit entry",
                id: index.to_string(),
            })?;
        // An entry of a customer outside the reader's scope looks like no entry.
        if !entry.entry.customer_id.is_empty() {
            let hidden = || ApiError::NotFound {
                kind: "audit entry",
                id: index.to_string(),
            };
            scope::must_see(self.log.db(), &scope, &entry.entry.customer_id, hidden).await?;
        }
        Ok(Response::new(pb::GetAuditEntryResponse {
            entry: Some(entry_to_proto(&entry)),
        }))
    }

    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Answer<pb::ListAuditEntriesResponse> {
        let (context, _, (mut filter, descending, limit, cursor)) =
            accept_read_with(&self.readiness, request, |request, v| {
                let filter =
                    v.check(filter_from(request.filter.clone()).map_err(ApiError::into_violations));
                let descending =
                    v.check(descending(&request.order_by).map_err(ApiError::into_violations));
                let limit =
                    v.check(page_size(request.page_size).map_err(ApiError::into_violations));
                let cursor = v.check(
                    decode_page_token(&request.page_token)
                        .map_err(ApiError::into_violations)
                        .and_then(|position| {
                            if position.is_empty() {
                                return Ok(None);
                            }
                            position.parse::<i64>().map(Some).map_err(|_| {
                                vec![FieldViolation::new(
                                    "page_token",
                                    "not a token from a previous page",
                                )]
                            })
                        }),
                );
                Some((filter?, descending?, limit?, cursor?))
            })?;
        filter.scope = context.caller.scope;
        let mut entries = self
            .log
            .entries(
                &filter,
                Page {
                    descending,
                    cursor,
                    index_range: (0, i64::MAX),
                    limit: limit + 1,
                },
            )
            .await
            .map_err(ApiError::from)?;
        let more = entries.len() as i64 > limit;
        entries.truncate(limit as usize);
        let next_page_token = match (more, entries.last()) {
            (true, Some(last)) => encode_page_token(&last.entry.log_index.to_string()),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListAuditEntriesResponse {
            entries: entries.iter().map(entry_to_proto).collect(),
            next_page_token,
        }))
    }

    type ExportAuditEntriesStream = Pin<
        Box<dyn Stream<Item = Result<pb::ExportAuditEntriesResponse, Status>> + Send + 'static>,
    >;

    async fn export_audit_entries(
        &self,
        request: Request<pb::ExportAuditEntriesRequest>,
    ) -> Answer<Self::ExportAuditEntriesStream> {
        self.readiness.ensure_ready()?;
        let scope = RequestContext::from_request(&request).caller.scope;
        let request = request.into_inner();
        let mut filter = filter_from(request.filter)?;
        filter.scope = scope;
        let checkpoint = self.latest_checkpoint().await?;
        let mut violations = Violations::new();
        if request.start_index < 0 {
            violations.add("start_index", "must not be negative");
        }
        if request.end_index < 0 || request.end_index > checkpoint.tree_size {
            violations.add(
                "end_index",
                format!(
                    "must be between 0 (everything checkpointed) and the newest checkpoint's \
                     tree size ({})",
                    checkpoint.tree_size
                ),
            );
        }
        violations.into_result()?;
        let end = if request.end_index == 0 {
            checkpoint.tree_size
        } else {
            request.end_index
        };
        let head = ExportLine::Checkpoint {
            tree_size: checkpoint.tree_size,
            root_hash: checkpoint.root_hash.clone(),
            signed_note: checkpoint.signed_note.clone(),
            verifier_key: self.log.signer().verifier_key().to_string(),
        };
        let log = self.log.clone();
        let size = checkpoint.tree_size as usize;
        let start = request.start_index;
        let stream = async_stream::try_stream! {
            yield pb::ExportAuditEntriesResponse { line: head.to_line() };
            let mut cursor = None;
            loop {
                let page = log.entries(&filter,
                    Page { descending: false, cursor, index_range: (start, end), limit: EXPORT_PAGE },
                )
                .await
                .map_err(|e| Status::from(ApiError::from(e)))?;
                let Some(last) = page.last() else { break };
                cursor = Some(last.entry.log_index);
                let proofs = log
                    .inclusion_proofs(page.iter().map(|s| s.entry.log_index as usize), size)
                    .await
                    .map_err(|e| Status::from(ApiError::Internal(anyhow::anyhow!("{e:?}"))))?;
                for (stored, proof) in page.into_iter().zip(proofs) {
                    let line = ExportLine::Entry {
                        entry: Box::new(stored.entry),
                        leaf_hash: stored.leaf_hash,
                        inclusion_proof: proof.iter().map(hex::encode).collect(),
                    };
                    yield pb::ExportAuditEntriesResponse { line: line.to_line() };
                }
            }
        };
        Ok(Response::new(Box::pin(stream)))
    }

    async fn verify_audit_log(
        &self,
        _request: Request<pb::VerifyAuditLogRequest>,
    ) -> Answer<pb::VerifyAuditLogResponse> {
        self.readiness.ensure_ready()?;
        let report = self
            .log
            .verify(&self.trusted)
            .await
            .map_err(ApiError::Internal)?;
        Ok(Response::new(pb::VerifyAuditLogResponse {
            intact: report.intact,
            entries_checked: report.entries_checked,
            checkpoints_checked: report.checkpoints_checked,
            tree_size: report.tree_size,
            first_bad_index: report.first_bad_index,
            problem: report.problem,
        }))
    }

    async fn list_audit_sources(
        &self,
        request: Request<pb::ListAuditSourcesRequest>,
    ) -> Answer<pb::ListAuditSourcesResponse> {
        let (_, _, page) = accept_read_with(&self.readiness, request, |request, v| {
            PageRequest::parse(request.page_size, &request.page_token, v)
        })?;
        let positions = self.log.source_positions().await.map_err(ApiError::from)?;
        let board = self.board.snapshot();
        let mut names: Vec<String> = self.configured.clone();
        names.extend(positions.iter().map(|(name, _, _)| name.clone()));
        names.sort();
        names.dedup();
        // The list is assembled here, so the page starts after the last name of the one before.
        names.retain(|name| page.after.is_empty() || *name > page.after);
        names.truncate(usize::try_from(page.fetch()).unwrap_or(usize::MAX));
        let next_page_token = page.finish(&mut names, String::clone);
        let sources = names
            .into_iter()
            .map(|name| {
                let status = board.get(&name).cloned().unwrap_or_default();
                let position = positions.iter().find(|(n, _, _)| *n == name);
                pb::AuditSource {
                    last_sequence: position.map_or(0, |p| p.1),
                    last_occur_time: position.map(|p| to_timestamp(p.2)),
                    producer_last_sequence: status.producer_last_sequence,
                    lag_events: status.lag_events,
                    lag: Some(prost_types::Duration {
                        seconds: status.lag_micros / 1_000_000,
                        nanos: ((status.lag_micros % 1_000_000) * 1000) as i32,
                    }),
                    connected: status.connected,
                    source: name,
                }
            })
            .collect();
        Ok(Response::new(pb::ListAuditSourcesResponse {
            sources,
            next_page_token,
        }))
    }
}
