//! `creditctl scoring …`: record what is known about a customer, score it, read its history,
//! manage the policy, look at the model, and train a new one.
use crate::output::{self, fields, table, time};
use anyhow::Context;
use clap::Subcommand;
use credit_client::BearerToken;
use credit_proto::scoring as pb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use std::path::PathBuf;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

type Client = ScoringServiceClient<InterceptedService<Channel, BearerToken>>;

/// Scoring commands.
#[derive(Subcommand)]
pub enum ScoringCommand {
    /// Record a financial statement from a JSON file (credit.scoring.v1.FinancialStatement).
    Statement {
        /// Customer id.
        customer_id: String,
        /// The statement as JSON.
        file: PathBuf,
    },
    /// Record a bureau report from a JSON file (credit.scoring.v1.BureauReport).
    Bureau {
        /// Customer id.
        customer_id: String,
        /// The report as JSON.
        file: PathBuf,
    },
    /// Replace trade and bank references from a JSON file ({"references": [...]}).
    References {
        /// Customer id.
        customer_id: String,
        /// The references as JSON.
        file: PathBuf,
    },
    /// Record how the customer pays us.
    Payment {
        /// Customer id.
        customer_id: String,
        /// Average days beyond terms.
        #[arg(long)]
        days_beyond_terms: String,
        /// Share of invoices paid late (0 to 1).
        #[arg(long)]
        share_paid_late: String,
        /// Open disputes.
        #[arg(long, default_value_t = 0)]
        disputes: i32,
        /// Promises broken in the last year.
        #[arg(long, default_value_t = 0)]
        broken_promises: i32,
    },
    /// Score a customer now.
    Score {
        /// Customer id.
        customer_id: String,
        /// Amount asked for (caps the recommended limit).
        #[arg(long, requires = "currency")]
        requested: Option<String>,
        /// Its currency.
        #[arg(long)]
        currency: Option<String>,
    },
    /// A customer's scores, newest first.
    History {
        /// Customer id.
        customer_id: String,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: i32,
    },
    /// The active policy, or one version.
    Policy {
        /// A version (default: the active one).
        #[arg(long, default_value_t = 0)]
        version: i64,
    },
    /// Every policy version.
    Policies,
    /// Upload a policy document (JSON); it is validated and stored as the next version, a
    /// proposal until another manager approves it (approve-policy).
    UploadPolicy {
        /// The document.
        file: PathBuf,
    },
    /// Approve a proposed policy version and put it in force (not its uploader: four eyes).
    ApprovePolicy {
        /// The version.
        version: i64,
    },
    /// The active model and its measures.
    Model,
    /// Re-score every customer under the active policy and model (after a change), with progress.
    Rescore {
        /// Why, recorded on the events.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Apply a stress scenario to the portfolio: expected loss (PD × exposure × LGD) before and
    /// after, by segment, with exposure from limits.
    Scenario(crate::scenario::ScenarioArgs),
    /// Train a model from a CSV of labelled examples, here, into an artifact file (deploy it
    /// with SCORING_MODEL_FILE).
    Train {
        /// The examples (header row; one binary target column).
        #[arg(long)]
        csv: PathBuf,
        /// The target column.
        #[arg(long)]
        target: String,
        /// Version recorded on every score.
        #[arg(long)]
        version: String,
        /// Where to write the artifact.
        #[arg(long)]
        out: PathBuf,
    },
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn score_table(s: &pb::Score) -> String {
    let limit = s.recommended_limit.clone().unwrap_or_default();
    let mut rows = vec![
        ("customer", s.customer_id.clone()),
        ("score", format!("{} (model {})", s.score, s.model_score)),
        ("risk class", s.risk_class.clone()),
        ("probability of default", s.probability_of_default.clone()),
        ("rejected", s.rejected.to_string()),
        ("recommended limit", output::money(&limit.amount)),
        ("  how", limit.explanation.clone()),
        (
            "policy / model",
            format!("v{} / {}", s.policy_version, s.model_version),
        ),
        (
            "scored",
            format!(
                "{} ({})",
                time(&s.score_time),
                output::enum_name::<credit_proto::scoring::ScoreTrigger>(s.trigger)
            ),
        ),
        ("score id", s.score_id.clone()),
    ];
    for r in &s.reasons {
        rows.push((
            "reason",
            format!("{} {:+} {}", r.code, r.points, r.description),
        ));
    }
    for r in &s.strengths {
        rows.push(("strength", format!("{} {}", r.code, r.description)));
    }
    if !s.missing_inputs.is_empty() {
        rows.push(("missing", s.missing_inputs.join(", ")));
    }
    for f in &s.statement_flags {
        rows.push(("statement flag", format!("{}: {}", f.code, f.message)));
    }
    fields(&rows)
}

/// Runs a scoring command through the gateway (training runs here).
pub async fn run(
    command: ScoringCommand,
    channel: Channel,
    token: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let mut c: Client = ScoringServiceClient::with_interceptor(channel, BearerToken(token));
    match command {
        ScoringCommand::Statement { customer_id, file } => {
            let statement: pb::FinancialStatement =
                output::from_json(&read(&file)?, "credit.scoring.v1.FinancialStatement")?;
            let a = c
                .put_financial_statement(pb::PutFinancialStatementRequest {
                    customer_id,
                    statement: Some(statement),
                    request_id: rid(),
                })
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&a, "credit.scoring.v1.FinancialStatementAnalysis")?
                );
            } else {
                let r = a.ratios.clone().unwrap_or_default();
                let z = a.altman_z.clone().unwrap_or_default();
                let mut rows = vec![
                    (
                        "Altman Z''",
                        format!(
                            "{} ({})",
                            z.score,
                            output::enum_name::<credit_proto::scoring::AltmanZone>(z.zone)
                        ),
                    ),
                    ("current ratio", r.current_ratio),
                    ("quick ratio", r.quick_ratio),
                    ("debt / equity", r.debt_to_equity),
                    ("interest cover", r.interest_cover),
                    ("EBIT margin", r.ebit_margin),
                    ("tangible net worth", r.tangible_net_worth),
                ];
                for f in &a.flags {
                    rows.push(("FLAG", format!("{}: {}", f.code, f.message)));
                }
                println!("{}", fields(&rows));
            }
        }
        ScoringCommand::Bureau { customer_id, file } => {
            let report: pb::BureauReport =
                output::from_json(&read(&file)?, "credit.scoring.v1.BureauReport")?;
            c.put_bureau_report(pb::PutBureauReportRequest {
                customer_id,
                report: Some(report),
                request_id: rid(),
            })
            .await?;
            println!("bureau report recorded");
        }
        ScoringCommand::References { customer_id, file } => {
            let mut request: pb::PutReferencesRequest =
                output::from_json(&read(&file)?, "credit.scoring.v1.PutReferencesRequest")?;
            request.customer_id = customer_id;
            request.request_id = rid();
            let answer = c.put_references(request).await?.into_inner();
            println!("{} references on file", answer.reference_count);
        }
        ScoringCommand::Payment {
            customer_id,
            days_beyond_terms,
            share_paid_late,
            disputes,
            broken_promises,
        } => {
            c.put_payment_behaviour(pb::PutPaymentBehaviourRequest {
                customer_id,
                payment_behaviour: Some(pb::PaymentBehaviour {
                    average_days_beyond_terms: days_beyond_terms,
                    share_paid_late,
                    disputes,
                    broken_promises,
                }),
                request_id: rid(),
            })
            .await?;
            println!("payment behaviour recorded");
        }
        ScoringCommand::Score {
            customer_id,
            requested,
            currency,
        } => {
            let requested_amount = requested.map(|amount| credit_proto::types::Money {
                amount,
                currency_code: currency.unwrap_or_default().to_uppercase(),
            });
            let s = c
                .score_customer(pb::ScoreCustomerRequest {
                    customer_id,
                    requested_amount,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            if json {
                println!("{}", output::to_json(&s, "credit.scoring.v1.Score")?);
            } else {
                println!("{}", score_table(&s));
            }
        }
        ScoringCommand::History { customer_id, limit } => {
            let list = c
                .list_scores(pb::ListScoresRequest {
                    customer_id,
                    page_size: limit,
                    page_token: String::new(),
                })
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&list, "credit.scoring.v1.ListScoresResponse")?
                );
            } else {
                let rows = list
                    .scores
                    .iter()
                    .map(|s| {
                        vec![
                            time(&s.score_time),
                            s.score.to_string(),
                            s.risk_class.clone(),
                            s.probability_of_default.clone(),
                            output::money(&s.recommended_limit.clone().unwrap_or_default().amount),
                            output::enum_name::<credit_proto::scoring::ScoreTrigger>(s.trigger),
                            s.reasons
                                .iter()
                                .take(3)
                                .map(|r| r.code.clone())
                                .collect::<Vec<_>>()
                                .join(" "),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(
                        &[
                            "scored",
                            "score",
                            "class",
                            "PD",
                            "limit",
                            "trigger",
                            "top reasons"
                        ],
                        rows
                    )
                );
            }
        }
        ScoringCommand::Policy { version } => {
            let p = c
                .get_policy(pb::GetPolicyRequest { version })
                .await?
                .into_inner();
            // The document alone on standard output, so it can be saved, edited and uploaded.
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
        ScoringCommand::Policies => {
            let list = c
                .list_policies(pb::ListPoliciesRequest {
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            let rows = list
                .policies
                .iter()
                .map(|p| {
                    vec![
                        p.version.to_string(),
                        p.name.clone(),
                        if p.active { "yes" } else { "" }.into(),
                        p.uploaded_by.clone(),
                        time(&p.upload_time),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(&["version", "name", "active", "by", "uploaded"], rows)
            );
        }
        ScoringCommand::UploadPolicy { file } => {
            let p = c
                .upload_policy(pb::UploadPolicyRequest {
                    document_json: read(&file)?,
                    activate: false,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "policy version {} \"{}\" proposed; in force once another manager runs \
                 `creditctl scoring approve-policy {}`",
                p.version, p.name, p.version
            );
        }
        ScoringCommand::ApprovePolicy { version } => {
            let p = c
                .approve_policy(pb::ApprovePolicyRequest {
                    version,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "policy version {} \"{}\" in force (approved by {})",
                p.version, p.name, p.approved_by
            );
        }
        ScoringCommand::Model => {
            let m = c.get_model(pb::GetModelRequest {}).await?.into_inner();
            if json {
                println!("{}", output::to_json(&m, "credit.scoring.v1.Model")?);
            } else {
                println!(
                    "{}",
                    fields(&[
                        ("version", m.version.clone()),
                        ("trained", m.trained_at.clone()),
                        (
                            "hold-out AUC / Gini / KS",
                            format!("{} / {} / {}", m.holdout_auc, m.holdout_gini, m.holdout_ks)
                        ),
                        (
                            "rows (training / hold-out)",
                            format!("{} / {}", m.training_rows, m.holdout_rows)
                        ),
                        ("bad rate", m.bad_rate.clone()),
                    ])
                );
                let rows = m
                    .characteristics
                    .iter()
                    .map(|c| {
                        vec![
                            c.name.clone(),
                            c.information_value.clone(),
                            c.bins.to_string(),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(&["characteristic", "information value", "bins"], rows)
                );
            }
        }
        ScoringCommand::Rescore { reason } => {
            let mut stream = c
                .rescore_portfolio(pb::RescorePortfolioRequest {
                    reason,
                    progress_every: 100,
                })
                .await?
                .into_inner();
            while let Some(p) = stream.message().await? {
                println!(
                    "{}/{} scored, {} skipped, {} early warnings{}",
                    p.scored,
                    p.total,
                    p.skipped,
                    p.early_warnings,
                    if p.done { " — done" } else { "" }
                );
            }
        }
        ScoringCommand::Scenario(args) => {
            let answer = c.run_stress_scenario(args.request()?).await?.into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&answer, "credit.scoring.v1.RunStressScenarioResponse")?
                );
            } else {
                println!("{}", crate::scenario::render(&answer));
            }
        }
        ScoringCommand::Train {
            csv,
            target,
            version,
            out,
        } => {
            let options = credit_scorecard::TrainOptions {
                version,
                ..Default::default()
            };
            let card = credit_scorecard::train_csv(&csv, &target, options)?;
            std::fs::write(&out, card.to_json())?;
            let m = card.metrics;
            println!(
                "{}: hold-out AUC {:.3}, Gini {:.3}, KS {:.3} on {} rows held out of {}; written to {}",
                card.version,
                m.holdout.auc,
                m.holdout.gini,
                m.holdout.ks,
                m.holdout_rows,
                m.holdout_rows + m.training_rows,
                out.display()
            );
        }
    }
    Ok(())
}
