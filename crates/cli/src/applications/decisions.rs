//! `creditctl application`: what approvers do: approve, reject, ask for information; the decision
//! policy.
use super::{ApplicationCommand, Client, print, rid};
use crate::output::time;
use anyhow::Context;
use credit_proto::applications as pb;
use credit_proto::types::Money;

/// Runs `command` if it is one of these; gives it back otherwise.
pub async fn run(
    command: ApplicationCommand,
    c: &mut Client,
    json: bool,
) -> anyhow::Result<Option<ApplicationCommand>> {
    match command {
        ApplicationCommand::Approve {
            application_id,
            amount,
            currency,
            terms,
            conditions,
            comment,
            override_reason,
            override_comment,
        } => {
            let approved_limit = match amount {
                Some(amount) => {
                    let currency = match currency {
                        Some(c) => c.to_uppercase(),
                        None => c
                            .get_application(pb::GetApplicationRequest {
                                application_id: application_id.clone(),
                            })
                            .await?
                            .into_inner()
                            .credit_request
                            .and_then(|r| r.requested_limit)
                            .map(|m| m.currency_code)
                            .unwrap_or_default(),
                    };
                    Some(Money {
                        amount,
                        currency_code: currency,
                    })
                }
                None => None,
            };
            let a = c
                .approve_application(pb::ApproveApplicationRequest {
                    application_id,
                    approved_limit,
                    payment_terms_days: terms,
                    conditions,
                    comment,
                    override_reason_code: override_reason,
                    override_comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(&a, json)?;
        }
        ApplicationCommand::Reject {
            application_id,
            reasons,
            comment,
            override_reason,
            override_comment,
        } => {
            let a = c
                .reject_application(pb::RejectApplicationRequest {
                    application_id,
                    reasons,
                    comment,
                    override_reason_code: override_reason,
                    override_comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(&a, json)?;
        }
        ApplicationCommand::RequestInfo {
            application_id,
            questions,
        } => {
            let a = c
                .request_information(pb::RequestInformationRequest {
                    application_id,
                    questions,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(&a, json)?;
        }
        ApplicationCommand::Policy { version } => {
            let p = c
                .get_decision_policy(pb::GetDecisionPolicyRequest { version })
                .await?
                .into_inner();
            eprintln!(
                "version {} \"{}\"{} by {} at {}",
                p.version,
                p.name,
                if p.active { " (active)" } else { "" },
                p.uploaded_by,
                time(&p.upload_time)
            );
            println!("{}", p.document_json);
        }
        ApplicationCommand::UploadPolicy { file } => {
            let p = c
                .upload_decision_policy(pb::UploadDecisionPolicyRequest {
                    document_json: std::fs::read_to_string(&file)
                        .with_context(|| format!("{}", file.display()))?,
                    activate: false,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "decision policy version {} \"{}\" proposed; in force once another manager \
                 runs `creditctl application approve-policy {}`",
                p.version, p.name, p.version
            );
        }
        ApplicationCommand::ApprovePolicy { version } => {
            let p = c
                .approve_decision_policy(pb::ApproveDecisionPolicyRequest {
                    version,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "decision policy version {} \"{}\" in force (approved by {})",
                p.version, p.name, p.approved_by
            );
        }
        other => return Ok(Some(other)),
    }
    Ok(None)
}
