//! `creditctl collections …` against a running development suite, as a user would run it.
mod support;

use support::Suite;

fn example(path: &str) -> String {
    format!("{}/../../services/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_a_csv_then_read_the_statement_and_the_aging_from_the_command_line() {
    let suite = Suite::start().await;
    // A zone where it is midday now, so quiet hours never hold the letter back.
    let utc_hour = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        / 3600
        % 24) as i64;
    let offset = utc_hour - 12;
    let zone = if offset >= 0 {
        format!("Etc/GMT+{offset}")
    } else {
        format!("Etc/GMT-{}", -offset)
    };
    suite
        .ok(&[
            "collections",
            "customer",
            "NEWCO-FR",
            "--name",
            "Newco SAS",
            "--segment",
            "SME",
            "--region",
            "EMEA",
            "--language",
            "fr",
            "--email",
            "compta@newco.example.fr",
            "--time-zone",
            &zone,
        ])
        .await;
    let csv = example("collections/examples/receivables.csv");
    let report = suite.ok(&["collections", "import", &csv]).await;
    assert!(
        report.contains("created")
            && report.contains("5")
            && report.contains("document.amount.amount"),
        "{report}"
    );
    // Row 7 of the file (the header is row 1) is the bad one.
    assert!(report.contains(" 7 "), "{report}");
    let again = suite.ok(&["--json", "collections", "import", &csv]).await;
    let again: serde_json::Value = serde_json::from_str(&again).expect("json");
    assert_eq!(again["unchanged"], "5", "{again}");
    let statement = suite.ok(&["collections", "statement", "NEWCO-FR"]).await;
    assert!(
        statement.contains("INV-2026-0001") && statement.contains("2000.00"),
        "{statement}"
    );
    let aging = suite
        .ok(&[
            "collections",
            "aging",
            "--as-of",
            "2026-11-23",
            "--by",
            "customer",
        ])
        .await;
    // 0001: 2000 open, 53 days late; 0002: 7500, 19 days late; 0003: 4500 not due.
    assert!(
        aging.contains("NEWCO-FR")
            && aging.contains("4500.00")
            && aging.contains("7500.00")
            && aging.contains("2000.00"),
        "{aging}"
    );
    let metrics = suite
        .ok(&[
            "collections",
            "metrics",
            "--from",
            "2026-09-01",
            "--to",
            "2026-11-30",
        ])
        .await;
    // Sales 24 500; closing AR 14 000 (2000 + 7500 + 4500), 91 days: DSO 14000/24500×91 = 52.00.
    assert!(
        metrics.contains("24500.00") && metrics.contains("52.00"),
        "{metrics}"
    );
    let document = suite
        .ok(&["collections", "document", "INV-2026-0002"])
        .await;
    assert!(document.contains("CN-2026-0001"), "{document}");
    // Dunning: the latest step due goes out; the suite drops e-mails into data/outbox.
    let run = suite.ok(&["collections", "dun"]).await;
    assert!(run.contains("NEWCO-FR") && run.contains("SENT"), "{run}");
    // Delivery writes the file after the run answers: wait until it is there and written.
    let mut dropped = Vec::new();
    let mut eml = String::new();
    for _ in 0..400 {
        dropped = std::fs::read_dir(suite.dir.path().join("outbox"))
            .map(|d| d.filter_map(Result::ok).collect())
            .unwrap_or_default();
        if let Some(first) = dropped.first() {
            eml = std::fs::read_to_string(first.path()).unwrap_or_default();
            if eml.contains("\r\n\r\n") {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(dropped.len(), 1, "one e-mail dropped");
    assert!(eml.contains("compta@newco.example.fr"), "{eml}");
    let messages = suite.ok(&["collections", "messages", "NEWCO-FR"]).await;
    assert!(messages.contains("SENT"), "{messages}");
    let dispute = suite
        .ok(&[
            "collections",
            "dispute",
            "INV-2026-0002",
            "--amount",
            "1000",
            "--reason",
            "damaged",
            "--comment",
            "two cartons crushed",
        ])
        .await;
    assert!(
        dispute.contains("OPEN") && dispute.contains("DAMAGED"),
        "{dispute}"
    );
    let dispute_id = suite
        .ok(&[
            "--json",
            "collections",
            "disputes",
            "--customer",
            "NEWCO-FR",
        ])
        .await;
    let dispute_id: serde_json::Value = serde_json::from_str(&dispute_id).expect("json");
    let dispute_id = dispute_id["disputes"][0]["disputeId"]
        .as_str()
        .expect("dispute id")
        .to_string();
    let photo = suite.dir.path().join("cartons.pdf");
    std::fs::write(&photo, b"%PDF-1.7\ncrushed cartons\n%%EOF\n").expect("pdf");
    let attached = suite
        .ok(&[
            "collections",
            "attach",
            &dispute_id,
            photo.to_str().expect("path"),
        ])
        .await;
    assert!(attached.contains("cartons.pdf"), "{attached}");
    let disputes = suite
        .ok(&["collections", "disputes", "--customer", "NEWCO-FR"])
        .await;
    assert!(disputes.contains("INV-2026-0002"), "{disputes}");
    let today = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let until = humantime::format_rfc3339_seconds(
        std::time::SystemTime::now() + std::time::Duration::from_secs(7 * 86_400),
    )
    .to_string();
    let promise = suite
        .ok(&[
            "collections",
            "promise",
            "NEWCO-FR",
            "--amount",
            "2000",
            "--by",
            &until[..10],
        ])
        .await;
    assert!(promise.contains("OPEN"), "{promise}");
    // A write-off asked by one person and approved by a manager.
    let asked = suite
        .ok(&[
            "--json",
            "collections",
            "write-off",
            "INV-2026-0002",
            "--amount",
            "500",
            "--reason",
            "goodwill settlement agreed with the customer",
        ])
        .await;
    let asked: serde_json::Value = serde_json::from_str(&asked).expect("json");
    let write_off_id = asked["writeOffId"].as_str().expect("id").to_string();
    let manager = suite.token("max.manager", "credit.manager").await;
    let approved = suite
        .ok(&[
            "--token",
            &manager,
            "collections",
            "decide-write-off",
            &write_off_id,
            "--comment",
            "agreed",
        ])
        .await;
    assert!(approved.contains("APPROVED"), "{approved}");
    let listed = suite
        .ok(&["collections", "write-offs", "--customer", "NEWCO-FR"])
        .await;
    assert!(listed.contains(&write_off_id), "{listed}");
    let plan = suite
        .ok(&[
            "collections",
            "plan",
            "NEWCO-FR",
            "--invoices",
            "INV-2026-0003",
            "--instalment",
            &format!("{}:4500", &until[..10]),
            "--grace-days",
            "3",
        ])
        .await;
    assert!(plan.contains("ACTIVE") && plan.contains("DUE"), "{plan}");
    let plans = suite.ok(&["collections", "plans", "NEWCO-FR"]).await;
    assert!(plans.contains("INV-2026-0003"), "{plans}");
    let worklist = suite.ok(&["collections", "worklist"]).await;
    assert!(
        worklist.contains("NEWCO-FR") && worklist.contains("WAIT_FOR_PROMISE"),
        "{worklist}"
    );
    suite
        .ok(&[
            "collections",
            "activity",
            "NEWCO-FR",
            "--outcome",
            "no-answer",
            "--note",
            "voicemail left",
        ])
        .await;
    let log = suite.ok(&["collections", "activities", "NEWCO-FR"]).await;
    assert!(log.contains("NO_ANSWER"), "{log}");
    suite
        .ok(&[
            "collections",
            "limitation-act",
            "NEWCO-FR",
            "--kind",
            "acknowledgement",
            "--date",
            &today[..10],
            "--note",
            "statement of account signed",
        ])
        .await;
    let limitations = suite
        .ok(&["collections", "limitations", "--customer", "NEWCO-FR"])
        .await;
    assert!(
        limitations.contains("ACKNOWLEDGEMENT") && limitations.contains("RUNNING"),
        "{limitations}"
    );
    let dispute_metrics = suite
        .ok(&["collections", "dispute-metrics", "--from", &today[..10]])
        .await;
    assert!(dispute_metrics.contains("DAMAGED"), "{dispute_metrics}");
    let preview = suite.ok(&["collections", "preview", "NEWCO-FR"]).await;
    assert!(
        preview.contains("standard") && preview.contains("INV-2026-0001"),
        "{preview}"
    );
    suite.stop().await;
}
