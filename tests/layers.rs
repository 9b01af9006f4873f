//! The house rules of every service's source (issue 13), read from the files themselves so a
//! change that breaks one is named here, not found in review:
//!
//! - four layers you can see in the folders: `domain/`, `store/`, `app/`, `grpc/`;
//! - `domain/` is pure: no protobuf, SQL, async runtime or gRPC;
//! - SQL lives only in `store/`;
//! - no import circles: no module reaches (through `crate::…`/`super::…` paths) a module that
//!   reaches it back, neither between the files nor between the top-level folders.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SERVICES: &[&str] = &["applications", "audit", "collections", "limits", "scoring"];

const LAYERS: &[&str] = &["domain", "store", "app", "grpc"];
const IMPURE: &[&str] = &["prost::", "sqlx", "tokio", "tonic", "credit_proto"];
const SQL: &[&str] = &["sqlx::query", "query_as(", "query_scalar("];

/// A source file as a module: its path in the crate (`["app", "scores"]`) and its text without
/// the unit tests (a test may reach anything).
struct Module {
    path: Vec<String>,
    file: PathBuf,
    text: String,
}

fn modules(src: &Path) -> Vec<Module> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let file = entry.expect("entry").path();
            if file.is_dir() {
                stack.push(file);
                continue;
            }
            if file.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = file.strip_prefix(src).expect("under src");
            let mut path: Vec<String> = relative
                .iter()
                .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if matches!(
                path.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                path.pop();
            }
            let text = std::fs::read_to_string(&file).expect("read");
            let text = match text.find("#[cfg(test)]\nmod tests") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            out.push(Module { path, file, text });
        }
    }
    out
}

/// Every path a module names that starts at `crate::` or `super::`, with `use` groups expanded.
fn named_paths(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    // `use` statements, groups expanded.
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before = &rest[..at];
        let starts_item = before.is_empty() || before.ends_with(['\n', ' ', '(', '{']);
        rest = &rest[at + 4..];
        if !starts_item {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        expand(rest[..end].trim(), "", &mut out);
        rest = &rest[end..];
    }
    // Inline paths (`crate::store::x(…)`).
    for (at, _) in code.match_indices("crate::") {
        let tail: String = code[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        out.push(tail.trim_end_matches(':').to_string());
    }
    out
}

fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree: String = tree.split_whitespace().collect();
    match tree.find('{') {
        None => out.push(format!("{prefix}{tree}")),
        Some(open) => {
            let head = &tree[..open];
            let inner = &tree[open + 1..tree.len() - 1];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&inner[start..i], &format!("{prefix}{head}"), out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if start < inner.len() {
                expand(&inner[start..], &format!("{prefix}{head}"), out);
            }
        }
    }
}

/// The module a path from `from` reaches: the longest known module prefix.
fn target(from: &[String], path: &str, known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut parts = path.split("::").filter(|p| !p.is_empty());
    let mut absolute: Vec<String> = match parts.next()? {
        "crate" => Vec::new(),
        "super" => from[..from.len().checked_sub(1)?].to_vec(),
        "self" => from.to_vec(),
        _ => return None,
    };
    let mut reached = None;
    for part in parts {
        if part == "super" {
            absolute.pop();
            continue;
        }
        absolute.push(part.to_string());
        if known.contains(&absolute) {
            reached = Some(absolute.clone());
        }
    }
    reached
}

/// The circles of a graph: its strongly connected components with more than one node.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let nodes: Vec<&String> = graph.keys().collect();
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for next in graph.get(&n).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for n in &nodes {
        if done.contains(*n) {
            continue;
        }
        let circle: Vec<String> = nodes
            .iter()
            .filter(|m| reaches[*n].contains(**m) && reaches[**m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        done.extend(circle.iter().cloned());
        if circle.len() > 1 {
            out.push(circle);
        }
    }
    out
}

fn source_of(service: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("services")
        .join(service)
        .join("src")
}

fn findings(service: &str, src: &Path) -> Vec<String> {
    let modules = modules(src);
    let mut found = Vec::new();
    for layer in LAYERS {
        if !src.join(layer).is_dir() {
            found.push(format!("{service}: no {layer}/ folder"));
        }
    }
    for m in &modules {
        let name = m.file.strip_prefix(src).expect("under src").display();
        let layer = m.path.first().map(String::as_str);
        if layer == Some("domain") {
            for word in IMPURE {
                if m.text.contains(word) {
                    found.push(format!("{service}: domain file {name} uses {word}"));
                }
            }
        }
        if layer != Some("store") && SQL.iter().any(|q| m.text.contains(q)) {
            found.push(format!("{service}: SQL outside store/ in {name}"));
        }
    }
    let known: BTreeSet<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
    let mut files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut folders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in modules.iter().filter(|m| !m.path.is_empty()) {
        let from = m.path.join("::");
        files.entry(from.clone()).or_default();
        folders.entry(m.path[0].clone()).or_default();
        for path in named_paths(&m.text) {
            // The crate root composes the service; reaching it (its constants) is no circle.
            let Some(to) = target(&m.path, &path, &known).filter(|t| !t.is_empty()) else {
                continue;
            };
            let to_name = to.join("::");
            if to_name != from {
                files.entry(from.clone()).or_default().insert(to_name);
            }
            if to[0] != m.path[0] {
                folders
                    .entry(m.path[0].clone())
                    .or_default()
                    .insert(to[0].clone());
            }
        }
    }
    for circle in circles(&files) {
        found.push(format!("{service}: import circle {}", circle.join(" ↔ ")));
    }
    for circle in circles(&folders) {
        found.push(format!(
            "{service}: import circle between top-level modules {}",
            circle.join(" ↔ ")
        ));
    }
    found
}

#[test]
fn every_service_keeps_the_house_rules() {
    let found: Vec<String> = SERVICES
        .iter()
        .flat_map(|s| findings(s, &source_of(s)))
        .collect();
    assert!(found.is_empty(), "house rules broken: {found:#?}");
}

#[test]
fn the_reader_finds_a_circle_sql_and_an_impure_domain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("services/x/src");
    for (file, text) in [
        ("lib.rs", "pub mod app;\npub mod store;\n"),
        ("app/mod.rs", "use crate::{store::{self, rows}, domain};\n"),
        ("store/mod.rs", "pub fn f() { crate::app::g(); }\n"),
        ("domain/mod.rs", "use sqlx::Row;\n"),
        ("grpc/mod.rs", "fn q() { sqlx::query(\"SELECT 1\"); }\n"),
        ("store/rows.rs", "use super::super::domain;\n"),
    ] {
        let path = src.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let modules = modules(&src);
    let known: BTreeSet<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
    let app = modules.iter().find(|m| m.path == ["app"]).expect("app");
    let reached: BTreeSet<Vec<String>> = named_paths(&app.text)
        .iter()
        .filter_map(|p| target(&app.path, p, &known))
        .collect();
    assert_eq!(
        reached,
        BTreeSet::from([
            vec!["store".to_string()],
            vec!["store".to_string(), "rows".to_string()],
            vec!["domain".to_string()],
        ])
    );
    let graph = BTreeMap::from([
        ("app".to_string(), BTreeSet::from(["store".to_string()])),
        ("store".to_string(), BTreeSet::from(["app".to_string()])),
        ("domain".to_string(), BTreeSet::new()),
    ]);
    assert_eq!(
        circles(&graph),
        vec![vec!["app".to_string(), "store".to_string()]]
    );
    assert_eq!(
        findings("x", &src),
        [
            "x: domain file domain/mod.rs uses sqlx",
            "x: SQL outside store/ in grpc/mod.rs",
            "x: import circle app ↔ store",
            "x: import circle between top-level modules app ↔ store",
        ]
    );
}
