//! Applications written before they were stored as their domain records (the body was then the
//! encoded wire message, the sealed fields the encoded applicant of the time, frozen below as
//! the bytes that version wrote) are converted at start-up, once, and read back through the API
//! exactly as that version answered them.
mod support;

use credit_platform::auth::roles;
use credit_platform::db::Db;
use credit_proto::applications as pb;
use prost::Message;
use sqlx::Row;
use support::Suite;

// An approved limit increase, masked, as the earlier version encoded it.
const BODY: &str = "0a2430313930613030302d303030302d373030302d383030302d303030303030303030306131120741434d452d4652180422d3020a1141434d4520496e64757374726965205341120441434d451a09333033323635303435220d46522a2a2a2a2a2a2a2a2a34352a02465232240a103120727565206465206c612050616978120537353030321a0550617269732202465242360a094a2a2a2a20442a2a2a120343464f1a116a2a2a2a4061636d652e6578616d706c6522112b3333202a202a2a202a2a202a2a2038394a0d0a07482a2a2a20534112023630520c41434d4520486f6c64696e675a0941434d452d484f4c446203433235680c722a0a055452414445120a537465656c202620436f1a0133220f0a0832303030302e303012034555522a01357a440a1d465237362a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a3138391208424e5041465250501a0b424e502050617269626173220c412a2a2a20492a2a2a20534182010266728a010745552d57455354920105535445454c9a01034d49442a240a0f0a0835303030302e30301203455552102d1a0f0a0833303030302e30301203455552328a010a0a323032352d31322d333112034555521a08313230303030303022063930303030302a06363030303030320535303030303a07383030303030304207333030303030304a0635303030303052063830303030305a073132303030303062063130303030306a07353030303030307207323030303030307a0731353030303030820107333030303030303a8a010a0552454645521217414d4f554e545f41424f56455f4155544f5f4c494d49541a2430313930613030302d303030302d373030302d383030302d30303030303030303030623122014228e4043206302e303231303a0f0a0834353030302e303012034555524a210a0844534f5f48494748120a736c6f7720706179657218f4ffffffffffffffff01500142870108011207414e414c5953541a0e6372656469742e616e616c79737420012a08415050524f564544324c0a0b626f622e616e616c7973741207415050524f56451a0f0a0834303030302e30301203455552201e2a12717561727465726c79206163636f756e74733a05736f6c6964420608a0bb8ecd063a0608909f8ecd0642060890c293cd0648184a6a0a08415050524f5645441a0f0a0834303030302e30301203455552201e2a12717561727465726c79206163636f756e7473380142095354524154454749434a0b6b6579206163636f756e74520b626f622e616e616c7973745a0608a0bb8ecd0660016a0608a08998eb0652100a04444f4e451001220608a1bb8ecd065a0973616d2e73616c6573620973616d2e73616c657368017a060880838ecd0682010608a1bb8ecd068a010608909f8ecd0692011d0a026672120d566f7472652064656d616e64651a084163636f7264c3a99a010608909f8ecd06a00102aa014a0a0f0a0832353030302e303012034555521a0667726f777468220973616d2e73616c65733a2430313930613030302d303030302d373030302d383030302d303030303030303030306130";
// Its sensitive fields in clear (sealed with the service's key when stored).
const SENSITIVE: &str = "220d4652343033303332363530343542350a084a616e6520446f65120343464f1a116a616e654061636d652e6578616d706c6522112b333320312032332034352036372038394a100a0a486f6c64696e67205341120236307a470a1b4652373633303030363030303031313233343536373839303138391208424e5041465250501a0b424e502050617269626173221141434d4520496e64757374726965205341";

const ID: &str = "0190a000-0000-7000-8000-0000000000a1";

async fn stored(db: &Db) -> (Vec<u8>, String) {
    let row = sqlx::query("SELECT body, sensitive FROM applications WHERE application_id = $1")
        .bind(ID)
        .fetch_one(&db.pool)
        .await
        .expect("the application");
    (
        row.try_get(0).expect("body"),
        row.try_get(1).expect("sensitive"),
    )
}

#[tokio::test]
async fn an_application_of_the_earlier_version_is_converted_once_and_answered_unchanged() {
    let suite = Suite::start().await;
    let sealer = suite.sealer();
    let db = Db::connect(&suite.applications_db.config)
        .await
        .expect("connect");
    let body = hex::decode(BODY).expect("fixture hex");
    let sensitive = hex::decode(SENSITIVE).expect("fixture hex");
    let suite = suite
        .restart_applications_after(async {
            sqlx::query(
                "INSERT INTO applications (application_id, customer_id, state, open, \
                 tax_fingerprint, awaiting_roles, legal_name, body, sensitive, created_by, \
                 created_at, updated_at, due_at, review_at) VALUES ($1, 'ACME-FR', 'APPROVED', \
                 0, $2, '', 'ACME Industrie SA', $3, $4, 'sam.sales', 1772323200000000, \
                 1772330401000000, 0, 1835402400000000)",
            )
            .bind(ID)
            .bind(sealer.fingerprint("FR40303265045"))
            .bind(body.clone())
            .bind(sealer.seal(&sensitive, ID).expect("seal"))
            .execute(&db.pool)
            .await
            .expect("an old row");
        })
        .await;
    let (converted, sealed) = stored(&db).await;
    assert_eq!(converted.first(), Some(&b'{'), "converted at start-up");
    let opened = sealer.open(&sealed, ID).expect("sealed with the key");
    assert_eq!(
        opened.first(),
        Some(&b'{'),
        "sealed fields converted with it"
    );
    assert!(
        !String::from_utf8_lossy(&converted).contains("FR40303265045"),
        "the body holds no clear tax id"
    );

    // What the earlier version answered an analyst: its body with the fields in clear.
    let mut expected = pb::Application::decode(body.as_slice()).expect("old body");
    let clear = pb::Applicant::decode(sensitive.as_slice()).expect("old sealed fields");
    {
        let applicant = expected.applicant.as_mut().expect("applicant");
        applicant.tax_id = clear.tax_id;
        applicant.contacts = clear.contacts;
        applicant.owners = clear.owners;
        applicant.bank_account = clear.bank_account;
    }
    // The names it held then are enums now (the old tags are reserved, so today's message
    // reads none of them): the answer carries the values they named.
    for reference in &mut expected
        .applicant
        .as_mut()
        .expect("applicant")
        .trade_references
    {
        reference.kind = credit_proto::scoring::ReferenceKind::Trade.into();
    }
    if let Some(r) = expected.recommendation.as_mut() {
        r.outcome = pb::RecommendationOutcome::Refer.into();
    }
    for step in &mut expected.approval_steps {
        step.state = pb::ApprovalStepState::Approved.into();
        for approval in &mut step.approvals {
            approval.action = pb::ApprovalAction::Approve.into();
        }
    }
    if let Some(d) = expected.final_decision.as_mut() {
        d.outcome = pb::DecisionOutcome::Approved.into();
    }
    if let Some(l) = expected.limit_setting.as_mut() {
        l.state = pb::LimitSettingState::Done.into();
    }
    for statement in &mut expected.financial_statements {
        statement.period_end = credit_proto::google::r#type::Date::read("2025-12-31");
    }
    let get = |subject: &str, role: &str| {
        let mut c = suite.client(subject, &[role]);
        async move {
            c.get_application(pb::GetApplicationRequest {
                application_id: ID.into(),
            })
            .await
            .expect("the application")
            .into_inner()
        }
    };
    let analyst = get("ana", roles::ANALYST).await;
    assert_eq!(analyst, expected);
    // The fields whose wire form may change, spelled out (decoding both sides with a changed
    // message would hide a loss).
    let recommendation = analyst.recommendation.clone().expect("recommendation");
    assert_eq!(
        (recommendation.outcome(), recommendation.risk_class.as_str()),
        (pb::RecommendationOutcome::Refer, "B")
    );
    let step = &analyst.approval_steps[0];
    assert_eq!(
        (step.state(), step.approvals[0].action()),
        (pb::ApprovalStepState::Approved, pb::ApprovalAction::Approve)
    );
    let decision = analyst.final_decision.clone().expect("decision");
    assert_eq!(
        (decision.outcome(), decision.override_reason_code.as_str()),
        (pb::DecisionOutcome::Approved, "STRATEGIC")
    );
    assert_eq!(
        decision.approved_limit.map(|m| m.amount),
        Some("40000.00".to_string())
    );
    assert_eq!(
        analyst.limit_setting.clone().expect("setting").state(),
        pb::LimitSettingState::Done
    );
    assert_eq!(analyst.kind(), pb::ApplicationKind::LimitIncrease);
    assert_eq!(
        analyst
            .limit_change
            .clone()
            .expect("change")
            .current_limit
            .map(|m| m.amount),
        Some("25000.00".to_string())
    );
    let applicant = analyst.applicant.expect("applicant");
    assert_eq!(applicant.tax_id, "FR40303265045");
    assert_eq!(
        applicant.bank_account.expect("bank").iban,
        "FR7630006000011234567890189"
    );
    assert_eq!(
        (
            applicant.trade_references[0].kind(),
            applicant.trade_references[0].source.as_str()
        ),
        (credit_proto::scoring::ReferenceKind::Trade, "Steel & Co")
    );
    assert_eq!(analyst.financial_statements[0].revenue, "12000000");
    // Its period end was a text date then.
    assert_eq!(
        analyst.financial_statements[0]
            .period_end
            .as_ref()
            .map(|d| d.iso()),
        Some("2025-12-31".to_string())
    );

    // A viewer sees the masked form, as before.
    let viewer = get("vic", roles::VIEWER).await;
    assert!(viewer.sensitive_masked);
    let masked = viewer.applicant.expect("applicant");
    assert_eq!(masked.tax_id, "FR*********45");
    assert_eq!(masked.contacts[0].name, "J*** D***");

    // Starting again converts nothing more.
    let suite = suite.restart_applications_after(async {}).await;
    assert_eq!(stored(&db).await, (converted, sealed));
    db.pool.close().await;
    suite.stop().await;
}
