//! `creditctl application`: applications as the applicant sees them: create, update, ask for a
//! change, submit, read, list, withdraw, the decision notice.
use super::{ApplicationCommand, Client, print, read_application, rid, state_name};
use crate::output::{self, table, time};
use credit_proto::applications as pb;
use credit_proto::types::Money;

/// Runs `command` if it is one of these; gives it back otherwise.
pub async fn run(
    command: ApplicationCommand,
    c: &mut Client,
    json: bool,
) -> anyhow::Result<Option<ApplicationCommand>> {
    match command {
        ApplicationCommand::Create { file } => {
            let a = c
                .create_application(pb::CreateApplicationRequest {
                    application: Some(read_application(&file)?),
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(&a, json)?;
        }
        ApplicationCommand::Update {
            application_id,
            file,
        } => {
            let mut application = read_application(&file)?;
            application.application_id = application_id;
            let a = c
                .update_application(pb::UpdateApplicationRequest {
                    application: Some(application),
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(&a, json)?;
        }
        ApplicationCommand::Change {
            customer_id,
            kind,
            amount,
            currency,
            until,
            reason,
        } => {
            let kind = match kind.to_lowercase().as_str() {
                "increase" => pb::ApplicationKind::LimitIncrease,
                "temporary" => pb::ApplicationKind::TemporaryIncrease,
                "decrease" => pb::ApplicationKind::LimitDecrease,
                other => anyhow::bail!("--kind {other}: increase, temporary or decrease"),
            };
            let temporary_end_time = until
                .map(|t| {
                    humantime::parse_rfc3339(&t)
                        .map(prost_types::Timestamp::from)
                        .map_err(|e| anyhow::anyhow!("--until {t}: {e}"))
                })
                .transpose()?;
            let a = c
                .request_limit_change(pb::RequestLimitChangeRequest {
                    customer_id,
                    kind: kind as i32,
                    requested_limit: Some(Money {
                        amount,
                        currency_code: currency,
                    }),
                    temporary_end_time,
                    reason,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(&a, json)?;
        }
        ApplicationCommand::Submit { application_id } => {
            let a = c
                .submit_application(pb::SubmitApplicationRequest {
                    application_id,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(&a, json)?;
        }
        ApplicationCommand::Get { application_id } => {
            let a = c
                .get_application(pb::GetApplicationRequest { application_id })
                .await?
                .into_inner();
            print(&a, json)?;
        }
        ApplicationCommand::List {
            state,
            awaiting,
            customer,
        } => {
            let state = match state {
                Some(s) => {
                    let name = format!("APPLICATION_STATE_{}", s.to_uppercase().replace('-', "_"));
                    pb::ApplicationState::from_str_name(&name)
                        .ok_or_else(|| anyhow::anyhow!("unknown state '{s}'"))?
                        as i32
                }
                None => 0,
            };
            let list = c
                .list_applications(pb::ListApplicationsRequest {
                    state,
                    customer_id: customer.unwrap_or_default(),
                    awaiting_role: awaiting.unwrap_or_default(),
                    page_size: 100,
                    page_token: String::new(),
                })
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&list, "credit.applications.v1.ListApplicationsResponse")?
                );
            } else {
                let rows = list
                    .applications
                    .iter()
                    .map(|a| {
                        let applicant = a.applicant.clone().unwrap_or_default();
                        let current = a
                            .approval_steps
                            .iter()
                            .find(|s| s.state() == pb::ApprovalStepState::Pending)
                            .map(|s| s.level.clone())
                            .unwrap_or_default();
                        vec![
                            a.application_id.clone(),
                            a.customer_id.clone(),
                            applicant.legal_name,
                            state_name(a.state),
                            output::money(
                                &a.credit_request.clone().unwrap_or_default().requested_limit,
                            ),
                            current,
                            time(&a.update_time),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(
                        &[
                            "application",
                            "customer",
                            "applicant",
                            "state",
                            "asked",
                            "waiting for",
                            "updated"
                        ],
                        rows
                    )
                );
            }
        }
        ApplicationCommand::Withdraw {
            application_id,
            reason,
        } => {
            let a = c
                .withdraw_application(pb::WithdrawApplicationRequest {
                    application_id,
                    reason,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(&a, json)?;
        }
        ApplicationCommand::Notice {
            application_id,
            language,
        } => {
            let n = c
                .get_decision_notice(pb::GetDecisionNoticeRequest {
                    application_id,
                    language,
                })
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&n, "credit.applications.v1.DecisionNotice")?
                );
            } else {
                println!("{}\n\n{}", n.subject, n.body);
            }
        }
        other => return Ok(Some(other)),
    }
    Ok(None)
}
