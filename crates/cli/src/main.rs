//! `creditctl`: the credit suite from the command line, through the gateway.
mod applications;
mod audit;
mod cases;
mod collections;
mod events;
mod output;
mod scenario;
mod scoring;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use credit_client::BearerToken;
use credit_proto::limits as pb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::types::Money;
use output::{enum_name, fields, money, print, table, time};
use std::path::PathBuf;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// Command-line client of the credit suite.
#[derive(Parser)]
#[command(name = "creditctl", version, about)]
struct Cli {
    /// Gateway address.
    #[arg(
        long,
        global = true,
        env = "CREDITCTL_GATEWAY",
        default_value = "http://127.0.0.1:50051"
    )]
    gateway: String,
    /// Bearer token; defaults to the token the development suite wrote to DATA_DIR/token.
    #[arg(long, global = true, env = "CREDITCTL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The development suite's data directory (for its token and signing key).
    #[arg(
        long,
        global = true,
        env = "CREDIT_SUITE_DATA_DIR",
        default_value = "./data"
    )]
    data_dir: PathBuf,
    /// Print answers as protobuf JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a token signed with the development suite's key.
    Token {
        /// Subject.
        #[arg(long, default_value = "developer")]
        subject: String,
        /// Roles, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "credit.admin")]
        roles: Vec<String>,
        /// Validity in hours.
        #[arg(long, default_value_t = 24)]
        hours: u64,
    },
    /// Credit accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Credit limits.
    #[command(subcommand)]
    Limit(LimitCommand),
    /// Check an order against the available credit (reserves it when approved).
    Check(CheckArgs),
    /// Reservations: show, ship, invoice, release.
    #[command(subcommand)]
    Reservation(ReservationCommand),
    /// Exposure of an account, now or at a past time.
    Exposure {
        /// Customer id.
        customer_id: String,
        /// A past moment (RFC 3339).
        #[arg(long)]
        at: Option<String>,
    },
    /// Post the open amount of a receivable (invoice).
    Receivable {
        /// Customer id.
        customer_id: String,
        /// Invoice id.
        document_id: String,
        /// Open amount (0 closes it).
        amount: String,
        /// Currency.
        #[arg(long)]
        currency: String,
    },
    /// Credit holds.
    #[command(subcommand)]
    Hold(HoldCommand),
    /// Exchange rates.
    #[command(subcommand)]
    Fx(FxCommand),
    /// Past credit decisions.
    #[command(subcommand)]
    Decision(DecisionCommand),
    /// Scoring: record facts, score, history, policy, model, training.
    #[command(subcommand)]
    Scoring(scoring::ScoringCommand),
    /// Credit applications: apply, submit, approve or reject, the decision policy.
    #[command(subcommand)]
    Application(applications::ApplicationCommand),
    /// The receivables ledger: customers, CSV import, documents, statements, aging.
    #[command(subcommand)]
    Collections(collections::CollectionsCommand),
    /// Blocked orders referred to credit people: refer, release, reject, recheck.
    #[command(subcommand)]
    Case(cases::CaseCommand),
    /// The audit trail: history, checkpoints, proofs, verification, export.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// A service's event feed, read through the gateway.
    Events {
        /// Whose feed: limits, scoring, applications or collections.
        #[arg(long, default_value = "limits")]
        service: String,
        /// Start after this sequence.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Keep following new events.
        #[arg(long)]
        follow: bool,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Open an account.
    Create {
        /// Customer id from the ERP.
        customer_id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Currency of the limit.
        #[arg(long)]
        currency: String,
        /// Segment.
        #[arg(long, default_value = "")]
        segment: String,
        /// Region.
        #[arg(long, default_value = "")]
        region: String,
        /// Business unit.
        #[arg(long, default_value = "")]
        business_unit: String,
        /// Parent account in a corporate group.
        #[arg(long, default_value = "")]
        parent: String,
    },
    /// Show one account.
    Get {
        /// Customer id.
        customer_id: String,
    },
    /// List accounts.
    List {
        /// Only this segment.
        #[arg(long, default_value = "")]
        segment: String,
        /// Only this region.
        #[arg(long, default_value = "")]
        region: String,
        /// Only accounts on hold.
        #[arg(long)]
        on_hold: bool,
        /// Only accounts with at least this utilisation (0.8 = 80 %).
        #[arg(long, default_value = "")]
        min_utilisation: String,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        page_size: i32,
    },
}

#[derive(Subcommand)]
enum LimitCommand {
    /// Set the limit: --amount, --unlimited or --none.
    Set(LimitArgs),
    /// Every change of an account's limit.
    History {
        /// Customer id.
        customer_id: String,
    },
}

#[derive(Args)]
struct LimitArgs {
    /// Customer id.
    customer_id: String,
    /// Limit amount in the account currency (0 is a zero limit).
    #[arg(long, conflicts_with_all = ["unlimited", "none"])]
    amount: Option<String>,
    /// No ceiling.
    #[arg(long)]
    unlimited: bool,
    /// Remove the limit (no credit granted).
    #[arg(long)]
    none: bool,
    /// Currency of the amounts (the account's).
    #[arg(long)]
    currency: Option<String>,
    /// End of validity (RFC 3339).
    #[arg(long)]
    valid_to: Option<String>,
    /// Temporary amount on top.
    #[arg(long, requires = "temporary_until")]
    temporary: Option<String>,
    /// End of the temporary amount (RFC 3339).
    #[arg(long)]
    temporary_until: Option<String>,
    /// Tolerance above the limit, in percent.
    #[arg(long)]
    tolerance_percent: Option<String>,
    /// Why: recorded with the change and shown in the audit trail.
    #[arg(long)]
    reason: String,
}

#[derive(Args)]
struct CheckArgs {
    /// Customer id.
    customer_id: String,
    /// Sales order id.
    order_id: String,
    /// Order amount.
    amount: String,
    /// Order currency.
    #[arg(long)]
    currency: String,
    /// Decide without reserving.
    #[arg(long)]
    dry_run: bool,
    /// Idempotency key (a new UUID when omitted).
    #[arg(long)]
    request_id: Option<String>,
}

#[derive(Subcommand)]
enum ReservationCommand {
    /// Show a reservation.
    Get {
        /// Reservation id.
        reservation_id: String,
    },
    /// Goods shipped: move an amount to delivered-not-invoiced.
    Ship {
        /// Reservation id.
        reservation_id: String,
        /// Amount.
        amount: String,
        /// Currency (the account's).
        #[arg(long)]
        currency: String,
    },
    /// Invoice posted: move an amount into open receivables.
    Invoice {
        /// Reservation id.
        reservation_id: String,
        /// Amount.
        amount: String,
        /// Currency (the account's).
        #[arg(long)]
        currency: String,
        /// Invoice id.
        #[arg(long)]
        document_id: String,
    },
    /// Order cancelled: release what is still reserved.
    Release {
        /// Reservation id.
        reservation_id: String,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long, default_value = "order cancelled")]
        reason: String,
    },
}

#[derive(Subcommand)]
enum HoldCommand {
    /// Put an account on credit hold.
    Place {
        /// Customer id.
        customer_id: String,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long)]
        reason: String,
    },
    /// Lift a hold.
    Release {
        /// Hold id.
        hold_id: String,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long)]
        reason: String,
    },
    /// An account's holds.
    List {
        /// Customer id.
        customer_id: String,
        /// Include released holds.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum FxCommand {
    /// Record a rate: units of QUOTE per unit of BASE.
    Set {
        /// Base currency.
        base: String,
        /// Quote currency.
        quote: String,
        /// Rate.
        rate: String,
        /// In force from (RFC 3339); now when omitted.
        #[arg(long)]
        effective: Option<String>,
    },
    /// List rates.
    List,
}

#[derive(Subcommand)]
enum DecisionCommand {
    /// A stored decision with its inputs.
    Get {
        /// Decision id.
        decision_id: String,
    },
    /// Recompute a decision from its stored inputs.
    Replay {
        /// Decision id.
        decision_id: String,
    },
}

type Client = LimitsServiceClient<InterceptedService<Channel, BearerToken>>;

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn m(amount: &str, currency: &str) -> Option<Money> {
    Some(Money {
        amount: amount.to_string(),
        currency_code: currency.to_uppercase(),
    })
}

fn timestamp(text: &str) -> anyhow::Result<prost_types::Timestamp> {
    let at = humantime::parse_rfc3339_weak(text)
        .with_context(|| format!("'{text}' is not an RFC 3339 time"))?;
    Ok(prost_types::Timestamp::from(at))
}

fn account_table(a: &pb::CreditAccount) -> String {
    let e = a.exposure.clone().unwrap_or_default();
    let own = e.own.clone().unwrap_or_default();
    let limit = a.credit_limit.clone().unwrap_or_default();
    fields(&[
        ("customer", a.customer_id.clone()),
        ("name", a.name.clone()),
        ("currency", a.currency_code.clone()),
        (
            "segment / region / unit",
            format!("{} / {} / {}", a.segment, a.region, a.business_unit),
        ),
        (
            "parent",
            if a.parent_customer_id.is_empty() {
                "-".into()
            } else {
                a.parent_customer_id.clone()
            },
        ),
        (
            "limit",
            format!(
                "{} {}",
                enum_name("credit.limits.v1.LimitMode", limit.mode),
                money(&limit.amount)
            ),
        ),
        ("effective limit", money(&e.effective_limit)),
        ("reserved orders", money(&own.reserved_orders)),
        (
            "delivered, not invoiced",
            money(&own.delivered_not_invoiced),
        ),
        ("open receivables", money(&own.open_receivables)),
        ("other commitments", money(&own.other_commitments)),
        ("available credit", money(&e.available_credit)),
        (
            "utilisation",
            if e.utilisation.is_empty() {
                "-".into()
            } else {
                e.utilisation.clone()
            },
        ),
        ("on hold", a.on_hold.to_string()),
    ])
}

fn exposure_table(e: &pb::Exposure) -> String {
    let own = e.own.clone().unwrap_or_default();
    let group = e.group.clone().unwrap_or_default();
    let rows = [
        (
            "reserved orders",
            &own.reserved_orders,
            &group.reserved_orders,
        ),
        (
            "delivered, not invoiced",
            &own.delivered_not_invoiced,
            &group.delivered_not_invoiced,
        ),
        (
            "open receivables",
            &own.open_receivables,
            &group.open_receivables,
        ),
        (
            "other commitments",
            &own.other_commitments,
            &group.other_commitments,
        ),
        ("counted", &own.counted_total, &group.counted_total),
        ("total", &own.total, &group.total),
    ];
    let mut out = table(
        &["category", "own", "group"],
        rows.iter()
            .map(|(name, o, g)| vec![name.to_string(), money(o), money(g)])
            .collect(),
    );
    out.push('\n');
    out.push_str(&fields(&[
        ("as of", time(&e.as_of_time)),
        (
            "limit",
            format!(
                "{} {}",
                enum_name("credit.limits.v1.LimitMode", e.limit_mode),
                money(&e.effective_limit)
            ),
        ),
        ("available credit", money(&e.available_credit)),
        (
            "utilisation",
            if e.utilisation.is_empty() {
                "-".into()
            } else {
                e.utilisation.clone()
            },
        ),
    ]));
    out
}

fn reservation_table(r: &pb::Reservation) -> String {
    fields(&[
        ("reservation", r.reservation_id.clone()),
        (
            "customer / order",
            format!("{} / {}", r.customer_id, r.order_id),
        ),
        (
            "state",
            enum_name("credit.limits.v1.ReservationState", r.state),
        ),
        ("amount", money(&r.amount)),
        ("open", money(&r.open_amount)),
        ("delivered", money(&r.delivered_amount)),
        ("invoiced", money(&r.invoiced_amount)),
        ("expires", time(&r.expire_time)),
    ])
}

fn check_table(c: &pb::CheckCreditResponse) -> String {
    let reasons: Vec<String> = c
        .reasons
        .iter()
        .map(|r| enum_name("credit.limits.v1.CheckReason", *r))
        .collect();
    fields(&[
        (
            "outcome",
            enum_name("credit.limits.v1.CheckOutcome", c.outcome),
        ),
        (
            "reasons",
            if reasons.is_empty() {
                "-".into()
            } else {
                reasons.join(", ")
            },
        ),
        ("checked amount", money(&c.checked_amount)),
        ("available before", money(&c.available_before)),
        ("available after", money(&c.available_after)),
        ("largest amount that fits", money(&c.max_approvable_amount)),
        (
            "binding limit",
            format!(
                "{} {}",
                enum_name("credit.limits.v1.BindingLimit", c.binding_limit),
                c.binding_customer_id
            ),
        ),
        (
            "fx rate",
            c.fx_conversion.as_ref().map_or("-".into(), |f| {
                format!("{} {}→{}", f.rate, f.from_currency_code, f.to_currency_code)
            }),
        ),
        (
            "reservation",
            c.reservation
                .as_ref()
                .map_or("-".into(), |r| r.reservation_id.clone()),
        ),
        (
            "decision",
            if c.decision_id.is_empty() {
                "-".into()
            } else {
                c.decision_id.clone()
            },
        ),
    ])
}

fn hold_row(h: &pb::CreditHold) -> Vec<String> {
    vec![
        h.hold_id.clone(),
        enum_name("credit.limits.v1.CreditHoldKind", h.kind),
        h.reason.clone(),
        h.placed_by.clone(),
        time(&h.place_time),
        if h.active {
            "active".into()
        } else {
            format!("released: {}", h.release_reason)
        },
    ]
}

const HOLD_HEADER: &[&str] = &["hold", "kind", "reason", "placed by", "placed", "state"];

fn token_from(cli: &Cli) -> Option<String> {
    cli.token.clone().or_else(|| {
        std::fs::read_to_string(cli.data_dir.join("token"))
            .ok()
            .map(|t| t.trim().to_string())
    })
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli).await {
        match error.downcast_ref::<tonic::Status>() {
            Some(status) => {
                eprintln!("error: {:?}: {}", status.code(), status.message());
                if let Some(bad) = status.get_error_details().bad_request() {
                    for v in &bad.field_violations {
                        eprintln!("  {}: {}", v.field, v.description);
                    }
                }
                if let Some(info) = status.get_error_details().error_info() {
                    eprintln!("  reason: {}", info.reason);
                }
            }
            None => eprintln!("error: {error:#}"),
        }
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Token {
        subject,
        roles,
        hours,
    } = &cli.command
    {
        let secret =
            std::fs::read_to_string(cli.data_dir.join("jwt-hs256.secret")).with_context(|| {
                format!(
                    "no suite key in {} (start the suite first, or pass --data-dir)",
                    cli.data_dir.display()
                )
            })?;
        let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
        println!(
            "{}",
            credit_client::mint_hs256_token(
                secret.trim(),
                subject,
                &roles,
                Duration::from_secs(hours * 3600)
            )?
        );
        return Ok(());
    }
    let channel = Channel::from_shared(cli.gateway.clone())?
        .connect_timeout(Duration::from_secs(3))
        .connect_lazy();
    let json = cli.json;
    let token = token_from(&cli);
    let command = match cli.command {
        Command::Audit(command) => {
            return audit::run(command, channel, token, json, &cli.data_dir).await;
        }
        Command::Scoring(command) => return scoring::run(command, channel, token, json).await,
        Command::Application(command) => {
            return applications::run(command, channel, token, json).await;
        }
        Command::Case(command) => return cases::run(command, channel, token, json).await,
        Command::Collections(command) => {
            return collections::run(command, channel, token, json).await;
        }
        Command::Events {
            service,
            after,
            follow,
        } => return events::run(channel, token, service, after, follow, json).await,
        other => other,
    };
    let mut c: Client = LimitsServiceClient::with_interceptor(channel, BearerToken(token));
    match command {
        Command::Token { .. }
        | Command::Audit(_)
        | Command::Scoring(_)
        | Command::Case(_)
        | Command::Collections(_)
        | Command::Events { .. }
        | Command::Application(_) => {}
        Command::Account(AccountCommand::Create {
            customer_id,
            name,
            currency,
            segment,
            region,
            business_unit,
            parent,
        }) => {
            let account = pb::CreditAccount {
                customer_id,
                name,
                currency_code: currency.to_uppercase(),
                segment,
                region,
                business_unit,
                parent_customer_id: parent,
                ..Default::default()
            };
            let a = c
                .create_credit_account(pb::CreateCreditAccountRequest {
                    credit_account: Some(account),
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(json, &a, "credit.limits.v1.CreditAccount", account_table)?;
        }
        Command::Account(AccountCommand::Get { customer_id }) => {
            let a = c
                .get_credit_account(pb::GetCreditAccountRequest { customer_id })
                .await?
                .into_inner();
            print(json, &a, "credit.limits.v1.CreditAccount", account_table)?;
        }
        Command::Account(AccountCommand::List {
            segment,
            region,
            on_hold,
            min_utilisation,
            page_size,
        }) => {
            let list = c
                .list_credit_accounts(pb::ListCreditAccountsRequest {
                    page_size,
                    segment,
                    region,
                    on_hold: on_hold.then_some(true),
                    min_utilisation,
                    ..Default::default()
                })
                .await?
                .into_inner();
            print(
                json,
                &list,
                "credit.limits.v1.ListCreditAccountsResponse",
                |l| {
                    table(
                        &[
                            "customer",
                            "name",
                            "currency",
                            "limit",
                            "available",
                            "utilisation",
                            "hold",
                        ],
                        l.credit_accounts
                            .iter()
                            .map(|a| {
                                let e = a.exposure.clone().unwrap_or_default();
                                vec![
                                    a.customer_id.clone(),
                                    a.name.clone(),
                                    a.currency_code.clone(),
                                    money(&e.effective_limit),
                                    money(&e.available_credit),
                                    e.utilisation.clone(),
                                    if a.on_hold {
                                        "yes".into()
                                    } else {
                                        String::new()
                                    },
                                ]
                            })
                            .collect(),
                    )
                },
            )?;
        }
        Command::Limit(LimitCommand::Set(args)) => {
            let currency = match &args.currency {
                Some(code) => code.to_uppercase(),
                None => {
                    c.get_credit_account(pb::GetCreditAccountRequest {
                        customer_id: args.customer_id.clone(),
                    })
                    .await?
                    .into_inner()
                    .currency_code
                }
            };
            let mode = if args.unlimited {
                pb::LimitMode::Unlimited
            } else if args.none || args.amount.is_none() {
                pb::LimitMode::None
            } else {
                pb::LimitMode::Amount
            };
            let limit = pb::CreditLimit {
                mode: mode as i32,
                amount: args.amount.as_deref().and_then(|a| m(a, &currency)),
                valid_from: None,
                valid_to: args.valid_to.as_deref().map(timestamp).transpose()?,
                temporary_limit: match (&args.temporary, &args.temporary_until) {
                    (Some(amount), Some(until)) => Some(pb::TemporaryLimit {
                        amount: m(amount, &currency),
                        valid_from: None,
                        valid_to: Some(timestamp(until)?),
                    }),
                    _ => None,
                },
                tolerance: args.tolerance_percent.clone().map(|p| pb::Tolerance {
                    kind: Some(pb::tolerance::Kind::Percent(p)),
                }),
            };
            let a = c
                .set_credit_limit(pb::SetCreditLimitRequest {
                    customer_id: args.customer_id,
                    credit_limit: Some(limit),
                    reason: args.reason,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(json, &a, "credit.limits.v1.CreditAccount", account_table)?;
        }
        Command::Limit(LimitCommand::History { customer_id }) => {
            let h = c
                .list_credit_limit_changes(pb::ListCreditLimitChangesRequest {
                    customer_id,
                    ..Default::default()
                })
                .await?
                .into_inner();
            print(
                json,
                &h,
                "credit.limits.v1.ListCreditLimitChangesResponse",
                |h| {
                    table(
                        &["when", "before", "after", "by", "reason"],
                        h.credit_limit_changes
                            .iter()
                            .map(|ch| {
                                let show = |l: &Option<pb::CreditLimit>| {
                                    let l = l.clone().unwrap_or_default();
                                    format!(
                                        "{} {}",
                                        enum_name("credit.limits.v1.LimitMode", l.mode),
                                        money(&l.amount)
                                    )
                                };
                                vec![
                                    time(&ch.change_time),
                                    show(&ch.before),
                                    show(&ch.after),
                                    ch.actor_subject.clone(),
                                    ch.reason.clone(),
                                ]
                            })
                            .collect(),
                    )
                },
            )?;
        }
        Command::Check(args) => {
            let answer = c
                .check_credit(pb::CheckCreditRequest {
                    customer_id: args.customer_id,
                    order_id: args.order_id,
                    amount: m(&args.amount, &args.currency),
                    request_id: args.request_id.unwrap_or_else(rid),
                    reservation_ttl: None,
                    dry_run: args.dry_run,
                    release: None,
                })
                .await?
                .into_inner();
            print(
                json,
                &answer,
                "credit.limits.v1.CheckCreditResponse",
                check_table,
            )?;
        }
        Command::Reservation(command) => {
            let r = match command {
                ReservationCommand::Get { reservation_id } => {
                    c.get_reservation(pb::GetReservationRequest { reservation_id })
                        .await?
                }
                ReservationCommand::Ship {
                    reservation_id,
                    amount,
                    currency,
                } => {
                    c.ship_reservation(pb::ShipReservationRequest {
                        reservation_id,
                        amount: m(&amount, &currency),
                        request_id: rid(),
                    })
                    .await?
                }
                ReservationCommand::Invoice {
                    reservation_id,
                    amount,
                    currency,
                    document_id,
                } => {
                    c.invoice_reservation(pb::InvoiceReservationRequest {
                        reservation_id,
                        amount: m(&amount, &currency),
                        document_id,
                        due_time: None,
                        request_id: rid(),
                    })
                    .await?
                }
                ReservationCommand::Release {
                    reservation_id,
                    reason,
                } => {
                    c.release_reservation(pb::ReleaseReservationRequest {
                        reservation_id,
                        reason,
                        request_id: rid(),
                    })
                    .await?
                }
            }
            .into_inner();
            print(json, &r, "credit.limits.v1.Reservation", reservation_table)?;
        }
        Command::Exposure { customer_id, at } => {
            let as_of_time = at.as_deref().map(timestamp).transpose()?;
            let e = c
                .get_exposure(pb::GetExposureRequest {
                    customer_id,
                    as_of_time,
                })
                .await?
                .into_inner();
            print(json, &e, "credit.limits.v1.Exposure", exposure_table)?;
        }
        Command::Receivable {
            customer_id,
            document_id,
            amount,
            currency,
        } => {
            let d = c
                .post_receivable(pb::PostReceivableRequest {
                    customer_id,
                    document_id,
                    open_amount: m(&amount, &currency),
                    due_time: None,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(json, &d, "credit.limits.v1.ExposureDocument", |d| {
                fields(&[
                    ("document", d.document_id.clone()),
                    ("customer", d.customer_id.clone()),
                    ("open", money(&d.open_amount)),
                ])
            })?;
        }
        Command::Hold(HoldCommand::Place {
            customer_id,
            reason,
        }) => {
            let h = c
                .place_credit_hold(pb::PlaceCreditHoldRequest {
                    customer_id,
                    reason,
                    request_id: rid(),
                    ..Default::default()
                })
                .await?
                .into_inner();
            print(json, &h, "credit.limits.v1.CreditHold", |h| {
                table(HOLD_HEADER, vec![hold_row(h)])
            })?;
        }
        Command::Hold(HoldCommand::Release { hold_id, reason }) => {
            let h = c
                .release_credit_hold(pb::ReleaseCreditHoldRequest {
                    hold_id,
                    reason,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(json, &h, "credit.limits.v1.CreditHold", |h| {
                table(HOLD_HEADER, vec![hold_row(h)])
            })?;
        }
        Command::Hold(HoldCommand::List { customer_id, all }) => {
            let l = c
                .list_credit_holds(pb::ListCreditHoldsRequest {
                    customer_id,
                    include_released: all,
                })
                .await?
                .into_inner();
            print(json, &l, "credit.limits.v1.ListCreditHoldsResponse", |l| {
                table(HOLD_HEADER, l.credit_holds.iter().map(hold_row).collect())
            })?;
        }
        Command::Fx(FxCommand::Set {
            base,
            quote,
            rate,
            effective,
        }) => {
            let r = c
                .set_fx_rate(pb::SetFxRateRequest {
                    fx_rate: Some(pb::FxRate {
                        base_currency_code: base.to_uppercase(),
                        quote_currency_code: quote.to_uppercase(),
                        rate,
                        effective_time: effective.as_deref().map(timestamp).transpose()?,
                        actor_subject: String::new(),
                    }),
                    request_id: rid(),
                })
                .await?
                .into_inner();
            print(json, &r, "credit.limits.v1.FxRate", |r| {
                table(
                    &["base", "quote", "rate", "from"],
                    vec![vec![
                        r.base_currency_code.clone(),
                        r.quote_currency_code.clone(),
                        r.rate.clone(),
                        time(&r.effective_time),
                    ]],
                )
            })?;
        }
        Command::Fx(FxCommand::List) => {
            let l = c
                .list_fx_rates(pb::ListFxRatesRequest::default())
                .await?
                .into_inner();
            print(json, &l, "credit.limits.v1.ListFxRatesResponse", |l| {
                table(
                    &["base", "quote", "rate", "from", "by"],
                    l.fx_rates
                        .iter()
                        .map(|r| {
                            vec![
                                r.base_currency_code.clone(),
                                r.quote_currency_code.clone(),
                                r.rate.clone(),
                                time(&r.effective_time),
                                r.actor_subject.clone(),
                            ]
                        })
                        .collect(),
                )
            })?;
        }
        Command::Decision(DecisionCommand::Get { decision_id }) => {
            let d = c
                .get_credit_decision(pb::GetCreditDecisionRequest { decision_id })
                .await?
                .into_inner();
            print(json, &d, "credit.limits.v1.CreditDecision", |d| {
                let mut out = check_table(&d.response.clone().unwrap_or_default());
                out.push_str("\ninputs:\n");
                out.push_str(
                    &serde_json::from_str::<serde_json::Value>(&d.inputs_json)
                        .map_or(d.inputs_json.clone(), |v| {
                            serde_json::to_string_pretty(&v).unwrap_or_default()
                        }),
                );
                out
            })?;
        }
        Command::Decision(DecisionCommand::Replay { decision_id }) => {
            let r = c
                .replay_credit_decision(pb::ReplayCreditDecisionRequest { decision_id })
                .await?
                .into_inner();
            print(
                json,
                &r,
                "credit.limits.v1.ReplayCreditDecisionResponse",
                |r| {
                    format!(
                        "identical: {}\n{}",
                        r.identical,
                        check_table(&r.replayed.clone().unwrap_or_default())
                    )
                },
            )?;
        }
    }
    Ok(())
}
