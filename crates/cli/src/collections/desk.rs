//! `creditctl collections`: the collector's desk: the worklist, assignments, the activity log,
//! limitation periods.
use super::{Client, CollectionsCommand, rid};
use crate::output::{self, table};
use credit_proto::collections as pb;

/// Runs `command` if it is one of these; gives it back otherwise.
pub async fn run(
    command: CollectionsCommand,
    c: &mut Client,
    json: bool,
) -> anyhow::Result<Option<CollectionsCommand>> {
    let done: anyhow::Result<()> = match command {
        CollectionsCommand::Worklist {
            collector,
            segment,
            limit,
        } => {
            let list = c
                .get_worklist(pb::GetWorklistRequest {
                    collector,
                    segment,
                    limit,
                })
                .await?
                .into_inner();
            output::print(json, &list, "credit.collections.v1.Worklist", |l| {
                let rows = l
                    .items
                    .iter()
                    .map(|i| {
                        vec![
                            i.rank.to_string(),
                            i.customer_id.clone(),
                            output::money(&i.overdue_amount),
                            i.days_past_due.to_string(),
                            i.probability_of_default.clone(),
                            i.priority.clone(),
                            output::enum_name::<credit_proto::collections::NextAction>(i.action),
                            i.reason.clone(),
                            i.collector.clone(),
                        ]
                    })
                    .collect();
                format!(
                    "as of {}\n{}",
                    output::date(&l.as_of_date),
                    table(
                        &[
                            "#",
                            "customer",
                            "overdue",
                            "days",
                            "PD",
                            "priority",
                            "action",
                            "why",
                            "collector",
                        ],
                        rows,
                    )
                )
            })
        }
        CollectionsCommand::Assign {
            collector,
            customers,
            segments,
        } => {
            let done = c
                .assign_collector(pb::AssignCollectorRequest {
                    collector: collector.clone(),
                    customer_ids: customers,
                    segments,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(
                json,
                &done,
                "credit.collections.v1.AssignCollectorResponse",
                |d| {
                    format!(
                        "{collector}: {} customers, {} segments assigned",
                        d.customers_assigned, d.segments_assigned
                    )
                },
            )
        }
        CollectionsCommand::Activity {
            customer_id,
            kind,
            outcome,
            note,
            follow_up,
        } => {
            let a = c
                .log_activity(pb::LogActivityRequest {
                    customer_id,
                    kind: output::enum_arg::<pb::ActivityKind>(&kind, "--kind")?,
                    outcome: output::enum_arg::<pb::ActivityOutcome>(&outcome, "--outcome")?,
                    note,
                    follow_up_date: output::date_arg(&follow_up, "--follow-up")?,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &a, "credit.collections.v1.Activity", |a| {
                format!("{} {} ({}) logged", a.kind, a.customer_id, a.outcome)
            })
        }
        CollectionsCommand::Activities { customer_id } => {
            let list = c
                .list_activities(pb::ListActivitiesRequest {
                    customer_id,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListActivitiesResponse",
                |l| {
                    let rows = l
                        .activities
                        .iter()
                        .map(|a| {
                            vec![
                                output::time(&a.record_time),
                                a.collector.clone(),
                                output::enum_name::<credit_proto::collections::ActivityKind>(
                                    a.kind,
                                ),
                                output::enum_name::<credit_proto::collections::ActivityOutcome>(
                                    a.outcome,
                                ),
                                output::date(&a.follow_up_date),
                                a.note.clone(),
                            ]
                        })
                        .collect();
                    table(
                        &["when", "collector", "kind", "outcome", "follow-up", "note"],
                        rows,
                    )
                },
            )
        }
        CollectionsCommand::Limitations {
            customer,
            within_days,
        } => {
            let list = c
                .list_limitations(pb::ListLimitationsRequest {
                    customer_id: customer,
                    within_days,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListLimitationsResponse",
                |l| {
                    let rows = l
                        .limitations
                        .iter()
                        .map(|s| {
                            vec![
                                s.customer_id.clone(),
                                s.document_id.clone(),
                                output::money(&s.open_amount),
                                s.jurisdiction.clone(),
                                output::date(&s.period_start_date),
                                if s.interrupted_by == 0 {
                                    String::new()
                                } else {
                                    output::enum_name::<credit_proto::collections::LimitationAct>(
                                        s.interrupted_by,
                                    )
                                },
                                output::date(&s.deadline_date),
                                s.days_left.to_string(),
                                output::enum_name::<credit_proto::collections::LimitationState>(
                                    s.state,
                                ),
                            ]
                        })
                        .collect();
                    format!(
                        "as of {}\n{}",
                        output::date(&l.as_of_date),
                        table(
                            &[
                                "customer",
                                "document",
                                "open",
                                "rule",
                                "since",
                                "restarted by",
                                "deadline",
                                "days left",
                                "state",
                            ],
                            rows,
                        )
                    )
                },
            )
        }
        CollectionsCommand::LimitationAct {
            customer_id,
            kind,
            date,
            invoices,
            note,
        } => {
            let recorded = c
                .record_limitation_act(pb::RecordLimitationActRequest {
                    customer_id,
                    invoice_ids: invoices,
                    kind: output::enum_arg::<pb::LimitationAct>(&kind, "--kind")?,
                    date: output::date_arg(&date, "--date")?,
                    note,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(
                json,
                &recorded,
                "credit.collections.v1.RecordLimitationActResponse",
                |r| format!("{} act(s) recorded", r.act_ids.len()),
            )
        }
        other => return Ok(Some(other)),
    };
    done.map(|()| None)
}
