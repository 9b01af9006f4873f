//! Tampering with the stored log directly in the database — as someone with database access
//! but without the signing key would — is caught by verification, which names the first bad
//! index. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
use credit_audit::app::log::{AppendError, AuditLog};
use credit_audit::app::verify::{Verification, verify};
use credit_audit::domain::checkpoint::{CheckpointSigner, TrustedKeys, generate_key};
use credit_audit::domain::entry::Entry;
use credit_platform::clock::{ManualClock, to_timestamp};
use credit_platform::db::Db;
use credit_platform::testing::TestDatabase;
use credit_proto::event::Event;
use std::sync::Arc;

const START: i64 = 1_772_323_200_000_000;
const ENTRIES: i64 = 40;
const CHECKPOINT_EVERY: i64 = 10;

struct Log {
    _database: TestDatabase,
    db: Db,
    log: AuditLog,
    trusted: TrustedKeys,
}

fn event(sequence: i64) -> Event {
    Event {
        sequence,
        source: "limits".into(),
        event_type: "credit.limits.credit_limit.changed".into(),
        entity_type: "credit_account".into(),
        entity_id: format!("C{}", sequence % 3),
        customer_id: format!("C{}", sequence % 3),
        actor_subject: "marie.manager".into(),
        actor_roles: vec!["credit.manager".into()],
        request_id: format!("r-{sequence}"),
        trace_id: String::new(),
        occur_time: Some(to_timestamp(START + sequence * 1_000_000)),
        payload_json: format!(r#"{{"limit":"{}.00"}}"#, sequence * 100),
        payload: None,
        traceparent: String::new(),
    }
}

/// A log of 40 entries with a checkpoint after every 10.
async fn log() -> Log {
    let database = TestDatabase::create().await.expect("database");
    let db = Db::connect(&database.config).await.expect("connect");
    db.migrate(
        &credit_audit::POSTGRES_MIGRATIONS,
        &credit_audit::SQLITE_MIGRATIONS,
    )
    .await
    .expect("migrate");
    let (signing, verifier) = generate_key("audit.test");
    let signer = CheckpointSigner::new(&signing).expect("signer");
    let log = AuditLog::open(db.clone(), signer, Arc::new(ManualClock::new(START)))
        .await
        .expect("open");
    for sequence in 1..=ENTRIES {
        log.append("limits", &[event(sequence)])
            .await
            .expect("append");
        if sequence % CHECKPOINT_EVERY == 0 {
            log.checkpoint().await.expect("checkpoint");
        }
    }
    Log {
        _database: database,
        db,
        log,
        trusted: TrustedKeys::new([verifier.as_str()]).expect("keys"),
    }
}

impl Log {
    async fn sql(&self, statement: &'static str) {
        sqlx::query(statement)
            .execute(&self.db.pool)
            .await
            .expect("tamper");
    }

    async fn verify(&self) -> Verification {
        verify(&self.db, &self.trusted, "audit.test")
            .await
            .expect("verify runs")
    }

    /// Writes `entry` with a correctly computed leaf hash, as a forger who knows the scheme would.
    async fn forge(&self, entry: &Entry) {
        let mut conn = self.db.pool.acquire().await.expect("connection");
        credit_audit::store::insert_entries(&mut conn, &[(entry.clone(), entry.leaf_hash())])
            .await
            .expect("forge");
    }
}

fn assert_caught(report: &Verification, first_bad: Option<i64>, words: &str) {
    assert!(!report.intact, "tampering went unnoticed: {report:?}");
    assert_eq!(report.first_bad_index, first_bad, "{report:?}");
    assert!(report.problem.contains(words), "{report:?}");
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let log = log().await;
    let report = log.verify().await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.entries_checked, ENTRIES);
    assert_eq!(report.checkpoints_checked, ENTRIES / CHECKPOINT_EVERY);
    assert_eq!(report.tree_size, ENTRIES);
}

#[tokio::test]
async fn an_edited_entry_is_named() {
    let log = log().await;
    log.sql("UPDATE audit_entries SET actor_subject = 'mallory' WHERE log_index = 17")
        .await;
    assert_caught(&log.verify().await, Some(17), "edited");
}

#[tokio::test]
async fn a_deleted_entry_is_named_whether_or_not_the_rest_was_renumbered() {
    let log = log().await;
    log.sql("DELETE FROM audit_entries WHERE log_index = 23")
        .await;
    assert_caught(&log.verify().await, Some(23), "missing");

    let log = self::log().await;
    log.sql("DELETE FROM audit_entries WHERE log_index = 23")
        .await;
    // Renumber in two steps so no statement trips over the primary key.
    log.sql("UPDATE audit_entries SET log_index = -(log_index - 1) WHERE log_index > 23")
        .await;
    log.sql("UPDATE audit_entries SET log_index = -log_index WHERE log_index < 0")
        .await;
    assert_caught(&log.verify().await, Some(23), "deleted");
}

#[tokio::test]
async fn an_inserted_entry_is_named() {
    let log = log().await;
    log.sql("UPDATE audit_entries SET log_index = -(log_index + 1) WHERE log_index >= 12")
        .await;
    log.sql("UPDATE audit_entries SET log_index = -log_index WHERE log_index < 0")
        .await;
    let mut forged = Entry::from_event(12, START, &event(1));
    forged.source = "collections".into();
    forged.actor_subject = "mallory".into();
    log.forge(&forged).await;
    log.sql("UPDATE audit_log_head SET tree_size = tree_size + 1")
        .await;
    assert_caught(&log.verify().await, Some(12), "inserted");
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let log = log().await;
    log.sql("UPDATE audit_entries SET log_index = -1 WHERE log_index = 5")
        .await;
    log.sql("UPDATE audit_entries SET log_index = 5 WHERE log_index = 9")
        .await;
    log.sql("UPDATE audit_entries SET log_index = 9 WHERE log_index = -1")
        .await;
    assert_caught(&log.verify().await, Some(5), "entry 5");
}

#[tokio::test]
async fn a_rewrite_with_recomputed_leaf_hashes_is_caught_by_the_signed_checkpoints() {
    let log = log().await;
    // The forger replaces entry 25 with a consistent one: right leaf hash, right sequence.
    let mut forged = Entry::from_event(25, START, &event(26));
    forged.actor_subject = "mallory".into();
    log.sql("DELETE FROM audit_entries WHERE log_index = 25")
        .await;
    log.forge(&forged).await;
    let report = log.verify().await;
    // Only the signature-backed root can tell: the checkpoint after 30 entries, so the damage is
    // between the last good checkpoint (20) and it.
    assert_caught(&report, Some(20), "signed checkpoint of tree size 30");
}

#[tokio::test]
async fn a_truncated_tail_and_rows_past_the_head_are_caught() {
    let log = log().await;
    log.sql("DELETE FROM audit_entries WHERE log_index >= 35")
        .await;
    assert_caught(&log.verify().await, Some(35), "missing");

    let log = self::log().await;
    log.forge(&Entry::from_event(ENTRIES, START, &event(ENTRIES + 1)))
        .await;
    assert_caught(&log.verify().await, Some(ENTRIES), "log head");
}

#[tokio::test]
async fn a_forged_or_altered_checkpoint_is_caught() {
    let log = log().await;
    log.sql("UPDATE audit_checkpoints SET signed_note = REPLACE(signed_note, '\n20\n', '\n21\n') WHERE tree_size = 20")
        .await;
    assert_caught(&log.verify().await, None, "signature");

    let log = self::log().await;
    log.sql("UPDATE audit_checkpoints SET root_hash = '00' WHERE tree_size = 10")
        .await;
    assert_caught(&log.verify().await, None, "does not match its signed note");
}

#[tokio::test]
async fn a_feed_gap_is_refused_and_redeliveries_are_recorded_once() {
    let log = log().await;
    let gap = log.log.append("limits", &[event(ENTRIES + 2)]).await;
    assert!(
        matches!(
            gap,
            Err(AppendError::Gap {
                after: 40,
                got: 42,
                ..
            })
        ),
        "{gap:?}"
    );
    let again = log
        .log
        .append(
            "limits",
            &[event(ENTRIES - 1), event(ENTRIES), event(ENTRIES + 1)],
        )
        .await
        .expect("append");
    assert_eq!(
        (again.recorded, again.duplicates, again.position),
        (1, 2, ENTRIES + 1)
    );
    assert_eq!(log.log.size().await, ENTRIES as usize + 1);
    log.log.checkpoint().await.expect("checkpoint");
    assert!(log.verify().await.intact);
}

#[tokio::test]
async fn sensitive_values_sent_in_clear_are_masked_before_they_are_recorded() {
    let log = log().await;
    let mut careless = event(ENTRIES + 1);
    careless.payload_json =
        r#"{"bank":{"iban":"DE89370400440532013000"},"contact":{"email":"cfo@acme.example"}}"#
            .into();
    log.log.append("limits", &[careless]).await.expect("append");
    let stored = log.log.entry(ENTRIES).await.expect("read").expect("entry");
    assert_eq!(
        stored.entry.payload_json,
        r#"{"bank":{"iban":"****3000"},"contact":{"email":"****"}}"#
    );
    log.log.checkpoint().await.expect("checkpoint");
    assert!(
        log.verify().await.intact,
        "the masked entry is what the log commits to"
    );
}

#[tokio::test]
async fn a_second_writer_on_the_same_database_continues_the_same_tree() {
    let first = log().await;
    // A second process opens the log (a rollout overlapping the old replica) and appends.
    let (signing, _) = generate_key("audit.test");
    let second = AuditLog::open(
        first.db.clone(),
        CheckpointSigner::new(&signing).expect("signer"),
        Arc::new(ManualClock::new(START)),
    )
    .await
    .expect("open");
    second
        .append("limits", &[event(ENTRIES + 1)])
        .await
        .expect("second appends");
    // The first writer's tree is stale now: it must notice and rebuild, not fork.
    first
        .log
        .append("limits", &[event(ENTRIES + 2)])
        .await
        .expect("first appends");
    assert_eq!(first.log.size().await, ENTRIES as usize + 2);
    first.log.checkpoint().await.expect("checkpoint");
    let report = first.verify().await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.tree_size, ENTRIES + 2);
}
