//! Wire checks of a document row: every problem named under `document.…`.
use crate::domain::ledger::{Document, Kind, Problem, positive_minor, problem};
use credit_platform::clock::parse_date;
use credit_platform::money::Currency;
use credit_proto::collections as pb;

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
    let issue_day = parse_date(&d.issue_date);
    if issue_day.is_none() {
        problems.push(problem("document.issue_date", "must be a date YYYY-MM-DD"));
    }
    let mut due_day = None;
    match kind {
        Some(Kind::Invoice) => {
            due_day = parse_date(&d.due_date);
            match (due_day, issue_day) {
                (None, _) => problems.push(problem(
                    "document.due_date",
                    "an invoice needs a due date YYYY-MM-DD",
                )),
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
        Some(_) if !d.due_date.is_empty() => problems.push(problem(
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
            match positive_minor(&a.amount, c, &format!("{field}.amount")) {
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
