//! Migrations only expand the schema, so the Pods of the previous release keep working while a
//! rollout replaces them (k8s/README.md, "Upgrades and rollbacks"), and a rollback needs no
//! down-migration. A statement that removes, renames or retypes something — which breaks the
//! old release — must come a release after the code stopped using it, and say so with a
//! `-- contract:` comment on its line naming that release.
use std::path::{Path, PathBuf};

fn migration_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n != "target" && n != "node_modules")
            {
                migration_files(&path, found);
            }
        } else if path.extension().is_some_and(|e| e == "sql")
            && path.components().any(|c| c.as_os_str() == "migrations")
        {
            found.push(path);
        }
    }
}

/// The statements that break the previous release, in one line of SQL.
fn contracts(line: &str) -> bool {
    let code = line.split("--").next().unwrap_or("").to_ascii_uppercase();
    let words: Vec<&str> = code.split_whitespace().collect();
    let has = |pair: [&str; 2]| words.windows(2).any(|w| w == pair);
    has(["DROP", "TABLE"])
        || has(["DROP", "COLUMN"])
        || has(["RENAME", "TO"])
        || has(["RENAME", "COLUMN"])
        || (has(["ALTER", "COLUMN"]) && (words.contains(&"TYPE") || has(["SET", "NOT"])))
}

#[test]
fn migrations_only_expand_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    migration_files(&root.join("services"), &mut files);
    migration_files(&root.join("crates"), &mut files);
    assert!(
        files.len() >= 12,
        "every service's migrations are found: {files:?}"
    );
    let mut breaking = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for (number, line) in text.lines().enumerate() {
            if contracts(line) && !line.contains("-- contract:") {
                breaking.push(format!(
                    "{}:{}: {}",
                    file.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        breaking.is_empty(),
        "migrations that break the running release during a rollout:\n{}",
        breaking.join("\n")
    );
}

#[test]
fn what_breaks_the_running_release_is_recognised() {
    assert!(contracts("DROP TABLE reservations;"));
    assert!(contracts("ALTER TABLE accounts DROP COLUMN region;"));
    assert!(contracts(
        "ALTER TABLE accounts RENAME COLUMN region TO area;"
    ));
    assert!(contracts("ALTER TABLE accounts RENAME TO customers;"));
    assert!(contracts(
        "ALTER TABLE accounts ALTER COLUMN amount TYPE NUMERIC;"
    ));
    assert!(contracts(
        "ALTER TABLE accounts ALTER COLUMN region SET NOT NULL;"
    ));
    assert!(!contracts(
        "ALTER TABLE accounts ADD COLUMN region TEXT NOT NULL DEFAULT '';"
    ));
    assert!(!contracts(
        "CREATE INDEX accounts_region ON accounts (region);"
    ));
    assert!(!contracts("-- DROP TABLE x; (a comment)"));
}
