//! `creditctl application …` against a running development suite, as a user would run it.
mod support;

use support::Suite;

fn example(path: &str) -> String {
    format!("{}/../../services/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_submit_and_approve_through_two_levels_from_the_command_line() {
    let suite = Suite::start().await;
    suite
        .ok(&[
            "scoring",
            "bureau",
            "NEWCO-FR",
            &example("scoring/examples/bureau.json"),
        ])
        .await;
    let created = suite
        .ok(&[
            "--json",
            "application",
            "create",
            &example("applications/examples/application.json"),
        ])
        .await;
    let created: serde_json::Value = serde_json::from_str(&created).expect("json");
    let id = created["applicationId"].as_str().expect("id").to_string();
    assert_eq!(created["state"], "APPLICATION_STATE_DRAFT");
    let decided = suite.ok(&["application", "submit", &id]).await;
    assert!(
        decided.contains("APPROVED") && decided.contains("40000.00 EUR"),
        "{decided}"
    );
    let letter = suite
        .ok(&["application", "notice", &id, "--language", "ro"])
        .await;
    assert!(
        letter.contains("a fost aprobată") && letter.contains("40.000,00 EUR"),
        "{letter}"
    );
    let pdf = suite.dir.path().join("accounts.pdf");
    std::fs::write(&pdf, b"%PDF-1.7\nannual accounts").expect("write");
    let stored = suite
        .ok(&[
            "application",
            "upload",
            &id,
            pdf.to_str().expect("path"),
            "--kind",
            "FINANCIAL_STATEMENT",
        ])
        .await;
    assert!(stored.contains("SHA-256"), "{stored}");
    let listed = suite.ok(&["--json", "application", "documents", &id]).await;
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    let document = listed["documents"][0]["documentId"]
        .as_str()
        .expect("id")
        .to_string();
    let copy = suite.dir.path().join("copy.pdf");
    suite
        .ok(&[
            "application",
            "download",
            &document,
            "--out",
            copy.to_str().expect("path"),
        ])
        .await;
    assert_eq!(
        std::fs::read(&copy).expect("copy"),
        b"%PDF-1.7\nannual accounts"
    );
    let shown = suite.ok(&["application", "get", &id]).await;
    assert!(
        shown.contains("FR40303265045"),
        "the admin reads in clear: {shown}"
    );

    // A larger request: referred to an analyst, then a manager, each with their own token.
    let mut larger: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(example("applications/examples/application.json")).expect("file"),
    )
    .expect("json");
    larger["customer_id"] = "BIGCO-FR".into();
    larger["applicant"]["tax_id"] = "FR83404833048".into();
    larger["credit_request"]["requested_limit"]["amount"] = "150000".into();
    let file = suite.dir.path().join("larger.json");
    std::fs::write(&file, larger.to_string()).expect("write");
    suite
        .ok(&[
            "scoring",
            "bureau",
            "BIGCO-FR",
            &example("scoring/examples/bureau.json"),
        ])
        .await;
    let created = suite
        .ok(&[
            "--json",
            "application",
            "create",
            file.to_str().expect("path"),
        ])
        .await;
    let big = serde_json::from_str::<serde_json::Value>(&created).expect("json")["applicationId"]
        .as_str()
        .expect("id")
        .to_string();
    let referred = suite.ok(&["application", "submit", &big]).await;
    assert!(
        referred.contains("IN_REVIEW") && referred.contains("analyst"),
        "{referred}"
    );
    let waiting = suite
        .ok(&["application", "list", "--awaiting", "credit.analyst"])
        .await;
    assert!(
        waiting.contains(&big) && !waiting.contains(&id),
        "{waiting}"
    );
    let analyst = suite.token("bob.analyst", "credit.analyst").await;
    let manager = suite.token("max.manager", "credit.manager").await;
    let after_analyst = suite
        .ok(&["--token", &analyst, "application", "approve", &big])
        .await;
    assert!(after_analyst.contains("IN_REVIEW"), "{after_analyst}");
    // The manager approves 100 000 (no more than scoring recommends, or with a reason).
    let approved = suite
        .run(&[
            "--token",
            &manager,
            "application",
            "approve",
            &big,
            "--amount",
            "100000",
            "--condition",
            "quarterly accounts",
            "--override-reason",
            "RELATIONSHIP",
            "--override-comment",
            "known for 8 years",
        ])
        .await;
    let out = support::stdout(&approved);
    assert!(approved.status.success(), "{out} {approved:?}");
    assert!(
        out.contains("APPROVED") && out.contains("quarterly accounts"),
        "{out}"
    );
    let metrics = suite.ok(&["application", "metrics"]).await;
    assert!(
        metrics.contains("0.5000") && metrics.contains("max.manager"),
        "one of two decisions was automatic: {metrics}"
    );
    let reviews = suite
        .ok(&["application", "reviews", "--state", "open"])
        .await;
    assert!(
        !reviews.contains("NEWCO-FR"),
        "no review is due yet: {reviews}"
    );
    let policy = suite.ok(&["application", "policy"]).await;
    assert!(policy.contains("\"levels\""), "{policy}");
    suite.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_a_limit_and_release_a_blocked_order_from_the_command_line() {
    let suite = Suite::start().await;
    suite
        .ok(&[
            "scoring",
            "bureau",
            "NEWCO-FR",
            &example("scoring/examples/bureau.json"),
        ])
        .await;
    let created = suite
        .ok(&[
            "--json",
            "application",
            "create",
            &example("applications/examples/application.json"),
        ])
        .await;
    let id = serde_json::from_str::<serde_json::Value>(&created).expect("json")["applicationId"]
        .as_str()
        .expect("id")
        .to_string();
    suite.ok(&["application", "submit", &id]).await;
    // The approved limit reaches limits in the background.
    let mut account = String::new();
    for _ in 0..200 {
        account = support::stdout(&suite.run(&["account", "get", "NEWCO-FR"]).await);
        if account.contains("40000") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(account.contains("40000"), "{account}");

    let until = humantime::format_rfc3339_seconds(
        std::time::SystemTime::now() + std::time::Duration::from_secs(30 * 86_400),
    )
    .to_string();
    let changed = suite
        .ok(&[
            "application",
            "change",
            "NEWCO-FR",
            "--kind",
            "temporary",
            "--amount",
            "45000",
            "--until",
            &until,
            "--reason",
            "Christmas season",
        ])
        .await;
    assert!(
        changed.contains("TEMPORARY_INCREASE") && changed.contains("APPROVED"),
        "{changed}"
    );

    let checked = suite
        .ok(&[
            "--json",
            "check",
            "NEWCO-FR",
            "SO-77",
            "90000",
            "--currency",
            "EUR",
        ])
        .await;
    let checked: serde_json::Value = serde_json::from_str(&checked).expect("json");
    assert_eq!(checked["outcome"], "CHECK_OUTCOME_REJECTED", "{checked}");
    let decision = checked["decisionId"]
        .as_str()
        .expect("decision")
        .to_string();
    let referred = suite.ok(&["--json", "case", "refer", &decision]).await;
    let case = serde_json::from_str::<serde_json::Value>(&referred).expect("json")["caseId"]
        .as_str()
        .expect("case")
        .to_string();
    let analyst = suite
        .ok(&[
            "token",
            "--subject",
            "bob.analyst",
            "--roles",
            "credit.analyst",
        ])
        .await
        .trim()
        .to_string();
    let released = suite
        .ok(&[
            "--token",
            &analyst,
            "case",
            "release",
            &case,
            "--comment",
            "prepaid half by wire",
        ])
        .await;
    assert!(
        released.contains("RELEASED_BY_APPROVAL") && released.contains("reservation"),
        "{released}"
    );
    let listed = suite.ok(&["case", "list", "--state", "released"]).await;
    assert!(listed.contains("SO-77"), "{listed}");
    suite.stop().await;
}
