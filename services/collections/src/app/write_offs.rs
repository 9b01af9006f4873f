//! Write-offs and recoveries. A collector asks to write off what cannot be collected; someone
//! else holding the authority the policy gives for the amount decides. Approved, the amount
//! becomes a WRITE_OFF document applied to the invoice — the ledger, aging, exposure in limits
//! and dunning all follow from that one fact. Money that still arrives afterwards is recorded as
//! a recovery (the write-off trend counts it).
use crate::app::ledger::Ledger;
use crate::convert;
use crate::domain::disputes::DisputeState;
use crate::domain::ledger::Booked;
use crate::domain::ledger::{Kind, digits_of, from_minor, positive_minor};
use crate::domain::write_offs::{Recovery, WriteOff, WriteOffState};
use crate::store::{self, StoredDocument};
use credit_platform::begin_mutation;
use credit_platform::calendar;
use credit_platform::clock::{Micros, SharedClock, day_of};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::Currency;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_platform::scope;
use credit_proto::collections as pb;
use credit_proto::wire;
use rust_decimal::Decimal;
use sqlx::AnyConnection;

fn not_found(write_off_id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "write-off",
        id: write_off_id.to_string(),
    }
}

async fn load(conn: &mut AnyConnection, write_off_id: &str) -> Result<WriteOff, ApiError> {
    store::write_off(conn, write_off_id)
        .await?
        .ok_or_else(|| not_found(write_off_id))
}

/// What every write-off event says about it.
fn summary(w: &WriteOff) -> Option<pb::WriteOffSummary> {
    Some(pb::WriteOffSummary {
        invoice_id: w.invoice_id.clone(),
        amount: Some(convert::money(w.amount, &w.currency)),
        state: wire::<pb::WriteOffState>(w.state.name()),
        reason: w.reason.clone(),
        required_role: w.required_role.clone(),
        dispute_id: w.dispute_id.clone(),
    })
}

fn event(event_type: &'static str, w: &WriteOff, payload: Payload) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: "write_off",
        entity_id: w.write_off_id.clone(),
        customer_id: w.customer_id.clone(),
        payload,
    }
}

/// An open invoice's amount still collectible by a write-off, and the invoice.
async fn invoice(conn: &mut AnyConnection, invoice_id: &str) -> Result<StoredDocument, ApiError> {
    store::document(conn, invoice_id)
        .await?
        // Fees and interest may be waived the same way.
        .filter(|d| d.kind.is_receivable())
        .ok_or_else(|| ApiError::NotFound {
            kind: "invoice",
            id: invoice_id.to_string(),
        })
}

/// An open dispute `dispute_id` on `invoice_id`, or why not.
async fn check_dispute(
    conn: &mut AnyConnection,
    dispute_id: &str,
    invoice_id: &str,
) -> Result<(), ApiError> {
    let open = store::dispute_state_on(conn, dispute_id, invoice_id).await?;
    match open {
        Some(DisputeState::Open) => Ok(()),
        Some(state) => Err(ApiError::StateConflict(format!(
            "dispute {dispute_id} is {}: only an open dispute is settled by a write-off",
            state.name()
        ))),
        None => Err(FieldViolation::new(
            "dispute_id",
            format!("no dispute {dispute_id} on invoice {invoice_id}"),
        )
        .into()),
    }
}

/// The write-off use cases.
#[derive(Clone)]
pub struct WriteOffs {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
    ledger: Ledger,
}

impl WriteOffs {
    /// Write-offs over `db`, booking into `ledger`.
    pub fn new(db: Db, clock: SharedClock, signals: FeedSignals, ledger: Ledger) -> Self {
        Self {
            db,
            clock,
            signals,
            ledger,
        }
    }

    /// Asks for a write-off.
    pub async fn request(
        &self,
        context: &RequestContext,
        request: &pb::RequestWriteOffRequest,
    ) -> Result<pb::WriteOff, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "RequestWriteOff", request);
        let invoice = invoice(&mut m.tx, &request.invoice_id).await?;
        scope::may_change(&mut m.tx, &context.caller.scope, &invoice.customer_id).await?;
        let money = request.amount.clone().unwrap_or_default();
        if money.currency_code != invoice.currency {
            return Err(FieldViolation::new(
                "amount.currency_code",
                format!("must be {}, the invoice's currency", invoice.currency),
            )
            .into());
        }
        let currency = Currency::from_code(&invoice.currency)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored currency invalid")))?;
        let amount = positive_minor(&money.amount, &currency, "amount.amount")
            .map_err(FieldViolation::from)?;
        let digits = currency.minor_unit_digits();
        if amount > invoice.open_amount {
            return Err(FieldViolation::new(
                "amount.amount",
                format!(
                    "at most the open amount of {} ({})",
                    invoice.document_id,
                    from_minor(invoice.open_amount, digits)
                ),
            )
            .into());
        }
        if !request.dispute_id.is_empty() {
            check_dispute(&mut m.tx, &request.dispute_id, &invoice.document_id).await?;
        }
        let (_, policy) = crate::app::policy::active_policy(&mut m.tx).await?;
        let level = policy.write_off_level(&invoice.currency, Decimal::new(amount, digits));
        let write_off = WriteOff {
            write_off_id: uuid::Uuid::now_v7().to_string(),
            customer_id: invoice.customer_id.clone(),
            invoice_id: invoice.document_id.clone(),
            currency: invoice.currency.clone(),
            amount,
            reason: request.reason.trim().to_string(),
            state: WriteOffState::Requested,
            requested_by: context.caller.subject.clone(),
            requested_at: m.now,
            required_role: policy.document.write_off_authority[level].role.clone(),
            decided_by: String::new(),
            decided_at: None,
            decision_comment: String::new(),
            dispute_id: request.dispute_id.clone(),
            recoveries: vec![],
        };
        store::insert_write_off(&mut m.tx, &write_off).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.collections.write_off.requested",
                &write_off,
                Payload::of(&pb::WriteOffRequested {
                    write_off: summary(&write_off),
                }),
            ),
        )
        .await?;
        let answer = convert::write_off(&write_off);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// Approves or rejects a requested write-off.
    pub async fn decide(
        &self,
        context: &RequestContext,
        request: &pb::DecideWriteOffRequest,
    ) -> Result<pb::WriteOff, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "DecideWriteOff", request);
        let mut write_off = load(&mut m.tx, &request.write_off_id).await?;
        scope::may_change(&mut m.tx, &context.caller.scope, &write_off.customer_id).await?;
        write_off.state.transition(request.approve)?;
        if write_off.requested_by == context.caller.subject {
            return Err(ApiError::PermissionDenied(
                "four eyes: who asked for a write-off does not decide it".into(),
            ));
        }
        let (_, policy) = crate::app::policy::active_policy(&mut m.tx).await?;
        let (amount, currency) = (write_off.amount, write_off.currency.clone());
        let digits = digits_of(&currency);
        // The authority is that of the policy in force at the decision.
        let level = policy.write_off_level(&currency, Decimal::new(amount, digits));
        if !policy.has_write_off_authority(&context.caller.roles, level) {
            return Err(ApiError::PermissionDenied(format!(
                "writing off {} {currency} needs the authority of {} or above",
                from_minor(amount, digits),
                policy.document.write_off_authority[level].role
            )));
        }
        write_off.required_role = policy.document.write_off_authority[level].role.clone();
        write_off.decide(
            request.approve,
            &context.caller.subject,
            m.now,
            request.comment.trim(),
        )?;
        if request.approve {
            self.book(&mut m.tx, context, m.now, &write_off).await?;
        }
        store::save_write_off(&mut m.tx, &write_off).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                if request.approve {
                    "credit.collections.write_off.approved"
                } else {
                    "credit.collections.write_off.rejected"
                },
                &write_off,
                Payload::of(&pb::WriteOffDecided {
                    write_off: summary(&write_off),
                    comment: write_off.decision_comment.clone(),
                }),
            ),
        )
        .await?;
        let answer = convert::write_off(&write_off);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// Books an approved write-off: a WRITE_OFF document applied to the invoice, the invoice's
    /// open amount (and exposure), the customer's hold, and the dispute it settles.
    async fn book(
        &self,
        tx: &mut AnyConnection,
        context: &RequestContext,
        now: Micros,
        write_off: &WriteOff,
    ) -> Result<(), ApiError> {
        let amount = write_off.amount;
        let invoice = invoice(tx, &write_off.invoice_id).await?;
        // The invoice may have been paid in part since the request.
        if amount > invoice.open_amount {
            return Err(ApiError::StateConflict(format!(
                "{} has only {} open now: ask for a new write-off",
                invoice.document_id,
                from_minor(invoice.open_amount, digits_of(&invoice.currency))
            )));
        }
        if !write_off.dispute_id.is_empty() {
            check_dispute(tx, &write_off.dispute_id, &invoice.document_id).await?;
        }
        let today = day_of(now);
        let body = credit_platform::records::encode(&Booked {
            document_id: write_off.write_off_id.clone(),
            customer_id: write_off.customer_id.clone(),
            kind: Kind::WriteOff,
            currency: invoice.currency.clone(),
            amount,
            issue_day: today,
            due_day: None,
            payment_terms_days: 0,
            order_id: String::new(),
            allocations: vec![(invoice.document_id.clone(), amount)],
            reference: write_off.reason.clone(),
        });
        let document = StoredDocument {
            document_id: write_off.write_off_id.clone(),
            customer_id: write_off.customer_id.clone(),
            kind: Kind::WriteOff,
            currency: invoice.currency.clone(),
            amount,
            open_amount: 0,
            issue_day: today,
            due_day: None,
            body: body.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        store::save_document(tx, &document, true).await?;
        store::insert_version(
            tx,
            &document.document_id,
            1,
            &body,
            &context.caller.subject,
            "DecideWriteOff",
            now,
        )
        .await?;
        store::replace_allocations(
            tx,
            &document.document_id,
            &[(invoice.document_id.clone(), amount)],
            today,
        )
        .await?;
        self.ledger
            .written_off(tx, context, now, &invoice.document_id, &invoice.customer_id)
            .await?;
        if !write_off.dispute_id.is_empty() {
            crate::app::disputes::settle_by_write_off(
                tx,
                context,
                now,
                &write_off.dispute_id,
                write_off,
            )
            .await?;
        }
        Ok(())
    }

    /// Records money recovered on an approved write-off.
    pub async fn recover(
        &self,
        context: &RequestContext,
        request: &pb::RecordRecoveryRequest,
    ) -> Result<pb::WriteOff, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "RecordRecovery", request);
        let mut write_off = load(&mut m.tx, &request.write_off_id).await?;
        scope::may_change(&mut m.tx, &context.caller.scope, &write_off.customer_id).await?;
        write_off.check_recoverable()?;
        let currency_code = write_off.currency.clone();
        let money = request.amount.clone().unwrap_or_default();
        if money.currency_code != currency_code {
            return Err(FieldViolation::new(
                "amount.currency_code",
                format!("must be {currency_code}, the write-off's currency"),
            )
            .into());
        }
        let currency = Currency::from_code(&currency_code)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored currency invalid")))?;
        let amount = positive_minor(&money.amount, &currency, "amount.amount")
            .map_err(FieldViolation::from)?;
        let digits = currency.minor_unit_digits();
        let recovered = store::recovered_on(&mut m.tx, &write_off.write_off_id).await?;
        let left = write_off.amount - recovered;
        if amount > left {
            return Err(FieldViolation::new(
                "amount.amount",
                format!(
                    "at most what is not recovered yet ({})",
                    from_minor(left, digits)
                ),
            )
            .into());
        }
        let today = day_of(m.now);
        let decided = write_off.decided_at.map_or(today, day_of);
        let day = calendar::required_day("date", request.date.as_ref())?;
        if day > today || day < decided {
            return Err(
                FieldViolation::new("date", "from the write-off's approval to today").into(),
            );
        }
        let recovery_id = uuid::Uuid::now_v7().to_string();
        store::insert_recovery(
            &mut m.tx,
            store::NewRecovery {
                recovery_id: &recovery_id,
                write_off_id: &write_off.write_off_id,
                customer_id: &write_off.customer_id,
                currency: &currency_code,
                amount,
                day,
            },
        )
        .await?;
        write_off.recoveries.push(Recovery {
            amount,
            day,
            reference: request.reference.trim().to_string(),
            recorded_by: context.caller.subject.clone(),
            recorded_at: m.now,
        });
        store::save_write_off(&mut m.tx, &write_off).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.collections.write_off.recovered",
                &write_off,
                Payload::of(&pb::WriteOffRecovered {
                    write_off: summary(&write_off),
                    recovery_id: recovery_id.clone(),
                    recovered: Some(convert::money(amount, &currency_code)),
                    date: Some(calendar::date(day)),
                    reference: request.reference.trim().to_string(),
                }),
            ),
        )
        .await?;
        let answer = convert::write_off(&write_off);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// Write-offs, newest first.
    pub async fn list(
        &self,
        data_scope: &scope::DataScope,
        customer_id: &str,
        state: &str,
        page: &PageRequest,
    ) -> Result<pb::ListWriteOffsResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let mut write_offs = store::list_write_offs(
            &mut conn,
            data_scope,
            customer_id,
            state,
            &page.after,
            page.fetch(),
        )
        .await?;
        let next_page_token = page.finish(&mut write_offs, |w| w.write_off_id.clone());
        Ok(pb::ListWriteOffsResponse {
            write_offs: write_offs.iter().map(convert::write_off).collect(),
            next_page_token,
        })
    }
}
