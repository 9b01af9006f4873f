//! End-to-end through the gateway, after the credit check: an approved order is invoiced, falls
//! overdue (the account is held), the reminder e-mail arrives in an SMTP sink, part of the
//! invoice is disputed and the rest paid, the dispute ends in a credit note — exposure and the
//! hold return to normal — and audit shows it all.
mod support;

use credit_platform::auth::roles;
use credit_platform::testing::SmtpSink;
use credit_proto::audit as apb;
use credit_proto::audit::audit_service_client::AuditServiceClient;
use credit_proto::collections as cpb;
use credit_proto::collections::collections_service_client::CollectionsServiceClient;
use credit_proto::google::r#type::Date;
use credit_proto::limits as lpb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::scoring as spb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use credit_proto::types::Money;
use std::time::Duration;
use support::Journey;

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn eur(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: "EUR".into(),
    })
}

/// The day `days` from today (UTC), "YYYY-MM-DD".
fn day(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_micros() as i64;
    credit_platform::clock::date_of(now + days * 86_400_000_000)
}

/// An IANA zone where it is midday now, so quiet hours never hold the letter back.
fn midday_zone() -> String {
    let hour = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        / 3600
        % 24) as i64;
    let offset = hour - 12;
    if offset >= 0 {
        format!("Etc/GMT+{offset}")
    } else {
        format!("Etc/GMT-{}", -offset)
    }
}

fn document(
    id: &str,
    kind: cpb::DocumentKind,
    amount: &str,
    issued: &str,
    due: &str,
    allocations: &[(&str, &str)],
) -> cpb::ImportDocumentsRequest {
    cpb::ImportDocumentsRequest {
        part: Some(cpb::import_documents_request::Part::Row(cpb::DocumentRow {
            row_number: 0,
            document: Some(cpb::ReceivableDocument {
                document_id: id.into(),
                customer_id: "SHOP-FR".into(),
                kind: kind as i32,
                amount: eur(amount),
                issue_date: Date::read(issued),
                due_date: Date::read(due),
                order_id: if kind == cpb::DocumentKind::Invoice {
                    "SO-77".into()
                } else {
                    String::new()
                },
                allocations: allocations
                    .iter()
                    .map(|(i, a)| cpb::Allocation {
                        invoice_id: i.to_string(),
                        amount: eur(a),
                    })
                    .collect(),
                ..Default::default()
            }),
        })),
    }
}

fn options() -> cpb::ImportDocumentsRequest {
    cpb::ImportDocumentsRequest {
        part: Some(cpb::import_documents_request::Part::Options(
            cpb::ImportOptions {
                all_or_nothing: true,
                source: "erp".into(),
            },
        )),
    }
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what} never happened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoiced_overdue_reminded_disputed_paid_and_back_to_normal_with_audit_showing_it_all() {
    let sink = SmtpSink::start().await;
    let url = sink.url.clone();
    // Every service over mutual TLS (collections → scoring, limits and scoring following
    // collections' feed), the gateway over TLS.
    let journey = Journey::start_with(move |c| {
        c.smtp_url = Some(url.into());
        c.tls = true;
    })
    .await;
    journey.assert_services_demand_client_certificates().await;
    let token = |subject: &str, role: &str| journey.token_for(subject, &[role]);
    let mut limits = LimitsServiceClient::with_interceptor(
        journey.channel.clone(),
        token("max", roles::MANAGER),
    );
    let mut orders = LimitsServiceClient::with_interceptor(
        journey.channel.clone(),
        token("orders", roles::SALES_ORDER),
    );
    let mut erp = CollectionsServiceClient::with_interceptor(
        journey.channel.clone(),
        token("erp", roles::ANALYST),
    );
    limits
        .create_credit_account(lpb::CreateCreditAccountRequest {
            credit_account: Some(lpb::CreditAccount {
                customer_id: "SHOP-FR".into(),
                name: "Shop SARL".into(),
                currency_code: "EUR".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("account");
    journey
        .limit_setter()
        .set_credit_limit(lpb::SetCreditLimitRequest {
            customer_id: "SHOP-FR".into(),
            credit_limit: Some(lpb::CreditLimit {
                mode: lpb::LimitMode::Amount as i32,
                amount: eur("50000"),
                ..Default::default()
            }),
            reason: "approved".into(),
            request_id: rid(),
            approved_by: vec!["max.manager".into()],
            approval_reference: "APP-SHOP-FR".into(),
        })
        .await
        .expect("limit");
    erp.put_customer(cpb::PutCustomerRequest {
        customer: Some(cpb::Customer {
            customer_id: "SHOP-FR".into(),
            name: "Shop SARL".into(),
            language: "en".into(),
            time_zone: midday_zone(),
            email: "accounts@shop.example.fr".into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("profile");

    // The order is approved and reserved.
    let approved = orders
        .check_credit(lpb::CheckCreditRequest {
            customer_id: "SHOP-FR".into(),
            order_id: "SO-77".into(),
            amount: eur("20000"),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert_eq!(approved.outcome(), lpb::CheckOutcome::Approved);

    // It was invoiced long ago (due 70 days back): the ledger gets it, exposure follows.
    let report = erp
        .import_documents(futures::stream::iter(vec![
            options(),
            document(
                "INV-77",
                cpb::DocumentKind::Invoice,
                "20000",
                &day(-100),
                &day(-70),
                &[],
            ),
        ]))
        .await
        .expect("import")
        .into_inner();
    assert_eq!(report.created, 1, "{report:?}");
    let exposure = |limits: &mut LimitsServiceClient<_>| {
        let mut limits = limits.clone();
        async move {
            let e = limits
                .get_exposure(lpb::GetExposureRequest {
                    customer_id: "SHOP-FR".into(),
                    ..Default::default()
                })
                .await
                .expect("exposure")
                .into_inner()
                .own
                .expect("own");
            (
                e.reserved_orders.map(|m| m.amount).unwrap_or_default(),
                e.open_receivables.map(|m| m.amount).unwrap_or_default(),
            )
        }
    };
    eventually("the reservation became the receivable", || {
        let f = exposure(&mut limits);
        async move { f.await == ("0.00".to_string(), "20000.00".to_string()) }
    })
    .await;
    let holds = |limits: &mut LimitsServiceClient<_>| {
        let mut limits = limits.clone();
        async move {
            limits
                .list_credit_holds(lpb::ListCreditHoldsRequest {
                    customer_id: "SHOP-FR".into(),
                    include_released: false,
                    ..Default::default()
                })
                .await
                .expect("holds")
                .into_inner()
                .credit_holds
                .len()
        }
    };
    eventually("70 days overdue holds the account", || {
        let f = holds(&mut limits);
        async move { f.await == 1 }
    })
    .await;

    // Dunning: the reminder arrives in the mail sink.
    let run = erp
        .run_dunning(cpb::RunDunningRequest {
            customer_id: "SHOP-FR".into(),
        })
        .await
        .expect("dunning")
        .into_inner();
    assert_eq!(
        credit_proto::short_name::<cpb::DunningOutcome>(run.actions[0].outcome),
        Some("SENT"),
        "{run:?}"
    );
    let mail = sink.wait_for(1).await;
    assert_eq!(mail[0].to, ["accounts@shop.example.fr"]);
    assert!(mail[0].data.contains("INV-77"), "{}", mail[0].data);

    // Scoring scores the customer; collections follows its feed, and the worklist ranks the
    // case by the score's probability of default: 70 days late after a reminder, call.
    let mut scoring = ScoringServiceClient::with_interceptor(
        journey.channel.clone(),
        token("ana", roles::ANALYST),
    );
    scoring
        .put_financial_statement(spb::PutFinancialStatementRequest {
            customer_id: "SHOP-FR".into(),
            statement: Some(spb::FinancialStatement {
                period_end: credit_proto::google::r#type::Date::read("2025-12-31"),
                currency_code: "EUR".into(),
                revenue: "900000".into(),
                ebit: "20000".into(),
                net_income: "5000".into(),
                interest_expense: "15000".into(),
                total_assets: "600000".into(),
                current_assets: "300000".into(),
                cash: "20000".into(),
                inventory: "150000".into(),
                receivables: "120000".into(),
                intangible_assets: "0".into(),
                total_liabilities: "450000".into(),
                current_liabilities: "280000".into(),
                retained_earnings: "40000".into(),
                equity: "150000".into(),
            }),
            request_id: rid(),
        })
        .await
        .expect("statement");
    let score = scoring
        .score_customer(spb::ScoreCustomerRequest {
            customer_id: "SHOP-FR".into(),
            requested_amount: eur("50000"),
            request_id: rid(),
        })
        .await
        .expect("score")
        .into_inner();
    let profile = |erp: &mut CollectionsServiceClient<_>| {
        let mut erp = erp.clone();
        async move {
            erp.get_customer(cpb::GetCustomerRequest {
                customer_id: "SHOP-FR".into(),
            })
            .await
            .expect("customer")
            .into_inner()
        }
    };
    let expected = (
        score.risk_class.clone(),
        score.probability_of_default.clone(),
    );
    eventually("collections knows the score", || {
        let f = profile(&mut erp);
        let expected = expected.clone();
        async move {
            let c = f.await;
            (c.risk_class, c.probability_of_default) == expected
        }
    })
    .await;
    let worklist = erp
        .get_worklist(cpb::GetWorklistRequest::default())
        .await
        .expect("worklist")
        .into_inner();
    let case = worklist
        .items
        .iter()
        .find(|i| i.customer_id == "SHOP-FR")
        .expect("SHOP-FR on the worklist");
    assert_eq!(case.probability_of_default, score.probability_of_default);
    assert_eq!(
        (
            credit_proto::short_name::<cpb::NextAction>(case.action),
            case.days_past_due
        ),
        (Some("CALL"), 70)
    );

    // Part is disputed; the rest is paid: nothing undisputed is overdue, the hold goes.
    let dispute = erp
        .open_dispute(cpb::OpenDisputeRequest {
            invoice_id: "INV-77".into(),
            amount: eur("5000"),
            reason: cpb::DisputeReason::Damaged as i32,
            line: "line 1".into(),
            owner: String::new(),
            comment: "a quarter of the goods arrived damaged".into(),
            request_id: rid(),
        })
        .await
        .expect("dispute")
        .into_inner();
    erp.import_documents(futures::stream::iter(vec![
        options(),
        document(
            "PAY-77",
            cpb::DocumentKind::Payment,
            "15000",
            &day(0),
            "",
            &[("INV-77", "15000")],
        ),
    ]))
    .await
    .expect("payment");
    eventually("the hold is released once the rest is paid", || {
        let f = holds(&mut limits);
        async move { f.await == 0 }
    })
    .await;
    eventually("exposure follows the payment", || {
        let f = exposure(&mut limits);
        async move { f.await == ("0.00".to_string(), "5000.00".to_string()) }
    })
    .await;

    // The dispute ends in a credit note: nothing is open any more.
    erp.import_documents(futures::stream::iter(vec![
        options(),
        document(
            "CN-77",
            cpb::DocumentKind::CreditNote,
            "5000",
            &day(0),
            "",
            &[("INV-77", "5000")],
        ),
    ]))
    .await
    .expect("credit note");
    erp.resolve_dispute(cpb::ResolveDisputeRequest {
        dispute_id: dispute.dispute_id.clone(),
        resolution: cpb::DisputeResolution::CreditNote.into(),
        credit_note_id: "CN-77".into(),
        comment: "damaged goods credited".into(),
        request_id: rid(),
    })
    .await
    .expect("resolved");
    eventually("exposure back to nothing", || {
        let f = exposure(&mut limits);
        async move { f.await == ("0.00".to_string(), "0.00".to_string()) }
    })
    .await;
    let normal = orders
        .check_credit(lpb::CheckCreditRequest {
            customer_id: "SHOP-FR".into(),
            order_id: "SO-78".into(),
            amount: eur("40000"),
            request_id: rid(),
            dry_run: true,
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert_eq!(normal.outcome(), lpb::CheckOutcome::Approved, "{normal:?}");

    // Audit shows it all.
    let mut audit = AuditServiceClient::with_interceptor(journey.channel.clone(), journey.token());
    let wanted = [
        "credit.limits.reservation.created",
        "credit.collections.document.recorded",
        "credit.collections.receivable.changed",
        "credit.limits.reservation.invoiced",
        "credit.collections.customer.overdue",
        "credit.limits.credit_hold.placed",
        "credit.collections.dunning.step_taken",
        "credit.collections.message.sent",
        "credit.collections.dispute.opened",
        "credit.collections.customer.overdue_cleared",
        "credit.limits.credit_hold.released",
        "credit.collections.dispute.resolved",
        // Scoring follows the customer's payment behaviour from the ledger.
        "credit.collections.payment_behaviour.changed",
        "credit.scoring.payment_behaviour.recorded",
    ];
    let mut types: Vec<String> = Vec::new();
    for _ in 0..400 {
        types = audit
            .list_audit_entries(apb::ListAuditEntriesRequest {
                filter: Some(apb::AuditEntryFilter {
                    customer_id: "SHOP-FR".into(),
                    ..Default::default()
                }),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("history")
            .into_inner()
            .entries
            .into_iter()
            .map(|e| e.event_type)
            .collect();
        if wanted.iter().all(|w| types.iter().any(|t| t == w)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for w in wanted {
        assert!(types.iter().any(|t| t == w), "{w} in {types:?}");
    }
    // Every event of the journey is typed, and its JSON is its message's.
    assert!(journey.assert_every_event_is_typed().await > 10);
    journey.stop().await;
}
