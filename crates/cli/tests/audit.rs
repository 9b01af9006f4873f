//! `creditctl audit …` against a running development suite, as a user would run it.
use credit_platform::server::Shutdown;
use credit_platform::testing::TestDatabase;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

fn creditctl(gateway: &str, data_dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_creditctl"))
        .arg("--gateway")
        .arg(gateway)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("creditctl runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "creditctl failed: {}\n{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_verify_proof_export_and_offline_check_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits_db = TestDatabase::create().await.expect("db");
    let audit_db = TestDatabase::create().await.expect("db");
    let shutdown = Shutdown::new();
    let suite = credit_suite::start(
        credit_suite::SuiteConfig {
            data_dir: dir.path().to_path_buf(),
            listen_addr: "127.0.0.1:0".parse().expect("addr"),
            admin_addr: "127.0.0.1:0".parse().expect("addr"),
            limits_database_url: Some(limits_db.config.database_url.clone()),
            scoring_database_url: None,
            audit_database_url: Some(audit_db.config.database_url.clone()),
            audit_checkpoint_interval_ms: 50,
        },
        shutdown.clone(),
    )
    .await
    .expect("suite");
    let gateway = format!("http://{}", suite.gateway_addr);
    let data = dir.path().to_path_buf();
    let run = move |args: &[&str]| {
        let gateway = gateway.clone();
        let data = data.clone();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                creditctl(&gateway, &data, &args)
            })
            .await
            .expect("join")
        }
    };

    // The suite may still be migrating: retry the first command until it is served.
    let mut created = false;
    for _ in 0..100 {
        if run(&[
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
    ok(run(&[
        "limit",
        "set",
        "ACME",
        "--amount",
        "5000",
        "--reason",
        "onboarding",
    ])
    .await);

    // Audit records asynchronously: wait until both changes are in the log and a checkpoint
    // covers them (the proof of the later one succeeds).
    let mut history = String::new();
    for _ in 0..200 {
        let lines = stdout(&run(&["audit", "history", "--customer", "ACME", "--json"]).await);
        let indexes: Vec<String> = lines
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            // Proto JSON leaves out zero values: no logIndex is index 0.
            .map(|entry| entry["logIndex"].as_str().unwrap_or("0").to_string())
            .collect();
        if indexes.len() == 2 && run(&["audit", "proof", &indexes[1]]).await.status.success() {
            history = ok(run(&["audit", "history", "--customer", "ACME"]).await);
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

    assert!(ok(run(&["audit", "verify"]).await).contains("intact"));

    let export = dir.path().join("acme.jsonl");
    let export_arg = export.to_str().expect("utf-8 path");
    ok(run(&["audit", "export", "--customer", "ACME", "--out", export_arg]).await);
    let checked = ok(run(&["audit", "check-export", export_arg]).await);
    assert!(checked.contains("2 entries proven"), "{checked}");

    // An edited export fails the offline check.
    let text = std::fs::read_to_string(&export).expect("read");
    std::fs::write(&export, text.replacen("onboarding", "0nboarding", 1)).expect("write");
    let tampered = run(&["audit", "check-export", export_arg]).await;
    assert!(!tampered.status.success());
    assert!(
        String::from_utf8_lossy(&tampered.stderr).contains("does not hash to its leaf hash"),
        "{}",
        String::from_utf8_lossy(&tampered.stderr)
    );

    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(30), suite.stopped)
        .await
        .expect("stops")
        .expect("join")
        .expect("clean");
}
