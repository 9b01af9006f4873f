//! What the journeys of credit applications share: a bureau report, waiting for a limit or
//! for audit entries.
use super::Journey;
use credit_applications::testing::sound_bureau_report;
use credit_platform::auth::roles;
use credit_proto::audit as apb;
use credit_proto::audit::audit_service_client::AuditServiceClient;
use credit_proto::limits as lpb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::scoring as spb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use credit_proto::types::Money;
use std::time::Duration;

pub fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn eur(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: "EUR".into(),
    })
}

/// Waits until limits holds `amount` as the customer's limit.
pub async fn wait_limit(limits: &mut Limits, customer_id: &str, amount: &str) {
    for _ in 0..200 {
        let account = limits
            .get_credit_account(lpb::GetCreditAccountRequest {
                customer_id: customer_id.into(),
            })
            .await;
        if account.is_ok_and(|a| {
            a.into_inner()
                .credit_limit
                .and_then(|l| l.amount)
                .is_some_and(|m| m.amount == amount)
        }) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("limits never held {amount} for {customer_id}");
}

/// Waits until audit holds every `wanted` event type for the customer; answers its entries.
pub async fn audited(
    journey: &Journey,
    customer_id: &str,
    wanted: &[&str],
) -> Vec<apb::AuditEntry> {
    let mut audit = AuditServiceClient::with_interceptor(journey.channel.clone(), journey.token());
    let mut seen = Vec::new();
    for _ in 0..300 {
        seen = audit
            .list_audit_entries(apb::ListAuditEntriesRequest {
                filter: Some(apb::AuditEntryFilter {
                    customer_id: customer_id.into(),
                    ..Default::default()
                }),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("history")
            .into_inner()
            .entries;
        // A type named n times in `wanted` must have been recorded n times: audit follows each
        // service's feed on its own, so one source's events can arrive before another's.
        let recorded = |w: &&str| seen.iter().filter(|e| e.event_type == *w).count();
        let expected = |w: &&str| wanted.iter().filter(|x| *x == w).count();
        if wanted.iter().all(|w| recorded(w) >= expected(w)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let types: Vec<&str> = seen.iter().map(|e| e.event_type.as_str()).collect();
    for w in wanted {
        assert!(types.contains(w), "{w} in {types:?}");
    }
    seen
}

pub type Limits = LimitsServiceClient<
    tonic::service::interceptor::InterceptedService<
        tonic::transport::Channel,
        credit_platform::auth::BearerToken,
    >,
>;

/// What a bureau provider reports on a sound company.
pub async fn bureau(journey: &Journey, customer_id: &str) {
    ScoringServiceClient::with_interceptor(
        journey.channel.clone(),
        journey.token_for("ana.analyst", &[roles::ANALYST]),
    )
    .put_bureau_report(spb::PutBureauReportRequest {
        customer_id: customer_id.into(),
        report: Some(sound_bureau_report()),
        request_id: rid(),
    })
    .await
    .expect("bureau");
}
