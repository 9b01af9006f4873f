//! Stress scenarios: exposure read from a real limits server over gRPC, probabilities from the
//! stored scores, expected loss before and after checked against figures computed here.
mod support;

use credit_platform::auth::roles;
use credit_proto::limits as lpb;
use credit_proto::scoring as pb;
use credit_proto::types::Money;
use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;
use support::{App, Limits, eur, fields, onboard, rid};

fn money(amount: &str, currency: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: currency.into(),
    })
}

async fn account(limits: &Limits, customer: &str, currency: &str, segment: &str, region: &str) {
    limits
        .manager()
        .create_credit_account(lpb::CreateCreditAccountRequest {
            credit_account: Some(lpb::CreditAccount {
                customer_id: customer.into(),
                name: customer.into(),
                currency_code: currency.into(),
                segment: segment.into(),
                region: region.into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("account");
}

async fn receivable(limits: &Limits, customer: &str, amount: &str, currency: &str) {
    limits
        .manager()
        .post_receivable(lpb::PostReceivableRequest {
            customer_id: customer.into(),
            document_id: format!("INV-{customer}"),
            open_amount: money(amount, currency),
            due_time: None,
            request_id: rid(),
        })
        .await
        .expect("receivable");
}

/// Limits with three accounts (one in USD, one never scored) and a USD→EUR rate; scoring
/// connected to it with two customers scored ("bolt" in construction).
async fn portfolio() -> (Limits, App, Decimal, Decimal) {
    let limits = Limits::start().await;
    account(&limits, "acme", "EUR", "SME", "EU-WEST").await;
    account(&limits, "bolt", "USD", "KEY_ACCOUNT", "US").await;
    account(&limits, "cato", "EUR", "SME", "EU-WEST").await;
    receivable(&limits, "acme", "100000.00", "EUR").await;
    receivable(&limits, "bolt", "50000.00", "USD").await;
    receivable(&limits, "cato", "7000.00", "EUR").await;
    limits
        .manager()
        .set_fx_rate(lpb::SetFxRateRequest {
            fx_rate: Some(lpb::FxRate {
                base_currency_code: "USD".into(),
                quote_currency_code: "EUR".into(),
                rate: "0.9".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("rate");
    let url = limits.url.clone();
    let app = App::start_with(|c| c.limits_url = Some(url)).await;
    let mut c = app.analyst();
    onboard(&mut c, "acme").await;
    onboard(&mut c, "bolt").await;
    c.put_bureau_report(pb::PutBureauReportRequest {
        customer_id: "bolt".into(),
        report: Some(pb::BureauReport {
            provider: "manual".into(),
            years_in_business: "4".into(),
            employees: "30".into(),
            industry: "F".into(),
            failure_score: "40".into(),
            payment_index: "60".into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("bureau");
    let pd = |score: pb::Score| Decimal::from_str(&score.probability_of_default).expect("pd");
    let score = |customer: &str| pb::ScoreCustomerRequest {
        customer_id: customer.into(),
        requested_amount: eur("100000"),
        request_id: rid(),
    };
    let acme = pd(c
        .score_customer(score("acme"))
        .await
        .expect("score")
        .into_inner());
    let bolt = pd(c
        .score_customer(score("bolt"))
        .await
        .expect("score")
        .into_inner());
    (limits, app, acme, bolt)
}

fn scenario() -> pb::StressScenario {
    pb::StressScenario {
        name: "recession".into(),
        probability_multiplier: "1.5".into(),
        industry_shocks: vec![pb::StressShock {
            key: "F".into(),
            probability_multiplier: "2".into(),
        }],
        region_shocks: vec![pb::StressShock {
            key: "MARS".into(),
            probability_multiplier: "3".into(),
        }],
        ..Default::default()
    }
}

fn cents(value: Decimal) -> String {
    value
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .to_string()
}

fn amount(m: &Option<Money>) -> String {
    let m = m.as_ref().expect("money");
    assert_eq!(m.currency_code, "EUR");
    m.amount.clone()
}

#[tokio::test]
async fn expected_loss_before_and_after_by_segment_with_exposure_from_limits() {
    let (limits, app, pd_acme, pd_bolt) = portfolio().await;
    let lgd = Decimal::from_str("0.45").expect("lgd");
    let answer = app
        .client("max.manager", &[roles::MANAGER])
        .run_stress_scenario(pb::RunStressScenarioRequest {
            scenario: Some(scenario()),
            group_by: pb::StressDimension::Industry as i32,
            reporting_currency_code: "EUR".into(),
            top_customers: 0,
        })
        .await
        .expect("scenario")
        .into_inner();

    // acme: 100 000 EUR, industry M, general factor only. bolt: 50 000 USD at 0.9 = 45 000 EUR,
    // construction (F), shocked twice. cato: never scored.
    let exposure_bolt = Decimal::from(45000);
    let exposure_acme = Decimal::from(100000);
    let after = |pd: Decimal, factor: &str| {
        (pd * Decimal::from_str(factor).expect("factor")).min(Decimal::ONE)
    };
    let el_before = pd_acme * exposure_acme * lgd + pd_bolt * exposure_bolt * lgd;
    let el_after =
        after(pd_acme, "1.5") * exposure_acme * lgd + after(pd_bolt, "3") * exposure_bolt * lgd;
    let p = answer.portfolio.as_ref().expect("portfolio");
    assert_eq!(p.key, "PORTFOLIO");
    assert_eq!((p.customers, p.unscored_customers), (2, 1));
    assert_eq!(amount(&p.exposure), "145000.00");
    assert_eq!(amount(&p.unscored_exposure), "7000.00");
    assert_eq!(amount(&p.expected_loss_before), cents(el_before));
    assert_eq!(amount(&p.expected_loss_after), cents(el_after));
    assert!(el_after > el_before, "a shock raises the loss");

    let f = answer
        .segments
        .iter()
        .find(|s| s.key == "F")
        .expect("construction slice");
    assert_eq!(amount(&f.exposure), "45000.00");
    assert_eq!(
        amount(&f.expected_loss_before),
        cents(pd_bolt * exposure_bolt * lgd)
    );
    assert_eq!(
        amount(&f.expected_loss_after),
        cents(after(pd_bolt, "3") * exposure_bolt * lgd)
    );
    assert_eq!(
        f.probability_of_default_after,
        format!("{:.6}", after(pd_bolt, "3").round_dp(6))
    );
    let m = answer.segments.iter().find(|s| s.key == "M").expect("M");
    // cato has no bureau report on file, so it sits in UNKNOWN, unscored.
    let unknown = answer
        .segments
        .iter()
        .find(|s| s.key == "UNKNOWN")
        .expect("UNKNOWN");
    assert_eq!(
        (m.customers, unknown.customers, unknown.unscored_customers),
        (1, 0, 1)
    );
    let keys: Vec<_> = answer.segments.iter().map(|s| s.key.as_str()).collect();
    let mut sorted = answer.segments.clone();
    sorted.sort_by(|a, b| {
        let l =
            |s: &pb::StressSegment| Decimal::from_str(&amount(&s.expected_loss_after)).expect("d");
        l(b).cmp(&l(a))
    });
    assert_eq!(
        keys,
        sorted.iter().map(|s| s.key.as_str()).collect::<Vec<_>>()
    );

    assert_eq!(answer.conversions.len(), 1);
    assert_eq!(answer.conversions[0].from_currency_code, "USD");
    assert_eq!(answer.conversions[0].rate, "0.9");
    assert_eq!(answer.unmatched_shocks, ["region_shocks[MARS]"]);
    let applied = answer.scenario.expect("scenario");
    assert_eq!(
        applied.loss_given_default, "0.45",
        "the default is filled in"
    );
    assert_eq!(answer.top_customers.len(), 2);
    assert_eq!(answer.reporting_currency_code, "EUR");

    // The same question gives the same answer; nothing was stored or emitted.
    let events_before = app.events().await.len();
    let again = app
        .client("ana.analyst", &[roles::ANALYST])
        .run_stress_scenario(pb::RunStressScenarioRequest {
            scenario: Some(scenario()),
            group_by: pb::StressDimension::Industry as i32,
            reporting_currency_code: "EUR".into(),
            top_customers: 1,
        })
        .await
        .expect("again")
        .into_inner();
    assert_eq!(again.portfolio, answer.portfolio);
    assert_eq!(again.top_customers.len(), 1);
    assert_eq!(app.events().await.len(), events_before);

    // By region, in USD: the inverse of the USD→EUR rate converts the EUR accounts.
    let by_region = app
        .analyst()
        .run_stress_scenario(pb::RunStressScenarioRequest {
            scenario: Some(scenario()),
            group_by: pb::StressDimension::Region as i32,
            reporting_currency_code: "USD".into(),
            top_customers: 0,
        })
        .await
        .expect("by region")
        .into_inner();
    let keys: std::collections::BTreeSet<_> =
        by_region.segments.iter().map(|s| s.key.clone()).collect();
    assert_eq!(keys, ["EU-WEST".to_string(), "US".to_string()].into());
    let us = by_region
        .segments
        .iter()
        .find(|s| s.key == "US")
        .expect("US");
    assert_eq!(us.exposure.as_ref().expect("exposure").amount, "50000.00");
    assert_eq!(by_region.conversions[0].from_currency_code, "EUR");

    app.stop().await;
    limits.stop().await;
}

#[tokio::test]
async fn bad_scenarios_missing_rates_wrong_roles_and_an_absent_limits_are_clear_errors() {
    let (limits, app, _, _) = portfolio().await;
    let mut c = app.analyst();
    let mut bad = scenario();
    bad.probability_multiplier = "-1".into();
    bad.loss_given_default = "1.5".into();
    bad.industry_shocks[0].key = "f".into();
    bad.region_shocks.push(pb::StressShock {
        key: "MARS".into(),
        probability_multiplier: "abc".into(),
    });
    let status = c
        .run_stress_scenario(pb::RunStressScenarioRequest {
            scenario: Some(bad),
            group_by: 99,
            reporting_currency_code: "EURO".into(),
            top_customers: 1000,
        })
        .await
        .expect_err("invalid");
    let named = fields(status);
    for field in [
        "scenario.probability_multiplier",
        "scenario.loss_given_default",
        "scenario.industry_shocks[0].key",
        "scenario.region_shocks[1].probability_multiplier",
        "group_by",
        "reporting_currency_code",
        "top_customers",
    ] {
        assert!(named.iter().any(|f| f == field), "{field} in {named:?}");
    }

    // Mixed currencies need a reporting currency.
    let status = c
        .run_stress_scenario(pb::RunStressScenarioRequest {
            scenario: Some(scenario()),
            ..Default::default()
        })
        .await
        .expect_err("mixed currencies");
    assert_eq!(fields(status), ["reporting_currency_code"]);

    // No rate into GBP: the pair is named.
    let status = c
        .run_stress_scenario(pb::RunStressScenarioRequest {
            scenario: Some(scenario()),
            reporting_currency_code: "GBP".into(),
            ..Default::default()
        })
        .await
        .expect_err("no rate");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("/GBP"), "{}", status.message());

    // A viewer does not see portfolio figures.
    let status = app
        .client("vic.viewer", &[roles::VIEWER])
        .run_stress_scenario(pb::RunStressScenarioRequest::default())
        .await
        .expect_err("viewer");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);

    // Limits down: UNAVAILABLE, worth a retry.
    limits.stop().await;
    let status = c
        .run_stress_scenario(pb::RunStressScenarioRequest {
            scenario: Some(scenario()),
            reporting_currency_code: "EUR".into(),
            ..Default::default()
        })
        .await
        .expect_err("limits down");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    app.stop().await;

    // Scoring without a limits address says what to configure.
    let alone = App::start().await;
    let status = alone
        .analyst()
        .run_stress_scenario(pb::RunStressScenarioRequest::default())
        .await
        .expect_err("not connected");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("SCORING_LIMITS_URL"));
    alone.stop().await;
}

fn regional(app: &App, token_roles: &[&str], regions: &[&str]) -> support::Client {
    use credit_platform::auth::{BearerToken, ScopeClaims, mint_hs256_scoped_token};
    let scope = ScopeClaims::regions(regions);
    let token = mint_hs256_scoped_token(
        support::SECRET,
        "eve.regional",
        token_roles,
        &scope,
        std::time::Duration::from_secs(600),
    )
    .expect("token");
    pb::scoring_service_client::ScoringServiceClient::with_interceptor(
        app.channel.clone(),
        BearerToken(Some(token)),
    )
}

fn out_of_scope(status: tonic::Status) -> bool {
    use tonic_types::StatusExt;
    status.code() == tonic::Code::PermissionDenied
        && status
            .get_error_details()
            .error_info()
            .is_some_and(|i| i.reason == "OUT_OF_SCOPE")
}

#[tokio::test]
async fn a_regional_token_scores_reads_and_stresses_its_regions_customers_only() {
    let (limits, app, _, _) = portfolio().await;
    let mut west = regional(&app, &[roles::ANALYST], &["EU-WEST"]);
    let scores = |customer: &str| pb::ListScoresRequest {
        customer_id: customer.into(),
        ..Default::default()
    };
    // Scoring learns each customer's region from limits' feed.
    let mut seen = false;
    for _ in 0..500 {
        if west.list_scores(scores("acme")).await.is_ok() {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        seen,
        "acme (EU-WEST) should become visible once scoring follows limits"
    );
    let hidden = west.list_scores(scores("bolt")).await.expect_err("US");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let bolt_score = app
        .analyst()
        .list_scores(scores("bolt"))
        .await
        .expect("unscoped")
        .into_inner()
        .scores
        .remove(0);
    let hidden = west
        .get_score(pb::GetScoreRequest {
            score_id: bolt_score.score_id,
        })
        .await
        .expect_err("US");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let rescored = west
        .score_customer(pb::ScoreCustomerRequest {
            customer_id: "bolt".into(),
            requested_amount: eur("1000"),
            request_id: rid(),
        })
        .await
        .expect_err("US");
    assert!(out_of_scope(rescored));
    let mut statement = pb::PutFinancialStatementRequest {
        customer_id: "bolt".into(),
        statement: Some(support::statement()),
        request_id: rid(),
    };
    assert!(out_of_scope(
        west.put_financial_statement(statement.clone())
            .await
            .expect_err("US")
    ));
    statement.customer_id = "acme".into();
    west.put_financial_statement(statement)
        .await
        .expect("own region");
    // The stress scenario covers the scope's customers only.
    let stressed = west
        .run_stress_scenario(pb::RunStressScenarioRequest {
            scenario: Some(scenario()),
            group_by: pb::StressDimension::Region as i32,
            reporting_currency_code: "EUR".into(),
            top_customers: 0,
        })
        .await
        .expect("stress")
        .into_inner();
    let customers: Vec<String> = stressed
        .top_customers
        .iter()
        .map(|c| c.customer_id.clone())
        .collect();
    assert!(!customers.is_empty());
    assert!(customers.iter().all(|c| c != "bolt"), "{customers:?}");
    // Rescoring the whole portfolio is not for a regional token.
    let rescore = regional(&app, &[roles::MANAGER], &["EU-WEST"])
        .rescore_portfolio(pb::RescorePortfolioRequest::default())
        .await
        .expect_err("portfolio");
    assert!(out_of_scope(rescore));
    app.stop().await;
    limits.stop().await;
}
