//! `creditctl scoring …` against a running development suite, as a user would run it.
mod support;

use support::Suite;

fn example(name: &str) -> String {
    format!(
        "{}/../../services/scoring/examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facts_score_history_policy_round_trip_model_and_training_from_the_command_line() {
    let suite = Suite::start().await;
    let analysis = suite
        .ok(&["scoring", "statement", "ACME", &example("statement.json")])
        .await;
    assert!(analysis.contains("SAFE"), "{analysis}");
    suite
        .ok(&["scoring", "bureau", "ACME", &example("bureau.json")])
        .await;
    let references = suite
        .ok(&["scoring", "references", "ACME", &example("references.json")])
        .await;
    assert!(references.contains("2 references"), "{references}");
    let score = suite
        .ok(&[
            "scoring",
            "score",
            "ACME",
            "--requested",
            "250000",
            "--currency",
            "EUR",
        ])
        .await;
    assert!(score.contains("250000.00 EUR"), "{score}");
    assert!(score.contains("pd-sample-2026.11"), "{score}");
    suite
        .ok(&[
            "scoring",
            "payment",
            "ACME",
            "--days-beyond-terms",
            "70",
            "--share-paid-late",
            "0.6",
            "--broken-promises",
            "2",
        ])
        .await;
    let history = suite.ok(&["scoring", "history", "ACME"]).await;
    assert!(
        history.contains("NEW_INFORMATION") && history.contains("SEVERELY_LATE_WITH_US"),
        "{history}"
    );

    // Read the policy, change it, upload it as the next version.
    let policy = suite.ok(&["scoring", "policy"]).await;
    let mut document: serde_json::Value =
        serde_json::from_str(&policy).expect("the policy is bare JSON");
    document["name"] = "Tighter 2027".into();
    document["limit"]["maximum"] = "100000".into();
    let file = suite.dir.path().join("policy.json");
    std::fs::write(&file, document.to_string()).expect("write");
    let uploaded = suite
        .ok(&["scoring", "upload-policy", file.to_str().expect("path")])
        .await;
    assert!(
        uploaded.contains("version 2") && uploaded.contains("proposed"),
        "{uploaded}"
    );
    // Four eyes: another manager puts it in force.
    let second = suite.token("otto.manager", "credit.manager").await;
    let approved = suite
        .ok(&["--token", &second, "scoring", "approve-policy", "2"])
        .await;
    assert!(
        approved.contains("in force") && approved.contains("otto.manager"),
        "{approved}"
    );
    let capped = suite.ok(&["scoring", "score", "ACME"]).await;
    assert!(capped.contains("v2 /"), "{capped}");
    // A broken document is refused with the field named.
    std::fs::write(&file, r#"{"name": "x"}"#).expect("write");
    let refused = suite
        .run(&["scoring", "upload-policy", file.to_str().expect("path")])
        .await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("document_json"),
        "{refused:?}"
    );

    let rescored = suite
        .ok(&["scoring", "rescore", "--reason", "policy v2"])
        .await;
    assert!(
        rescored.contains("1/1 scored") && rescored.contains("done"),
        "{rescored}"
    );

    // A stress scenario over the portfolio, with ACME's exposure read from limits.
    suite
        .ok(&[
            "account",
            "create",
            "ACME",
            "--name",
            "Acme GmbH",
            "--currency",
            "EUR",
            "--region",
            "EU-WEST",
        ])
        .await;
    suite
        .ok(&["receivable", "ACME", "INV-1", "200000", "--currency", "EUR"])
        .await;
    let history = suite
        .ok(&["--json", "scoring", "history", "ACME", "--limit", "1"])
        .await;
    let history: serde_json::Value = serde_json::from_str(&history).expect("json");
    let pd: rust_decimal::Decimal = history["scores"][0]["probabilityOfDefault"]
        .as_str()
        .expect("pd")
        .parse()
        .expect("decimal");
    let stressed = suite
        .ok(&[
            "--json",
            "scoring",
            "scenario",
            "--name",
            "recession",
            "--multiplier",
            "2",
            "--region-shock",
            "EU-WEST=1.5",
            "--lgd",
            "0.5",
            "--by",
            "region",
        ])
        .await;
    let stressed: serde_json::Value = serde_json::from_str(&stressed).expect("json");
    let portfolio = &stressed["portfolio"];
    let el = |pd: rust_decimal::Decimal| {
        (pd.min(rust_decimal::Decimal::ONE) * rust_decimal::Decimal::from(100000))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .to_string()
    };
    assert_eq!(
        portfolio["expectedLossBefore"]["amount"],
        el(pd),
        "{stressed}"
    );
    assert_eq!(
        portfolio["expectedLossAfter"]["amount"],
        el(pd * rust_decimal::Decimal::from(3)),
        "{stressed}"
    );
    assert_eq!(stressed["segments"][0]["key"], "EU-WEST", "{stressed}");
    let table = suite
        .ok(&[
            "scoring",
            "scenario",
            "--industry-shock",
            "Q=2",
            "--by",
            "industry",
        ])
        .await;
    assert!(
        table.contains("PORTFOLIO") && table.contains("industry_shocks[Q] matched no customer"),
        "{table}"
    );
    let refused = suite
        .run(&["scoring", "scenario", "--industry-shock", "F:2"])
        .await;
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("KEY=FACTOR"),
        "{refused:?}"
    );

    let model = suite.ok(&["scoring", "model"]).await;
    assert!(model.contains("altman_z"), "{model}");

    // Train a model from a CSV, here.
    let csv = suite.dir.path().join("history.csv");
    std::fs::write(&csv, credit_scorecard::sample::portfolio_csv(3000, 11)).expect("csv");
    let out = suite.dir.path().join("model.json");
    let trained = suite
        .ok(&[
            "scoring",
            "train",
            "--csv",
            csv.to_str().expect("path"),
            "--target",
            "defaulted",
            "--version",
            "pd-test",
            "--out",
            out.to_str().expect("path"),
        ])
        .await;
    assert!(trained.contains("hold-out AUC"), "{trained}");
    credit_scorecard::Scorecard::from_json(&std::fs::read_to_string(&out).expect("artifact"))
        .expect("loads");
    suite.stop().await;
}
