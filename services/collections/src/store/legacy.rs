//! The one-time conversion of rows written before disputes, promises, payment plans,
//! write-offs, collectors' activities and ledger documents (and their versions) were stored as
//! their domain records: their `body` then held the protobuf wire message of the time. At start-up (and in `migrate`) every such row is rewritten, in one
//! transaction, from its columns and the old body; a body that is already a record (JSON, so
//! it starts with `{`) is left alone, so the conversion runs any number of times.
//!
//! The old messages are frozen here with the tags and types they had, because the wire
//! messages of `credit.collections.v1` may change freely now that nothing stores them.
use super::encode_record;
use crate::domain::activities::{Activity, ActivityKind, ActivityOutcome};
use crate::domain::disputes::{Attachment, Comment, Dispute, DisputeReason, DisputeState};
use crate::domain::ledger::{Booked, Kind};
use crate::domain::plans::{InstalmentState, PaymentPlan, PlanState, PlannedInstalment};
use crate::domain::promises::{Promise, PromiseState};
use crate::domain::write_offs::{Recovery, WriteOff, WriteOffState};
use credit_platform::clock::{from_timestamp, parse_date};
use credit_platform::records::legacy_rows;
use prost::Message;
use prost_types::Timestamp;
use rust_decimal::Decimal;
use sqlx::{AnyConnection, Row};
use std::str::FromStr;

#[derive(Clone, PartialEq, Message)]
struct OldComment {
    #[prost(string, tag = "1")]
    author: String,
    #[prost(string, tag = "2")]
    text: String,
    #[prost(message, optional, tag = "3")]
    comment_time: Option<Timestamp>,
}

#[derive(Clone, PartialEq, Message)]
struct OldDocument {
    #[prost(string, tag = "1")]
    file_name: String,
    #[prost(string, tag = "2")]
    content_type: String,
    #[prost(int64, tag = "3")]
    size_bytes: i64,
    #[prost(string, tag = "4")]
    sha256: String,
    #[prost(string, tag = "5")]
    uploaded_by: String,
    #[prost(message, optional, tag = "6")]
    upload_time: Option<Timestamp>,
}

/// `credit.collections.v1.Dispute` as stored (only the fields no column holds).
#[derive(Clone, PartialEq, Message)]
struct OldDispute {
    #[prost(string, tag = "4")]
    line: String,
    #[prost(string, tag = "7")]
    owner: String,
    #[prost(message, repeated, tag = "10")]
    comments: Vec<OldComment>,
    #[prost(string, tag = "11")]
    credit_note_id: String,
    #[prost(string, tag = "14")]
    opened_by: String,
    #[prost(string, tag = "15")]
    resolved_by: String,
    #[prost(string, tag = "16")]
    write_off_id: String,
    #[prost(message, repeated, tag = "17")]
    documents: Vec<OldDocument>,
}

/// `credit.collections.v1.Promise` as stored (only the fields no column holds).
#[derive(Clone, PartialEq, Message)]
struct OldPromise {
    #[prost(string, tag = "7")]
    recorded_by: String,
    #[prost(string, tag = "10")]
    note: String,
}

#[derive(Clone, PartialEq, Message)]
struct OldRecovery {
    #[prost(string, tag = "1")]
    amount: String,
    #[prost(string, tag = "2")]
    date: String,
    #[prost(string, tag = "3")]
    reference: String,
    #[prost(string, tag = "4")]
    recorded_by: String,
    #[prost(message, optional, tag = "5")]
    record_time: Option<Timestamp>,
}

/// `credit.collections.v1.WriteOff` as stored (only the fields no column holds).
#[derive(Clone, PartialEq, Message)]
struct OldWriteOff {
    #[prost(string, tag = "5")]
    reason: String,
    #[prost(string, tag = "7")]
    requested_by: String,
    #[prost(string, tag = "9")]
    required_role: String,
    #[prost(string, tag = "10")]
    decided_by: String,
    #[prost(string, tag = "12")]
    decision_comment: String,
    #[prost(string, tag = "13")]
    dispute_id: String,
    #[prost(message, repeated, tag = "15")]
    recoveries: Vec<OldRecovery>,
}

#[derive(Clone, PartialEq, Message)]
struct OldInstalment {
    #[prost(string, tag = "1")]
    due_date: String,
    #[prost(string, tag = "2")]
    amount: String,
    #[prost(string, tag = "3")]
    paid_amount: String,
    #[prost(string, tag = "4")]
    state: String,
}

/// `credit.collections.v1.Activity` as stored (only the note: columns hold the rest).
#[derive(Clone, PartialEq, Message)]
struct OldActivity {
    #[prost(string, tag = "5")]
    note: String,
}

/// `credit.collections.v1.PaymentPlan` as stored (only the fields no column holds).
#[derive(Clone, PartialEq, Message)]
struct OldPlan {
    #[prost(string, repeated, tag = "4")]
    invoice_ids: Vec<String>,
    #[prost(message, repeated, tag = "5")]
    instalments: Vec<OldInstalment>,
    #[prost(string, tag = "7")]
    paid_amount: String,
    #[prost(int32, tag = "8")]
    grace_days: i32,
    #[prost(string, tag = "10")]
    breached_instalment_date: String,
    #[prost(string, tag = "11")]
    note: String,
    #[prost(string, tag = "12")]
    created_by: String,
}

fn broken(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("legacy row: {what}").into())
}

fn old<M: Message + Default>(bytes: &[u8]) -> sqlx::Result<M> {
    M::decode(bytes).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn micros(at: Option<&Timestamp>) -> i64 {
    at.and_then(from_timestamp).unwrap_or_default()
}

/// A decimal text in minor units of a currency with `digits` decimals ("" is zero).
fn minor(text: &str, currency: &str) -> sqlx::Result<i64> {
    if text.trim().is_empty() {
        return Ok(0);
    }
    let digits = crate::domain::ledger::digits_of(currency);
    let value = Decimal::from_str(text.trim()).map_err(|_| broken("amount"))?;
    (value * Decimal::from(10_i64.pow(digits)))
        .trunc()
        .try_into()
        .map_err(|_| broken("amount"))
}

fn day(text: &str) -> sqlx::Result<i64> {
    parse_date(text).ok_or_else(|| broken("date"))
}

async fn rewrite(
    conn: &mut AnyConnection,
    sql: &'static str,
    id: &str,
    body: Vec<u8>,
) -> sqlx::Result<()> {
    sqlx::query(sql)
        .bind(body)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

async fn disputes(conn: &mut AnyConnection) -> sqlx::Result<usize> {
    let rows = legacy_rows(
        conn,
        "SELECT dispute_id, customer_id, invoice_id, currency, amount, reason, state, \
         opened_at, due_day, resolved_at, body FROM disputes",
    )
    .await?;
    for row in &rows {
        let body: OldDispute = old(&row.try_get::<Vec<u8>, _>("body")?)?;
        let reason: String = row.try_get("reason")?;
        let state: String = row.try_get("state")?;
        let dispute = Dispute {
            dispute_id: row.try_get("dispute_id")?,
            customer_id: row.try_get("customer_id")?,
            invoice_id: row.try_get("invoice_id")?,
            line: body.line,
            reason: reason
                .parse()
                .ok()
                .and_then(DisputeReason::from_number)
                .unwrap_or(DisputeReason::Other),
            currency: row.try_get("currency")?,
            amount: row.try_get("amount")?,
            owner: body.owner,
            state: DisputeState::from_name(&state).ok_or_else(|| broken("dispute state"))?,
            due_day: row.try_get("due_day")?,
            comments: body
                .comments
                .into_iter()
                .map(|c| Comment {
                    at: micros(c.comment_time.as_ref()),
                    author: c.author,
                    text: c.text,
                })
                .collect(),
            attachments: body
                .documents
                .into_iter()
                .map(|d| Attachment {
                    uploaded_at: micros(d.upload_time.as_ref()),
                    file_name: d.file_name,
                    content_type: d.content_type,
                    size_bytes: d.size_bytes,
                    sha256: d.sha256,
                    uploaded_by: d.uploaded_by,
                })
                .collect(),
            opened_by: body.opened_by,
            opened_at: row.try_get("opened_at")?,
            resolved_by: body.resolved_by,
            resolved_at: row.try_get("resolved_at")?,
            credit_note_id: body.credit_note_id,
            write_off_id: body.write_off_id,
        };
        rewrite(
            conn,
            "UPDATE disputes SET body = $1 WHERE dispute_id = $2",
            &dispute.dispute_id,
            encode_record(&dispute),
        )
        .await?;
    }
    Ok(rows.len())
}

async fn promises(conn: &mut AnyConnection) -> sqlx::Result<usize> {
    let rows = legacy_rows(
        conn,
        "SELECT promise_id, customer_id, currency, amount, promised_day, state, paid, \
         recorded_at, settled_at, body FROM promises",
    )
    .await?;
    for row in &rows {
        let body: OldPromise = old(&row.try_get::<Vec<u8>, _>("body")?)?;
        let state: String = row.try_get("state")?;
        let promise = Promise {
            promise_id: row.try_get("promise_id")?,
            customer_id: row.try_get("customer_id")?,
            currency: row.try_get("currency")?,
            amount: row.try_get("amount")?,
            promised_day: row.try_get("promised_day")?,
            state: PromiseState::from_name(&state).ok_or_else(|| broken("promise state"))?,
            paid: row.try_get("paid")?,
            recorded_by: body.recorded_by,
            recorded_at: row.try_get("recorded_at")?,
            settled_at: row.try_get("settled_at")?,
            note: body.note,
        };
        rewrite(
            conn,
            "UPDATE promises SET body = $1 WHERE promise_id = $2",
            &promise.promise_id,
            encode_record(&promise),
        )
        .await?;
    }
    Ok(rows.len())
}

async fn write_offs(conn: &mut AnyConnection) -> sqlx::Result<usize> {
    let rows = legacy_rows(
        conn,
        "SELECT write_off_id, customer_id, invoice_id, currency, amount, state, requested_at, \
         decided_at, body FROM write_offs",
    )
    .await?;
    for row in &rows {
        let body: OldWriteOff = old(&row.try_get::<Vec<u8>, _>("body")?)?;
        let state: String = row.try_get("state")?;
        let currency: String = row.try_get("currency")?;
        let recoveries = body
            .recoveries
            .iter()
            .map(|r| {
                Ok(Recovery {
                    amount: minor(&r.amount, &currency)?,
                    day: day(&r.date)?,
                    reference: r.reference.clone(),
                    recorded_by: r.recorded_by.clone(),
                    recorded_at: micros(r.record_time.as_ref()),
                })
            })
            .collect::<sqlx::Result<Vec<_>>>()?;
        let write_off = WriteOff {
            write_off_id: row.try_get("write_off_id")?,
            customer_id: row.try_get("customer_id")?,
            invoice_id: row.try_get("invoice_id")?,
            amount: row.try_get("amount")?,
            currency,
            reason: body.reason,
            state: WriteOffState::from_name(&state).ok_or_else(|| broken("write-off state"))?,
            requested_by: body.requested_by,
            requested_at: row.try_get("requested_at")?,
            required_role: body.required_role,
            decided_by: body.decided_by,
            decided_at: row.try_get("decided_at")?,
            decision_comment: body.decision_comment,
            dispute_id: body.dispute_id,
            recoveries,
        };
        rewrite(
            conn,
            "UPDATE write_offs SET body = $1 WHERE write_off_id = $2",
            &write_off.write_off_id,
            encode_record(&write_off),
        )
        .await?;
    }
    Ok(rows.len())
}

async fn plans(conn: &mut AnyConnection) -> sqlx::Result<usize> {
    let rows = legacy_rows(
        conn,
        "SELECT plan_id, customer_id, currency, state, total, created_at, ended_at, body \
         FROM payment_plans",
    )
    .await?;
    for row in &rows {
        let body: OldPlan = old(&row.try_get::<Vec<u8>, _>("body")?)?;
        let state: String = row.try_get("state")?;
        let currency: String = row.try_get("currency")?;
        let instalments = body
            .instalments
            .iter()
            .map(|i| {
                Ok(PlannedInstalment {
                    due_day: day(&i.due_date)?,
                    amount: minor(&i.amount, &currency)?,
                    paid: minor(&i.paid_amount, &currency)?,
                    state: match i.state.as_str() {
                        "PAID" => InstalmentState::Paid,
                        "LATE" => InstalmentState::Late,
                        _ => InstalmentState::Due,
                    },
                })
            })
            .collect::<sqlx::Result<Vec<_>>>()?;
        let plan = PaymentPlan {
            plan_id: row.try_get("plan_id")?,
            customer_id: row.try_get("customer_id")?,
            paid: minor(&body.paid_amount, &currency)?,
            currency,
            invoice_ids: body.invoice_ids,
            instalments,
            total: row.try_get("total")?,
            grace_days: body.grace_days,
            state: PlanState::from_name(&state).ok_or_else(|| broken("plan state"))?,
            breached_day: parse_date(&body.breached_instalment_date),
            note: body.note,
            created_by: body.created_by,
            created_at: row.try_get("created_at")?,
            ended_at: row.try_get("ended_at")?,
        };
        rewrite(
            conn,
            "UPDATE payment_plans SET body = $1 WHERE plan_id = $2",
            &plan.plan_id,
            encode_record(&plan),
        )
        .await?;
    }
    Ok(rows.len())
}

async fn activities(conn: &mut AnyConnection) -> sqlx::Result<usize> {
    let rows = legacy_rows(
        conn,
        "SELECT activity_id, customer_id, collector, kind, outcome, follow_up_day, recorded_at, \
         body FROM activities",
    )
    .await?;
    for row in &rows {
        let body: OldActivity = old(&row.try_get::<Vec<u8>, _>("body")?)?;
        let (kind, outcome): (String, String) = (row.try_get("kind")?, row.try_get("outcome")?);
        let activity = Activity {
            activity_id: row.try_get("activity_id")?,
            customer_id: row.try_get("customer_id")?,
            kind: ActivityKind::from_name(&kind).ok_or_else(|| broken("activity kind"))?,
            outcome: ActivityOutcome::from_name(&outcome)
                .ok_or_else(|| broken("activity outcome"))?,
            note: body.note,
            follow_up_day: row.try_get("follow_up_day")?,
            collector: row.try_get("collector")?,
            recorded_at: row.try_get("recorded_at")?,
        };
        rewrite(
            conn,
            "UPDATE activities SET body = $1 WHERE activity_id = $2",
            &activity.activity_id,
            encode_record(&activity),
        )
        .await?;
    }
    Ok(rows.len())
}

#[derive(Clone, PartialEq, Message)]
struct OldAllocation {
    #[prost(string, tag = "1")]
    invoice_id: String,
    #[prost(string, tag = "2")]
    amount: String,
}

/// `credit.collections.v1.ReceivableDocument` as a document's body held it (the input fields).
#[derive(Clone, PartialEq, Message)]
struct OldReceivableDocument {
    #[prost(string, tag = "1")]
    document_id: String,
    #[prost(string, tag = "2")]
    customer_id: String,
    #[prost(int32, tag = "3")]
    kind: i32,
    // credit.type.v1.Money has not changed.
    #[prost(message, optional, tag = "4")]
    amount: Option<credit_proto::types::Money>,
    #[prost(string, tag = "5")]
    issue_date: String,
    #[prost(string, tag = "6")]
    due_date: String,
    #[prost(int32, tag = "7")]
    payment_terms_days: i32,
    #[prost(string, tag = "8")]
    order_id: String,
    #[prost(message, repeated, tag = "9")]
    allocations: Vec<OldAllocation>,
    #[prost(string, tag = "10")]
    reference: String,
}

/// The booking an old document body says.
fn booked(bytes: &[u8]) -> sqlx::Result<Booked> {
    let old: OldReceivableDocument = old(bytes)?;
    let amount = old.amount.unwrap_or_default();
    let currency = amount.currency_code;
    // The kinds were numbered as they are on the wire today.
    let kind = credit_proto::short_name::<credit_proto::collections::DocumentKind>(old.kind)
        .and_then(Kind::from_name)
        .ok_or_else(|| broken("document kind"))?;
    Ok(Booked {
        document_id: old.document_id,
        customer_id: old.customer_id,
        kind,
        amount: minor(&amount.amount, &currency)?,
        issue_day: day(&old.issue_date)?,
        due_day: parse_date(&old.due_date),
        payment_terms_days: old.payment_terms_days,
        order_id: old.order_id,
        allocations: old
            .allocations
            .iter()
            .map(|a| Ok((a.invoice_id.clone(), minor(&a.amount, &currency)?)))
            .collect::<sqlx::Result<_>>()?,
        reference: old.reference,
        currency,
    })
}

async fn documents(conn: &mut AnyConnection) -> sqlx::Result<usize> {
    let rows = legacy_rows(conn, "SELECT document_id, body FROM documents").await?;
    for row in &rows {
        let record = booked(&row.try_get::<Vec<u8>, _>("body")?)?;
        rewrite(
            conn,
            "UPDATE documents SET body = $1 WHERE document_id = $2",
            &record.document_id,
            encode_record(&record),
        )
        .await?;
    }
    let versions = legacy_rows(
        conn,
        "SELECT document_id, version, body FROM document_versions",
    )
    .await?;
    for row in &versions {
        let record = booked(&row.try_get::<Vec<u8>, _>("body")?)?;
        sqlx::query(
            "UPDATE document_versions SET body = $1 WHERE document_id = $2 AND version = $3",
        )
        .bind(encode_record(&record))
        .bind(row.try_get::<String, _>("document_id")?)
        .bind(row.try_get::<i64, _>("version")?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(rows.len() + versions.len())
}

/// Rewrites every row still holding a wire message as its domain record (in the caller's
/// transaction): how many were converted.
pub async fn convert_legacy_records(conn: &mut AnyConnection) -> sqlx::Result<usize> {
    Ok(disputes(conn).await?
        + promises(conn).await?
        + write_offs(conn).await?
        + plans(conn).await?
        + activities(conn).await?
        + documents(conn).await?)
}
