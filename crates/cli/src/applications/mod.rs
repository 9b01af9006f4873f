//! `creditctl application …`: apply for credit, submit, follow the decision, approve or reject
//! as an approver, manage the decision policy.
use crate::output::{self, fields, time};
use anyhow::Context;
use clap::Subcommand;
use credit_client::BearerToken;
use credit_proto::applications as pb;
use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
use std::path::PathBuf;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

mod decisions;
mod documents;
mod drafts;
mod reviews;

type Client = ApplicationsServiceClient<InterceptedService<Channel, BearerToken>>;

/// Application commands.
#[derive(Debug, Subcommand)]
pub enum ApplicationCommand {
    /// Save an application as a draft from a JSON file (credit.applications.v1.Application).
    Create {
        /// The application as JSON.
        file: PathBuf,
    },
    /// Replace a draft's content from a JSON file.
    Update {
        /// Application id.
        application_id: String,
        /// The application as JSON.
        file: PathBuf,
    },
    /// Ask for a change of an approved customer's limit; it is scored and decided like an
    /// application (automatic, or referred to approvers).
    Change {
        /// The customer.
        customer_id: String,
        /// increase, temporary or decrease.
        #[arg(long)]
        kind: String,
        /// The limit wanted (for a temporary increase: the whole limit while it lasts).
        #[arg(long)]
        amount: String,
        /// Its currency (the account's).
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// When a temporary increase ends (RFC 3339).
        #[arg(long)]
        until: Option<String>,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long)]
        reason: String,
    },
    /// Submit: scored and decided, or referred to approvers.
    Submit {
        /// Application id.
        application_id: String,
    },
    /// Show one application.
    Get {
        /// Application id.
        application_id: String,
    },
    /// List applications, newest first.
    List {
        /// Only this state (draft, in-review, information-requested, approved, rejected,
        /// withdrawn).
        #[arg(long)]
        state: Option<String>,
        /// Only those waiting for this role ("credit.manager").
        #[arg(long)]
        awaiting: Option<String>,
        /// Only this customer.
        #[arg(long)]
        customer: Option<String>,
    },
    /// Approve the current step (as an approver).
    Approve {
        /// Application id.
        application_id: String,
        /// Another amount than asked.
        #[arg(long)]
        amount: Option<String>,
        /// Its currency (default: the one asked).
        #[arg(long)]
        currency: Option<String>,
        /// Other payment terms (days).
        #[arg(long, default_value_t = 0)]
        terms: i32,
        /// A condition attached (repeat for several).
        #[arg(long = "condition")]
        conditions: Vec<String>,
        /// Comment.
        #[arg(long, default_value = "")]
        comment: String,
        /// Reason code, when departing from the recommendation.
        #[arg(long, default_value = "")]
        override_reason: String,
        /// Comment, when departing from the recommendation.
        #[arg(long, default_value = "")]
        override_comment: String,
    },
    /// Reject (as an approver).
    Reject {
        /// Application id.
        application_id: String,
        /// A reason (repeat for several).
        #[arg(long = "reason", required = true)]
        reasons: Vec<String>,
        /// Comment.
        #[arg(long, default_value = "")]
        comment: String,
        /// Reason code, when departing from the recommendation.
        #[arg(long, default_value = "")]
        override_reason: String,
        /// Comment, when departing from the recommendation.
        #[arg(long, default_value = "")]
        override_comment: String,
    },
    /// Return the application to the applicant with questions (as an approver).
    RequestInfo {
        /// Application id.
        application_id: String,
        /// A question (repeat for several).
        #[arg(long = "question", required = true)]
        questions: Vec<String>,
    },
    /// Withdraw an application that is not decided.
    Withdraw {
        /// Application id.
        application_id: String,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Attach a document (PDF, PNG, JPEG, CSV, XLSX, DOCX); its SHA-256 is printed and recorded.
    Upload {
        /// Application id.
        application_id: String,
        /// The file.
        file: PathBuf,
        /// FINANCIAL_STATEMENT, CONTRACT, IDENTITY, BANK_STATEMENT or OTHER.
        #[arg(long, default_value = "OTHER")]
        kind: String,
        /// MIME type (default: from the file's extension).
        #[arg(long)]
        content_type: Option<String>,
    },
    /// An application's documents.
    Documents {
        /// Application id.
        application_id: String,
    },
    /// Download a document (its SHA-256 is checked by the service and again here).
    Download {
        /// Document id.
        document_id: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Approval cycle time, auto-decision rate, override frequency, backlog per level, approvers.
    Metrics {
        /// Decisions from (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Decisions before (RFC 3339).
        #[arg(long)]
        to: Option<String>,
        /// Only this region.
        #[arg(long, default_value = "")]
        region: String,
        /// Only this segment.
        #[arg(long, default_value = "")]
        segment: String,
    },
    /// Review cases (opened when an approved customer's review falls due).
    Reviews {
        /// OPEN or CLOSED.
        #[arg(long, default_value = "")]
        state: String,
        /// Only this customer.
        #[arg(long, default_value = "")]
        customer: String,
    },
    /// Close a review case: CONFIRMED (the next review is scheduled), CHANGE_REQUESTED, WITHDRAWN.
    CloseReview {
        /// Case id.
        case_id: String,
        /// The outcome.
        #[arg(long)]
        outcome: String,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long)]
        comment: String,
    },
    /// The latest notice to the applicant (decision or request for information).
    Notice {
        /// Application id.
        application_id: String,
        /// Another language than the applicant's: en, fr, ro, zh.
        #[arg(long, default_value = "")]
        language: String,
    },
    /// The active decision policy (or one version), as JSON on standard output.
    Policy {
        /// A version (default: the active one).
        #[arg(long, default_value_t = 0)]
        version: i64,
    },
    /// Upload a decision policy (JSON); validated and stored as the next version, a proposal
    /// until another manager approves it (approve-policy).
    UploadPolicy {
        /// The document.
        file: PathBuf,
    },
    /// Approve a proposed decision policy version and put it in force (not its uploader).
    ApprovePolicy {
        /// The version.
        version: i64,
    },
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn read_application(path: &PathBuf) -> anyhow::Result<pb::Application> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    output::from_json(&text, "credit.applications.v1.Application")
}

pub(crate) fn content_type_of(file: &std::path::Path) -> anyhow::Result<String> {
    let extension = file
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    Ok(match extension.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "csv" => "text/csv",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        other => anyhow::bail!("no known type for .{other}: pass --content-type"),
    }
    .to_string())
}

fn state_name(state: i32) -> String {
    output::enum_name::<pb::ApplicationState>(state)
}

fn summary(a: &pb::Application) -> String {
    let applicant = a.applicant.clone().unwrap_or_default();
    let request = a.credit_request.clone().unwrap_or_default();
    let mut rows = vec![
        ("application", a.application_id.clone()),
        ("customer", a.customer_id.clone()),
        ("applicant", applicant.legal_name.clone()),
        ("tax id", applicant.tax_id.clone()),
        ("state", state_name(a.state)),
        ("asked", output::money(&request.requested_limit)),
    ];
    if let Some(change) = &a.limit_change {
        rows.push((
            "change",
            format!(
                "{} from {}{} — {} (by {})",
                output::enum_name::<pb::ApplicationKind>(a.kind),
                output::money(&change.current_limit),
                change
                    .temporary_end_time
                    .map(|t| format!(" until {}", time(&Some(t))))
                    .unwrap_or_default(),
                change.reason,
                change.proposed_by
            ),
        ));
    }
    if let Some(r) = &a.recommendation {
        rows.push((
            "recommendation",
            format!(
                "{} ({}) — class {}, score {}, PD {}, recommended {}, policy v{}",
                output::enum_name::<pb::RecommendationOutcome>(r.outcome),
                r.reasons.join(", "),
                r.risk_class,
                r.score,
                r.probability_of_default,
                output::money(&r.recommended_limit),
                r.policy_version
            ),
        ));
    }
    for s in &a.approval_steps {
        let approvers: Vec<String> = s
            .approvals
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    output::enum_name::<pb::ApprovalAction>(p.action).to_lowercase(),
                    p.approver
                )
            })
            .collect();
        rows.push((
            "step",
            format!(
                "{}. {} [{}] {} — needs {}; due {}{}",
                s.sequence,
                s.level,
                s.roles.join(", "),
                output::enum_name::<pb::ApprovalStepState>(s.state),
                s.approvals_required,
                time(&s.due_time),
                if approvers.is_empty() {
                    String::new()
                } else {
                    format!("; {}", approvers.join(", "))
                }
            ),
        ));
    }
    if let Some(d) = &a.final_decision {
        rows.push((
            "decision",
            format!(
                "{} {} by {}{}",
                output::enum_name::<pb::DecisionOutcome>(d.outcome),
                output::money(&d.approved_limit),
                d.decided_by,
                if d.overridden {
                    format!(
                        " (override {}: {})",
                        d.override_reason_code, d.override_comment
                    )
                } else {
                    String::new()
                }
            ),
        ));
        if !d.conditions.is_empty() {
            rows.push(("conditions", d.conditions.join("; ")));
        }
        if d.review_time.is_some() {
            rows.push(("review", time(&d.review_time)));
        }
    }
    if let Some(l) = &a.limit_setting {
        rows.push((
            "limit in limits",
            format!(
                "{} after {} attempt(s){}",
                output::enum_name::<pb::LimitSettingState>(l.state),
                l.attempts,
                if l.last_error.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", l.last_error)
                }
            ),
        ));
    }
    fields(&rows)
}

fn print(a: &pb::Application, json: bool) -> anyhow::Result<()> {
    output::print(json, a, "credit.applications.v1.Application", summary)
}

/// Runs an application command through the gateway.
pub async fn run(
    command: ApplicationCommand,
    channel: Channel,
    token: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let mut c: Client = ApplicationsServiceClient::with_interceptor(channel, BearerToken(token));
    let c = &mut c;
    // Each area runs the commands it knows and hands the others on.
    let Some(command) = drafts::run(command, c, json).await? else {
        return Ok(());
    };
    let Some(command) = decisions::run(command, c, json).await? else {
        return Ok(());
    };
    let Some(command) = documents::run(command, c, json).await? else {
        return Ok(());
    };
    let Some(command) = reviews::run(command, c, json).await? else {
        return Ok(());
    };
    anyhow::bail!("no area of creditctl application runs {command:?}")
}
