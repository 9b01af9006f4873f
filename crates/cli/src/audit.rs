//! `creditctl audit …`: the audit trail — history, checkpoints, proofs, verification, export
//! and the offline check of an export.
use crate::output::{self, fields, table, time};
use anyhow::Context;
use clap::{Args, Subcommand};
use credit_audit_proof::checkpoint::{CheckpointSigner, TrustedKeys};
use credit_audit_proof::entry::Entry;
use credit_audit_proof::merkle::{Hash, verify_inclusion};
use credit_client::BearerToken;
use credit_proto::audit as pb;
use credit_proto::audit::audit_service_client::AuditServiceClient;
use std::io::Write;
use std::path::{Path, PathBuf};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

type Client = AuditServiceClient<InterceptedService<Channel, BearerToken>>;

/// Which entries.
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Entries about this customer (its whole history across services).
    #[arg(long)]
    customer: Option<String>,
    /// Entries about one entity, as TYPE/ID ("reservation/0193…") or only TYPE.
    #[arg(long)]
    entity: Option<String>,
    /// Entries made by this actor (token subject).
    #[arg(long)]
    actor: Option<String>,
    /// Entries of this event type.
    #[arg(long = "type")]
    event_type: Option<String>,
    /// Entries from this source service.
    #[arg(long)]
    source: Option<String>,
    /// Entries that occurred at or after this time (RFC 3339).
    #[arg(long)]
    from: Option<String>,
    /// Entries that occurred before this time (RFC 3339).
    #[arg(long)]
    to: Option<String>,
}

impl FilterArgs {
    fn to_proto(&self) -> anyhow::Result<pb::AuditEntryFilter> {
        let (entity_type, entity_id) = match &self.entity {
            Some(entity) => match entity.split_once('/') {
                Some((kind, id)) => (kind.to_string(), id.to_string()),
                None => (entity.clone(), String::new()),
            },
            None => Default::default(),
        };
        Ok(pb::AuditEntryFilter {
            customer_id: self.customer.clone().unwrap_or_default(),
            entity_type,
            entity_id,
            actor_subject: self.actor.clone().unwrap_or_default(),
            event_type: self.event_type.clone().unwrap_or_default(),
            source: self.source.clone().unwrap_or_default(),
            start_time: self
                .from
                .as_deref()
                .map(crate::output::timestamp)
                .transpose()?,
            end_time: self
                .to
                .as_deref()
                .map(crate::output::timestamp)
                .transpose()?,
        })
    }
}

/// Audit commands.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// The history of a customer, entity, actor… in order, across every service.
    History {
        #[command(flatten)]
        filter: FilterArgs,
        /// Newest first.
        #[arg(long)]
        newest_first: bool,
        /// At most this many entries.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Show each entry's payload too.
        #[arg(long)]
        payload: bool,
    },
    /// The newest signed checkpoint, or the one of a tree size.
    Checkpoint {
        /// A stored checkpoint's tree size.
        #[arg(long, default_value_t = 0)]
        size: i64,
    },
    /// An entry with its inclusion proof, checked here against the checkpoint.
    Proof {
        /// The entry's log index.
        log_index: i64,
        /// Tree size to prove against (default: the newest checkpoint's).
        #[arg(long, default_value_t = 0)]
        size: i64,
    },
    /// Have the service recompute the whole tree from storage and check every checkpoint
    /// (exits 1 when anything is wrong).
    Verify,
    /// Export entries as JSON Lines with their proofs, for offline checking.
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        /// First log index (inclusive).
        #[arg(long, default_value_t = 0)]
        from_index: i64,
        /// End log index (exclusive; default: everything checkpointed).
        #[arg(long, default_value_t = 0)]
        to_index: i64,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check an export offline: the checkpoint's signature, every entry's hash and proof.
    CheckExport {
        /// The JSON Lines file.
        file: PathBuf,
        /// The log's verifier key (default: the development suite's, from its data directory).
        #[arg(long)]
        verifier_key: Option<String>,
    },
    /// The feeds audit follows and how far behind each one it is.
    Sources,
}

/// The development suite's verifier key, from the signing key it keeps in `data_dir`.
fn suite_verifier_key(data_dir: &Path) -> anyhow::Result<String> {
    let key = std::fs::read_to_string(data_dir.join("audit-signing.key")).with_context(|| {
        format!(
            "no --verifier-key given and no suite key in {}",
            data_dir.display()
        )
    })?;
    Ok(CheckpointSigner::new(&key)?.verifier_key().to_string())
}

fn hash(bytes: &[u8]) -> anyhow::Result<Hash> {
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("a hash is not 32 bytes"))
}

fn entry_row(e: &pb::AuditEntry, payload: bool) -> Vec<String> {
    let entity = if e.entity_id.is_empty() {
        e.entity_type.clone()
    } else {
        format!("{}/{}", e.entity_type, e.entity_id)
    };
    let mut row = vec![
        e.log_index.to_string(),
        time(&e.occur_time),
        format!("{}#{}", e.source, e.source_sequence),
        e.event_type.clone(),
        entity,
        e.actor_subject.clone(),
    ];
    if payload {
        row.push(e.payload_json.clone());
    }
    row
}

/// Runs an audit command through the gateway.
pub async fn run(
    command: AuditCommand,
    channel: Channel,
    token: Option<String>,
    json: bool,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let mut c: Client = AuditServiceClient::with_interceptor(channel, BearerToken(token));
    match command {
        AuditCommand::History {
            filter,
            newest_first,
            limit,
            payload,
        } => {
            let mut request = pb::ListAuditEntriesRequest {
                filter: Some(filter.to_proto()?),
                order_by: if newest_first { "log_index desc" } else { "" }.into(),
                page_size: limit.clamp(1, 1000) as i32,
                page_token: String::new(),
            };
            let mut entries = Vec::new();
            while entries.len() < limit {
                let page = c.list_audit_entries(request.clone()).await?.into_inner();
                entries.extend(page.entries);
                if page.next_page_token.is_empty() {
                    break;
                }
                request.page_token = page.next_page_token;
            }
            entries.truncate(limit);
            if json {
                for e in &entries {
                    println!(
                        "{}",
                        output::to_json(e, "credit.audit.v1.AuditEntry")?.replace('\n', "")
                    );
                }
            } else {
                let mut header = vec!["index", "occurred", "source", "event", "entity", "actor"];
                if payload {
                    header.push("payload");
                }
                let rows = entries.iter().map(|e| entry_row(e, payload)).collect();
                println!("{}", table(&header, rows));
            }
        }
        AuditCommand::Checkpoint { size } => {
            let checkpoint = c
                .get_checkpoint(pb::GetCheckpointRequest { tree_size: size })
                .await?
                .into_inner()
                .checkpoint
                .unwrap_or_default();
            if json {
                println!(
                    "{}",
                    output::to_json(&checkpoint, "credit.audit.v1.Checkpoint")?
                );
            } else {
                println!(
                    "{}",
                    fields(&[
                        ("origin", checkpoint.origin.clone()),
                        ("tree size", checkpoint.tree_size.to_string()),
                        ("root hash", hex::encode(&checkpoint.root_hash)),
                        ("signed", time(&checkpoint.sign_time)),
                        ("verifier key", checkpoint.verifier_key.clone()),
                    ])
                );
                print!("{}", checkpoint.signed_note);
            }
        }
        AuditCommand::Proof { log_index, size } => {
            let proof = c
                .get_inclusion_proof(pb::GetInclusionProofRequest {
                    log_index,
                    tree_size: size,
                })
                .await?
                .into_inner();
            let entry = proof.entry.clone().unwrap_or_default();
            let leaf = Entry::from_proto(&entry).leaf_hash();
            let path = proof
                .hashes
                .iter()
                .map(|h| hash(h))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let proven = leaf.as_slice() == entry.leaf_hash.as_slice()
                && verify_inclusion(
                    &leaf,
                    log_index as u64,
                    proof.tree_size as u64,
                    &path,
                    &hash(&proof.root_hash)?,
                );
            if json {
                println!(
                    "{}",
                    output::to_json(&proof, "credit.audit.v1.GetInclusionProofResponse")?
                );
            } else {
                println!(
                    "{}",
                    table(
                        &["index", "occurred", "source", "event", "entity", "actor"],
                        vec![entry_row(&entry, false)]
                    )
                );
                let mut rows = vec![
                    ("leaf hash", hex::encode(leaf)),
                    ("tree size", proof.tree_size.to_string()),
                    ("root hash", hex::encode(&proof.root_hash)),
                ];
                for (i, h) in path.iter().enumerate() {
                    rows.push((if i == 0 { "audit path" } else { "" }, hex::encode(h)));
                }
                println!("{}", fields(&rows));
            }
            if !proven {
                anyhow::bail!("the proof does NOT verify against the root hash");
            }
            eprintln!(
                "proof verified: entry {log_index} is in the tree of size {}",
                proof.tree_size
            );
        }
        AuditCommand::Verify => {
            let report = c
                .verify_audit_log(pb::VerifyAuditLogRequest {})
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&report, "credit.audit.v1.VerifyAuditLogResponse")?
                );
            } else {
                println!(
                    "{} entries and {} signed checkpoints checked; the newest covers {} entries",
                    report.entries_checked, report.checkpoints_checked, report.tree_size
                );
            }
            if !report.intact {
                let at = report
                    .first_bad_index
                    .map(|i| format!(" (first bad index {i})"))
                    .unwrap_or_default();
                anyhow::bail!("the audit log is NOT intact: {}{at}", report.problem);
            }
            if !json {
                println!("intact");
            }
        }
        AuditCommand::Export {
            filter,
            from_index,
            to_index,
            out,
        } => {
            let mut stream = c
                .export_audit_entries(pb::ExportAuditEntriesRequest {
                    filter: Some(filter.to_proto()?),
                    start_index: from_index,
                    end_index: to_index,
                })
                .await?
                .into_inner();
            let mut sink: Box<dyn Write> = match &out {
                Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut lines = 0usize;
            while let Some(line) = stream.message().await? {
                sink.write_all(line.line.as_bytes())?;
                lines += 1;
            }
            sink.flush()?;
            if let Some(path) = out {
                eprintln!(
                    "{} entries and their checkpoint written to {}",
                    lines.saturating_sub(1),
                    path.display()
                );
            }
        }
        AuditCommand::CheckExport { file, verifier_key } => {
            let key = match verifier_key {
                Some(key) => key,
                None => suite_verifier_key(data_dir)?,
            };
            let trusted = TrustedKeys::new([key.as_str()])?;
            let reader = std::io::BufReader::new(
                std::fs::File::open(&file).with_context(|| format!("{}", file.display()))?,
            );
            let checked = credit_audit_proof::export::check_export(reader, &trusted)?;
            println!(
                "{}: {} entries proven in the log {} of {} entries (checkpoint signature verified)",
                file.display(),
                checked.entries,
                checked.origin,
                checked.tree_size
            );
        }
        AuditCommand::Sources => {
            let sources = c
                .list_audit_sources(pb::ListAuditSourcesRequest {
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .sources;
            let rows = sources
                .iter()
                .map(|s| {
                    let lag = s.lag.unwrap_or_default();
                    vec![
                        s.source.clone(),
                        s.last_sequence.to_string(),
                        s.producer_last_sequence.to_string(),
                        s.lag_events.to_string(),
                        format!("{}.{:03} s", lag.seconds, lag.nanos / 1_000_000),
                        if s.connected { "yes" } else { "no" }.into(),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(
                    &[
                        "source",
                        "recorded up to",
                        "producer at",
                        "behind",
                        "oldest waiting",
                        "connected"
                    ],
                    rows
                )
            );
        }
    }
    Ok(())
}
