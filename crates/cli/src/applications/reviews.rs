//! `creditctl application`: periodic reviews and the application metrics.
use super::{ApplicationCommand, Client, rid};
use crate::output::{self, fields, table, time};
use credit_proto::applications as pb;

/// Runs `command` if it is one of these; gives it back otherwise.
pub async fn run(
    command: ApplicationCommand,
    c: &mut Client,
    json: bool,
) -> anyhow::Result<Option<ApplicationCommand>> {
    match command {
        ApplicationCommand::Reviews { state, customer } => {
            let list = c
                .list_review_cases(pb::ListReviewCasesRequest {
                    state: output::enum_arg::<pb::ReviewCaseState>(&state, "--state")?,
                    customer_id: customer,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&list, "credit.applications.v1.ListReviewCasesResponse")?
                );
            } else {
                let rows = list
                    .cases
                    .iter()
                    .map(|r| {
                        vec![
                            r.case_id.clone(),
                            r.customer_id.clone(),
                            output::enum_name::<pb::ReviewReason>(r.reason),
                            output::enum_name::<pb::ReviewCaseState>(r.state),
                            time(&r.review_time),
                            if r.outcome == 0 {
                                String::new()
                            } else {
                                output::enum_name::<pb::ReviewOutcome>(r.outcome)
                            },
                            r.closed_by.clone(),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(
                        &[
                            "case",
                            "customer",
                            "reason",
                            "state",
                            "due",
                            "outcome",
                            "closed by"
                        ],
                        rows
                    )
                );
            }
        }
        ApplicationCommand::CloseReview {
            case_id,
            outcome,
            comment,
        } => {
            let r = c
                .close_review_case(pb::CloseReviewCaseRequest {
                    case_id,
                    outcome: output::enum_arg::<pb::ReviewOutcome>(&outcome, "--outcome")?,
                    comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "review {} closed: {}{}",
                r.case_id,
                output::enum_name::<pb::ReviewOutcome>(r.outcome),
                r.next_review_time
                    .map(|t| format!(", next review {}", time(&Some(t))))
                    .unwrap_or_default()
            );
        }
        ApplicationCommand::Metrics {
            from,
            to,
            region,
            segment,
        } => {
            let stamp = |t: Option<String>| -> anyhow::Result<Option<prost_types::Timestamp>> {
                t.map(|t| {
                    humantime::parse_rfc3339(&t)
                        .map(prost_types::Timestamp::from)
                        .map_err(|e| anyhow::anyhow!("{t}: {e}"))
                })
                .transpose()
            };
            let m = c
                .get_application_metrics(pb::GetApplicationMetricsRequest {
                    start_time: stamp(from)?,
                    end_time: stamp(to)?,
                    region,
                    segment,
                })
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&m, "credit.applications.v1.ApplicationMetrics")?
                );
            } else {
                let hours = |d: &Option<prost_types::Duration>| {
                    d.as_ref()
                        .map(|d| format!("{:.1} h", d.seconds as f64 / 3600.0))
                        .unwrap_or_else(|| "-".into())
                };
                println!(
                    "{}",
                    fields(&[
                        ("submissions", m.submissions.to_string()),
                        (
                            "decisions",
                            format!("{} ({} approved)", m.decisions, m.approved)
                        ),
                        (
                            "auto-decision rate",
                            format!("{} ({})", m.auto_decision_rate, m.automatic_decisions)
                        ),
                        (
                            "override frequency",
                            format!("{} ({})", m.override_frequency, m.overrides)
                        ),
                        (
                            "cycle time p50 / p90 / p99 / max",
                            format!(
                                "{} / {} / {} / {}",
                                hours(&m.cycle_time_p50),
                                hours(&m.cycle_time_p90),
                                hours(&m.cycle_time_p99),
                                hours(&m.cycle_time_max)
                            )
                        ),
                    ])
                );
                let backlog = m
                    .backlog
                    .iter()
                    .map(|b| {
                        vec![
                            b.level.clone(),
                            b.pending.to_string(),
                            b.overdue.to_string(),
                            time(&b.oldest_due_time),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(&["level", "pending", "overdue", "oldest due"], backlog)
                );
                let approvers = m
                    .approvers
                    .iter()
                    .map(|a| {
                        vec![
                            a.approver.clone(),
                            a.approvals.to_string(),
                            a.rejections.to_string(),
                            a.information_requests.to_string(),
                            a.overrides.to_string(),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(
                        &[
                            "approver",
                            "approvals",
                            "rejections",
                            "info requests",
                            "overrides"
                        ],
                        approvers
                    )
                );
            }
        }
        other => return Ok(Some(other)),
    }
    Ok(None)
}
