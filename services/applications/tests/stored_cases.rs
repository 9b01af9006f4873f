//! Credit cases written before they were stored as their domain records (their body was then
//! the wire message of the time, frozen below as the bytes that version wrote) are converted at
//! start-up and by `migrate`, once, and read back through the API unchanged.
mod support;

use credit_platform::auth::roles;
use credit_platform::db::Db;
use credit_proto::applications as pb;
use credit_proto::limits as lpb;
use sqlx::Row;
use support::Suite;

// A released case as the service encoded it before the change (resolution, check outcomes and
// reasons were strings then).
const RELEASED_CASE: &str = "0a2430313930613030302d303030302d373030302d383030302d303030303030303030306331120441434d451a04534f2d31220f0a0836303030302e303012034555522a0f0a0836303030302e3030120345555230023a6d0a2430313930613030302d303030302d373030302d383030302d303030303030303030306431120852454a45435445441a0a4f5645525f4c494d4954220f0a0831303030302e303012034555522a0f0a0831303030302e30301203455552320573616c65733a060880838ecd063a710a2430313930613030302d303030302d373030302d383030302d3030303030303030303064321208415050524f5645441a0a4f5645525f4c494d49541a1452454c45415345445f42595f415050524f56414c220f0a0831303030302e303012034555523204626f73733a060880a693cd06422f7b226f726465725f616d6f756e74223a223630303030222c226f726465725f63757272656e6379223a22455552227d4a0573616c657352060880838ecd065a1452454c45415345445f42595f415050524f56414c6204626f73736a060880a693cd0672166c6f6e672d7374616e64696e6720637573746f6d65727a2430313930613030302d303030302d373030302d383030302d3030303030303030303065318201074d414e414745528a010e6372656469745f6d616e61676572";

const CASE_ID: &str = "0190a000-0000-7000-8000-0000000000c1";

async fn body(db: &Db) -> Vec<u8> {
    sqlx::query("SELECT body FROM credit_cases WHERE case_id = $1")
        .bind(CASE_ID)
        .fetch_one(&db.pool)
        .await
        .expect("the case")
        .try_get(0)
        .expect("body")
}

#[tokio::test]
async fn a_case_of_the_earlier_version_is_converted_once_and_read_back_unchanged() {
    let suite = Suite::start().await;
    let config = suite.applications_db.config.clone();
    let db = Db::connect(&config).await.expect("connect");
    let suite = suite
        .restart_applications_after(async {
            sqlx::query(
                "INSERT INTO credit_cases (case_id, customer_id, order_id, decision_id, state, \
                 body, referred_at, updated_at) VALUES ($1, 'ACME', 'SO-1', \
                 '0190a000-0000-7000-8000-0000000000d1', 'RELEASED', $2, 1772323200000000, \
                 1772409600000000)",
            )
            .bind(CASE_ID)
            .bind(hex::decode(RELEASED_CASE).expect("fixture hex"))
            .execute(&db.pool)
            .await
            .expect("an old row");
        })
        .await;
    let converted = body(&db).await;
    assert_eq!(converted.first(), Some(&b'{'), "converted at start-up");
    credit_applications::migrate(&config)
        .await
        .expect("migrate again");
    assert_eq!(body(&db).await, converted, "a second run changes nothing");
    db.pool.close().await;

    let mut c = suite.client("ana", &[roles::ANALYST]);
    let case = c
        .get_credit_case(pb::GetCreditCaseRequest {
            case_id: CASE_ID.into(),
        })
        .await
        .expect("the case")
        .into_inner();
    assert_eq!(case.state(), pb::CreditCaseState::Released);
    assert_eq!(
        case.resolution(),
        pb::CreditCaseResolution::ReleasedByApproval
    );
    let order = case.order_amount.clone().unwrap_or_default();
    assert_eq!(
        (order.amount.as_str(), order.currency_code.as_str()),
        ("60000.00", "EUR")
    );
    assert_eq!(case.checked_amount, case.order_amount);
    assert_eq!(
        (
            case.referred_by.as_str(),
            case.resolved_by.as_str(),
            case.comment.as_str()
        ),
        ("sales", "boss", "long-standing customer")
    );
    assert_eq!(case.refer_time.map(|t| t.seconds), Some(1_772_323_200));
    assert_eq!(case.resolve_time.map(|t| t.seconds), Some(1_772_409_600));
    assert_eq!(case.reservation_id, "0190a000-0000-7000-8000-0000000000e1");
    assert_eq!(
        (case.required_level.as_str(), case.release_roles.clone()),
        ("MANAGER", vec!["credit_manager".to_string()])
    );
    assert_eq!(case.checks.len(), 2);
    let (referred, release) = (&case.checks[0], &case.checks[1]);
    assert_eq!(referred.outcome(), lpb::CheckOutcome::Rejected);
    assert_eq!(
        referred.reasons().collect::<Vec<_>>(),
        [lpb::CheckReason::OverLimit]
    );
    assert_eq!(
        referred
            .available_before
            .as_ref()
            .map(|m| m.amount.as_str()),
        Some("10000.00")
    );
    assert_eq!(referred.check_time.map(|t| t.seconds), Some(1_772_323_200));
    assert_eq!(release.outcome(), lpb::CheckOutcome::Approved);
    assert_eq!(
        release.reasons().collect::<Vec<_>>(),
        [
            lpb::CheckReason::OverLimit,
            lpb::CheckReason::ReleasedByApproval
        ]
    );
    assert_eq!(release.max_approvable_amount, None);
    assert!(case.inputs_json.contains("order_currency"));

    // The converted case is found by its state and still refuses a second resolution.
    let released = c
        .list_credit_cases(pb::ListCreditCasesRequest {
            state: pb::CreditCaseState::Released.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .cases;
    assert_eq!(released, vec![case]);
    let mut boss = suite.client("boss2", &[roles::MANAGER]);
    let refused = boss
        .reject_blocked_order(pb::RejectBlockedOrderRequest {
            case_id: CASE_ID.into(),
            reason: "too late".into(),
            request_id: support::rid(),
        })
        .await
        .expect_err("resolved already");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("RELEASED"),
        "{}",
        refused.message()
    );
    suite.stop().await;
}
