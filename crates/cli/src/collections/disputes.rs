//! `creditctl collections`: disputes: opened, resolved, their documents, listed, and their metrics.
use super::text::dispute_text;
use super::{Client, CollectionsCommand, group_by, rid};
use crate::output::{self, table};
use credit_proto::collections as pb;
use credit_proto::types::Money;

/// Runs `command` if it is one of these; gives it back otherwise.
pub async fn run(
    command: CollectionsCommand,
    c: &mut Client,
    json: bool,
) -> anyhow::Result<Option<CollectionsCommand>> {
    let done: anyhow::Result<()> = match command {
        CollectionsCommand::Dispute {
            invoice_id,
            amount,
            currency,
            reason,
            comment,
            line,
        } => {
            let reason = match reason.to_lowercase().replace('-', "_").as_str() {
                "price" => pb::DisputeReason::Price,
                "quantity" => pb::DisputeReason::Quantity,
                "damaged" => pb::DisputeReason::Damaged,
                "not_received" => pb::DisputeReason::NotReceived,
                "duplicate" => pb::DisputeReason::Duplicate,
                "other" => pb::DisputeReason::Other,
                other => anyhow::bail!(
                    "--reason {other}: price, quantity, damaged, not-received, duplicate or other"
                ),
            };
            let d = c
                .open_dispute(pb::OpenDisputeRequest {
                    invoice_id,
                    amount: Some(Money {
                        amount,
                        currency_code: currency,
                    }),
                    reason: reason as i32,
                    line,
                    owner: String::new(),
                    comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &d, "credit.collections.v1.Dispute", dispute_text)
        }
        CollectionsCommand::Resolve {
            dispute_id,
            credit_note,
            comment,
        } => {
            let d = c
                .resolve_dispute(pb::ResolveDisputeRequest {
                    dispute_id,
                    resolution: if credit_note.is_some() {
                        pb::DisputeResolution::CreditNote
                    } else {
                        pb::DisputeResolution::Rejected
                    }
                    .into(),
                    credit_note_id: credit_note.unwrap_or_default(),
                    comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &d, "credit.collections.v1.Dispute", dispute_text)
        }
        CollectionsCommand::Attach {
            dispute_id,
            file,
            content_type,
        } => {
            let content_type = match content_type {
                Some(t) => t,
                None => crate::applications::content_type_of(&file)?,
            };
            let content = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
            let d = c
                .attach_dispute_document(pb::AttachDisputeDocumentRequest {
                    dispute_id,
                    file_name: file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    content_type,
                    content,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &d, "credit.collections.v1.Dispute", dispute_text)
        }
        CollectionsCommand::DisputeDocument {
            dispute_id,
            sha256,
            out,
        } => {
            let d = c
                .get_dispute_document(pb::GetDisputeDocumentRequest { dispute_id, sha256 })
                .await?
                .into_inner();
            std::fs::write(&out, &d.content)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
            println!(
                "{} bytes written to {} (SHA-256 verified)",
                d.content.len(),
                out.display()
            );
            Ok(())
        }
        CollectionsCommand::Disputes { customer, state } => {
            let list = c
                .list_disputes(pb::ListDisputesRequest {
                    customer_id: customer,
                    state: output::enum_arg::<pb::DisputeState>(&state, "--state")?,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListDisputesResponse",
                |l| {
                    let rows = l
                        .disputes
                        .iter()
                        .map(|d| {
                            vec![
                                d.dispute_id.clone(),
                                d.customer_id.clone(),
                                d.invoice_id.clone(),
                                output::money(&d.amount),
                                output::enum_name::<credit_proto::collections::DisputeReason>(
                                    d.reason,
                                ),
                                output::enum_name::<credit_proto::collections::DisputeState>(
                                    d.state,
                                ),
                                output::date(&d.due_date),
                                d.owner.clone(),
                            ]
                        })
                        .collect();
                    table(
                        &[
                            "dispute", "customer", "invoice", "amount", "reason", "state", "due",
                            "owner",
                        ],
                        rows,
                    )
                },
            )
        }
        CollectionsCommand::DisputeMetrics { from, to, by } => {
            let metrics = c
                .get_dispute_metrics(pb::GetDisputeMetricsRequest {
                    start_date: output::date_arg(&from, "--from")?,
                    end_date: output::date_arg(&to, "--to")?,
                    group_by: group_by(&by)? as i32,
                })
                .await?
                .into_inner();
            output::print(
                json,
                &metrics,
                "credit.collections.v1.DisputeMetrics",
                |m| {
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
                                output::enum_name::<credit_proto::collections::DisputeReason>(
                                    r.reason,
                                ),
                                r.currency_code.clone(),
                                r.opened.to_string(),
                                r.resolved.to_string(),
                                r.mean_resolution_days.clone(),
                                r.median_resolution_days.clone(),
                                r.open_at_end.to_string(),
                                r.past_due_at_end.to_string(),
                            ]
                        })
                        .collect();
                    format!(
                        "{} to {}\n{}",
                        output::date(&m.start_date),
                        output::date(&m.end_date),
                        table(
                            &[
                                "group",
                                "reason",
                                "currency",
                                "opened",
                                "resolved",
                                "mean days",
                                "median days",
                                "open at end",
                                "past due",
                            ],
                            rows,
                        )
                    )
                },
            )
        }
        other => return Ok(Some(other)),
    };
    done.map(|()| None)
}
