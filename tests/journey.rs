//! End-to-end journey through the gateway of a running suite: a corporate group gets credit,
//! orders are checked, shipped, invoiced and paid, a hold stops orders, and every step is on the
//! event feed, in the audit log (verified) and in the metrics.
mod support;

use credit_platform::auth::{BearerToken, FeedOf};
use credit_proto::audit as apb;
use credit_proto::audit::audit_service_client::AuditServiceClient;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::limits as pb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::scoring as spb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use credit_proto::types::Money;
use futures::StreamExt;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

type Client = LimitsServiceClient<InterceptedService<Channel, BearerToken>>;

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn eur(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: "EUR".into(),
    })
}

/// Opens the account with `c` and has `setter` (the applications service) set its limit.
async fn account(c: &mut Client, setter: &mut Client, id: &str, parent: &str, limit: &str) {
    c.create_credit_account(pb::CreateCreditAccountRequest {
        credit_account: Some(pb::CreditAccount {
            customer_id: id.into(),
            name: format!("{id} SA"),
            currency_code: "EUR".into(),
            segment: "KEY_ACCOUNT".into(),
            region: "EMEA".into(),
            parent_customer_id: parent.into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("create");
    setter
        .set_credit_limit(pb::SetCreditLimitRequest {
            customer_id: id.into(),
            credit_limit: Some(pb::CreditLimit {
                mode: pb::LimitMode::Amount as i32,
                amount: eur(limit),
                ..Default::default()
            }),
            reason: "onboarding".into(),
            request_id: rid(),
            approved_by: vec!["max.manager".into()],
            approval_reference: format!("APP-{id}"),
        })
        .await
        .expect("limit");
}

async fn check(
    c: &mut Client,
    customer: &str,
    order: &str,
    amount: &str,
) -> pb::CheckCreditResponse {
    c.check_credit(pb::CheckCreditRequest {
        customer_id: customer.into(),
        order_id: order.into(),
        amount: eur(amount),
        request_id: rid(),
        ..Default::default()
    })
    .await
    .expect("check")
    .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_group_gets_credit_orders_flow_and_everything_is_recorded() {
    let journey = support::Journey::start().await;
    assert!(
        journey.dir.path().join("token").exists(),
        "the suite leaves a token for the CLI"
    );
    let suite = &journey.suite;
    let channel = journey.channel.clone();

    let mut c = LimitsServiceClient::with_interceptor(
        channel.clone(),
        BearerToken(Some(suite.token.clone())),
    );
    let mut setter = journey.limit_setter();
    account(&mut c, &mut setter, "HOLDING", "", "50000").await;
    account(&mut c, &mut setter, "HOLDING-FR", "HOLDING", "30000").await;
    account(&mut c, &mut setter, "HOLDING-RO", "HOLDING", "30000").await;

    let fr = check(&mut c, "HOLDING-FR", "SO-1", "20000").await;
    assert_eq!(fr.outcome, pb::CheckOutcome::Approved as i32);
    let ro = check(&mut c, "HOLDING-RO", "SO-2", "30001").await;
    assert_eq!(ro.outcome, pb::CheckOutcome::Rejected as i32);
    assert_eq!(
        ro.max_approvable_amount.as_ref().map(|m| m.amount.as_str()),
        Some("30000.00")
    );

    let reservation = fr.reservation.expect("reservation").reservation_id;
    c.ship_reservation(pb::ShipReservationRequest {
        reservation_id: reservation.clone(),
        amount: eur("20000"),
        request_id: rid(),
    })
    .await
    .expect("ship");
    c.invoice_reservation(pb::InvoiceReservationRequest {
        reservation_id: reservation,
        amount: eur("20000"),
        document_id: "INV-2026-001".into(),
        due_time: None,
        request_id: rid(),
    })
    .await
    .expect("invoice");
    c.post_receivable(pb::PostReceivableRequest {
        customer_id: "HOLDING-FR".into(),
        document_id: "INV-2026-001".into(),
        open_amount: eur("0"),
        ..Default::default()
    })
    .await
    .expect("paid");
    let group = c
        .get_exposure(pb::GetExposureRequest {
            customer_id: "HOLDING".into(),
            as_of_time: None,
        })
        .await
        .expect("exposure")
        .into_inner();
    assert_eq!(
        group.available_credit.as_ref().map(|m| m.amount.as_str()),
        Some("50000.00")
    );

    c.place_credit_hold(pb::PlaceCreditHoldRequest {
        customer_id: "HOLDING".into(),
        reason: "legal dispute".into(),
        request_id: rid(),
        ..Default::default()
    })
    .await
    .expect("hold");
    let held = check(&mut c, "HOLDING-RO", "SO-3", "10").await;
    assert_eq!(held.reasons, [pb::CheckReason::GroupOnHold as i32]);

    let events: Vec<_> = EventFeedServiceClient::with_interceptor(
        channel.clone(),
        FeedOf {
            token: BearerToken(Some(suite.token.clone())),
            source: "limits".into(),
        },
    )
    .stream_events(credit_proto::event::StreamEventsRequest {
        after_sequence: 0,
        backlog_only: true,
    })
    .await
    .expect("feed")
    .into_inner()
    .map(|e| e.expect("event").event.expect("event"))
    .collect()
    .await;
    // Limits are set by the applications service (here: as a migration would), naming who
    // approved them; everything else by the admin.
    for e in &events {
        let expected = if e.event_type == "credit.limits.credit_limit.changed" {
            assert!(e.payload_json.contains("max.manager"), "{}", e.payload_json);
            "service:applications"
        } else {
            "suite-admin"
        };
        assert_eq!(e.actor_subject, expected, "{}", e.event_type);
    }
    assert!(
        events
            .iter()
            .any(|e| e.event_type == "credit.limits.credit_hold.placed")
    );
    assert_eq!(
        events.last().map(|e| e.event_type.as_str()),
        Some("credit.limits.credit_check.rejected")
    );

    // The credit team scores the subsidiary: statement, bureau report, score with reasons and a
    // recommended limit, under the active policy and model.
    let mut scoring = ScoringServiceClient::with_interceptor(
        channel.clone(),
        BearerToken(Some(suite.token.clone())),
    );
    let analysis = scoring
        .put_financial_statement(spb::PutFinancialStatementRequest {
            customer_id: "HOLDING-FR".into(),
            statement: Some(credit_applications::testing::sound_statement()),
            request_id: rid(),
        })
        .await
        .expect("statement")
        .into_inner();
    assert!(analysis.flags.is_empty());
    assert_eq!(
        analysis.altman_z.expect("z").zone(),
        credit_proto::scoring::AltmanZone::Safe
    );
    scoring
        .put_bureau_report(spb::PutBureauReportRequest {
            customer_id: "HOLDING-FR".into(),
            report: Some(spb::BureauReport {
                provider: "manual".into(),
                years_in_business: "35".into(),
                employees: "120".into(),
                industry: "G".into(),
                failure_score: "90".into(),
                payment_index: "80".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("bureau");
    let score = scoring
        .score_customer(spb::ScoreCustomerRequest {
            customer_id: "HOLDING-FR".into(),
            requested_amount: eur("50000"),
            request_id: rid(),
        })
        .await
        .expect("score")
        .into_inner();
    assert!(!score.rejected);
    assert_eq!(score.policy_version, 1);
    assert!(!score.model_version.is_empty());
    assert_eq!(
        score
            .recommended_limit
            .and_then(|l| l.amount)
            .map(|m| m.amount),
        Some("50000.00".to_string()),
        "capped at the request"
    );

    // The audit trail: the subsidiary's whole history, in order, each step once with its actor,
    // provably in the signed log, and the log intact.
    let mut audit = AuditServiceClient::with_interceptor(
        channel.clone(),
        BearerToken(Some(suite.token.clone())),
    );
    // Audit follows both feeds; wait until it has all of limits' and scoring's events in a
    // signed checkpoint.
    let mut checkpoint = None;
    for _ in 0..600 {
        let sources = audit
            .list_audit_sources(apb::ListAuditSourcesRequest {
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner().sources)
            .unwrap_or_default();
        let at = |name: &str| {
            sources
                .iter()
                .find(|s| s.source == name)
                .map_or(0, |s| s.last_sequence)
        };
        if let Ok(answer) = audit
            .get_checkpoint(apb::GetCheckpointRequest { tree_size: 0 })
            .await
        {
            let latest = answer.into_inner().checkpoint.expect("checkpoint");
            if at("limits") == events.len() as i64
                && at("scoring") >= 4
                && latest.tree_size
                    == at("limits") + at("scoring") + at("applications") + at("collections")
            {
                checkpoint = Some(latest);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let checkpoint = checkpoint.expect("audit records every event and signs a checkpoint");
    assert_eq!(checkpoint.verifier_key, suite.audit_verifier_key);
    let history = audit
        .list_audit_entries(apb::ListAuditEntriesRequest {
            filter: Some(apb::AuditEntryFilter {
                customer_id: "HOLDING-FR".into(),
                ..Default::default()
            }),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .entries;
    let expected: Vec<&str> = events
        .iter()
        .filter(|e| e.customer_id == "HOLDING-FR")
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        history
            .iter()
            .filter(|e| e.source == "limits")
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        expected
    );
    let from_scoring: Vec<&str> = history
        .iter()
        .filter(|e| e.source == "scoring")
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        from_scoring,
        [
            "credit.scoring.financial_statement.recorded",
            "credit.scoring.bureau_report.recorded",
            "credit.scoring.customer.scored"
        ]
    );
    for e in &history {
        let expected = if e.event_type == "credit.limits.credit_limit.changed" {
            "service:applications"
        } else {
            "suite-admin"
        };
        assert_eq!(e.actor_subject, expected, "{}", e.event_type);
    }
    let proof = audit
        .get_inclusion_proof(apb::GetInclusionProofRequest {
            log_index: history[0].log_index,
            tree_size: 0,
        })
        .await
        .expect("proof")
        .into_inner();
    let leaf = credit_audit::domain::entry::Entry::from_proto(&history[0]).leaf_hash();
    let hashes: Vec<[u8; 32]> = proof
        .hashes
        .iter()
        .map(|h| h.as_slice().try_into().expect("32 bytes"))
        .collect();
    assert!(credit_audit::domain::merkle::verify_inclusion(
        &leaf,
        history[0].log_index as u64,
        checkpoint.tree_size as u64,
        &hashes,
        &checkpoint
            .root_hash
            .as_slice()
            .try_into()
            .expect("32 bytes"),
    ));
    // Audit verified its log in the background at start, before anyone asked.
    let before = support::metrics_text(suite.admin_addr).await;
    assert!(before.contains("audit_verification_intact 1"), "{before}");
    let verified = audit
        .verify_audit_log(apb::VerifyAuditLogRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(verified.intact, "{}", verified.problem);
    assert_eq!(verified.entries_checked, checkpoint.tree_size);

    let metrics = support::metrics_text(suite.admin_addr).await;
    assert!(metrics.contains("grpc_server_handled_total"), "{metrics}");
    assert!(metrics.contains("credit_checks_total"));
    assert!(
        metrics.contains("audit_entries_recorded_total"),
        "{metrics}"
    );
    assert!(metrics.contains("audit_verifications_total"));

    // Every event of the journey is typed, and its JSON is its message's.
    assert!(journey.assert_every_event_is_typed().await > 10);
    journey.stop().await;
}
