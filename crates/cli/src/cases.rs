//! `creditctl case`: blocked orders referred to credit people — refer, list, show, release,
//! reject, recheck.
use crate::output::{self, fields, table, time};
use clap::Subcommand;
use credit_client::BearerToken;
use credit_proto::applications as pb;
use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

type Client = ApplicationsServiceClient<InterceptedService<Channel, BearerToken>>;

/// Credit cases of blocked orders.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Refer an order the credit check rejected (its decision id) instead of failing it.
    Refer {
        /// The rejected check's decision id.
        decision_id: String,
    },
    /// Credit cases, newest first.
    List {
        /// open, released or rejected.
        #[arg(long)]
        state: Option<String>,
        /// Only this customer.
        #[arg(long, default_value = "")]
        customer: String,
    },
    /// One case with its checks.
    Get {
        /// Case id.
        case_id: String,
    },
    /// Release the order: limits reserves it beyond the available credit (needs the level the
    /// amount calls for; not the referrer).
    Release {
        /// Case id.
        case_id: String,
        /// Why the order may go.
        #[arg(long)]
        comment: String,
    },
    /// Reject the order.
    Reject {
        /// Case id.
        case_id: String,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long)]
        reason: String,
    },
    /// Check the order again after something changed; released when it fits now.
    Recheck {
        /// Case id.
        case_id: String,
    },
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn state_name(state: i32) -> String {
    output::enum_name::<pb::CreditCaseState>(state)
}

fn case_fields(case: &pb::CreditCase) -> String {
    let mut rows = vec![
        ("case", case.case_id.clone()),
        ("customer", case.customer_id.clone()),
        ("order", case.order_id.clone()),
        ("amount", output::money(&case.order_amount)),
        ("state", state_name(case.state)),
        (
            "release needs",
            format!(
                "{} ({})",
                case.required_level,
                case.release_roles.join(", ")
            ),
        ),
        (
            "referred",
            format!("{} by {}", time(&case.refer_time), case.referred_by),
        ),
    ];
    for check in &case.checks {
        rows.push((
            "check",
            format!(
                "{} {} [{}] available {} — {}",
                time(&check.check_time),
                output::enum_name::<credit_proto::limits::CheckOutcome>(check.outcome),
                output::enum_names::<credit_proto::limits::CheckReason>(&check.reasons),
                output::money(&check.available_before),
                check.decision_id
            ),
        ));
    }
    if case.resolution != 0 {
        rows.push((
            "resolution",
            format!(
                "{} by {} at {}: {}",
                output::enum_name::<pb::CreditCaseResolution>(case.resolution),
                case.resolved_by,
                time(&case.resolve_time),
                case.comment
            ),
        ));
    }
    if !case.reservation_id.is_empty() {
        rows.push(("reservation", case.reservation_id.clone()));
    }
    fields(&rows)
}

fn case_table(list: &pb::ListCreditCasesResponse) -> String {
    let rows = list
        .cases
        .iter()
        .map(|k| {
            vec![
                k.case_id.clone(),
                k.customer_id.clone(),
                k.order_id.clone(),
                output::money(&k.order_amount),
                state_name(k.state),
                k.required_level.clone(),
                k.checks
                    .last()
                    .map(|c| output::enum_names::<credit_proto::limits::CheckReason>(&c.reasons))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "case", "customer", "order", "amount", "state", "needs", "reasons",
        ],
        rows,
    )
}

/// Runs a case command against the gateway.
pub async fn run(
    command: CaseCommand,
    channel: Channel,
    token: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let mut c: Client = ApplicationsServiceClient::with_interceptor(channel, BearerToken(token));
    let case = match command {
        CaseCommand::Refer { decision_id } => c
            .refer_blocked_order(pb::ReferBlockedOrderRequest {
                decision_id,
                request_id: rid(),
            })
            .await?
            .into_inner(),
        CaseCommand::Get { case_id } => c
            .get_credit_case(pb::GetCreditCaseRequest { case_id })
            .await?
            .into_inner(),
        CaseCommand::Release { case_id, comment } => c
            .release_blocked_order(pb::ReleaseBlockedOrderRequest {
                case_id,
                comment,
                request_id: rid(),
            })
            .await?
            .into_inner(),
        CaseCommand::Reject { case_id, reason } => c
            .reject_blocked_order(pb::RejectBlockedOrderRequest {
                case_id,
                reason,
                request_id: rid(),
            })
            .await?
            .into_inner(),
        CaseCommand::Recheck { case_id } => c
            .recheck_blocked_order(pb::RecheckBlockedOrderRequest {
                case_id,
                request_id: rid(),
            })
            .await?
            .into_inner(),
        CaseCommand::List { state, customer } => {
            let state = match state.as_deref().map(str::to_lowercase).as_deref() {
                None => pb::CreditCaseState::Unspecified,
                Some("open") => pb::CreditCaseState::Open,
                Some("released") => pb::CreditCaseState::Released,
                Some("rejected") => pb::CreditCaseState::Rejected,
                Some(other) => anyhow::bail!("--state {other}: open, released or rejected"),
            };
            let list = c
                .list_credit_cases(pb::ListCreditCasesRequest {
                    state: state as i32,
                    customer_id: customer,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            return output::print(
                json,
                &list,
                "credit.applications.v1.ListCreditCasesResponse",
                case_table,
            );
        }
    };
    output::print(
        json,
        &case,
        "credit.applications.v1.CreditCase",
        case_fields,
    )
}
