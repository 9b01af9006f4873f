//! `creditctl` commands of the limits service: accounts, limits, the credit check,
//! reservations, exposure, receivables, holds, exchange rates and past decisions.
mod args;
mod text;

pub use args::*;
use text::{account_table, check_table, exposure_table, hold_row, reservation_table};

use crate::output::timestamp;
use crate::output::{enum_name, fields, money, print, table, time};
use clap::Subcommand;
use credit_client::BearerToken;
use credit_proto::limits as pb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::types::Money;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

type Client = LimitsServiceClient<InterceptedService<Channel, BearerToken>>;

/// The limits service's commands (top-level commands of `creditctl`).
#[derive(Subcommand)]
pub enum LimitsCommand {
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
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn m(amount: &str, currency: &str) -> Option<Money> {
    Some(Money {
        amount: amount.to_string(),
        currency_code: currency.to_uppercase(),
    })
}

const HOLD_HEADER: &[&str] = &["hold", "kind", "reason", "placed by", "placed", "state"];

/// Runs a limits command through the gateway.
pub async fn run(
    command: LimitsCommand,
    channel: Channel,
    token: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let mut c: Client = LimitsServiceClient::with_interceptor(channel, BearerToken(token));
    match command {
        LimitsCommand::Account(AccountCommand::Create {
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
        LimitsCommand::Account(AccountCommand::Get { customer_id }) => {
            let a = c
                .get_credit_account(pb::GetCreditAccountRequest { customer_id })
                .await?
                .into_inner();
            print(json, &a, "credit.limits.v1.CreditAccount", account_table)?;
        }
        LimitsCommand::Account(AccountCommand::List {
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
        LimitsCommand::Limit(LimitCommand::Set(args)) => {
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
                    approved_by: args.approved_by,
                    approval_reference: args.approval_reference,
                })
                .await?
                .into_inner();
            print(json, &a, "credit.limits.v1.CreditAccount", account_table)?;
        }
        LimitsCommand::Limit(LimitCommand::History { customer_id }) => {
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
                                        enum_name::<credit_proto::limits::LimitMode>(l.mode),
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
        LimitsCommand::Check(args) => {
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
        LimitsCommand::Reservation(command) => {
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
        LimitsCommand::Exposure { customer_id, at } => {
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
        LimitsCommand::Receivable {
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
        LimitsCommand::Hold(HoldCommand::Place {
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
        LimitsCommand::Hold(HoldCommand::Release { hold_id, reason }) => {
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
        LimitsCommand::Hold(HoldCommand::List { customer_id, all }) => {
            let l = c
                .list_credit_holds(pb::ListCreditHoldsRequest {
                    customer_id,
                    include_released: all,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            print(json, &l, "credit.limits.v1.ListCreditHoldsResponse", |l| {
                table(HOLD_HEADER, l.credit_holds.iter().map(hold_row).collect())
            })?;
        }
        LimitsCommand::Fx(FxCommand::Set {
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
        LimitsCommand::Fx(FxCommand::List) => {
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
        LimitsCommand::Decision(DecisionCommand::Get { decision_id }) => {
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
        LimitsCommand::Decision(DecisionCommand::Replay { decision_id }) => {
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
