//! How collections answers read as text (the `--json` form prints the messages themselves).
use crate::output::{self, fields, table};
use credit_proto::collections as pb;

pub(super) fn metrics_text(m: &pb::CollectionMetrics) -> String {
    let rows = m
        .rows
        .iter()
        .map(|r| {
            vec![
                if r.key.is_empty() {
                    "portfolio".into()
                } else {
                    r.key.clone()
                },
                r.currency_code.clone(),
                output::amount(&r.credit_sales),
                output::amount(&r.closing_receivables),
                r.days_sales_outstanding.clone(),
                r.best_possible_dso.clone(),
                r.average_days_delinquent.clone(),
                r.collection_effectiveness_index.clone(),
                r.overdue_share.clone(),
                output::amount(&r.written_off),
                r.write_off_share.clone(),
            ]
        })
        .collect();
    format!(
        "{} to {} ({} days)\n{}",
        output::date(&m.start_date),
        output::date(&m.end_date),
        m.days,
        table(
            &[
                "group",
                "currency",
                "credit sales",
                "closing AR",
                "DSO",
                "best DSO",
                "ADD",
                "CEI %",
                "overdue share",
                "written off",
                "write-off share"
            ],
            rows
        )
    )
}

pub(super) fn report_text(r: &pb::ImportReport) -> String {
    let mut text = fields(&[
        ("rows", r.rows.to_string()),
        ("created", r.created.to_string()),
        ("updated", r.updated.to_string()),
        ("unchanged", r.unchanged.to_string()),
        ("rejected", r.rejected.len().to_string()),
        (
            "applied",
            if r.rolled_back {
                "nothing (all-or-nothing)".into()
            } else {
                "the valid rows".into()
            },
        ),
    ]);
    if !r.rejected.is_empty() {
        let rows = r
            .rejected
            .iter()
            .map(|x| {
                vec![
                    x.row_number.to_string(),
                    x.document_id.clone(),
                    x.field.clone(),
                    x.message.clone(),
                ]
            })
            .collect();
        text.push('\n');
        text.push_str(&table(&["row", "document", "field", "problem"], rows));
    }
    text
}

pub(super) fn document_text(d: &pb::ReceivableDocument) -> String {
    let mut rows = vec![
        ("document", d.document_id.clone()),
        ("customer", d.customer_id.clone()),
        (
            "kind",
            output::enum_name::<credit_proto::collections::DocumentKind>(d.kind),
        ),
        ("amount", output::money(&d.amount)),
        ("open", output::money(&d.open_amount)),
        ("issued", output::date(&d.issue_date)),
    ];
    if d.due_date.is_some() {
        rows.push(("due", output::date(&d.due_date)));
    }
    if !d.order_id.is_empty() {
        rows.push(("order", d.order_id.clone()));
    }
    for a in &d.allocations {
        rows.push((
            "applies to",
            format!("{} {}", a.invoice_id, output::money(&a.amount)),
        ));
    }
    for a in &d.applied {
        rows.push((
            "paid by",
            format!(
                "{} {} on {}",
                a.document_id,
                output::money(&a.amount),
                output::date(&a.applied_date)
            ),
        ));
    }
    rows.push(("version", d.version.to_string()));
    fields(&rows)
}

pub(super) fn plan_text(p: &pb::PaymentPlan) -> String {
    let rows = p
        .instalments
        .iter()
        .map(|i| {
            vec![
                output::date(&i.due_date),
                output::amount(&i.amount),
                output::amount(&i.paid_amount),
                output::enum_name::<credit_proto::collections::InstalmentState>(i.state),
            ]
        })
        .collect();
    format!(
        "plan {} ({}): {} over {}, paid {}{}\n{}",
        p.plan_id,
        output::enum_name::<credit_proto::collections::PaymentPlanState>(p.state),
        output::money(&p.total_amount),
        p.invoice_ids.join(", "),
        output::amount(&p.paid_amount),
        if p.breached_instalment_date.is_none() {
            String::new()
        } else {
            format!(
                ", missed the instalment of {}",
                output::date(&p.breached_instalment_date)
            )
        },
        table(&["due", "amount", "paid", "state"], rows)
    )
}

pub(super) fn write_off_text(w: &pb::WriteOff) -> String {
    let mut rows = vec![
        ("write-off", w.write_off_id.clone()),
        ("invoice", w.invoice_id.clone()),
        ("amount", output::money(&w.amount)),
        (
            "state",
            output::enum_name::<credit_proto::collections::WriteOffState>(w.state),
        ),
        ("needs", w.required_role.clone()),
        ("requested by", w.requested_by.clone()),
        ("reason", w.reason.clone()),
    ];
    if !w.decided_by.is_empty() {
        rows.push(("decided by", w.decided_by.clone()));
        rows.push(("comment", w.decision_comment.clone()));
    }
    if !w.recoveries.is_empty() {
        rows.push(("recovered", output::money(&w.recovered_amount)));
    }
    fields(&rows)
}

pub(super) fn dispute_text(d: &pb::Dispute) -> String {
    let mut rows = vec![
        ("dispute", d.dispute_id.clone()),
        ("invoice", d.invoice_id.clone()),
        ("amount", output::money(&d.amount)),
        (
            "reason",
            output::enum_name::<credit_proto::collections::DisputeReason>(d.reason),
        ),
        (
            "state",
            output::enum_name::<credit_proto::collections::DisputeState>(d.state),
        ),
        ("due", output::date(&d.due_date)),
        ("owner", d.owner.clone()),
    ];
    for c in &d.comments {
        rows.push(("comment", format!("{}: {}", c.author, c.text)));
    }
    for doc in &d.documents {
        rows.push((
            "document",
            format!(
                "{} ({} bytes, sha256 {})",
                doc.file_name, doc.size_bytes, doc.sha256
            ),
        ));
    }
    fields(&rows)
}

pub(super) fn statement_text(list: &pb::ListDocumentsResponse) -> String {
    let rows = list
        .documents
        .iter()
        .map(|d| {
            vec![
                d.document_id.clone(),
                output::enum_name::<credit_proto::collections::DocumentKind>(d.kind),
                output::date(&d.issue_date),
                output::date(&d.due_date),
                output::money(&d.amount),
                output::money(&d.open_amount),
            ]
        })
        .collect();
    table(
        &["document", "kind", "issued", "due", "amount", "open"],
        rows,
    )
}

pub(super) fn aging_text(a: &pb::Aging) -> String {
    let Some(first) = a.rows.first() else {
        return format!("nothing open as of {}", output::date(&a.as_of_date));
    };
    let mut header: Vec<String> = vec!["group".into(), "currency".into()];
    header.extend(first.buckets.iter().map(|b| b.label.clone()));
    header.extend(["total".into(), "overdue".into(), "unapplied".into()]);
    let rows = a
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                if r.key.is_empty() {
                    "portfolio".into()
                } else {
                    r.key.clone()
                },
                r.currency_code.clone(),
            ];
            row.extend(r.buckets.iter().map(|b| output::amount(&b.amount)));
            row.extend([
                output::amount(&r.total),
                output::amount(&r.overdue),
                output::amount(&r.unapplied),
            ]);
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    format!(
        "as of {}\n{}",
        output::date(&a.as_of_date),
        table(&header, rows)
    )
}
