//! `creditctl collections`: dunning: runs, previews, the messages written, the dunning policy.
use super::{Client, CollectionsCommand, rid};
use crate::output::{self, table};
use anyhow::Context;
use credit_proto::collections as pb;

/// Runs `command` if it is one of these; gives it back otherwise.
pub async fn run(
    command: CollectionsCommand,
    c: &mut Client,
    json: bool,
) -> anyhow::Result<Option<CollectionsCommand>> {
    let done: anyhow::Result<()> = match command {
        CollectionsCommand::Dun { customer } => {
            let run = c
                .run_dunning(pb::RunDunningRequest {
                    customer_id: customer,
                })
                .await?
                .into_inner();
            output::print(json, &run, "credit.collections.v1.DunningRun", |r| {
                let rows = r
                    .actions
                    .iter()
                    .map(|a| {
                        vec![
                            a.customer_id.clone(),
                            a.currency_code.clone(),
                            a.step_code.clone(),
                            output::enum_name::<credit_proto::collections::DunningOutcome>(
                                a.outcome,
                            ),
                            a.detail.clone(),
                        ]
                    })
                    .collect();
                table(&["customer", "currency", "step", "outcome", "detail"], rows)
            })
        }
        CollectionsCommand::Preview { customer_id } => {
            let preview = c
                .get_dunning_preview(pb::GetDunningPreviewRequest { customer_id })
                .await?
                .into_inner();
            output::print(
                json,
                &preview,
                "credit.collections.v1.DunningPreview",
                |p| {
                    p.plans
                    .iter()
                    .map(|plan| {
                        let rows = plan
                            .next_steps
                            .iter()
                            .map(|s| {
                                vec![
                                    output::date(&s.date),
                                    s.step_code.clone(),
                                    output::enum_name::<credit_proto::collections::Channel>(s.channel),
                                    output::enum_name::<credit_proto::collections::Consequence>(s.consequence),
                                ]
                            })
                            .collect();
                        format!(
                            "{} — strategy {}, anchor {} due {}, last step {}, open {}, overdue {}\n{}",
                            plan.currency_code,
                            plan.strategy,
                            plan.anchor_document_id,
                            output::date(&plan.anchor_due_date),
                            if plan.last_step_code.is_empty() {
                                "none"
                            } else {
                                &plan.last_step_code
                            },
                            output::amount(&plan.open_amount),
                            output::amount(&plan.overdue_amount),
                            table(&["when", "step", "channel", "consequence"], rows)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
                },
            )
        }
        CollectionsCommand::Messages { customer_id, full } => {
            let list = c
                .list_messages(pb::ListMessagesRequest {
                    customer_id,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListMessagesResponse",
                |l| {
                    if full {
                        return l
                            .messages
                            .iter()
                            .map(|m| {
                                format!(
                                    "{} {} {} to {}\nSubject: {}\n\n{}\n",
                                    output::time(&m.create_time),
                                    m.step_code,
                                    m.state,
                                    m.recipient,
                                    m.subject,
                                    m.body
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n");
                    }
                    let rows = l
                        .messages
                        .iter()
                        .map(|m| {
                            vec![
                                output::time(&m.create_time),
                                m.step_code.clone(),
                                output::enum_name::<credit_proto::collections::MessageState>(
                                    m.state,
                                ),
                                m.recipient.clone(),
                                m.subject.clone(),
                                m.last_error.clone(),
                            ]
                        })
                        .collect();
                    table(
                        &["written", "step", "state", "to", "subject", "last error"],
                        rows,
                    )
                },
            )
        }
        CollectionsCommand::DunningPolicy { version } => {
            let policy = c
                .get_dunning_policy(pb::GetDunningPolicyRequest { version })
                .await?
                .into_inner();
            println!("{}", policy.document_json);
            Ok(())
        }
        CollectionsCommand::UploadDunningPolicy { file } => {
            let document_json =
                std::fs::read_to_string(&file).with_context(|| format!("{}", file.display()))?;
            let policy = c
                .upload_dunning_policy(pb::UploadDunningPolicyRequest {
                    document_json,
                    activate: false,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "dunning policy v{} \"{}\" proposed; in force once another manager runs \
                 `creditctl collections approve-dunning-policy {}`",
                policy.version, policy.name, policy.version
            );
            Ok(())
        }
        CollectionsCommand::ApproveDunningPolicy { version } => {
            let policy = c
                .approve_dunning_policy(pb::ApproveDunningPolicyRequest {
                    version,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "dunning policy v{} \"{}\" in force (approved by {})",
                policy.version, policy.name, policy.approved_by
            );
            Ok(())
        }
        other => return Ok(Some(other)),
    };
    done.map(|()| None)
}
