//! The edge between the wire and the domain: checks of a document row (every problem named
//! under `document.…`), and the domain's records as wire messages.
use crate::domain::activities::Activity;
use crate::domain::disputes::{Attachment, Dispute, DisputeReason};
use crate::domain::ledger::{
    Booked, Document, Kind, Problem, digits_of, from_minor, positive_minor, problem,
};
use crate::domain::plans::PaymentPlan;
use crate::domain::promises::Promise;
use crate::domain::write_offs::WriteOff;
use credit_platform::calendar;
use credit_platform::clock::to_timestamp;
use credit_platform::money::Currency;
use credit_proto::collections as pb;
use credit_proto::types::Money;

fn external_id(value: &str, field: &str, problems: &mut Vec<Problem>) {
    let mut v = credit_platform::error::Violations::new();
    credit_platform::ids::check_external_id(value, field, &mut v);
    problems.extend(
        v.into_result()
            .err()
            .map(credit_platform::error::ApiError::into_violations)
            .unwrap_or_default()
            .into_iter()
            .map(|fv| problem(fv.field, fv.description)),
    );
}

/// The document of a row, or every problem it has.
pub fn document(d: &pb::ReceivableDocument) -> Result<Document, Vec<Problem>> {
    let mut problems = Vec::new();
    external_id(&d.document_id, "document.document_id", &mut problems);
    external_id(&d.customer_id, "document.customer_id", &mut problems);
    let kind = match pb::DocumentKind::try_from(d.kind) {
        Ok(pb::DocumentKind::Invoice) => Some(Kind::Invoice),
        Ok(pb::DocumentKind::CreditNote) => Some(Kind::CreditNote),
        Ok(pb::DocumentKind::Payment) => Some(Kind::Payment),
        Ok(pb::DocumentKind::WriteOff) => {
            problems.push(problem(
                "document.kind",
                "write-offs are not imported: they are requested and approved in collections \
                 (RequestWriteOff)",
            ));
            None
        }
        Ok(pb::DocumentKind::Fee | pb::DocumentKind::Interest) => {
            problems.push(problem(
                "document.kind",
                "fees and interest are not imported: dunning steps charge them (the policy)",
            ));
            None
        }
        _ => {
            problems.push(problem(
                "document.kind",
                "must be INVOICE, CREDIT_NOTE or PAYMENT",
            ));
            None
        }
    };
    let money = d.amount.clone().unwrap_or_default();
    let currency = Currency::from_code(money.currency_code.trim());
    if currency.is_none() {
        problems.push(problem(
            "document.amount.currency_code",
            "not an ISO 4217 currency code",
        ));
    }
    let amount = currency.as_ref().and_then(|c| {
        positive_minor(&money.amount, c, "document.amount.amount")
            .map_err(|p| problems.push(p))
            .ok()
    });
    let issue_day = calendar::required_day("document.issue_date", d.issue_date.as_ref())
        .map_err(|v| problems.push(problem(v.field, v.description)))
        .ok();
    let mut due_day = None;
    match kind {
        Some(Kind::Invoice) => {
            due_day = calendar::optional_day("document.due_date", d.due_date.as_ref())
                .map_err(|v| problems.push(problem(v.field, v.description)))
                .ok()
                .flatten();
            match (due_day, issue_day) {
                (None, _) if d.due_date.is_none() => {
                    problems.push(problem("document.due_date", "an invoice needs a due date"))
                }
                (None, _) => {}
                (Some(due), Some(issued)) if due < issued => problems.push(problem(
                    "document.due_date",
                    "before the issue date: dates out of order",
                )),
                _ => {}
            }
            if !(0..=365).contains(&d.payment_terms_days) {
                problems.push(problem(
                    "document.payment_terms_days",
                    "must be 0 to 365 days",
                ));
            }
            if !d.allocations.is_empty() {
                problems.push(problem(
                    "document.allocations",
                    "an invoice allocates nothing; payments and credit notes do",
                ));
            }
        }
        Some(_) if d.due_date.is_some() => problems.push(problem(
            "document.due_date",
            "only an invoice has a due date",
        )),
        _ => {}
    }
    if kind == Some(Kind::CreditNote) && d.allocations.len() > 1 {
        problems.push(problem(
            "document.allocations",
            "a credit note names at most its invoice",
        ));
    }
    if !d.order_id.is_empty() {
        if kind != Some(Kind::Invoice) {
            problems.push(problem("document.order_id", "only an invoice has an order"));
        } else {
            external_id(&d.order_id, "document.order_id", &mut problems);
        }
    }
    if d.reference.chars().count() > 200 {
        problems.push(problem("document.reference", "at most 200 characters"));
    }
    let mut allocations = Vec::new();
    for (i, a) in d.allocations.iter().enumerate() {
        let field = format!("document.allocations[{i}]");
        external_id(&a.invoice_id, &format!("{field}.invoice_id"), &mut problems);
        if d.allocations[..i]
            .iter()
            .any(|earlier| earlier.invoice_id == a.invoice_id)
        {
            problems.push(problem(
                format!("{field}.invoice_id"),
                "the invoice is named twice",
            ));
        }
        if let Some(c) = &currency {
            let applied = a.amount.clone().unwrap_or_default();
            if applied.currency_code.trim() != c.code() {
                problems.push(problem(
                    format!("{field}.amount.currency_code"),
                    format!("allocations are in the document's currency {}", c.code()),
                ));
            }
            match positive_minor(&applied.amount, c, &format!("{field}.amount.amount")) {
                Ok(minor) => allocations.push((a.invoice_id.clone(), minor)),
                Err(p) => problems.push(p),
            }
        }
    }
    if let Some(amount) = amount {
        let total: i64 = allocations.iter().map(|(_, a)| a).sum();
        if total > amount {
            problems.push(problem(
                "document.allocations",
                "they apply more than the document's amount",
            ));
        }
    }
    match (kind, currency, amount, issue_day) {
        (Some(kind), Some(currency), Some(amount), Some(issue_day)) if problems.is_empty() => {
            Ok(Document {
                document_id: d.document_id.clone(),
                customer_id: d.customer_id.clone(),
                kind,
                currency: currency.code().to_string(),
                digits: currency.minor_unit_digits(),
                amount,
                issue_day,
                due_day,
                allocations,
            })
        }
        _ => Err(problems),
    }
}

/// A document kind on the wire.
/// A booked document on the wire (what was booked; the ledger's figures are added by the
/// caller).
pub fn booked(b: &Booked) -> pb::ReceivableDocument {
    pb::ReceivableDocument {
        document_id: b.document_id.clone(),
        customer_id: b.customer_id.clone(),
        kind: document_kind(b.kind) as i32,
        amount: Some(money(b.amount, &b.currency)),
        issue_date: Some(calendar::date(b.issue_day)),
        due_date: calendar::optional_date(b.due_day),
        payment_terms_days: b.payment_terms_days,
        order_id: b.order_id.clone(),
        allocations: b
            .allocations
            .iter()
            .map(|(invoice_id, amount)| pb::Allocation {
                invoice_id: invoice_id.clone(),
                amount: Some(money(*amount, &b.currency)),
            })
            .collect(),
        reference: b.reference.clone(),
        ..Default::default()
    }
}

pub fn document_kind(kind: Kind) -> pb::DocumentKind {
    match kind {
        Kind::Invoice => pb::DocumentKind::Invoice,
        Kind::CreditNote => pb::DocumentKind::CreditNote,
        Kind::Payment => pb::DocumentKind::Payment,
        Kind::Fee => pb::DocumentKind::Fee,
        Kind::Interest => pb::DocumentKind::Interest,
        Kind::WriteOff => pb::DocumentKind::WriteOff,
    }
}

pub use credit_proto::{ShortName, short_name as name_of, wire};

/// An amount in minor units of `currency` on the wire.
pub fn money(minor: i64, currency: &str) -> Money {
    Money {
        amount: from_minor(minor, digits_of(currency)),
        currency_code: currency.to_string(),
    }
}

fn timestamp(at: Option<i64>) -> Option<prost_types::Timestamp> {
    at.map(to_timestamp)
}

/// A dispute on the wire.
pub fn dispute(d: &Dispute) -> pb::Dispute {
    pb::Dispute {
        dispute_id: d.dispute_id.clone(),
        customer_id: d.customer_id.clone(),
        invoice_id: d.invoice_id.clone(),
        line: d.line.clone(),
        reason: d.reason.number(),
        amount: Some(money(d.amount, &d.currency)),
        owner: d.owner.clone(),
        state: wire::<pb::DisputeState>(d.state.name()),
        due_date: Some(calendar::date(d.due_day)),
        comments: d
            .comments
            .iter()
            .map(|c| pb::DisputeComment {
                author: c.author.clone(),
                text: c.text.clone(),
                comment_time: Some(to_timestamp(c.at)),
            })
            .collect(),
        credit_note_id: d.credit_note_id.clone(),
        open_time: Some(to_timestamp(d.opened_at)),
        resolve_time: timestamp(d.resolved_at),
        opened_by: d.opened_by.clone(),
        resolved_by: d.resolved_by.clone(),
        write_off_id: d.write_off_id.clone(),
        documents: d.attachments.iter().map(dispute_document).collect(),
    }
}

/// A dispute's document on the wire.
pub fn dispute_document(a: &Attachment) -> pb::DisputeDocument {
    pb::DisputeDocument {
        file_name: a.file_name.clone(),
        content_type: a.content_type.clone(),
        size_bytes: a.size_bytes,
        sha256: a.sha256.clone(),
        uploaded_by: a.uploaded_by.clone(),
        upload_time: Some(to_timestamp(a.uploaded_at)),
    }
}

/// A dispute reason from the wire (`None` for unspecified or unknown numbers).
pub fn dispute_reason(number: i32) -> Option<DisputeReason> {
    DisputeReason::from_number(number)
}

/// A promise on the wire.
pub fn promise(p: &Promise) -> pb::Promise {
    pb::Promise {
        promise_id: p.promise_id.clone(),
        customer_id: p.customer_id.clone(),
        amount: Some(money(p.amount, &p.currency)),
        promised_date: Some(calendar::date(p.promised_day)),
        state: wire::<pb::PromiseState>(p.state.name()),
        paid_amount: Some(money(p.paid, &p.currency)),
        recorded_by: p.recorded_by.clone(),
        record_time: Some(to_timestamp(p.recorded_at)),
        settle_time: timestamp(p.settled_at),
        note: p.note.clone(),
    }
}

/// A write-off on the wire.
pub fn write_off(w: &WriteOff) -> pb::WriteOff {
    pb::WriteOff {
        write_off_id: w.write_off_id.clone(),
        customer_id: w.customer_id.clone(),
        invoice_id: w.invoice_id.clone(),
        amount: Some(money(w.amount, &w.currency)),
        reason: w.reason.clone(),
        state: wire::<pb::WriteOffState>(w.state.name()),
        requested_by: w.requested_by.clone(),
        request_time: Some(to_timestamp(w.requested_at)),
        required_role: w.required_role.clone(),
        decided_by: w.decided_by.clone(),
        decide_time: timestamp(w.decided_at),
        decision_comment: w.decision_comment.clone(),
        dispute_id: w.dispute_id.clone(),
        recovered_amount: Some(money(w.recovered(), &w.currency)),
        recoveries: w
            .recoveries
            .iter()
            .map(|r| pb::Recovery {
                amount: Some(money(r.amount, &w.currency)),
                date: Some(calendar::date(r.day)),
                reference: r.reference.clone(),
                recorded_by: r.recorded_by.clone(),
                record_time: Some(to_timestamp(r.recorded_at)),
            })
            .collect(),
    }
}

/// A payment plan on the wire.
pub fn payment_plan(p: &PaymentPlan) -> pb::PaymentPlan {
    pb::PaymentPlan {
        plan_id: p.plan_id.clone(),
        customer_id: p.customer_id.clone(),
        currency_code: p.currency.clone(),
        invoice_ids: p.invoice_ids.clone(),
        instalments: p
            .instalments
            .iter()
            .map(|i| pb::Instalment {
                due_date: Some(calendar::date(i.due_day)),
                amount: Some(money(i.amount, &p.currency)),
                paid_amount: Some(money(i.paid, &p.currency)),
                state: wire::<pb::InstalmentState>(i.state.name()),
            })
            .collect(),
        total_amount: Some(money(p.total, &p.currency)),
        paid_amount: Some(money(p.paid, &p.currency)),
        grace_days: p.grace_days,
        state: wire::<pb::PaymentPlanState>(p.state.name()),
        breached_instalment_date: calendar::optional_date(p.breached_day),
        note: p.note.clone(),
        created_by: p.created_by.clone(),
        create_time: Some(to_timestamp(p.created_at)),
        end_time: timestamp(p.ended_at),
    }
}

/// A dunning message on the wire.
pub fn message(m: crate::store::StoredMessage) -> pb::Message {
    pb::Message {
        message_id: m.message_id,
        customer_id: m.customer_id,
        step_code: m.step_code,
        channel: wire::<pb::Channel>(&m.channel),
        recipient: m.recipient,
        language: m.language,
        subject: m.subject,
        body: m.body,
        state: wire::<pb::MessageState>(&m.state),
        attempts: m.attempts,
        last_error: m.last_error,
        create_time: Some(to_timestamp(m.created_at)),
        send_time: timestamp(m.sent_at),
        currency_code: m.currency,
    }
}

/// A collector's activity on the wire.
pub fn activity(a: &Activity) -> pb::Activity {
    pb::Activity {
        activity_id: a.activity_id.clone(),
        customer_id: a.customer_id.clone(),
        kind: wire::<pb::ActivityKind>(a.kind.name()),
        outcome: wire::<pb::ActivityOutcome>(a.outcome.name()),
        note: a.note.clone(),
        follow_up_date: calendar::optional_date(a.follow_up_day),
        collector: a.collector.clone(),
        record_time: Some(to_timestamp(a.recorded_at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{activities, disputes, dunning, limitation, plans, promises, write_offs};

    fn all_on_the_wire<E: ShortName>(names: &[&'static str]) {
        for name in names {
            let value = wire::<E>(name);
            assert_ne!(value, 0, "{name} has no wire value");
            assert_eq!(name_of::<E>(value), Some(*name));
        }
    }

    #[test]
    fn every_domain_name_has_its_wire_value_and_back() {
        fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
            all.iter().map(|v| name(*v)).collect()
        }
        all_on_the_wire::<pb::DisputeState>(&names(
            disputes::DisputeState::ALL,
            disputes::DisputeState::name,
        ));
        all_on_the_wire::<pb::DisputeReason>(&names(
            disputes::DisputeReason::ALL,
            disputes::DisputeReason::name,
        ));
        all_on_the_wire::<pb::PromiseState>(&names(
            promises::PromiseState::ALL,
            promises::PromiseState::name,
        ));
        all_on_the_wire::<pb::WriteOffState>(&names(
            write_offs::WriteOffState::ALL,
            write_offs::WriteOffState::name,
        ));
        all_on_the_wire::<pb::PaymentPlanState>(&names(
            plans::PlanState::ALL,
            plans::PlanState::name,
        ));
        all_on_the_wire::<pb::InstalmentState>(&names(
            plans::InstalmentState::ALL,
            plans::InstalmentState::name,
        ));
        all_on_the_wire::<pb::ActivityKind>(&names(
            activities::ActivityKind::ALL,
            activities::ActivityKind::name,
        ));
        all_on_the_wire::<pb::ActivityOutcome>(&names(
            activities::ActivityOutcome::ALL,
            activities::ActivityOutcome::name,
        ));
        all_on_the_wire::<pb::Channel>(&names(dunning::Channel::ALL, dunning::Channel::name));
        all_on_the_wire::<pb::Consequence>(&names(
            dunning::Consequence::ALL,
            dunning::Consequence::name,
        ));
        all_on_the_wire::<pb::LimitationAct>(&[
            limitation::Act::Acknowledgement.name(),
            limitation::Act::PartialPayment.name(),
            limitation::Act::FormalNotice.name(),
            limitation::Act::LegalAction.name(),
        ]);
        all_on_the_wire::<pb::LimitationState>(&["RUNNING", "ALERT", "EXPIRED"]);
        all_on_the_wire::<pb::MessageState>(&["PENDING", "SENT", "FAILED"]);
        all_on_the_wire::<pb::DunningOutcome>(&["SENT", "DEFERRED", "BELOW_MINIMUM", "NO_ADDRESS"]);
        all_on_the_wire::<pb::NextAction>(&names(
            crate::domain::worklist::NextAction::ALL,
            crate::domain::worklist::NextAction::name,
        ));
        // The reason numbers the column keeps are the wire's.
        for reason in disputes::DisputeReason::ALL {
            assert_eq!(wire::<pb::DisputeReason>(reason.name()), reason.number());
        }
        assert_eq!(name_of::<pb::DisputeState>(0), None);
        assert_eq!(wire::<pb::DisputeState>("NOT_A_STATE"), 0);
    }
}
