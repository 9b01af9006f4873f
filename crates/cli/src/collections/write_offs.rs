//! `creditctl collections`: write-offs: requested, decided, recovered, listed.
use super::text::write_off_text;
use super::{Client, CollectionsCommand, rid};
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
        CollectionsCommand::WriteOff {
            invoice_id,
            amount,
            currency,
            reason,
            dispute,
        } => {
            let w = c
                .request_write_off(pb::RequestWriteOffRequest {
                    invoice_id,
                    amount: Some(Money {
                        amount,
                        currency_code: currency,
                    }),
                    reason,
                    dispute_id: dispute,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &w, "credit.collections.v1.WriteOff", write_off_text)
        }
        CollectionsCommand::DecideWriteOff {
            write_off_id,
            reject,
            comment,
        } => {
            let w = c
                .decide_write_off(pb::DecideWriteOffRequest {
                    write_off_id,
                    approve: !reject,
                    comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &w, "credit.collections.v1.WriteOff", write_off_text)
        }
        CollectionsCommand::Recover {
            write_off_id,
            amount,
            currency,
            date,
            reference,
        } => {
            let w = c
                .record_recovery(pb::RecordRecoveryRequest {
                    write_off_id,
                    amount: Some(Money {
                        amount,
                        currency_code: currency,
                    }),
                    date: output::date_arg(&date, "--date")?,
                    reference,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &w, "credit.collections.v1.WriteOff", write_off_text)
        }
        CollectionsCommand::WriteOffs { customer, state } => {
            let list = c
                .list_write_offs(pb::ListWriteOffsRequest {
                    customer_id: customer,
                    state: output::enum_arg::<pb::WriteOffState>(&state, "--state")?,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListWriteOffsResponse",
                |l| {
                    let rows = l
                        .write_offs
                        .iter()
                        .map(|w| {
                            vec![
                                w.write_off_id.clone(),
                                w.customer_id.clone(),
                                w.invoice_id.clone(),
                                output::money(&w.amount),
                                output::enum_name::<credit_proto::collections::WriteOffState>(
                                    w.state,
                                ),
                                w.required_role.clone(),
                                output::money(&w.recovered_amount),
                            ]
                        })
                        .collect();
                    table(
                        &[
                            "write-off",
                            "customer",
                            "invoice",
                            "amount",
                            "state",
                            "needs",
                            "recovered",
                        ],
                        rows,
                    )
                },
            )
        }
        other => return Ok(Some(other)),
    };
    done.map(|()| None)
}
