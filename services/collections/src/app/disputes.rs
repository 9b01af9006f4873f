//! Disputes on invoices: opened with a reason and an amount (at most what is open and not
//! disputed yet), commented, resolved by a credit note the ERP booked on the invoice or
//! rejected. While open, the disputed amount is left out of dunning.
use crate::convert;
use crate::convert::money;
use crate::domain::disputes::{Attachment, Dispute, DisputeReason, DisputeState, Resolution};
use crate::domain::ledger::{Kind, from_minor, positive_amount_in};
use crate::domain::write_offs::WriteOff;
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::calendar;
use credit_platform::clock::{Micros, SharedClock, day_of};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::documents::{DocumentStore, accepted_type, content_matches};
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::Currency;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_platform::scope::{self, DataScope};
use credit_proto::collections as pb;
use credit_proto::wire;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use std::sync::Arc;

fn not_found(dispute_id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "dispute",
        id: dispute_id.to_string(),
    }
}

async fn load(conn: &mut AnyConnection, dispute_id: &str) -> Result<Dispute, ApiError> {
    store::dispute(conn, dispute_id)
        .await?
        .ok_or_else(|| not_found(dispute_id))
}

/// What every dispute event says about it.
fn summary(d: &Dispute) -> Option<pb::DisputeSummary> {
    Some(pb::DisputeSummary {
        dispute_id: d.dispute_id.clone(),
        invoice_id: d.invoice_id.clone(),
        reason: wire::<pb::DisputeReason>(d.reason.name()),
        amount: Some(convert::money(d.amount, &d.currency)),
        state: wire::<pb::DisputeState>(d.state.name()),
        owner: d.owner.clone(),
    })
}

fn event(event_type: &'static str, d: &Dispute, payload: Payload) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: "dispute",
        entity_id: d.dispute_id.clone(),
        customer_id: d.customer_id.clone(),
        payload,
    }
}

/// Resolves a dispute (the resolver's comment, the time) and says so on the feed (with the
/// resolution time the metrics count).
async fn close(
    tx: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    dispute: &mut Dispute,
    resolution: Resolution,
    comment: &str,
) -> Result<(), ApiError> {
    let name = resolution.name();
    dispute.resolve(resolution, &context.caller.subject, now, comment)?;
    store::save_dispute(tx, dispute).await?;
    let opened = dispute.opened_at;
    outbox::append(
        tx,
        context,
        now,
        event(
            "credit.collections.dispute.resolved",
            dispute,
            Payload::of(&pb::DisputeResolved {
                dispute: summary(dispute),
                resolution: wire::<pb::DisputeResolution>(name),
                credit_note_id: dispute.credit_note_id.clone(),
                write_off_id: dispute.write_off_id.clone(),
                resolution_hours: (now - opened) / 3_600_000_000,
            }),
        ),
    )
    .await?;
    crate::app::behaviour::review(tx, context, now, &dispute.customer_id).await?;
    Ok(())
}

/// Resolves an open dispute by an approved write-off (in the approval's transaction).
pub async fn settle_by_write_off(
    tx: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    dispute_id: &str,
    write_off: &WriteOff,
) -> Result<(), ApiError> {
    let mut dispute = load(tx, dispute_id).await?;
    let comment = format!(
        "written off ({}): {}",
        write_off.write_off_id, write_off.decision_comment
    );
    let resolution = Resolution::WriteOff(write_off.write_off_id.clone());
    close(tx, context, now, &mut dispute, resolution, &comment).await
}

/// The dispute use cases.
#[derive(Clone)]
pub struct Disputes {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
    sla_days: i64,
    store: Arc<dyn DocumentStore>,
    max_document_bytes: usize,
}

impl Disputes {
    /// Disputes over `db`, due `sla_days` after opening, their documents in `store`.
    pub fn new(
        db: Db,
        clock: SharedClock,
        signals: FeedSignals,
        sla_days: i64,
        store: Arc<dyn DocumentStore>,
        max_document_bytes: usize,
    ) -> Self {
        Self {
            db,
            clock,
            signals,
            sla_days,
            store,
            max_document_bytes,
        }
    }

    /// Opens a dispute.
    pub async fn open(
        &self,
        context: &RequestContext,
        request: &pb::OpenDisputeRequest,
    ) -> Result<pb::Dispute, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "OpenDispute", request);
        let invoice = store::document(&mut m.tx, &request.invoice_id)
            .await?
            .filter(|d| d.kind == Kind::Invoice)
            .ok_or_else(|| ApiError::NotFound {
                kind: "invoice",
                id: request.invoice_id.clone(),
            })?;
        scope::may_change(&mut m.tx, &context.caller.scope, &invoice.customer_id).await?;
        let money = request.amount.clone().unwrap_or_default();
        let currency = Currency::from_code(&invoice.currency)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored currency invalid")))?;
        let amount = positive_amount_in(
            &money.amount,
            &money.currency_code,
            &currency,
            "amount",
            "the invoice's currency",
        )
        .map_err(FieldViolation::from)?;
        let available =
            invoice.open_amount - store::disputed(&mut m.tx, &invoice.document_id).await?;
        let digits = currency.minor_unit_digits();
        if amount > available {
            return Err(FieldViolation::new(
                "amount.amount",
                format!(
                    "at most what is open and not disputed yet on {} ({})",
                    invoice.document_id,
                    from_minor(available.max(0), digits)
                ),
            )
            .into());
        }
        let reason = convert::dispute_reason(request.reason)
            .ok_or_else(|| ApiError::from(FieldViolation::new("reason", "must be set")))?;
        let mut dispute = Dispute {
            dispute_id: uuid::Uuid::now_v7().to_string(),
            customer_id: invoice.customer_id.clone(),
            invoice_id: invoice.document_id.clone(),
            line: request.line.trim().to_string(),
            reason,
            currency: invoice.currency.clone(),
            amount,
            owner: if request.owner.trim().is_empty() {
                context.caller.subject.clone()
            } else {
                request.owner.trim().to_string()
            },
            state: DisputeState::Open,
            due_day: day_of(m.now) + self.sla_days,
            comments: vec![],
            attachments: vec![],
            opened_by: context.caller.subject.clone(),
            opened_at: m.now,
            resolved_by: String::new(),
            resolved_at: None,
            credit_note_id: String::new(),
            write_off_id: String::new(),
        };
        dispute.comment(&context.caller.subject, request.comment.trim(), m.now);
        store::insert_dispute(&mut m.tx, &dispute).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.collections.dispute.opened",
                &dispute,
                Payload::of(&pb::DisputeOpened {
                    dispute: summary(&dispute),
                    due_date: Some(calendar::date(dispute.due_day)),
                    comment: request.comment.trim().to_string(),
                }),
            ),
        )
        .await?;
        crate::app::behaviour::review(&mut m.tx, context, m.now, &dispute.customer_id).await?;
        let answer = convert::dispute(&dispute);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// Adds a comment.
    pub async fn comment(
        &self,
        context: &RequestContext,
        request: &pb::CommentDisputeRequest,
    ) -> Result<pb::Dispute, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "CommentDispute", request);
        let mut dispute = load(&mut m.tx, &request.dispute_id).await?;
        scope::may_change(&mut m.tx, &context.caller.scope, &dispute.customer_id).await?;
        dispute.comment(&context.caller.subject, request.text.trim(), m.now);
        store::save_dispute(&mut m.tx, &dispute).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.collections.dispute.commented",
                &dispute,
                Payload::of(&pb::DisputeCommented {
                    dispute: summary(&dispute),
                    comment: request.text.trim().to_string(),
                }),
            ),
        )
        .await?;
        let answer = convert::dispute(&dispute);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// Resolves a dispute by a credit note on the invoice, or rejects it.
    pub async fn resolve(
        &self,
        context: &RequestContext,
        request: &pb::ResolveDisputeRequest,
    ) -> Result<pb::Dispute, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "ResolveDispute", request);
        let mut dispute = load(&mut m.tx, &request.dispute_id).await?;
        scope::may_change(&mut m.tx, &context.caller.scope, &dispute.customer_id).await?;
        // Refused before the credit note is looked at: a resolved dispute stays resolved.
        dispute.state.transition(&Resolution::Rejected)?;
        let resolution = match pb::DisputeResolution::try_from(request.resolution) {
            Ok(pb::DisputeResolution::CreditNote) => {
                let applied = store::allocations_of(&mut m.tx, &request.credit_note_id)
                    .await?
                    .iter()
                    .any(|(invoice, _)| *invoice == dispute.invoice_id);
                let is_credit_note = store::document(&mut m.tx, &request.credit_note_id)
                    .await?
                    .is_some_and(|d| d.kind == Kind::CreditNote);
                if !is_credit_note || !applied {
                    return Err(FieldViolation::new(
                        "credit_note_id",
                        format!(
                            "no credit note {} applied to invoice {} in the ledger (import it \
                             first)",
                            request.credit_note_id, dispute.invoice_id
                        ),
                    )
                    .into());
                }
                Resolution::CreditNote(request.credit_note_id.clone())
            }
            _ => Resolution::Rejected,
        };
        close(
            &mut m.tx,
            context,
            m.now,
            &mut dispute,
            resolution,
            request.comment.trim(),
        )
        .await?;
        let answer = convert::dispute(&dispute);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// Disputes, newest first.
    pub async fn list(
        &self,
        data_scope: &DataScope,
        customer_id: &str,
        state: &str,
        page: &PageRequest,
    ) -> Result<pb::ListDisputesResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let mut disputes = store::list_disputes(
            &mut conn,
            data_scope,
            customer_id,
            state,
            &page.after,
            page.fetch(),
        )
        .await?;
        let next_page_token = page.finish(&mut disputes, |d| d.dispute_id.clone());
        Ok(pb::ListDisputesResponse {
            disputes: disputes.iter().map(convert::dispute).collect(),
            next_page_token,
        })
    }

    /// Dispute metrics from `start` to `end` (days, inclusive) per group, reason and currency.
    pub async fn metrics(
        &self,
        start: i64,
        end: i64,
        group_by: pb::AgingGroup,
        data_scope: &DataScope,
    ) -> Result<pb::DisputeMetrics, ApiError> {
        const DAY: i64 = credit_platform::clock::MICROS_PER_DAY;
        let (from, until) = (start * DAY, (end + 1) * DAY);
        let mut conn = self.db.pool.acquire().await?;
        let profiles = store::customer_groups(&mut conn).await?;
        let visible = scope::visible_customers(&mut conn, data_scope).await?;
        let mut rows = store::disputes_during(&mut conn, from, until).await?;
        rows.retain(|row| visible.admits(&row.customer_id));
        #[derive(Default)]
        struct Tally {
            opened: i64,
            opened_amount: i64,
            resolved: i64,
            by_credit_note: i64,
            by_write_off: i64,
            rejected: i64,
            durations: Vec<i64>,
            open_at_end: i64,
            open_amount: i64,
            past_due: i64,
        }
        let mut tallies: std::collections::BTreeMap<(String, String, String), Tally> =
            std::collections::BTreeMap::new();
        for row in rows {
            let store::DisputeFigures {
                customer_id: customer,
                currency,
                reason,
                amount,
                state,
                opened_at,
                resolved_at,
                due_day,
            } = row;
            let reason = reason
                .parse::<i32>()
                .ok()
                .and_then(convert::dispute_reason)
                .map_or(reason, |r| r.name().to_string());
            let key = crate::app::reports::group_key(&profiles, group_by, &customer);
            let t = tallies.entry((key, reason, currency)).or_default();
            if opened_at >= from {
                t.opened += 1;
                t.opened_amount += amount;
            }
            match resolved_at {
                Some(at) if at < until => {
                    t.resolved += 1;
                    t.durations.push(at - opened_at);
                    match DisputeState::from_name(&state) {
                        Some(DisputeState::ResolvedByCreditNote) => t.by_credit_note += 1,
                        Some(DisputeState::ResolvedByWriteOff) => t.by_write_off += 1,
                        _ => t.rejected += 1,
                    }
                }
                _ => {
                    t.open_at_end += 1;
                    t.open_amount += amount;
                    if due_day < end {
                        t.past_due += 1;
                    }
                }
            }
        }
        Ok(pb::DisputeMetrics {
            start_date: Some(calendar::date(start)),
            end_date: Some(calendar::date(end)),
            rows: tallies
                .into_iter()
                .map(|((key, reason, currency), mut t)| {
                    let (mean, median) = crate::domain::metrics::days_stats(&mut t.durations);
                    pb::DisputeMetricsRow {
                        key,
                        reason: DisputeReason::from_name(&reason).map_or(0, DisputeReason::number),
                        opened: t.opened,
                        opened_amount: Some(money(t.opened_amount, &currency)),
                        resolved: t.resolved,
                        resolved_by_credit_note: t.by_credit_note,
                        resolved_by_write_off: t.by_write_off,
                        rejected: t.rejected,
                        mean_resolution_days: crate::app::reports::decimal_text(mean),
                        median_resolution_days: crate::app::reports::decimal_text(median),
                        open_at_end: t.open_at_end,
                        open_amount_at_end: Some(money(t.open_amount, &currency)),
                        past_due_at_end: t.past_due,
                        currency_code: currency,
                    }
                })
                .collect(),
        })
    }

    /// Attaches a document to a dispute (its content stored first: content-addressed, a store
    /// that outlives a failed transaction is harmless).
    pub async fn attach(
        &self,
        context: &RequestContext,
        request: &pb::AttachDisputeDocumentRequest,
    ) -> Result<pb::Dispute, ApiError> {
        if !accepted_type(&request.content_type) {
            return Err(FieldViolation::new(
                "content_type",
                "application/pdf, image/png, image/jpeg, text/csv or an Office document",
            )
            .into());
        }
        if request.content.is_empty() || request.content.len() > self.max_document_bytes {
            return Err(FieldViolation::new(
                "content",
                format!("from 1 byte to {} bytes", self.max_document_bytes),
            )
            .into());
        }
        if !content_matches(&request.content_type, &request.content) {
            return Err(FieldViolation::new(
                "content",
                format!("is not a {} document", request.content_type),
            )
            .into());
        }
        let sha256 = hex::encode(Sha256::digest(&request.content));
        self.store
            .put(&sha256, &request.content)
            .await
            .map_err(ApiError::Internal)?;
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "AttachDisputeDocument",
            request
        );
        let mut dispute = load(&mut m.tx, &request.dispute_id).await?;
        scope::may_change(&mut m.tx, &context.caller.scope, &dispute.customer_id).await?;
        let document = Attachment {
            file_name: request.file_name.trim().to_string(),
            content_type: request.content_type.clone(),
            size_bytes: request.content.len() as i64,
            sha256: sha256.clone(),
            uploaded_by: context.caller.subject.clone(),
            uploaded_at: m.now,
        };
        dispute.attachments.push(document.clone());
        store::save_dispute(&mut m.tx, &dispute).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.collections.dispute.document_attached",
                &dispute,
                Payload::of(&pb::DisputeDocumentAttached {
                    dispute: summary(&dispute),
                    file_name: document.file_name.clone(),
                    content_type: document.content_type.clone(),
                    size_bytes: document.size_bytes,
                    sha256: sha256.clone(),
                }),
            ),
        )
        .await?;
        let answer = convert::dispute(&dispute);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// A dispute's document, its content verified against the SHA-256 fixed at upload.
    pub async fn document(
        &self,
        data_scope: &DataScope,
        dispute_id: &str,
        sha256: &str,
    ) -> Result<pb::DisputeDocumentContent, ApiError> {
        let dispute = {
            let mut conn = self.db.pool.acquire().await?;
            let dispute = load(&mut conn, dispute_id).await?;
            if !scope::sees(&mut conn, data_scope, &dispute.customer_id).await? {
                return Err(ApiError::NotFound {
                    kind: "dispute",
                    id: dispute_id.to_string(),
                });
            }
            dispute
        };
        let document = dispute
            .attachments
            .iter()
            .find(|d| d.sha256 == sha256)
            .ok_or_else(|| ApiError::NotFound {
                kind: "dispute document",
                id: sha256.to_string(),
            })?;
        let content = self
            .store
            .get(sha256)
            .await
            .map_err(ApiError::Internal)?
            .ok_or_else(|| {
                ApiError::DataLoss(format!("document {sha256} is missing from the store"))
            })?;
        if hex::encode(Sha256::digest(&content)) != sha256 {
            return Err(ApiError::DataLoss(format!(
                "document {sha256} was altered in the store"
            )));
        }
        Ok(pb::DisputeDocumentContent {
            document: Some(convert::dispute_document(document)),
            content,
        })
    }
}
