//! `creditctl collections`: what customers commit to: promises to pay and payment plans.
use super::text::plan_text;
use super::{Client, CollectionsCommand, rid};
use crate::output::{self, table};
use anyhow::Context;
use credit_proto::collections as pb;
use credit_proto::types::Money;

/// Runs `command` if it is one of these; gives it back otherwise.
pub async fn run(
    command: CollectionsCommand,
    c: &mut Client,
    json: bool,
) -> anyhow::Result<Option<CollectionsCommand>> {
    let done: anyhow::Result<()> = match command {
        CollectionsCommand::Promise {
            customer_id,
            amount,
            currency,
            by,
            note,
        } => {
            let p = c
                .record_promise(pb::RecordPromiseRequest {
                    customer_id,
                    amount: Some(Money {
                        amount,
                        currency_code: currency,
                    }),
                    promised_date: output::date_arg(&by, "--by")?,
                    note,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &p, "credit.collections.v1.Promise", |p| {
                format!(
                    "promise {}: {} by {} ({})",
                    p.promise_id,
                    output::money(&p.amount),
                    output::date(&p.promised_date),
                    output::enum_name::<credit_proto::collections::PromiseState>(p.state)
                )
            })
        }
        CollectionsCommand::Promises { customer_id } => {
            let list = c
                .list_promises(pb::ListPromisesRequest {
                    customer_id,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListPromisesResponse",
                |l| {
                    let rows = l
                        .promises
                        .iter()
                        .map(|p| {
                            vec![
                                output::time(&p.record_time),
                                output::money(&p.amount),
                                output::date(&p.promised_date),
                                output::enum_name::<credit_proto::collections::PromiseState>(
                                    p.state,
                                ),
                                output::money(&p.paid_amount),
                                p.note.clone(),
                            ]
                        })
                        .collect();
                    table(&["recorded", "amount", "by", "state", "paid", "note"], rows)
                },
            )
        }
        CollectionsCommand::Plan {
            customer_id,
            invoices,
            instalments,
            grace_days,
            note,
        } => {
            // Instalments are in the invoices' currency: the first invoice's.
            let first = invoices.first().cloned().unwrap_or_default();
            let currency = c
                .get_document(pb::GetDocumentRequest {
                    document_id: first.clone(),
                })
                .await
                .with_context(|| format!("invoice {first}"))?
                .into_inner()
                .amount
                .map(|m| m.currency_code)
                .unwrap_or_default();
            let instalments = instalments
                .iter()
                .map(|text| {
                    let (date, amount) = text.split_once(':').ok_or_else(|| {
                        anyhow::anyhow!("--instalment {text}: DATE:AMOUNT (\"2026-12-10:500\")")
                    })?;
                    Ok(pb::Instalment {
                        due_date: output::date_arg(date, "--instalment")?,
                        amount: Some(credit_proto::types::Money {
                            amount: amount.trim().to_string(),
                            currency_code: currency.clone(),
                        }),
                        ..Default::default()
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let p = c
                .create_payment_plan(pb::CreatePaymentPlanRequest {
                    customer_id,
                    invoice_ids: invoices,
                    instalments,
                    grace_days,
                    note,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &p, "credit.collections.v1.PaymentPlan", plan_text)
        }
        CollectionsCommand::Plans { customer_id } => {
            let list = c
                .list_payment_plans(pb::ListPaymentPlansRequest {
                    customer_id,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListPaymentPlansResponse",
                |l| {
                    l.payment_plans
                        .iter()
                        .map(plan_text)
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            )
        }
        other => return Ok(Some(other)),
    };
    done.map(|()| None)
}
