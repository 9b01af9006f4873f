//! Disputes and promises to pay against a real server: what they hold back from dunning, how
//! they end, and what the feed says.
mod support;

use credit_platform::auth::roles;
use credit_platform::testing::SmtpSink as Sink;
use credit_proto::collections as pb;
use support::{
    App, Client, START, amount, fields, import, invoice, money, named, payment, rid, wire,
};

const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;

async fn app(sink: &Sink) -> App {
    let url = sink.url.clone();
    let app = App::start_configured(move |c| {
        c.smtp_url = Some(url.into());
        c.dunning_enabled = false;
    })
    .await;
    let mut erp = app.erp();
    erp.put_customer(pb::PutCustomerRequest {
        customer: Some(pb::Customer {
            customer_id: "ACME".into(),
            name: "Acme Ltd".into(),
            language: "en".into(),
            time_zone: "Europe/London".into(),
            email: "ap@acme.example.co.uk".into(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("customer");
    app
}

async fn run(c: &mut Client) -> Vec<(String, String, String)> {
    c.run_dunning(pb::RunDunningRequest {
        customer_id: "ACME".into(),
    })
    .await
    .expect("run")
    .into_inner()
    .actions
    .into_iter()
    .map(|a| {
        (
            a.step_code,
            support::named::<pb::DunningOutcome>(a.outcome).to_string(),
            a.detail,
        )
    })
    .collect()
}

fn dispute(invoice_id: &str, amount: &str) -> pb::OpenDisputeRequest {
    pb::OpenDisputeRequest {
        invoice_id: invoice_id.into(),
        amount: money(amount, "EUR"),
        reason: pb::DisputeReason::Damaged as i32,
        line: "line 2: pallets".into(),
        owner: String::new(),
        comment: "two pallets arrived broken".into(),
        request_id: rid(),
    }
}

#[tokio::test]
async fn a_disputed_amount_is_not_dunned_until_the_dispute_is_resolved() {
    let sink = Sink::start().await;
    let app = app(&sink).await;
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "1000", "2026-02-01", "2026-03-03"),
            invoice("INV-2", "ACME", "500", "2026-02-01", "2026-03-03"),
        ],
    )
    .await;
    let status = erp
        .open_dispute(dispute("INV-2", "500.01"))
        .await
        .expect_err("more than open");
    assert_eq!(fields(status), ["amount.amount"]);
    let mut bad = dispute("INV-2", "10");
    bad.reason = 0;
    bad.comment = String::new();
    assert_eq!(
        fields(erp.open_dispute(bad).await.expect_err("bad")),
        ["reason", "comment"]
    );
    let whole = erp
        .open_dispute(dispute("INV-1", "1000"))
        .await
        .expect("dispute")
        .into_inner();
    assert_eq!(named::<pb::DisputeState>(whole.state), "OPEN");
    assert_eq!(support::iso(&whole.due_date), "2026-03-15");
    erp.open_dispute(dispute("INV-2", "200"))
        .await
        .expect("part");

    // Disputes open at the end of a period count in the metrics.
    let metrics = erp
        .get_collection_metrics(pb::GetCollectionMetricsRequest {
            start_date: support::date("2026-02-01"),
            end_date: support::date("2026-03-01"),
            group_by: pb::AgingGroup::Customer as i32,
            customer_id: "ACME".into(),
        })
        .await
        .expect("metrics")
        .into_inner();
    assert_eq!(
        (
            amount(&metrics.rows[0].disputed_amount),
            metrics.rows[0].open_disputes
        ),
        ("1200.00", 2)
    );

    // 6 March, 10:00 in London: the reminder lists INV-2's undisputed 300 only.
    app.clock.set(START + 5 * DAY + 10 * HOUR);
    let first = run(&mut erp).await;
    assert_eq!(first[0].1, "SENT", "{first:?}");
    let mail = sink.wait_for(1).await;
    assert!(
        mail[0].data.contains("INV-2")
            && mail[0].data.contains("300.00")
            && !mail[0].data.contains("INV-1"),
        "{}",
        mail[0].data
    );

    // The whole dispute is rejected: INV-1 is owed again and becomes the anchor.
    let rejected = erp
        .resolve_dispute(pb::ResolveDisputeRequest {
            dispute_id: whole.dispute_id.clone(),
            resolution: wire::<pb::DisputeResolution>("REJECTED"),
            credit_note_id: String::new(),
            comment: "photos show the goods intact on delivery".into(),
            request_id: rid(),
        })
        .await
        .expect("reject")
        .into_inner();
    assert_eq!(named::<pb::DisputeState>(rejected.state), "REJECTED");
    assert_eq!(rejected.comments.len(), 2);
    let again = erp
        .resolve_dispute(pb::ResolveDisputeRequest {
            dispute_id: whole.dispute_id.clone(),
            resolution: wire::<pb::DisputeResolution>("REJECTED"),
            credit_note_id: String::new(),
            comment: "again".into(),
            request_id: rid(),
        })
        .await
        .expect_err("twice");
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
    app.clock.set(START + 8 * DAY + 10 * HOUR);
    let second = run(&mut erp).await;
    assert_eq!(second[0].1, "SENT", "{second:?}");
    let mail = sink.wait_for(2).await;
    assert!(mail[1].data.contains("INV-1"), "{}", mail[1].data);

    // The part dispute is resolved by a credit note booked on the invoice.
    let part = erp
        .list_disputes(pb::ListDisputesRequest {
            customer_id: "ACME".into(),
            state: wire::<pb::DisputeState>("OPEN"),
            ..Default::default()
        })
        .await
        .expect("open disputes")
        .into_inner()
        .disputes
        .remove(0);
    let resolve = |credit_note: &str| pb::ResolveDisputeRequest {
        dispute_id: part.dispute_id.clone(),
        resolution: wire::<pb::DisputeResolution>("CREDIT_NOTE"),
        credit_note_id: credit_note.into(),
        comment: "credited the two pallets".into(),
        request_id: rid(),
    };
    let status = erp
        .resolve_dispute(resolve("CN-1"))
        .await
        .expect_err("not booked yet");
    assert_eq!(fields(status), ["credit_note_id"]);
    let mut credit_note = payment("CN-1", "ACME", "200", "2026-03-09", &[("INV-2", "200")]);
    credit_note.kind = pb::DocumentKind::CreditNote as i32;
    import(&mut erp, false, vec![credit_note]).await;
    let resolved = erp
        .resolve_dispute(resolve("CN-1"))
        .await
        .expect("resolved")
        .into_inner();
    assert_eq!(
        named::<pb::DisputeState>(resolved.state),
        "RESOLVED_BY_CREDIT_NOTE"
    );
    let events = app.events().await;
    let resolved_event = events
        .iter()
        .find(|e| {
            e.event_type == "credit.collections.dispute.resolved" && e.entity_id == part.dispute_id
        })
        .expect("resolved on the feed");
    assert!(resolved_event.payload_json.contains("DAMAGED"));
    app.stop().await;
}

#[tokio::test]
async fn a_promise_holds_dunning_and_payments_say_whether_it_was_kept() {
    let sink = Sink::start().await;
    let app = app(&sink).await;
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![invoice("INV-1", "ACME", "1000", "2026-02-01", "2026-03-03")],
    )
    .await;
    app.clock.set(START + 5 * DAY + 10 * HOUR);
    let promise = |amount: &str, by: &str| pb::RecordPromiseRequest {
        customer_id: "ACME".into(),
        amount: money(amount, "EUR"),
        promised_date: support::date(by),
        note: "phone call with the CFO".into(),
        request_id: rid(),
    };
    let status = erp
        .record_promise(promise("1000", "2026-03-01"))
        .await
        .expect_err("in the past");
    assert_eq!(fields(status), ["promised_date"]);
    erp.record_promise(promise("1000", "2026-03-10"))
        .await
        .expect("promise");
    let held = run(&mut erp).await;
    assert_eq!(held[0].1, "DEFERRED", "{held:?}");
    assert!(held[0].2.contains("2026-03-10"), "{held:?}");

    // 400 arrives before the date, the rest does not: partially kept, and dunning resumes.
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-1",
            "ACME",
            "400",
            "2026-03-08",
            &[("INV-1", "400")],
        )],
    )
    .await;
    app.clock.set(START + 10 * DAY + 10 * HOUR);
    let mut promises = Vec::new();
    for _ in 0..200 {
        promises = erp
            .list_promises(pb::ListPromisesRequest {
                customer_id: "ACME".into(),
                ..Default::default()
            })
            .await
            .expect("promises")
            .into_inner()
            .promises;
        if named::<pb::PromiseState>(promises[0].state) != "OPEN" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        (
            named::<pb::PromiseState>(promises[0].state),
            support::amount(&promises[0].paid_amount)
        ),
        ("PARTIALLY_KEPT", "400.00")
    );
    let resumed = run(&mut erp).await;
    assert_eq!(resumed[0].1, "SENT", "{resumed:?}");

    // Kept at once when the payment comes in.
    erp.record_promise(promise("600", "2026-03-20"))
        .await
        .expect("promise");
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-2",
            "ACME",
            "600",
            "2026-03-11",
            &[("INV-1", "600")],
        )],
    )
    .await;
    let kept = erp
        .list_promises(pb::ListPromisesRequest {
            customer_id: "ACME".into(),
            ..Default::default()
        })
        .await
        .expect("promises")
        .into_inner()
        .promises;
    assert_eq!(named::<pb::PromiseState>(kept[0].state), "KEPT");

    // Broken: the date passes with nothing paid (PAY-2 kept the promise before; it does not
    // count again).
    app.clock.set(START + 10 * DAY + 11 * HOUR);
    import(
        &mut erp,
        false,
        vec![invoice("INV-2", "ACME", "300", "2026-03-01", "2026-03-31")],
    )
    .await;
    erp.record_promise(promise("300", "2026-03-25"))
        .await
        .expect("promise");
    app.clock.set(START + 26 * DAY + 10 * HOUR);
    let mut broken = "";
    for _ in 0..200 {
        broken = named::<pb::PromiseState>(
            erp.list_promises(pb::ListPromisesRequest {
                customer_id: "ACME".into(),
                ..Default::default()
            })
            .await
            .expect("promises")
            .into_inner()
            .promises[0]
                .state,
        );
        if broken != "OPEN" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(broken, "BROKEN");
    let types: Vec<String> = app
        .events()
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    for wanted in [
        "credit.collections.promise.recorded",
        "credit.collections.promise.partially_kept",
        "credit.collections.promise.kept",
        "credit.collections.promise.broken",
    ] {
        assert!(types.iter().any(|t| t == wanted), "{wanted}");
    }
    // Promise-kept rate over March: one kept of three settled.
    let metrics = erp
        .get_collection_metrics(pb::GetCollectionMetricsRequest {
            start_date: support::date("2026-03-01"),
            end_date: support::date("2026-03-31"),
            group_by: pb::AgingGroup::Customer as i32,
            customer_id: "ACME".into(),
        })
        .await
        .expect("metrics")
        .into_inner();
    let row = &metrics.rows[0];
    assert_eq!(
        (
            row.promises_settled,
            row.promises_kept,
            row.promise_kept_rate.as_str()
        ),
        (3, 1, "0.3333")
    );
    let viewer = app.client("vic", &[roles::VIEWER]);
    let status = viewer
        .clone()
        .record_promise(promise("1", "2026-12-01"))
        .await
        .expect_err("viewers read only");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    app.stop().await;
}

fn instalment(due: &str, amount: &str) -> pb::Instalment {
    pb::Instalment {
        due_date: support::date(due),
        amount: money(amount, "EUR"),
        ..Default::default()
    }
}

async fn plans(c: &mut Client) -> Vec<pb::PaymentPlan> {
    c.list_payment_plans(pb::ListPaymentPlansRequest {
        customer_id: "ACME".into(),
        ..Default::default()
    })
    .await
    .expect("plans")
    .into_inner()
    .payment_plans
}

/// Waits until the sweep has brought ACME's newest plan to `state`.
async fn wait_plan(c: &mut Client, state: &str) -> pb::PaymentPlan {
    for _ in 0..400 {
        let newest = plans(c).await.remove(0);
        if named::<pb::PaymentPlanState>(newest.state) == state {
            return newest;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the plan never became {state}");
}

#[tokio::test]
async fn a_payment_plan_pauses_dunning_until_an_instalment_is_missed() {
    let sink = Sink::start().await;
    let app = app(&sink).await;
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "1000", "2026-01-01", "2026-01-31"),
            invoice("INV-2", "ACME", "500", "2026-01-15", "2026-02-14"),
            invoice("OTHER-1", "OTHER", "80", "2026-01-15", "2026-02-14"),
        ],
    )
    .await;
    let request = |instalments: Vec<pb::Instalment>| pb::CreatePaymentPlanRequest {
        customer_id: "ACME".into(),
        invoice_ids: vec!["INV-1".into(), "INV-2".into()],
        instalments,
        grace_days: 3,
        note: "agreed on the phone with the CFO".into(),
        request_id: rid(),
    };
    let schedule = || {
        vec![
            instalment("2026-03-10", "500"),
            instalment("2026-04-10", "500"),
            instalment("2026-05-10", "500"),
        ]
    };
    // Bad schedules and invoices are named.
    let short = erp
        .create_payment_plan(request(vec![
            instalment("2026-03-10", "500"),
            instalment("2026-04-10", "400"),
        ]))
        .await
        .expect_err("does not add up");
    assert_eq!(fields(short), ["instalments"]);
    let past = erp
        .create_payment_plan(request(vec![
            instalment("2026-02-27", "1000"),
            instalment("2026-04-10", "500"),
        ]))
        .await
        .expect_err("in the past");
    assert_eq!(fields(past), ["instalments[0].due_date"]);
    let mut dollars = schedule();
    dollars[1].amount = money("500", "USD");
    let dollars = erp
        .create_payment_plan(request(dollars))
        .await
        .expect_err("not the invoices' currency");
    assert_eq!(fields(dollars), ["instalments[1].amount.currency_code"]);
    let foreign = erp
        .create_payment_plan(pb::CreatePaymentPlanRequest {
            invoice_ids: vec!["OTHER-1".into()],
            ..request(schedule())
        })
        .await
        .expect_err("another customer's invoice");
    assert_eq!(fields(foreign), ["invoice_ids[0]"]);

    let plan = erp
        .create_payment_plan(request(schedule()))
        .await
        .expect("plan")
        .into_inner();
    assert_eq!(
        (
            named::<pb::PaymentPlanState>(plan.state),
            amount(&plan.total_amount)
        ),
        ("ACTIVE", "1500.00")
    );
    let twice = erp
        .create_payment_plan(request(schedule()))
        .await
        .expect_err("already planned");
    assert_eq!(twice.code(), tonic::Code::FailedPrecondition);

    // 2 March, 10:00 in London: both invoices are overdue, but the plan covers them.
    app.clock.set(START + DAY + 10 * HOUR);
    assert!(
        run(&mut erp).await.is_empty(),
        "nothing dunned under the plan"
    );

    // The first instalment comes in; on 20 March it is kept so far.
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-1",
            "ACME",
            "500",
            "2026-03-09",
            &[("INV-1", "500")],
        )],
    )
    .await;
    app.clock.set(START + 19 * DAY + 10 * HOUR);
    let kept = plans(&mut erp).await.remove(0);
    assert_eq!(named::<pb::PaymentPlanState>(kept.state), "ACTIVE");
    assert_eq!(amount(&kept.paid_amount), "500.00");
    let states: Vec<&str> = kept
        .instalments
        .iter()
        .map(|i| named::<pb::InstalmentState>(i.state))
        .collect();
    assert_eq!(states, ["PAID", "DUE", "DUE"]);
    assert!(run(&mut erp).await.is_empty());

    // 12 April: the second is late but within the grace days; 14 April: breached.
    app.clock.set(START + 42 * DAY + 10 * HOUR);
    assert_eq!(
        named::<pb::InstalmentState>(plans(&mut erp).await[0].instalments[1].state),
        "LATE"
    );
    app.clock.set(START + 44 * DAY + 10 * HOUR);
    let breached = wait_plan(&mut erp, "BREACHED").await;
    assert_eq!(
        support::iso(&breached.breached_instalment_date),
        "2026-04-10"
    );
    let events = app.events().await;
    assert!(
        events
            .iter()
            .any(|e| e.event_type == "credit.collections.payment_plan.breached"),
        "breach on the feed"
    );
    // Dunning resumes on what is left.
    let resumed = run(&mut erp).await;
    assert_eq!(resumed[0].1, "SENT", "{resumed:?}");
    let mail = sink.wait_for(1).await;
    assert!(mail[0].data.contains("INV-1"), "{}", mail[0].data);

    // A new plan over what is left, paid in full at once: completed.
    let second = erp
        .create_payment_plan(pb::CreatePaymentPlanRequest {
            instalments: vec![instalment("2026-04-30", "1000")],
            ..request(Vec::new())
        })
        .await
        .expect("second plan")
        .into_inner();
    assert_eq!(amount(&second.total_amount), "1000.00");
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-2",
            "ACME",
            "1000",
            "2026-04-20",
            &[("INV-1", "500"), ("INV-2", "500")],
        )],
    )
    .await;
    let completed = plans(&mut erp).await.remove(0);
    assert_eq!(named::<pb::PaymentPlanState>(completed.state), "COMPLETED");
    assert_eq!(amount(&completed.paid_amount), "1000.00");
    app.stop().await;
}

#[tokio::test]
async fn dispute_metrics_give_resolution_times_by_reason() {
    let sink = Sink::start().await;
    let app = app(&sink).await;
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "1000", "2026-02-01", "2026-03-03"),
            invoice("INV-2", "ACME", "500", "2026-02-01", "2026-03-03"),
            invoice("INV-3", "ACME", "300", "2026-02-01", "2026-03-03"),
        ],
    )
    .await;
    let open = |erp: &mut Client, invoice_id: &str, amount: &str, reason: pb::DisputeReason| {
        let mut erp = erp.clone();
        let request = pb::OpenDisputeRequest {
            reason: reason as i32,
            ..dispute(invoice_id, amount)
        };
        async move { erp.open_dispute(request).await.expect("open").into_inner() }
    };
    let resolve = |erp: &mut Client, dispute_id: String| {
        let mut erp = erp.clone();
        async move {
            erp.resolve_dispute(pb::ResolveDisputeRequest {
                dispute_id,
                resolution: wire::<pb::DisputeResolution>("REJECTED"),
                credit_note_id: String::new(),
                comment: "delivery note signed without reserve".into(),
                request_id: rid(),
            })
            .await
            .expect("resolve")
        }
    };
    // Two damaged-goods disputes resolved after 2 and 5 days, one price dispute still open.
    let a = open(&mut erp, "INV-1", "100", pb::DisputeReason::Damaged).await;
    let b = open(&mut erp, "INV-2", "50", pb::DisputeReason::Damaged).await;
    open(&mut erp, "INV-3", "30", pb::DisputeReason::Price).await;
    app.clock.set(START + 2 * DAY);
    resolve(&mut erp, a.dispute_id).await;
    app.clock.set(START + 5 * DAY);
    resolve(&mut erp, b.dispute_id).await;
    app.clock.set(START + 20 * DAY);
    let metrics = erp
        .get_dispute_metrics(pb::GetDisputeMetricsRequest {
            start_date: support::date("2026-03-01"),
            end_date: support::date("2026-03-31"),
            group_by: pb::AgingGroup::Portfolio as i32,
        })
        .await
        .expect("metrics")
        .into_inner();
    let rows: Vec<_> = metrics
        .rows
        .iter()
        .map(|r| {
            (
                named::<pb::DisputeReason>(r.reason),
                r.opened,
                r.resolved,
                r.rejected,
                r.mean_resolution_days.as_str(),
                r.median_resolution_days.as_str(),
                r.open_at_end,
                r.past_due_at_end,
                amount(&r.open_amount_at_end),
            )
        })
        .collect();
    // The open price dispute was due on 15 March (14 days' SLA): past due at the end.
    assert_eq!(
        rows,
        [
            ("DAMAGED", 2, 2, 2, "3.50", "3.50", 0, 0, "0.00"),
            ("PRICE", 1, 0, 0, "", "", 1, 1, "30.00"),
        ]
    );
    let bad = erp
        .get_dispute_metrics(pb::GetDisputeMetricsRequest {
            start_date: support::date("2026-04-01"),
            end_date: support::date("2026-03-01"),
            group_by: 0,
        })
        .await
        .expect_err("backwards");
    assert_eq!(fields(bad), ["end_date"]);
    app.stop().await;
}

#[tokio::test]
async fn payment_behaviour_is_said_on_the_feed_when_it_changes() {
    let sink = Sink::start().await;
    let app = app(&sink).await;
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "1000", "2026-01-01", "2026-01-31"),
            invoice("INV-2", "ACME", "3000", "2026-01-15", "2026-02-14"),
            // 1 000 paid 10 days late, 3 000 on time: weighted 2.5 days, a half paid late.
            payment("PAY-1", "ACME", "1000", "2026-02-10", &[("INV-1", "1000")]),
            payment("PAY-2", "ACME", "3000", "2026-02-14", &[("INV-2", "3000")]),
        ],
    )
    .await;
    // Sent again unchanged: nothing new to say.
    import(
        &mut erp,
        false,
        vec![payment(
            "PAY-2",
            "ACME",
            "3000",
            "2026-02-14",
            &[("INV-2", "3000")],
        )],
    )
    .await;
    let said: Vec<serde_json::Value> = app
        .events()
        .await
        .into_iter()
        .filter(|e| e.event_type == "credit.collections.payment_behaviour.changed")
        .map(|e| serde_json::from_str(&e.payload_json).expect("json"))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0]["average_days_beyond_terms"], "2.50");
    assert_eq!(said[0]["share_paid_late"], "0.5000");
    assert_eq!(said[0]["invoices_paid"], 2);
    app.stop().await;
}

#[tokio::test]
async fn documents_are_attached_to_a_dispute_and_verified_when_read() {
    let sink = Sink::start().await;
    let app = app(&sink).await;
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![invoice("INV-1", "ACME", "1000", "2026-02-01", "2026-03-03")],
    )
    .await;
    let opened = erp
        .open_dispute(dispute("INV-1", "200"))
        .await
        .expect("dispute")
        .into_inner();
    let pdf = b"%PDF-1.7\nphotos of the broken pallets\n%%EOF\n".to_vec();
    let attach = |content_type: &str, content: Vec<u8>| pb::AttachDisputeDocumentRequest {
        dispute_id: opened.dispute_id.clone(),
        file_name: "pallets.pdf".into(),
        content_type: content_type.into(),
        content,
        request_id: rid(),
    };
    let with_document = erp
        .attach_dispute_document(attach("application/pdf", pdf.clone()))
        .await
        .expect("attached")
        .into_inner();
    let document = with_document.documents[0].clone();
    assert_eq!(
        (document.file_name.as_str(), document.size_bytes),
        ("pallets.pdf", pdf.len() as i64)
    );
    assert_eq!(document.sha256.len(), 64);
    let read = erp
        .get_dispute_document(pb::GetDisputeDocumentRequest {
            dispute_id: opened.dispute_id.clone(),
            sha256: document.sha256.clone(),
        })
        .await
        .expect("read")
        .into_inner();
    assert_eq!(read.content, pdf);
    // Not what it claims to be; a type not accepted.
    let fake = erp
        .attach_dispute_document(attach("application/pdf", b"hello".to_vec()))
        .await
        .expect_err("not a PDF");
    assert_eq!(fields(fake), ["content"]);
    let exe = erp
        .attach_dispute_document(attach("application/x-msdownload", b"MZ".to_vec()))
        .await
        .expect_err("type");
    assert_eq!(fields(exe), ["content_type"]);
    // Altered in the store: refused as data loss, never served.
    let stored = app
        .documents
        .path()
        .join(&document.sha256[..2])
        .join(&document.sha256);
    std::fs::write(&stored, b"%PDF-1.7\nsomething else\n").expect("tamper");
    let altered = erp
        .get_dispute_document(pb::GetDisputeDocumentRequest {
            dispute_id: opened.dispute_id.clone(),
            sha256: document.sha256.clone(),
        })
        .await
        .expect_err("altered");
    assert_eq!(altered.code(), tonic::Code::DataLoss);
    app.stop().await;
}
