//! Dunning against a real server and a local SMTP sink: steps by the strategy, the letter in the
//! customer's language with its open items, contact rules and quiet hours, minimum amounts,
//! re-anchoring on the oldest item still unpaid, the preview, the versioned policy.
mod support;

use credit_platform::auth::roles;
use credit_platform::testing::SmtpSink as Sink;
use credit_proto::collections as pb;
use support::{App, Client, START, amount, fields, import, invoice, payment, rid};

const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;

async fn customer(erp: &mut Client, id: &str, email: &str) {
    erp.put_customer(pb::PutCustomerRequest {
        customer: Some(pb::Customer {
            customer_id: id.into(),
            name: format!("{id} SAS"),
            segment: "SME".into(),
            language: "fr".into(),
            time_zone: "Europe/Paris".into(),
            email: email.into(),
            risk_class: "B".into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("customer");
}

async fn run(c: &mut Client) -> Vec<(String, String, String)> {
    c.run_dunning(pb::RunDunningRequest {
        customer_id: String::new(),
    })
    .await
    .expect("run")
    .into_inner()
    .actions
    .into_iter()
    .map(|a| {
        (
            a.customer_id,
            a.step_code,
            support::named::<pb::DunningOutcome>(a.outcome).to_string(),
        )
    })
    .collect()
}

fn action(customer: &str, step: &str, outcome: &str) -> (String, String, String) {
    (customer.into(), step.into(), outcome.into())
}

async fn dunning_app(sink: &Sink) -> App {
    let url = sink.url.clone();
    App::start_configured(move |c| {
        c.smtp_url = Some(url.into());
        // The tests drive the runs; the scheduler is tested on its own.
        c.dunning_enabled = false;
    })
    .await
}

#[tokio::test]
async fn reminders_follow_the_strategy_in_the_customers_language_within_the_contact_rules() {
    let sink = Sink::start().await;
    let app = dunning_app(&sink).await;
    let mut erp = app.erp();
    customer(&mut erp, "ACME", "compta@acme.example.fr").await;
    customer(&mut erp, "TINY", "ap@tiny.example.fr").await;
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "1200", "2026-02-01", "2026-03-03"),
            invoice("INV-2", "ACME", "800", "2026-02-15", "2026-03-20"),
            invoice("T-1", "TINY", "5", "2026-02-01", "2026-03-01"),
        ],
    )
    .await;
    // 1 March, 11:00 in Paris.
    app.clock.set(START + 10 * HOUR);
    let preview = erp
        .get_dunning_preview(pb::GetDunningPreviewRequest {
            customer_id: "ACME".into(),
        })
        .await
        .expect("preview")
        .into_inner();
    let plan = &preview.plans[0];
    assert_eq!(
        (plan.strategy.as_str(), plan.anchor_document_id.as_str()),
        ("standard", "INV-1")
    );
    let next: Vec<(&str, &str)> = plan
        .next_steps
        .iter()
        .take(3)
        .map(|s| (s.step_code.as_str(), support::iso(&s.date)))
        .collect();
    assert_eq!(
        next,
        [
            ("FRIENDLY", "2026-03-01"),
            ("REMINDER_1", "2026-03-06"),
            ("REMINDER_2", "2026-03-17")
        ]
    );

    // The friendly reminders: ACME's three days before INV-1 falls due, TINY's on the day.
    assert_eq!(
        run(&mut erp).await,
        [
            action("ACME", "FRIENDLY", "SENT"),
            action("TINY", "FRIENDLY", "SENT")
        ]
    );
    let to_acme = |mail: Vec<credit_platform::testing::Received>| -> Vec<String> {
        mail.into_iter()
            .filter(|m| m.to == ["compta@acme.example.fr"])
            .map(|m| m.data)
            .collect()
    };
    let mail = to_acme(sink.wait_for(2).await);
    assert!(mail[0].contains("Rappel amical"), "{}", mail[0]);
    assert!(mail[0].contains("INV-1") && !mail[0].contains("INV-2"));
    // Nothing twice.
    assert!(run(&mut erp).await.is_empty());

    // 6 March at 22:30 in Paris: REMINDER_1 is due, but these are quiet hours.
    app.clock.set(START + 5 * DAY + 21 * HOUR + 30 * 60_000_000);
    let quiet = run(&mut erp).await;
    assert!(
        quiet.contains(&action("ACME", "REMINDER_1", "DEFERRED")),
        "{quiet:?}"
    );
    // TINY's 5 EUR is under the reminder's 10 EUR minimum.
    assert!(
        quiet.contains(&action("TINY", "REMINDER_1", "BELOW_MINIMUM")),
        "{quiet:?}"
    );
    // The next morning it goes.
    app.clock.set(START + 6 * DAY + 8 * HOUR);
    let morning = run(&mut erp).await;
    assert!(
        morning.contains(&action("ACME", "REMINDER_1", "SENT")),
        "{morning:?}"
    );
    let mail = to_acme(sink.wait_for(3).await);
    assert!(
        mail[1].contains("Relance") && mail[1].contains("INV-1"),
        "{}",
        mail[1]
    );
    let messages = erp
        .list_messages(pb::ListMessagesRequest {
            customer_id: "ACME".into(),
            ..Default::default()
        })
        .await
        .expect("messages")
        .into_inner()
        .messages;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].step_code, "REMINDER_1");
    let mut sent = messages.clone();
    for _ in 0..200 {
        if sent
            .iter()
            .all(|m| support::named::<pb::MessageState>(m.state) == "SENT")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        sent = erp
            .list_messages(pb::ListMessagesRequest {
                customer_id: "ACME".into(),
                ..Default::default()
            })
            .await
            .expect("messages")
            .into_inner()
            .messages;
    }
    assert!(
        sent.iter()
            .all(|m| support::named::<pb::MessageState>(m.state) == "SENT"),
        "{sent:?}"
    );
    assert_eq!(sent[0].language, "fr");

    // INV-1 is paid: the schedule re-anchors on INV-2 and starts again from its due date.
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-1",
            "ACME",
            "1200",
            "2026-03-08",
            &[("INV-1", "1200")],
        )],
    )
    .await;
    app.clock.set(START + 16 * DAY + 9 * HOUR);
    let again = run(&mut erp).await;
    assert!(
        again.contains(&action("ACME", "FRIENDLY", "SENT")),
        "{again:?}"
    );
    let mail = to_acme(sink.wait_for(4).await);
    assert!(mail[2].contains("INV-2") && !mail[2].contains("INV-1"));
    let preview = erp
        .get_dunning_preview(pb::GetDunningPreviewRequest {
            customer_id: "ACME".into(),
        })
        .await
        .expect("preview")
        .into_inner();
    assert_eq!(preview.plans[0].anchor_document_id, "INV-2");
    assert_eq!(preview.plans[0].last_step_code, "FRIENDLY");
    let events = app.events().await;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert!(types.contains(&"credit.collections.dunning.step_taken"));
    assert!(types.contains(&"credit.collections.message.sent"));
    app.stop().await;
}

#[tokio::test]
async fn a_policy_is_validated_versioned_and_its_contact_limit_defers_steps() {
    let sink = Sink::start().await;
    let app = dunning_app(&sink).await;
    let mut erp = app.erp();
    let mut manager = app.client("max.manager", &[roles::MANAGER]);
    let status = manager
        .upload_dunning_policy(pb::UploadDunningPolicyRequest {
            document_json: r#"{"name": "x", "strategies": [], "contact":
                {"max_contacts": 1, "period_days": 30, "quiet_from": "20:00",
                 "quiet_until": "08:00"}}"#
                .into(),
            activate: false,
            request_id: rid(),
        })
        .await
        .expect_err("no strategy");
    assert_eq!(fields(status), ["document_json.strategies"]);
    let status = erp
        .upload_dunning_policy(pb::UploadDunningPolicyRequest {
            document_json: "{}".into(),
            activate: false,
            request_id: rid(),
        })
        .await
        .expect_err("analysts do not change the policy");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let strict = include_str!("../policies/dunning.json").replace(
        r#""max_contacts": 2, "period_days": 7"#,
        r#""max_contacts": 1, "period_days": 30"#,
    );
    let proposed = manager
        .upload_dunning_policy(pb::UploadDunningPolicyRequest {
            document_json: strict,
            activate: false,
            request_id: rid(),
        })
        .await
        .expect("upload")
        .into_inner();
    assert_eq!((proposed.version, proposed.active), (2, false));
    // Four eyes: its uploader does not put it in force; a second manager does.
    let approve = || pb::ApproveDunningPolicyRequest {
        version: 2,
        request_id: rid(),
    };
    let own = manager
        .approve_dunning_policy(approve())
        .await
        .expect_err("four eyes");
    assert_eq!(own.code(), tonic::Code::PermissionDenied);
    let uploaded = app
        .client("mia.manager", &[roles::MANAGER])
        .approve_dunning_policy(approve())
        .await
        .expect("approve")
        .into_inner();
    assert_eq!((uploaded.version, uploaded.active), (2, true));
    let first = erp
        .get_dunning_policy(pb::GetDunningPolicyRequest { version: 1 })
        .await
        .expect("v1")
        .into_inner();
    assert!(!first.active);

    customer(&mut erp, "ACME", "compta@acme.example.fr").await;
    import(
        &mut erp,
        false,
        vec![invoice("INV-1", "ACME", "1200", "2026-02-01", "2026-03-03")],
    )
    .await;
    app.clock.set(START + 10 * HOUR);
    assert_eq!(run(&mut erp).await, [action("ACME", "FRIENDLY", "SENT")]);
    app.clock.set(START + 6 * DAY + 10 * HOUR);
    assert_eq!(
        run(&mut erp).await,
        [action("ACME", "REMINDER_1", "DEFERRED")]
    );
    sink.wait_for(1).await;
    assert_eq!(sink.received().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_scheduler_runs_dunning_by_itself_and_a_customer_without_address_is_reported() {
    let sink = Sink::start().await;
    let url = sink.url.clone();
    let app = App::start_configured(move |c| c.smtp_url = Some(url.into())).await;
    let mut erp = app.erp();
    customer(&mut erp, "ACME", "compta@acme.example.fr").await;
    customer(&mut erp, "NOMAIL", "").await;
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "1200", "2026-01-01", "2026-01-31"),
            invoice("N-1", "NOMAIL", "900", "2026-01-01", "2026-01-31"),
        ],
    )
    .await;
    app.clock.set(START + 10 * HOUR);
    // 29 days late: the scheduler sends the latest step due (REMINDER_2), not every one before.
    let mail = sink.wait_for(1).await;
    assert!(mail[0].data.contains("Relance"), "{}", mail[0].data);
    let messages = erp
        .list_messages(pb::ListMessagesRequest {
            customer_id: "ACME".into(),
            ..Default::default()
        })
        .await
        .expect("messages")
        .into_inner()
        .messages;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].step_code, "REMINDER_2");
    let status = erp
        .put_customer(pb::PutCustomerRequest {
            customer: Some(pb::Customer {
                customer_id: "BAD".into(),
                email: "not-an-address".into(),
                time_zone: "Mars/Olympus".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect_err("bad profile");
    assert_eq!(fields(status), ["customer.time_zone", "customer.email"]);
    let nomail = run(&mut erp).await;
    assert!(
        nomail.contains(&action("NOMAIL", "REMINDER_2", "NO_ADDRESS")),
        "{nomail:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn fees_and_interest_are_charged_by_steps_and_survive_the_principal() {
    let sink = Sink::start().await;
    let app = dunning_app(&sink).await;
    let mut erp = app.erp();
    customer(&mut erp, "ACME", "compta@acme.example.fr").await;
    let proposed = app
        .client("max.manager", &[roles::MANAGER])
        .upload_dunning_policy(pb::UploadDunningPolicyRequest {
            document_json: r#"{"name": "with charges", "strategies": [{"name": "all", "steps": [
                {"code": "REMINDER_1", "offset_days": 1, "channel": "EMAIL",
                 "template": "REMINDER", "fee": {"EUR": "40"}, "interest_rate": "0.1215"},
                {"code": "FINAL_NOTICE", "offset_days": 31, "channel": "EMAIL",
                 "template": "FINAL_NOTICE", "interest_rate": "0.1215"}]}],
                "contact": {"max_contacts": 5, "period_days": 7, "quiet_from": "22:00",
                            "quiet_until": "06:00"}}"#
                .into(),
            activate: false,
            request_id: rid(),
        })
        .await
        .expect("policy")
        .into_inner();
    app.client("mia.manager", &[roles::MANAGER])
        .approve_dunning_policy(pb::ApproveDunningPolicyRequest {
            version: proposed.version,
            request_id: rid(),
        })
        .await
        .expect("approved by a second manager");
    import(
        &mut erp,
        false,
        vec![invoice("INV-1", "ACME", "1000", "2026-01-01", "2026-01-31")],
    )
    .await;
    // 1 March, 11:00 in Paris: 29 days late. The reminder charges 40 EUR and
    // 1 000 × 12.15 % × 29 / 365 = 9.65 EUR of interest, and lists both.
    app.clock.set(START + 10 * HOUR);
    assert_eq!(run(&mut erp).await, [action("ACME", "REMINDER_1", "SENT")]);
    let open = |erp: &mut Client| {
        let mut erp = erp.clone();
        async move {
            erp.list_documents(pb::ListDocumentsRequest {
                customer_id: "ACME".into(),
                open_only: true,
                ..Default::default()
            })
            .await
            .expect("statement")
            .into_inner()
            .documents
            .into_iter()
            .map(|d| {
                (
                    d.kind(),
                    support::amount(&d.open_amount).to_string(),
                    d.document_id,
                )
            })
            .collect::<Vec<_>>()
        }
    };
    let mut charged = open(&mut erp).await;
    charged.sort();
    let kinds: Vec<(pb::DocumentKind, &str)> =
        charged.iter().map(|(k, a, _)| (*k, a.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (pb::DocumentKind::Invoice, "1000.00"),
            (pb::DocumentKind::Fee, "40.00"),
            (pb::DocumentKind::Interest, "9.65"),
        ]
    );
    let fee_id = charged[1].2.clone();
    let mail = sink.wait_for(1).await;
    assert!(
        mail[0].data.contains(&fee_id) && mail[0].data.contains("9,65"),
        "{}",
        mail[0].data
    );

    // 4 March: the final notice charges interest from where it stopped (3 days: 1.00), no fee.
    app.clock.set(START + 3 * DAY + 10 * HOUR);
    assert_eq!(
        run(&mut erp).await,
        [action("ACME", "FINAL_NOTICE", "SENT")]
    );
    // The principal is paid: the charges stay owed, and dunning goes on for them.
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-1",
            "ACME",
            "1000",
            "2026-03-04",
            &[("INV-1", "1000")],
        )],
    )
    .await;
    let mut left: Vec<(pb::DocumentKind, String)> = open(&mut erp)
        .await
        .into_iter()
        .map(|(k, a, _)| (k, a))
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            (pb::DocumentKind::Fee, "40.00".to_string()),
            (pb::DocumentKind::Interest, "1.00".to_string()),
            (pb::DocumentKind::Interest, "9.65".to_string()),
        ]
    );
    let preview = erp
        .get_dunning_preview(pb::GetDunningPreviewRequest {
            customer_id: "ACME".into(),
        })
        .await
        .expect("preview")
        .into_inner();
    assert_eq!(amount(&preview.plans[0].open_amount), "50.65");
    // A payment allocates to the fee like to an invoice.
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-2",
            "ACME",
            "40",
            "2026-03-05",
            &[(&fee_id, "40")],
        )],
    )
    .await;
    assert_eq!(open(&mut erp).await.len(), 2);
    // The ERP cannot import charges.
    let mut forged = invoice("FEE-X", "ACME", "40", "2026-03-01", "2026-03-01");
    forged.kind = pb::DocumentKind::Fee as i32;
    let report = import(&mut erp, false, vec![forged]).await;
    assert_eq!(report.rejected[0].field, "document.kind");
    app.stop().await;
}
