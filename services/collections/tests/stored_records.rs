//! Rows written before disputes, promises, payment plans, write-offs, activities and ledger
//! documents were stored as their domain records (their body was then the wire message of the time, frozen below as bytes) are
//! converted by `migrate` and at start-up, once, and read back through the API unchanged.
mod support;

use credit_platform::auth::roles;
use credit_platform::db::Db;
use credit_platform::testing::TestDatabase;
use credit_proto::collections as pb;
use sqlx::Row;
use support::App;

// Encoded by the service before the change (credit.collections.v1 with string states).
const DISPUTE: &str = "0a2430313930613030302d303030302d373030302d383030302d303030303030303030303031120441434d451a05494e562d31220f6c696e6520333a2070616c6c6574732802320d0a063132302e353012034555523a03616e6142175245534f4c5645445f42595f4352454449545f4e4f54454a0a323032362d30332d3135521d0a03616e61120e73686f72742064656c69766572791a060880838ecd0652160a02626f120863726564697465641a060880a693cd065a04434e2d3162060880838ecd066a060880a693cd067203616e617a02626f8a016c0a07706f642e706466120f6170706c69636174696f6e2f70646618d2092240616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261622a03616e61320608e4838ecd06";
const PROMISE: &str = "0a2430313930613030302d303030302d373030302d383030302d303030303030303030303032120441434d451a0d0a063530302e30301203455552220a323032362d30332d31302a044f50454e3204302e30303a03616e6142060880838ecd06520862792070686f6e65";
const WRITE_OFF: &str = "0a2430313930613030302d303030302d373030302d383030302d303030303030303030303033120441434d451a05494e562d32220d0a063830302e303012034555522a09696e736f6c76656e743208415050524f5645443a03616e6142060880838ecd064a13636f6c6c656374696f6e735f6d616e616765725202626f5a060880a693cd06620b6e6f206469766964656e64720535302e30307a270a0535302e3030120a323032362d30332d30351a0642414e4b2d392202626f2a0608808fa3cd06";
// An activity as the service wrote it (its record time left out).
const ACTIVITY: &str = "0a2430313930613030302d303030302d373030302d383030302d303030303030303030303035120441434d451a0443414c4c220850524f4d495345442a1a7468652043464f20636f6e6669726d73206f6e20467269646179320a323032362d30332d30363a0c63792e636f6c6c6563746f72";
const PLAN: &str = "0a2430313930613030302d303030302d373030302d383030302d303030303030303030303034120441434d451a034555522205494e562d332a240a0a323032362d30332d32301207313030302e30301a07313030302e30302204504149442a200a0a323032362d30342d32301207313030302e30301a04302e303022034455453207323030302e30303a07313030302e303040054a064143544956455a0f6167726565642062792070686f6e656203616e616a060880838ecd06";

// Ledger documents (and their versions) as the import stored them: credit.collections.v1.
// ReceivableDocument with string dates and allocation amounts (encoded by grpcio-tools from the
// proto of the commit before the change).
const INVOICE: &str = "0a05494e562d39120441434d451801220e0a07313230302e303012034555522a0a323032362d30332d3031320a323032362d30332d3331381e4204534f2d3952056572702039";
const PAYMENT: &str = "0a055041592d39120441434d451803220d0a063530302e303012034555522a0a323032362d30332d31304a0f0a05494e562d3912063435302e3030520662616e6b2039";

/// 2026-03-01T00:00:00Z and a day later.
const MARCH_1: i64 = 1_772_323_200_000_000;
const MARCH_2: i64 = 1_772_409_600_000_000;

fn bytes(hex_text: &str) -> Vec<u8> {
    hex::decode(hex_text).expect("fixture hex")
}

async fn write_old_rows(db: &Db) {
    let mut conn = db.pool.acquire().await.expect("connection");
    let statements: [(&str, Vec<u8>); 9] = [
        (
            "INSERT INTO documents (document_id, customer_id, kind, currency, amount, \
             open_amount, issue_day, due_day, body, version, created_at, updated_at) VALUES \
             ('INV-9', 'ACME', 'INVOICE', 'EUR', 120000, 75000, 20513, 20543, $1, 1, \
             1772323200000000, 1772323200000000)",
            bytes(INVOICE),
        ),
        (
            "INSERT INTO documents (document_id, customer_id, kind, currency, amount, \
             open_amount, issue_day, due_day, body, version, created_at, updated_at) VALUES \
             ('PAY-9', 'ACME', 'PAYMENT', 'EUR', 50000, 5000, 20522, NULL, $1, 1, \
             1772323200000000, 1772323200000000)",
            bytes(PAYMENT),
        ),
        (
            "INSERT INTO document_versions (document_id, version, body, actor, source, \
             recorded_at) VALUES ('INV-9', 1, $1, 'erp', 'ImportDocuments', 1772323200000000)",
            bytes(INVOICE),
        ),
        (
            "INSERT INTO document_versions (document_id, version, body, actor, source, \
             recorded_at) VALUES ('PAY-9', 1, $1, 'erp', 'ImportDocuments', 1772323200000000)",
            bytes(PAYMENT),
        ),
        (
            "INSERT INTO disputes (dispute_id, customer_id, invoice_id, currency, amount, reason, \
             state, opened_at, due_day, resolved_at, body) VALUES \
             ('0190a000-0000-7000-8000-000000000001', 'ACME', 'INV-1', 'EUR', 12050, '2', \
             'RESOLVED_BY_CREDIT_NOTE', 1772323200000000, 20527, 1772409600000000, $1)",
            bytes(DISPUTE),
        ),
        (
            "INSERT INTO promises (promise_id, customer_id, currency, amount, promised_day, \
             made_day, state, paid, body, recorded_at, settled_at) VALUES \
             ('0190a000-0000-7000-8000-000000000002', 'ACME', 'EUR', 50000, 20522, 20513, \
             'OPEN', 0, $1, 1772323200000000, NULL)",
            bytes(PROMISE),
        ),
        (
            "INSERT INTO write_offs (write_off_id, customer_id, invoice_id, currency, amount, \
             state, requested_at, decided_at, body) VALUES \
             ('0190a000-0000-7000-8000-000000000003', 'ACME', 'INV-2', 'EUR', 80000, \
             'APPROVED', 1772323200000000, 1772409600000000, $1)",
            bytes(WRITE_OFF),
        ),
        (
            "INSERT INTO payment_plans (plan_id, customer_id, currency, state, total, \
             created_at, ended_at, body) VALUES ('0190a000-0000-7000-8000-000000000004', 'ACME', \
             'EUR', 'ACTIVE', 200000, 1772323200000000, NULL, $1)",
            bytes(PLAN),
        ),
        (
            "INSERT INTO activities (activity_id, customer_id, collector, kind, outcome, \
             follow_up_day, recorded_at, body) VALUES ('0190a000-0000-7000-8000-000000000005', \
             'ACME', 'cy.collector', 'CALL', 'PROMISED', 20518, 1772323200000000, $1)",
            bytes(ACTIVITY),
        ),
    ];
    for (sql, body) in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(body)
            .execute(&mut *conn)
            .await
            .expect(sql);
    }
}

async fn bodies(db: &Db) -> Vec<Vec<u8>> {
    let mut conn = db.pool.acquire().await.expect("connection");
    let mut out = Vec::new();
    for table in [
        "disputes",
        "promises",
        "write_offs",
        "payment_plans",
        "activities",
        "documents",
        "document_versions",
    ] {
        let sql = format!("SELECT body FROM {table}");
        for row in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await
            .expect("bodies")
        {
            out.push(row.try_get::<Vec<u8>, _>(0).expect("body"));
        }
    }
    out
}

#[tokio::test]
async fn rows_of_the_earlier_version_are_converted_once_and_read_back_unchanged() {
    let database = TestDatabase::create().await.expect("db");
    credit_collections::migrate(&database.config)
        .await
        .expect("migrate an empty database");
    let db = Db::connect(&database.config).await.expect("connect");
    write_old_rows(&db).await;
    assert!(
        bodies(&db).await.iter().all(|b| b.first() != Some(&b'{')),
        "the rows start as wire messages"
    );

    credit_collections::migrate(&database.config)
        .await
        .expect("migrate converts");
    let converted = bodies(&db).await;
    assert_eq!(converted.len(), 9);
    assert!(converted.iter().all(|b| b.first() == Some(&b'{')));
    credit_collections::migrate(&database.config)
        .await
        .expect("migrate again");
    assert_eq!(bodies(&db).await, converted, "a second run changes nothing");
    db.pool.close().await;

    let app = App::start_on(database).await;
    app.clock.set(MARCH_2);
    let mut c = app.client("cy.collector", &[roles::ANALYST]);

    let disputes = c
        .list_disputes(pb::ListDisputesRequest {
            customer_id: "ACME".into(),
            ..Default::default()
        })
        .await
        .expect("disputes")
        .into_inner()
        .disputes;
    let d = &disputes[0];
    assert_eq!(
        (
            d.line.as_str(),
            d.owner.as_str(),
            support::named::<pb::DisputeState>(d.state)
        ),
        ("line 3: pallets", "ana", "RESOLVED_BY_CREDIT_NOTE")
    );
    assert_eq!(d.reason, pb::DisputeReason::Quantity as i32);
    let amount = d.amount.clone().unwrap_or_default();
    assert_eq!(
        (amount.amount.as_str(), amount.currency_code.as_str()),
        ("120.50", "EUR")
    );
    assert_eq!(support::iso(&d.due_date), "2026-03-15");
    assert_eq!(
        d.comments
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>(),
        ["short delivery", "credited"]
    );
    assert_eq!(
        d.comments[1].comment_time.as_ref().map(|t| t.seconds),
        Some(1_772_409_600)
    );
    assert_eq!(
        (d.credit_note_id.as_str(), d.resolved_by.as_str()),
        ("CN-1", "bo")
    );
    assert_eq!(
        d.resolve_time.as_ref().map(|t| t.seconds),
        Some(MARCH_2 / 1_000_000)
    );
    assert_eq!(d.documents[0].file_name, "pod.pdf");
    assert_eq!(d.documents[0].size_bytes, 1234);

    let promises = c
        .list_promises(pb::ListPromisesRequest {
            customer_id: "ACME".into(),
            ..Default::default()
        })
        .await
        .expect("promises")
        .into_inner()
        .promises;
    let p = &promises[0];
    assert_eq!(
        (
            support::iso(&p.promised_date),
            p.note.as_str(),
            p.recorded_by.as_str()
        ),
        ("2026-03-10", "by phone", "ana")
    );
    assert_eq!(p.amount.clone().unwrap_or_default().amount, "500.00");
    assert_eq!(
        p.record_time.as_ref().map(|t| t.seconds),
        Some(MARCH_1 / 1_000_000)
    );

    let write_offs = c
        .list_write_offs(pb::ListWriteOffsRequest {
            customer_id: "ACME".into(),
            ..Default::default()
        })
        .await
        .expect("write-offs")
        .into_inner()
        .write_offs;
    let w = &write_offs[0];
    assert_eq!(
        (
            support::named::<pb::WriteOffState>(w.state),
            w.decided_by.as_str(),
            support::amount(&w.recovered_amount)
        ),
        ("APPROVED", "bo", "50.00")
    );
    assert_eq!(support::iso(&w.recoveries[0].date), "2026-03-05");
    assert_eq!(w.recoveries[0].reference, "BANK-9");
    assert_eq!(w.required_role, "collections_manager");

    let plans = c
        .list_payment_plans(pb::ListPaymentPlansRequest {
            customer_id: "ACME".into(),
            ..Default::default()
        })
        .await
        .expect("plans")
        .into_inner()
        .payment_plans;
    let plan = &plans[0];
    assert_eq!(
        plan.instalments
            .iter()
            .map(|i| (support::iso(&i.due_date), support::amount(&i.amount)))
            .collect::<Vec<_>>(),
        [("2026-03-20", "1000.00"), ("2026-04-20", "1000.00")]
    );
    assert_eq!(
        (plan.grace_days, plan.note.as_str()),
        (5, "agreed by phone")
    );
    assert_eq!(support::amount(&plan.total_amount), "2000.00");

    let activities = c
        .list_activities(pb::ListActivitiesRequest {
            customer_id: "ACME".into(),
            ..Default::default()
        })
        .await
        .expect("activities")
        .into_inner()
        .activities;
    let a = &activities[0];
    assert_eq!(
        (
            support::named::<pb::ActivityKind>(a.kind),
            support::named::<pb::ActivityOutcome>(a.outcome),
            a.note.as_str(),
            support::iso(&a.follow_up_date),
            a.collector.as_str(),
        ),
        (
            "CALL",
            "PROMISED",
            "the CFO confirms on Friday",
            "2026-03-06",
            "cy.collector"
        )
    );
    let invoice = c
        .get_document(pb::GetDocumentRequest {
            document_id: "INV-9".into(),
        })
        .await
        .expect("invoice")
        .into_inner();
    assert_eq!(
        (
            support::iso(&invoice.issue_date),
            support::iso(&invoice.due_date),
            invoice.payment_terms_days,
            invoice.order_id.as_str(),
            invoice.reference.as_str(),
            support::amount(&invoice.amount),
        ),
        ("2026-03-01", "2026-03-31", 30, "SO-9", "erp 9", "1200.00")
    );
    let versions = c
        .list_document_versions(pb::ListDocumentVersionsRequest {
            document_id: "PAY-9".into(),
            ..Default::default()
        })
        .await
        .expect("versions")
        .into_inner()
        .versions;
    let payment = versions[0].document.clone().expect("version");
    assert_eq!(
        (
            support::iso(&payment.issue_date),
            payment.due_date,
            support::named::<pb::DocumentKind>(payment.kind),
        ),
        ("2026-03-10", None, "PAYMENT")
    );
    assert_eq!(
        payment
            .allocations
            .iter()
            .map(|a| (a.invoice_id.as_str(), support::amount(&a.amount)))
            .collect::<Vec<_>>(),
        [("INV-9", "450.00")]
    );
    app.stop().await;
}
