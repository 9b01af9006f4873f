//! The one-time conversion of rows written before applications and credit cases were stored as
//! their domain records: their `body` then held the protobuf wire message of the time (and an
//! application's sealed `sensitive` value the wire message of its applicant's sensitive
//! fields). At start-up (and, for credit cases, in `migrate`) every such row is rewritten, in one
//! transaction; a body that is already a record (JSON, so it starts with `{`) is left alone, so
//! the conversion runs any number of times.
//!
//! Credit cases are frozen here with the tags and types they had, because
//! `credit.applications.v1.CreditCase` changed since. Applications are read with the current
//! `credit.applications.v1.Application` plus the fields that were names before they were enums
//! (frozen here at their old tags); `tests/stored_applications.rs` holds the bytes an earlier
//! version wrote, so a later change of that message that would misread them fails there.
use crate::convert::{application_of, sensitive_of};
use crate::domain::credit_case::{
    Amount, CaseCheck, CaseResolution, CaseState, CheckOutcome, CreditCase,
};
use crate::sealing::Sealer;
use credit_platform::clock::from_timestamp;
use credit_platform::records::{encode, legacy_rows};
use credit_proto::applications as pb;
use credit_proto::wire;
use prost::Message;
use prost_types::Timestamp;
use rust_decimal::Decimal;
use sqlx::{AnyConnection, Row};
use std::str::FromStr;

#[derive(Clone, PartialEq, Message)]
struct OldMoney {
    #[prost(string, tag = "1")]
    amount: String,
    #[prost(string, tag = "2")]
    currency_code: String,
}

#[derive(Clone, PartialEq, Message)]
struct OldCaseCheck {
    #[prost(string, tag = "1")]
    decision_id: String,
    #[prost(string, tag = "2")]
    outcome: String,
    #[prost(string, repeated, tag = "3")]
    reasons: Vec<String>,
    #[prost(message, optional, tag = "4")]
    available_before: Option<OldMoney>,
    #[prost(message, optional, tag = "5")]
    max_approvable_amount: Option<OldMoney>,
    #[prost(string, tag = "6")]
    checked_by: String,
    #[prost(message, optional, tag = "7")]
    check_time: Option<Timestamp>,
}

/// `credit.applications.v1.CreditCase` as it was stored.
#[derive(Clone, PartialEq, Message)]
struct OldCreditCase {
    #[prost(string, tag = "1")]
    case_id: String,
    #[prost(string, tag = "2")]
    customer_id: String,
    #[prost(string, tag = "3")]
    order_id: String,
    #[prost(message, optional, tag = "4")]
    order_amount: Option<OldMoney>,
    #[prost(message, optional, tag = "5")]
    checked_amount: Option<OldMoney>,
    #[prost(int32, tag = "6")]
    state: i32,
    #[prost(message, repeated, tag = "7")]
    checks: Vec<OldCaseCheck>,
    #[prost(string, tag = "8")]
    inputs_json: String,
    #[prost(string, tag = "9")]
    referred_by: String,
    #[prost(message, optional, tag = "10")]
    refer_time: Option<Timestamp>,
    #[prost(string, tag = "11")]
    resolution: String,
    #[prost(string, tag = "12")]
    resolved_by: String,
    #[prost(message, optional, tag = "13")]
    resolve_time: Option<Timestamp>,
    #[prost(string, tag = "14")]
    comment: String,
    #[prost(string, tag = "15")]
    reservation_id: String,
    #[prost(string, tag = "16")]
    required_level: String,
    #[prost(string, repeated, tag = "17")]
    release_roles: Vec<String>,
}

fn amount(money: Option<OldMoney>) -> Option<Amount> {
    money.map(|m| Amount {
        amount: Decimal::from_str(&m.amount).unwrap_or_default(),
        currency: m.currency_code,
    })
}

fn micros(time: Option<Timestamp>) -> Option<i64> {
    time.as_ref().and_then(from_timestamp)
}

fn bad(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

/// The record of an old body; the state column is the authority on the state.
fn convert_case(bytes: &[u8], state: &str) -> sqlx::Result<CreditCase> {
    let old = OldCreditCase::decode(bytes).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let case_id = old.case_id.clone();
    let state = CaseState::from_name(state)
        .ok_or_else(|| bad(format!("credit case {case_id}: unknown state {state}")))?;
    let resolution = match old.resolution.as_str() {
        "" => None,
        name => Some(
            CaseResolution::from_name(name)
                .ok_or_else(|| bad(format!("credit case {case_id}: unknown resolution {name}")))?,
        ),
    };
    let checks = old
        .checks
        .into_iter()
        .map(|c| CaseCheck {
            decision_id: c.decision_id,
            // The case kept "APPROVED" or "REJECTED"; anything else was not an approval.
            outcome: CheckOutcome::from_name(&c.outcome).unwrap_or(CheckOutcome::Rejected),
            reasons: c.reasons,
            available_before: amount(c.available_before),
            max_approvable: amount(c.max_approvable_amount),
            checked_by: c.checked_by,
            checked_at: micros(c.check_time),
        })
        .collect();
    let order_amount = amount(old.order_amount)
        .ok_or_else(|| bad(format!("credit case {case_id}: no order amount")))?;
    Ok(CreditCase {
        case_id: old.case_id,
        customer_id: old.customer_id,
        order_id: old.order_id,
        checked_amount: amount(old.checked_amount).unwrap_or_else(|| order_amount.clone()),
        order_amount,
        state,
        checks,
        inputs_json: old.inputs_json,
        referred_by: old.referred_by,
        referred_at: micros(old.refer_time).unwrap_or_default(),
        resolution,
        resolved_by: old.resolved_by,
        resolved_at: micros(old.resolve_time),
        comment: old.comment,
        reservation_id: old.reservation_id,
        required_level: old.required_level,
        release_roles: old.release_roles,
    })
}

/// Rewrites every credit case still stored as a wire message; how many it rewrote.
pub async fn convert_legacy_cases(conn: &mut AnyConnection) -> sqlx::Result<usize> {
    let rows = legacy_rows(&mut *conn, "SELECT case_id, state, body FROM credit_cases").await?;
    let mut changed = 0;
    for row in rows {
        let body: Vec<u8> = row.try_get("body")?;
        let case_id: String = row.try_get("case_id")?;
        let state: String = row.try_get("state")?;
        let case = convert_case(&body, &state)?;
        sqlx::query("UPDATE credit_cases SET body = $2 WHERE case_id = $1")
            .bind(case_id)
            .bind(encode(&case))
            .execute(&mut *conn)
            .await?;
        changed += 1;
    }
    Ok(changed)
}

#[derive(Clone, PartialEq, Message)]
struct OldNamedApproval {
    #[prost(string, tag = "2")]
    action: String,
}

#[derive(Clone, PartialEq, Message)]
struct OldNamedStep {
    #[prost(string, tag = "5")]
    state: String,
    #[prost(message, repeated, tag = "6")]
    approvals: Vec<OldNamedApproval>,
}

/// One name at tag 1 (a recommendation's or decision's outcome, a limit setting's state, a
/// reference's kind).
#[derive(Clone, PartialEq, Message)]
struct OldName {
    #[prost(string, tag = "1")]
    name: String,
}

/// An applicant's references' kinds, as names.
#[derive(Clone, PartialEq, Message)]
struct OldNamedApplicant {
    #[prost(message, repeated, tag = "14")]
    trade_references: Vec<OldName>,
}

/// A financial statement's period end, a text date then (google.type.Date now).
#[derive(Clone, PartialEq, Message)]
struct OldStatementDate {
    #[prost(string, tag = "1")]
    period_end: String,
}

/// The names `credit.applications.v1.Application` held where it holds enums now, and its
/// statements' text dates.
#[derive(Clone, PartialEq, Message)]
struct OldApplicationNames {
    #[prost(message, repeated, tag = "6")]
    financial_statements: Vec<OldStatementDate>,
    #[prost(message, optional, tag = "4")]
    applicant: Option<OldNamedApplicant>,
    #[prost(message, optional, tag = "7")]
    recommendation: Option<OldName>,
    #[prost(message, repeated, tag = "8")]
    approval_steps: Vec<OldNamedStep>,
    #[prost(message, optional, tag = "9")]
    final_decision: Option<OldName>,
    #[prost(message, optional, tag = "10")]
    limit_setting: Option<OldName>,
}

/// An application as an earlier version encoded it, read with today's message.
fn old_application(bytes: &[u8]) -> sqlx::Result<pb::Application> {
    let decode = |e: prost::DecodeError| sqlx::Error::Decode(Box::new(e));
    let mut app = pb::Application::decode(bytes).map_err(decode)?;
    let names = OldApplicationNames::decode(bytes).map_err(decode)?;
    if let (Some(applicant), Some(old)) = (app.applicant.as_mut(), names.applicant) {
        for (reference, old) in applicant
            .trade_references
            .iter_mut()
            .zip(old.trade_references)
        {
            reference.kind = wire::<credit_proto::scoring::ReferenceKind>(&old.name);
        }
    }
    for (statement, old) in app
        .financial_statements
        .iter_mut()
        .zip(names.financial_statements)
    {
        statement.period_end = credit_proto::google::r#type::Date::read(&old.period_end);
    }
    if let (Some(r), Some(old)) = (app.recommendation.as_mut(), names.recommendation) {
        r.outcome = wire::<pb::RecommendationOutcome>(&old.name);
    }
    for (step, old) in app.approval_steps.iter_mut().zip(names.approval_steps) {
        step.state = wire::<pb::ApprovalStepState>(&old.state);
        for (approval, old) in step.approvals.iter_mut().zip(old.approvals) {
            approval.action = wire::<pb::ApprovalAction>(&old.action);
        }
    }
    if let (Some(d), Some(old)) = (app.final_decision.as_mut(), names.final_decision) {
        d.outcome = wire::<pb::DecisionOutcome>(&old.name);
    }
    if let (Some(l), Some(old)) = (app.limit_setting.as_mut(), names.limit_setting) {
        l.state = wire::<pb::LimitSettingState>(&old.name);
    }
    Ok(app)
}

/// Rewrites every application still stored as wire messages: the body becomes the JSON of its
/// record, the sealed sensitive fields the sealed JSON of `Sensitive` (sealed again with the
/// current key). How many it rewrote.
pub async fn convert_legacy_applications(
    conn: &mut AnyConnection,
    sealer: &Sealer,
) -> sqlx::Result<usize> {
    let rows = legacy_rows(
        &mut *conn,
        "SELECT application_id, body, sensitive FROM applications",
    )
    .await?;
    let mut changed = 0;
    for row in rows {
        let body: Vec<u8> = row.try_get("body")?;
        let id: String = row.try_get("application_id")?;
        let sealed: String = row.try_get("sensitive")?;
        let old = old_application(&body)?;
        let record = application_of(&old).map_err(|e| bad(format!("application {id}: {e:?}")))?;
        let clear = sealer
            .open(&sealed, &id)
            .map_err(|e| bad(format!("application {id}: sealed fields: {e}")))?;
        let clear = pb::Applicant::decode(clear.as_slice())
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let sealed = sealer
            .seal(&encode(&sensitive_of(&clear)), &id)
            .map_err(|e| bad(format!("application {id}: sealing: {e}")))?;
        sqlx::query("UPDATE applications SET body = $2, sensitive = $3 WHERE application_id = $1")
            .bind(id)
            .bind(encode(&record))
            .bind(sealed)
            .execute(&mut *conn)
            .await?;
        changed += 1;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_case_keeps_everything_it_said() {
        let old = OldCreditCase {
            case_id: "c1".into(),
            customer_id: "C1".into(),
            order_id: "SO-1".into(),
            order_amount: Some(OldMoney {
                amount: "60000.00".into(),
                currency_code: "EUR".into(),
            }),
            checked_amount: None,
            state: 2,
            checks: vec![OldCaseCheck {
                decision_id: "d1".into(),
                outcome: "REJECTED".into(),
                reasons: vec!["OVER_LIMIT".into()],
                checked_by: "sales".into(),
                check_time: Some(Timestamp {
                    seconds: 10,
                    nanos: 0,
                }),
                ..Default::default()
            }],
            resolution: "RELEASED_BY_APPROVAL".into(),
            resolved_by: "manager".into(),
            release_roles: vec!["credit_manager".into()],
            ..Default::default()
        };
        let case = convert_case(&old.encode_to_vec(), "RELEASED").expect("convert");
        assert_eq!(case.state, CaseState::Released);
        assert_eq!(case.resolution, Some(CaseResolution::ReleasedByApproval));
        assert_eq!(case.order_amount.amount.to_string(), "60000.00");
        assert_eq!(case.checked_amount, case.order_amount);
        assert_eq!(case.checks[0].outcome, CheckOutcome::Rejected);
        assert_eq!(case.checks[0].reasons, ["OVER_LIMIT"]);
        assert_eq!(case.checks[0].checked_at, Some(10_000_000));
        assert_eq!(case.release_roles, ["credit_manager"]);
        assert!(convert_case(&old.encode_to_vec(), "LOST").is_err());
    }
}
