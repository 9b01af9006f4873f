//! Write-offs and recoveries. A collector asks to write off what cannot be collected; someone
//! else holding the authority the policy gives for the amount decides. Approved, the amount
//! becomes a WRITE_OFF document applied to the invoice — the ledger, aging, exposure in limits
//! and dunning all follow from that one fact. Money that still arrives afterwards is recorded as
//! a recovery (the write-off trend counts it).
use crate::app::ledger::Ledger;
use crate::domain::ledger::{Kind, digits_of, from_minor, positive_minor};
use crate::store::{self, StoredDocument};
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, SharedClock, date_of_day, day_of, parse_date, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::Currency;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent};
use credit_proto::collections as pb;
use credit_proto::types::Money;
use prost::Message;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::AnyConnection;

fn not_found(write_off_id: &str) -> ApiError {
    ApiError::NotFound {
        kind: "write-off",
        id: write_off_id.to_string(),
    }
}

async fn load(conn: &mut AnyConnection, write_off_id: &str) -> Result<pb::WriteOff, ApiError> {
    store::write_off(conn, write_off_id)
        .await?
        .ok_or_else(|| not_found(write_off_id))
}

async fn save(conn: &mut AnyConnection, w: &pb::WriteOff, now: Micros) -> Result<(), ApiError> {
    let decided = (w.state != "REQUESTED").then_some(now);
    Ok(store::save_write_off(conn, w, decided).await?)
}

fn event(event_type: &'static str, w: &pb::WriteOff, extra: serde_json::Value) -> NewEvent {
    let amount = w.amount.clone().unwrap_or_default();
    let mut payload = json!({
        "invoice_id": w.invoice_id,
        "amount": amount.amount,
        "currency_code": amount.currency_code,
        "state": w.state,
        "reason": w.reason,
        "required_role": w.required_role,
        "dispute_id": w.dispute_id,
    });
    if let (Some(map), serde_json::Value::Object(extra)) = (payload.as_object_mut(), extra) {
        map.extend(extra);
    }
    NewEvent {
        event_type,
        entity_type: "write_off",
        entity_id: w.write_off_id.clone(),
        customer_id: w.customer_id.clone(),
        payload,
    }
}

/// The minor-unit amount of a stored write-off.
fn minor_amount(w: &pb::WriteOff) -> Result<i64, ApiError> {
    let money = w.amount.clone().unwrap_or_default();
    let currency = Currency::from_code(&money.currency_code)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored currency invalid")))?;
    positive_minor(&money.amount, &currency, "amount")
        .map_err(|p| ApiError::Internal(anyhow::anyhow!("stored amount invalid: {}", p.message)))
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
    match open.as_deref() {
        Some("OPEN") => Ok(()),
        Some(state) => Err(ApiError::StateConflict(format!(
            "dispute {dispute_id} is {state}: only an open dispute is settled by a write-off"
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
            .map_err(|p| FieldViolation::new(p.field, p.message))?;
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
        let write_off = pb::WriteOff {
            write_off_id: uuid::Uuid::now_v7().to_string(),
            customer_id: invoice.customer_id.clone(),
            invoice_id: invoice.document_id.clone(),
            amount: Some(Money {
                amount: from_minor(amount, digits),
                currency_code: invoice.currency.clone(),
            }),
            reason: request.reason.trim().to_string(),
            state: "REQUESTED".into(),
            requested_by: context.caller.subject.clone(),
            request_time: Some(to_timestamp(m.now)),
            required_role: policy.document.write_off_authority[level].role.clone(),
            dispute_id: request.dispute_id.clone(),
            recovered_amount: from_minor(0, digits),
            ..Default::default()
        };
        store::insert_write_off(&mut m.tx, &write_off, &invoice.currency, amount, m.now).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.collections.write_off.requested",
                &write_off,
                json!({}),
            ),
        )
        .await?;
        mutation::finish(&self.signals, m, &write_off).await?;
        Ok(write_off)
    }

    /// Approves or rejects a requested write-off.
    pub async fn decide(
        &self,
        context: &RequestContext,
        request: &pb::DecideWriteOffRequest,
    ) -> Result<pb::WriteOff, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "DecideWriteOff", request);
        let mut write_off = load(&mut m.tx, &request.write_off_id).await?;
        if write_off.state != "REQUESTED" {
            return Err(ApiError::StateConflict(format!(
                "the write-off is {}: it was decided already",
                write_off.state
            )));
        }
        if write_off.requested_by == context.caller.subject {
            return Err(ApiError::PermissionDenied(
                "four eyes: who asked for a write-off does not decide it".into(),
            ));
        }
        let (_, policy) = crate::app::policy::active_policy(&mut m.tx).await?;
        let amount = minor_amount(&write_off)?;
        let currency = write_off.amount.clone().unwrap_or_default().currency_code;
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
        write_off.decided_by = context.caller.subject.clone();
        write_off.decide_time = Some(to_timestamp(m.now));
        write_off.decision_comment = request.comment.trim().to_string();
        if request.approve {
            write_off.state = "APPROVED".into();
            self.book(&mut m.tx, context, m.now, &write_off, amount)
                .await?;
        } else {
            write_off.state = "REJECTED".into();
        }
        save(&mut m.tx, &write_off, m.now).await?;
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
                json!({"comment": write_off.decision_comment}),
            ),
        )
        .await?;
        mutation::finish(&self.signals, m, &write_off).await?;
        Ok(write_off)
    }

    /// Books an approved write-off: a WRITE_OFF document applied to the invoice, the invoice's
    /// open amount (and exposure), the customer's hold, and the dispute it settles.
    async fn book(
        &self,
        tx: &mut AnyConnection,
        context: &RequestContext,
        now: Micros,
        write_off: &pb::WriteOff,
        amount: i64,
    ) -> Result<(), ApiError> {
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
        let body = pb::ReceivableDocument {
            document_id: write_off.write_off_id.clone(),
            customer_id: write_off.customer_id.clone(),
            kind: pb::DocumentKind::WriteOff as i32,
            amount: write_off.amount.clone(),
            issue_date: date_of_day(today),
            allocations: vec![pb::Allocation {
                invoice_id: invoice.document_id.clone(),
                amount: write_off.amount.clone().unwrap_or_default().amount,
            }],
            reference: write_off.reason.clone(),
            ..Default::default()
        }
        .encode_to_vec();
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
        if write_off.state != "APPROVED" {
            return Err(ApiError::StateConflict(format!(
                "the write-off is {}: only an approved write-off recovers money",
                write_off.state
            )));
        }
        let currency_code = write_off.amount.clone().unwrap_or_default().currency_code;
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
            .map_err(|p| FieldViolation::new(p.field, p.message))?;
        let digits = currency.minor_unit_digits();
        let recovered = store::recovered_on(&mut m.tx, &write_off.write_off_id).await?;
        let left = minor_amount(&write_off)? - recovered;
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
        let decided = write_off
            .decide_time
            .as_ref()
            .and_then(credit_platform::clock::from_timestamp)
            .map_or(today, day_of);
        let day = parse_date(&request.date)
            .filter(|d| *d <= today && *d >= decided)
            .ok_or_else(|| {
                ApiError::from(FieldViolation::new(
                    "date",
                    "a date YYYY-MM-DD from the write-off's approval to today",
                ))
            })?;
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
        write_off.recovered_amount = from_minor(recovered + amount, digits);
        write_off.recoveries.push(pb::Recovery {
            amount: from_minor(amount, digits),
            date: date_of_day(day),
            reference: request.reference.trim().to_string(),
            recorded_by: context.caller.subject.clone(),
            record_time: Some(to_timestamp(m.now)),
        });
        store::save_write_off_body(&mut m.tx, &write_off).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event(
                "credit.collections.write_off.recovered",
                &write_off,
                json!({
                    "recovery_id": recovery_id,
                    "recovered": from_minor(amount, digits),
                    "date": date_of_day(day),
                    "reference": request.reference.trim(),
                }),
            ),
        )
        .await?;
        mutation::finish(&self.signals, m, &write_off).await?;
        Ok(write_off)
    }

    /// Write-offs, newest first.
    pub async fn list(
        &self,
        customer_id: &str,
        state: &str,
    ) -> Result<Vec<pb::WriteOff>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        Ok(store::list_write_offs(&mut conn, customer_id, state).await?)
    }
}
