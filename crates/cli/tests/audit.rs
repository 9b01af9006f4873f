//! `creditctl audit …` against a running development suite, as a user would run it.
mod support;

use std::time::Duration;
use support::{Suite, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_verify_proof_export_and_offline_check_from_the_command_line() {
    let suite = Suite::start().await;
    let ok = |output: std::process::Output| {
        assert!(
            output.status.success(),
            "creditctl failed: {}\n{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        stdout(&output)
    };
    // The suite may still be migrating: retry the first command until it is served.
    let mut created = false;
    for _ in 0..100 {
        if suite
            .run(&[
                "account",
                "create",
                "ACME",
                "--name",
                "Acme GmbH",
                "--currency",
                "EUR",
            ])
            .await
            .status
            .success()
        {
            created = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(created, "the account is created");
    // Only the applications service's identity sets limits; the approvers are named.
    let migration = suite
        .token("service:migration", "credit.service.applications")
        .await;
    ok(suite
        .run(&[
            "--token",
            &migration,
            "limit",
            "set",
            "ACME",
            "--amount",
            "5000",
            "--reason",
            "onboarding",
            "--approved-by",
            "max.manager",
            "--approval-reference",
            "LEGACY-1",
        ])
        .await);

    // Audit records asynchronously: wait until both changes are in the log and a checkpoint
    // covers them (the proof of the later one succeeds).
    let mut history = String::new();
    for _ in 0..200 {
        let lines = stdout(
            &suite
                .run(&["audit", "history", "--customer", "ACME", "--json"])
                .await,
        );
        let indexes: Vec<String> = lines
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            // Proto JSON leaves out zero values: no logIndex is index 0.
            .map(|entry| entry["logIndex"].as_str().unwrap_or("0").to_string())
            .collect();
        if indexes.len() == 2
            && suite
                .run(&["audit", "proof", &indexes[1]])
                .await
                .status
                .success()
        {
            history = ok(suite.run(&["audit", "history", "--customer", "ACME"]).await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        history.contains("credit.limits.credit_account.created"),
        "{history}"
    );
    assert!(
        history.contains("credit.limits.credit_limit.changed"),
        "{history}"
    );
    assert!(history.contains("suite-admin"), "{history}");

    assert!(ok(suite.run(&["audit", "verify"]).await).contains("intact"));

    let export = suite.dir.path().join("acme.jsonl");
    let export_arg = export.to_str().expect("utf-8 path");
    ok(suite
        .run(&["audit", "export", "--customer", "ACME", "--out", export_arg])
        .await);
    let checked = ok(suite.run(&["audit", "check-export", export_arg]).await);
    assert!(checked.contains("2 entries proven"), "{checked}");

    // An edited export fails the offline check.
    let text = std::fs::read_to_string(&export).expect("read");
    std::fs::write(&export, text.replacen("onboarding", "0nboarding", 1)).expect("write");
    let tampered = suite.run(&["audit", "check-export", export_arg]).await;
    assert!(!tampered.status.success());
    assert!(
        String::from_utf8_lossy(&tampered.stderr).contains("does not hash to its leaf hash"),
        "{}",
        String::from_utf8_lossy(&tampered.stderr)
    );

    suite.stop().await;
}
