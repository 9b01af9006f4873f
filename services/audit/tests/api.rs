//! The audit service against a running limits service: everything recorded once with its actor,
//! proofs that verify with an independent implementation, queries, export, restarts, errors.
mod support;

use credit_audit::domain::entry::Entry;
use credit_audit::domain::sensitive::mask_payload;
use credit_platform::auth::roles;
use credit_platform::clock::to_timestamp;
use credit_platform::testing::TestDatabase;
use credit_proto::audit as pb;
use credit_proto::limits as lpb;
use futures::StreamExt;
use support::*;
use tlog_tiles::{Hash as TlogHash, check_record, check_tree, record_hash};

fn tlog(bytes: &[u8]) -> TlogHash {
    TlogHash(bytes.try_into().expect("32 bytes"))
}

/// Drives limits through most of what it records: accounts, limits, approved and rejected
/// checks, shipping, invoicing, a receivable, a hold placed and released, an FX rate.
async fn business_day(limits: std::net::SocketAddr) {
    let mut manager = limits_client(limits, "marie.manager", &[roles::MANAGER]);
    let mut sales = limits_client(limits, "svc.sales-orders", &[roles::SALES_ORDER]);
    let mut analyst = limits_client(limits, "ana.analyst", &[roles::ANALYST]);
    onboard(limits, "ACME", "10000").await;
    onboard(limits, "GLOBEX", "5000").await;
    assert_eq!(
        check(&mut sales, "ACME", "SO-1", "4000").await,
        lpb::CheckOutcome::Approved as i32
    );
    assert_eq!(
        check(&mut sales, "GLOBEX", "SO-2", "9000").await,
        lpb::CheckOutcome::Rejected as i32
    );
    let reservation = sales
        .check_credit(lpb::CheckCreditRequest {
            customer_id: "ACME".into(),
            order_id: "SO-3".into(),
            amount: eur("1000"),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner()
        .reservation
        .expect("reserved")
        .reservation_id;
    sales
        .ship_reservation(lpb::ShipReservationRequest {
            reservation_id: reservation.clone(),
            amount: eur("1000"),
            request_id: rid(),
        })
        .await
        .expect("ship");
    sales
        .invoice_reservation(lpb::InvoiceReservationRequest {
            reservation_id: reservation,
            amount: eur("1000"),
            document_id: "INV-1".into(),
            due_time: None,
            request_id: rid(),
        })
        .await
        .expect("invoice");
    analyst
        .post_receivable(lpb::PostReceivableRequest {
            customer_id: "ACME".into(),
            document_id: "INV-0".into(),
            open_amount: eur("250"),
            ..Default::default()
        })
        .await
        .expect("receivable");
    let hold = analyst
        .place_credit_hold(lpb::PlaceCreditHoldRequest {
            customer_id: "GLOBEX".into(),
            reason: "unpaid invoices".into(),
            request_id: rid(),
            ..Default::default()
        })
        .await
        .expect("hold")
        .into_inner();
    analyst
        .release_credit_hold(lpb::ReleaseCreditHoldRequest {
            hold_id: hold.hold_id,
            reason: "paid".into(),
            request_id: rid(),
        })
        .await
        .expect("release");
    manager
        .set_fx_rate(lpb::SetFxRateRequest {
            fx_rate: Some(lpb::FxRate {
                base_currency_code: "USD".into(),
                quote_currency_code: "EUR".into(),
                rate: "0.92".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("fx");
}

/// Limits and audit running on their own databases after a business day, with audit caught up.
struct RecordedDay {
    _databases: (TestDatabase, TestDatabase),
    limits: Running,
    audit: Running,
    setup: AuditSetup,
    feed: Vec<credit_proto::event::Event>,
    client: AuditClient,
}

impl RecordedDay {
    async fn start() -> Self {
        let limits_db = TestDatabase::create().await.expect("db");
        let audit_db = TestDatabase::create().await.expect("db");
        let limits = start_limits(&limits_db, None).await;
        let setup = AuditSetup::generate();
        let audit = start_audit(&audit_db, &setup, limits.addr).await;
        business_day(limits.addr).await;
        let feed = limits_feed(limits.addr).await;
        let client = auditor(audit.addr);
        wait_recorded(&client, feed.len()).await;
        Self {
            _databases: (limits_db, audit_db),
            limits,
            audit,
            setup,
            feed,
            client,
        }
    }

    async fn stop(self) {
        self.audit.stop().await;
        self.limits.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_in_limits_is_recorded_once_with_its_actor_and_proofs_verify_independently() {
    let day = RecordedDay::start().await;
    let (feed, setup) = (&day.feed, &day.setup);
    let mut c = day.client.clone();
    let entries = all_entries(&mut c).await;

    // Exactly the feed, in order, each once, with who did it and why.
    assert_eq!(entries.len(), feed.len());
    for (index, (entry, event)) in entries.iter().zip(feed).enumerate() {
        assert_eq!(entry.log_index, index as i64);
        assert_eq!(entry.source, "limits");
        assert_eq!(entry.source_sequence, event.sequence);
        assert_eq!(entry.event_type, event.event_type);
        assert_eq!(entry.entity_type, event.entity_type);
        assert_eq!(entry.entity_id, event.entity_id);
        assert_eq!(entry.customer_id, event.customer_id);
        assert_eq!(entry.actor_subject, event.actor_subject);
        assert_eq!(entry.actor_roles, event.actor_roles);
        assert_eq!(entry.request_id, event.request_id);
        assert_eq!(entry.occur_time, event.occur_time);
        assert_eq!(entry.payload_json, event.payload_json);
        assert!(!entry.actor_subject.is_empty());
        // The sensitive-data rule holds for every event limits emits.
        assert_eq!(mask_payload(&entry.payload_json).1, Vec::<String>::new());
    }
    let rejected = entries
        .iter()
        .find(|e| e.event_type == "credit.limits.credit_check.rejected")
        .expect("the rejected check is recorded");
    assert_eq!(rejected.actor_subject, "svc.sales-orders");
    assert_eq!(rejected.actor_roles, [roles::SALES_ORDER]);
    assert!(
        rejected.payload_json.contains("reasons"),
        "{}",
        rejected.payload_json
    );
    let limit_set = entries
        .iter()
        .find(|e| e.event_type == "credit.limits.credit_limit.changed")
        .expect("the limit change is recorded");
    // Set by the applications service, on the approval of the manager it names.
    assert_eq!(limit_set.actor_subject, "service:applications");
    assert!(
        limit_set.payload_json.contains("marie.manager"),
        "{}",
        limit_set.payload_json
    );

    // The checkpoint is signed by the configured key.
    let checkpoint = c
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: 0 })
        .await
        .expect("checkpoint")
        .into_inner()
        .checkpoint
        .expect("checkpoint");
    assert_eq!(checkpoint.verifier_key, setup.verifier_key);
    let head = credit_audit::domain::checkpoint::TrustedKeys::new([setup.verifier_key.as_str()])
        .expect("keys")
        .open(&checkpoint.signed_note)
        .expect("signature verifies");
    assert_eq!(head.tree_size, entries.len() as u64);
    assert_eq!(head.root_hash.to_vec(), checkpoint.root_hash);

    // Every inclusion proof checks with Go's tlog algorithms (the tlog_tiles port), over leaf
    // hashes rebuilt from the API's fields alone.
    let size = checkpoint.tree_size as u64;
    for entry in &entries {
        let proof = c
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                log_index: entry.log_index,
                tree_size: 0,
            })
            .await
            .expect("proof")
            .into_inner();
        let leaf = record_hash(&Entry::from_proto(entry).canonical());
        assert_eq!(leaf.0.to_vec(), entry.leaf_hash);
        let path: Vec<TlogHash> = proof.hashes.iter().map(|h| tlog(h)).collect();
        check_record(
            &path,
            size,
            tlog(&checkpoint.root_hash),
            entry.log_index as u64,
            leaf,
        )
        .expect("inclusion proof verifies independently");
        let mut wrong = path.clone();
        if let Some(first) = wrong.first_mut() {
            first.0[0] ^= 1;
            assert!(
                check_record(
                    &wrong,
                    size,
                    tlog(&checkpoint.root_hash),
                    entry.log_index as u64,
                    leaf
                )
                .is_err()
            );
        }
    }
    // Consistency between every smaller size and the checkpoint, also checked independently.
    for first in 1..size {
        let proof = c
            .get_consistency_proof(pb::GetConsistencyProofRequest {
                first_tree_size: first as i64,
                second_tree_size: 0,
            })
            .await
            .expect("consistency")
            .into_inner();
        let path: Vec<TlogHash> = proof.hashes.iter().map(|h| tlog(h)).collect();
        check_tree(
            &path,
            size,
            tlog(&proof.second_root_hash),
            first,
            tlog(&proof.first_root_hash),
        )
        .expect("consistency proof verifies independently");
        assert_eq!(proof.second_root_hash, checkpoint.root_hash);
    }

    let verified = c
        .verify_audit_log(pb::VerifyAuditLogRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(verified.intact, "{}", verified.problem);
    assert_eq!(verified.entries_checked, entries.len() as i64);
    assert!(verified.checkpoints_checked >= 1);

    let sources = c
        .list_audit_sources(pb::ListAuditSourcesRequest {
            ..Default::default()
        })
        .await
        .expect("sources")
        .into_inner()
        .sources;
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].source, "limits");
    assert_eq!(sources[0].last_sequence, feed.len() as i64);
    assert!(sources[0].connected);

    day.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_queried_by_customer_actor_type_time_and_source_in_both_orders_and_pages() {
    let day = RecordedDay::start().await;
    let feed = &day.feed;
    let mut c = day.client.clone();

    let query = |filter: pb::AuditEntryFilter, order_by: &str, page_size: i32| {
        pb::ListAuditEntriesRequest {
            filter: Some(filter),
            order_by: order_by.into(),
            page_size,
            page_token: String::new(),
        }
    };
    // The whole history of one customer, oldest first, in pages of 2.
    let expected: Vec<i64> = feed
        .iter()
        .enumerate()
        .filter(|(_, e)| e.customer_id == "ACME")
        .map(|(i, _)| i as i64)
        .collect();
    assert!(expected.len() >= 6);
    let mut request = query(
        pb::AuditEntryFilter {
            customer_id: "ACME".into(),
            ..Default::default()
        },
        "",
        2,
    );
    let mut seen = Vec::new();
    loop {
        let page = c
            .list_audit_entries(request.clone())
            .await
            .expect("page")
            .into_inner();
        assert!(page.entries.len() <= 2);
        seen.extend(page.entries.iter().map(|e| e.log_index));
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    assert_eq!(seen, expected);

    // Newest first.
    let newest = c
        .list_audit_entries(query(
            pb::AuditEntryFilter {
                customer_id: "ACME".into(),
                ..Default::default()
            },
            "log_index desc",
            3,
        ))
        .await
        .expect("desc")
        .into_inner();
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(
        newest
            .entries
            .iter()
            .map(|e| e.log_index)
            .collect::<Vec<_>>(),
        reversed[..3]
    );
    let second = c
        .list_audit_entries(pb::ListAuditEntriesRequest {
            page_token: newest.next_page_token,
            ..query(
                pb::AuditEntryFilter {
                    customer_id: "ACME".into(),
                    ..Default::default()
                },
                "log_index desc",
                3,
            )
        })
        .await
        .expect("desc page 2")
        .into_inner();
    assert_eq!(second.entries[0].log_index, reversed[3]);

    // By actor, by event type, by entity, by source.
    let by_actor = c
        .list_audit_entries(query(
            pb::AuditEntryFilter {
                actor_subject: "svc.sales-orders".into(),
                ..Default::default()
            },
            "",
            100,
        ))
        .await
        .expect("actor")
        .into_inner()
        .entries;
    assert_eq!(
        by_actor.len(),
        feed.iter()
            .filter(|e| e.actor_subject == "svc.sales-orders")
            .count()
    );
    assert!(
        by_actor
            .iter()
            .all(|e| e.actor_subject == "svc.sales-orders")
    );
    let by_type = c
        .list_audit_entries(query(
            pb::AuditEntryFilter {
                event_type: "credit.limits.credit_limit.changed".into(),
                ..Default::default()
            },
            "",
            100,
        ))
        .await
        .expect("type")
        .into_inner()
        .entries;
    assert_eq!(by_type.len(), 2);
    let by_entity = c
        .list_audit_entries(query(
            pb::AuditEntryFilter {
                entity_type: "credit_account".into(),
                entity_id: "GLOBEX".into(),
                ..Default::default()
            },
            "",
            100,
        ))
        .await
        .expect("entity")
        .into_inner()
        .entries;
    assert!(!by_entity.is_empty());
    assert!(
        by_entity
            .iter()
            .all(|e| e.entity_id == "GLOBEX" && e.entity_type == "credit_account")
    );
    let other_source = c
        .list_audit_entries(query(
            pb::AuditEntryFilter {
                source: "collections".into(),
                ..Default::default()
            },
            "",
            100,
        ))
        .await
        .expect("source")
        .into_inner()
        .entries;
    assert!(other_source.is_empty());

    // A time range: from the fifth event's time on, up to (excluding) the tenth's.
    let from = feed[4].occur_time.expect("time");
    let to = feed[9].occur_time.expect("time");
    let in_range = c
        .list_audit_entries(query(
            pb::AuditEntryFilter {
                start_time: Some(from),
                end_time: Some(to),
                ..Default::default()
            },
            "",
            100,
        ))
        .await
        .expect("time")
        .into_inner()
        .entries;
    let expected_in_range = feed
        .iter()
        .filter(|e| {
            let t = e.occur_time.expect("time");
            (t.seconds, t.nanos) >= (from.seconds, from.nanos)
                && (t.seconds, t.nanos) < (to.seconds, to.nanos)
        })
        .count();
    assert_eq!(in_range.len(), expected_in_range);
    assert!(!in_range.is_empty());

    day.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_checks_offline_and_a_changed_line_is_caught() {
    let day = RecordedDay::start().await;
    let (feed, setup) = (&day.feed, &day.setup);
    let mut c = day.client.clone();

    let lines: Vec<String> = c
        .export_audit_entries(pb::ExportAuditEntriesRequest {
            filter: Some(pb::AuditEntryFilter {
                customer_id: "ACME".into(),
                ..Default::default()
            }),
            start_index: 0,
            end_index: 0,
        })
        .await
        .expect("export")
        .into_inner()
        .map(|line| line.expect("line").line)
        .collect()
        .await;
    let acme = feed.iter().filter(|e| e.customer_id == "ACME").count();
    assert_eq!(
        lines.len(),
        acme + 1,
        "a checkpoint line and one line per entry"
    );
    let text = lines.concat();
    let trusted = credit_audit::domain::checkpoint::TrustedKeys::new([setup.verifier_key.as_str()])
        .expect("keys");
    let checked =
        credit_audit::domain::export::check_export(text.as_bytes(), &trusted).expect("checks");
    assert_eq!(checked.entries, acme as u64);
    assert_eq!(checked.tree_size, feed.len() as u64);

    // A second reading of the format, in Python with only its standard library, agrees.
    let file = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(file.path(), &text).expect("write");
    match std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/offline_check.py"
        ))
        .arg(file.path())
        .output()
    {
        Ok(output) => {
            let said = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{said}{}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(said.contains(&format!("{acme} entries proven")), "{said}");
        }
        Err(error) => eprintln!("python3 not available ({error}); the Python reading is skipped"),
    }

    // Someone edits an exported entry: the offline check names the line.
    let edited = text.replacen("marie.manager", "mallory", 1);
    let error = credit_audit::domain::export::check_export(edited.as_bytes(), &trusted)
        .expect_err("caught")
        .to_string();
    assert!(error.contains("does not hash to its leaf hash"), "{error}");
    // An export signed by another key is not trusted.
    let (_, stranger) = credit_audit::domain::checkpoint::generate_key("audit.test");
    let strangers =
        credit_audit::domain::checkpoint::TrustedKeys::new([stranger.as_str()]).expect("keys");
    assert!(credit_audit::domain::export::check_export(text.as_bytes(), &strangers).is_err());

    day.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_and_limits_restarting_mid_stream_lose_nothing_and_double_nothing() {
    let limits_db = TestDatabase::create().await.expect("db");
    let audit_db = TestDatabase::create().await.expect("db");
    let mut limits = start_limits(&limits_db, None).await;
    let limits_addr = limits.addr;
    let setup = AuditSetup::generate();
    let mut audit = Some(start_audit(&audit_db, &setup, limits_addr).await);
    onboard(limits_addr, "ACME", "1000000").await;

    // Orders keep coming while audit, limits, or both are stopped and started again.
    let mut sales = limits_client(limits_addr, "svc.sales-orders", &[roles::SALES_ORDER]);
    let mut approved = 0;
    for round in 0..4 {
        match round {
            1 => {
                // Audit is down while orders come in.
                audit.take().expect("running").stop().await;
            }
            2 => {
                // Audit comes back to a backlog, and the producer goes down while audit is
                // still catching up on it.
                audit = Some(start_audit(&audit_db, &setup, limits_addr).await);
                limits.stop().await;
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                limits = start_limits(&limits_db, Some(limits_addr)).await;
            }
            3 => {
                // Both down; audit comes back first and waits for the producer.
                audit.take().expect("running").stop().await;
                limits.stop().await;
                audit = Some(start_audit(&audit_db, &setup, limits_addr).await);
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                limits = start_limits(&limits_db, Some(limits_addr)).await;
            }
            _ => {}
        }
        for i in 0..25 {
            let order = format!("SO-{round}-{i}");
            let request_id = rid();
            // While limits restarts, the sales-order service retries the same request.
            loop {
                let answer = sales
                    .check_credit(lpb::CheckCreditRequest {
                        customer_id: "ACME".into(),
                        order_id: order.clone(),
                        amount: eur("10"),
                        request_id: request_id.clone(),
                        ..Default::default()
                    })
                    .await;
                match answer {
                    Ok(_) => {
                        approved += 1;
                        break;
                    }
                    Err(status) => {
                        assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}")
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    assert_eq!(approved, 100);

    let feed = limits_feed(limits_addr).await;
    assert_eq!(
        feed.len(),
        2 + 100,
        "two onboarding events and one per order"
    );
    let audit = audit.expect("running");
    let mut c = auditor(audit.addr);
    wait_recorded(&c, feed.len()).await;
    let entries = all_entries(&mut c).await;
    assert_eq!(
        entries.len(),
        feed.len(),
        "nothing missing, nothing doubled"
    );
    for (entry, event) in entries.iter().zip(&feed) {
        assert_eq!(entry.source_sequence, event.sequence);
        assert_eq!(entry.event_type, event.event_type);
        assert_eq!(entry.request_id, event.request_id);
        assert_eq!(entry.payload_json, event.payload_json);
    }
    let verified = c
        .verify_audit_log(pb::VerifyAuditLogRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(verified.intact, "{}", verified.problem);

    audit.stop().await;
    limits.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_named_and_only_auditors_and_deciders_read_the_log() {
    let limits_db = TestDatabase::create().await.expect("db");
    let audit_db = TestDatabase::create().await.expect("db");
    let limits = start_limits(&limits_db, None).await;
    let setup = AuditSetup::generate();
    let audit = start_audit(&audit_db, &setup, limits.addr).await;
    let mut c = auditor(audit.addr);

    // Before anything was recorded there is no checkpoint to prove against.
    let none = c
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            log_index: 0,
            tree_size: 0,
        })
        .await
        .expect_err("no checkpoint");
    assert_eq!(none.code(), tonic::Code::FailedPrecondition);

    onboard(limits.addr, "ACME", "100").await;
    wait_recorded(&c, 2).await;

    let field_of = |status: tonic::Status| {
        use tonic_types::StatusExt;
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        status
            .get_details_bad_request()
            .expect("bad request details")
            .field_violations
            .into_iter()
            .map(|v| v.field)
            .collect::<Vec<_>>()
    };
    let negative = c
        .get_audit_entry(pb::GetAuditEntryRequest { log_index: -1 })
        .await
        .expect_err("negative");
    assert_eq!(field_of(negative), ["log_index"]);
    let missing = c
        .get_audit_entry(pb::GetAuditEntryRequest { log_index: 99 })
        .await
        .expect_err("missing");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let beyond = c
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            log_index: 0,
            tree_size: 3,
        })
        .await
        .expect_err("beyond");
    assert_eq!(field_of(beyond), ["tree_size"]);
    let bad_list = c
        .list_audit_entries(pb::ListAuditEntriesRequest {
            filter: Some(pb::AuditEntryFilter {
                entity_id: "ACME".into(),
                start_time: Some(to_timestamp(2_000_000)),
                end_time: Some(to_timestamp(1_000_000)),
                ..Default::default()
            }),
            order_by: "time".into(),
            page_size: 5000,
            page_token: "%%%".into(),
        })
        .await
        .expect_err("bad list");
    assert_eq!(
        field_of(bad_list),
        [
            "filter.entity_type",
            "filter.end_time",
            "order_by",
            "page_size",
            "page_token"
        ]
    );
    let bad_consistency = c
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            first_tree_size: 0,
            second_tree_size: 2,
        })
        .await
        .expect_err("first 0");
    assert_eq!(field_of(bad_consistency), ["first_tree_size"]);

    let mut sales = audit_client(audit.addr, "svc.sales-orders", &[roles::SALES_ORDER]);
    let denied = sales
        .list_audit_entries(pb::ListAuditEntriesRequest::default())
        .await
        .expect_err("denied");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let mut analyst = audit_client(audit.addr, "ana.analyst", &[roles::ANALYST]);
    assert_eq!(all_entries(&mut analyst).await.len(), 2);

    audit.stop().await;
    limits.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regional_auditor_reads_only_its_regions_customers_entries() {
    use credit_platform::auth::{BearerToken, ScopeClaims, mint_hs256_scoped_token};
    let limits_db = TestDatabase::create().await.expect("db");
    let audit_db = TestDatabase::create().await.expect("db");
    let limits = start_limits(&limits_db, None).await;
    let setup = AuditSetup::generate();
    let audit = start_audit(&audit_db, &setup, limits.addr).await;
    // onboard() places its customers in EMEA; one more in the Americas.
    onboard(limits.addr, "EU-1", "1000").await;
    let mut manager = limits_client(limits.addr, "marie.manager", &[roles::MANAGER]);
    manager
        .create_credit_account(lpb::CreateCreditAccountRequest {
            credit_account: Some(lpb::CreditAccount {
                customer_id: "US-1".into(),
                name: "US-1 Inc".into(),
                currency_code: "EUR".into(),
                region: "AMER".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("create");
    let feed = limits_feed(limits.addr).await;
    let everyone = auditor(audit.addr);
    wait_recorded(&everyone, feed.len()).await;

    let scope = ScopeClaims::regions(&["EMEA"]);
    let token = mint_hs256_scoped_token(
        SECRET,
        "regina.auditor",
        &[roles::AUDITOR],
        &scope,
        std::time::Duration::from_secs(600),
    )
    .expect("token");
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", audit.addr))
        .expect("uri")
        .connect_lazy();
    let mut regional =
        credit_proto::audit::audit_service_client::AuditServiceClient::with_interceptor(
            channel,
            BearerToken(Some(token)),
        );
    let all = all_entries(&mut everyone.clone()).await;
    let seen = all_entries(&mut regional).await;
    assert!(all.iter().any(|e| e.customer_id == "US-1"));
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|e| e.customer_id == "EU-1" || e.customer_id.is_empty()),
        "{:?}",
        seen.iter().map(|e| &e.customer_id).collect::<Vec<_>>()
    );
    let american = all
        .iter()
        .find(|e| e.customer_id == "US-1")
        .expect("an American entry")
        .log_index;
    let hidden = regional
        .get_audit_entry(pb::GetAuditEntryRequest {
            log_index: american,
        })
        .await
        .expect_err("another region's entry");
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    let european = seen[0].log_index;
    regional
        .get_audit_entry(pb::GetAuditEntryRequest {
            log_index: european,
        })
        .await
        .expect("own region");
    audit.stop().await;
    limits.stop().await;
}
