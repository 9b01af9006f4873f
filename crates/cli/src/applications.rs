//! `creditctl application …`: apply for credit, submit, follow the decision, approve or reject
//! as an approver, manage the decision policy.
use crate::output::{self, fields, table, time};
use anyhow::Context;
use clap::Subcommand;
use credit_client::BearerToken;
use credit_proto::applications as pb;
use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
use credit_proto::types::Money;
use std::path::PathBuf;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

type Client = ApplicationsServiceClient<InterceptedService<Channel, BearerToken>>;

/// Application commands.
#[derive(Subcommand)]
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
    /// Upload a decision policy (JSON); validated and stored as the next version.
    UploadPolicy {
        /// The document.
        file: PathBuf,
        /// Make it active at once.
        #[arg(long)]
        activate: bool,
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
    pb::ApplicationState::try_from(state)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("APPLICATION_STATE_")
                .to_string()
        })
        .unwrap_or_default()
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
                pb::ApplicationKind::try_from(a.kind)
                    .map(|k| k.as_str_name().trim_start_matches("APPLICATION_KIND_"))
                    .unwrap_or_default(),
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
                r.outcome,
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
            .map(|p| format!("{} {}", p.action.to_lowercase(), p.approver))
            .collect();
        rows.push((
            "step",
            format!(
                "{}. {} [{}] {} — needs {}; due {}{}",
                s.sequence,
                s.level,
                s.roles.join(", "),
                s.state,
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
                d.outcome,
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
                l.state,
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
                            .find(|s| s.state == "PENDING")
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
        ApplicationCommand::Upload {
            application_id,
            file,
            kind,
            content_type,
        } => {
            use credit_proto::applications::upload_document_request::Part;
            let content = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
            let content_type = match content_type {
                Some(t) => t,
                None => content_type_of(&file)?,
            };
            let file_name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut parts = vec![pb::UploadDocumentRequest {
                part: Some(Part::Metadata(pb::DocumentUpload {
                    application_id,
                    file_name,
                    content_type,
                    kind,
                    request_id: rid(),
                })),
            }];
            parts.extend(
                content
                    .chunks(512 * 1024)
                    .map(|chunk| pb::UploadDocumentRequest {
                        part: Some(Part::Chunk(chunk.to_vec())),
                    }),
            );
            let d = c
                .upload_document(tokio_stream::iter(parts))
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&d, "credit.applications.v1.Document")?
                );
            } else {
                println!(
                    "document {} ({} bytes) stored, SHA-256 {}",
                    d.document_id, d.size_bytes, d.sha256
                );
            }
        }
        ApplicationCommand::Documents { application_id } => {
            let list = c
                .list_documents(pb::ListDocumentsRequest { application_id })
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&list, "credit.applications.v1.ListDocumentsResponse")?
                );
            } else {
                let rows = list
                    .documents
                    .iter()
                    .map(|d| {
                        vec![
                            d.document_id.clone(),
                            d.kind.clone(),
                            d.file_name.clone(),
                            d.size_bytes.to_string(),
                            d.sha256.clone(),
                            d.uploaded_by.clone(),
                            time(&d.upload_time),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(
                        &[
                            "document", "kind", "file", "bytes", "sha256", "by", "uploaded"
                        ],
                        rows
                    )
                );
            }
        }
        ApplicationCommand::Download { document_id, out } => {
            use credit_proto::applications::download_document_response::Part;
            use sha2::Digest;
            let mut stream = c
                .download_document(pb::DownloadDocumentRequest { document_id })
                .await?
                .into_inner();
            let mut document = None;
            let mut content = Vec::new();
            while let Some(message) = stream.message().await? {
                match message.part {
                    Some(Part::Document(d)) => document = Some(d),
                    Some(Part::Chunk(bytes)) => content.extend(bytes),
                    None => {}
                }
            }
            let document = document.ok_or_else(|| anyhow::anyhow!("no document metadata"))?;
            let sha256 = hex::encode(sha2::Sha256::digest(&content));
            anyhow::ensure!(
                sha256 == document.sha256,
                "the content received does not match the SHA-256 fixed at upload"
            );
            std::fs::write(&out, &content)?;
            println!(
                "{} written ({} bytes, SHA-256 {} as fixed at upload)",
                out.display(),
                content.len(),
                sha256
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
        ApplicationCommand::Reviews { state, customer } => {
            let list = c
                .list_review_cases(pb::ListReviewCasesRequest {
                    state: state.to_uppercase(),
                    customer_id: customer,
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
                            r.reason.clone(),
                            r.state.clone(),
                            time(&r.review_time),
                            r.outcome.clone(),
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
                    outcome: outcome.to_uppercase(),
                    comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "review {} closed: {}{}",
                r.case_id,
                r.outcome,
                r.next_review_time
                    .map(|t| format!(", next review {}", time(&Some(t))))
                    .unwrap_or_default()
            );
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
        ApplicationCommand::UploadPolicy { file, activate } => {
            let p = c
                .upload_decision_policy(pb::UploadDecisionPolicyRequest {
                    document_json: std::fs::read_to_string(&file)
                        .with_context(|| format!("{}", file.display()))?,
                    activate,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "decision policy version {} \"{}\" stored{}",
                p.version,
                p.name,
                if p.active { " and active" } else { "" }
            );
        }
    }
    Ok(())
}
