//! Transactional outbox and the resumable event feed.
//!
//! A change and its event commit in one transaction ([`append`]). Rows get their feed sequence
//! afterwards from a single relay ([`Relay`]) in the order it sees them committed, so the feed
//! is gap-free and ordered even when concurrent transactions commit out of id order — a reader
//! that resumes "after sequence N" can never skip an event that committed late.
//!
//! Each service's migrations create the two tables this module uses:
//! `outbox_events(id, feed_sequence UNIQUE NULL, event_type, entity_type, entity_id,
//! customer_id, actor_subject, actor_roles, request_id, trace_id, occurred_at, payload,
//! payload_type, payload_proto)` and
//! `outbox_cursor(id = 1, last_sequence)`.
use crate::clock::Micros;
use crate::context::RequestContext;
use crate::db::{Backend, Db};
use credit_proto::event::Event;
use futures::Stream;
use sqlx::{AnyConnection, Row};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Dotted past-tense type, "credit.limits.reservation.created".
    pub event_type: &'static str,
    /// Entity kind, "reservation".
    pub entity_type: &'static str,
    /// Entity id.
    pub entity_id: String,
    /// The customer concerned, or empty.
    pub customer_id: String,
    /// What happened, as a message of the producer's package; never personal data in clear.
    pub payload: Payload,
}

/// An event's payload: a message of the producing service's package (its contract with the
/// services that follow it), served as `google.protobuf.Any` with its JSON beside it.
#[derive(Debug, Clone)]
pub struct Payload {
    type_name: String,
    bytes: Vec<u8>,
}

impl Payload {
    /// The payload `message`.
    pub fn of<M: prost::Name>(message: &M) -> Self {
        Self {
            type_name: M::full_name(),
            bytes: message.encode_to_vec(),
        }
    }

    /// The JSON the feed serves beside the message, rendered through the descriptor pool so
    /// the two cannot disagree.
    pub fn json(&self) -> String {
        rendered(&self.type_name, &self.bytes)
    }
}

fn rendered(type_name: &str, bytes: &[u8]) -> String {
    // Every payload is a generated message of the suite, which the pool holds; an error is a
    // build that lost its descriptors and is shown rather than hidden.
    credit_proto::json::payload(type_name, bytes)
        .unwrap_or_else(|e| serde_json::json!({ "unrenderable": e.to_string() }).to_string())
}

/// Appends `event` inside the caller's transaction. Only the message is stored: its JSON is
/// rendered when the feed serves it, not inside the caller's transaction (the credit check holds
/// its account's lock until it commits).
pub async fn append(
    conn: &mut AnyConnection,
    context: &RequestContext,
    occurred_at: Micros,
    event: NewEvent,
) -> sqlx::Result<()> {
    let traceparent = crate::telemetry::current_traceparent().unwrap_or_default();
    append_many(
        conn,
        occurred_at,
        &[Outgoing {
            context,
            traceparent,
            event,
        }],
    )
    .await
}

/// An event with the call that caused it, for [`append_many`].
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// The call that caused it.
    pub context: &'a RequestContext,
    /// The W3C traceparent of the call's span (taken where the call was served, as a batch is
    /// written from another task).
    pub traceparent: String,
    /// The event.
    pub event: NewEvent,
}

/// Rows per INSERT of [`append_many`] (thirteen parameters each).
const APPEND_CHUNK: usize = 200;

/// Appends `events` inside the caller's transaction, a statement per two hundred, in order.
pub async fn append_many(
    conn: &mut AnyConnection,
    occurred_at: Micros,
    events: &[Outgoing<'_>],
) -> sqlx::Result<()> {
    let size = |o: &Outgoing| o.event.payload.bytes.len() + o.traceparent.len() + 256;
    for chunk in crate::db::runs(events, APPEND_CHUNK, crate::db::STATEMENT_BYTES, size) {
        let sql = format!(
            "INSERT INTO outbox_events (event_type, entity_type, entity_id, customer_id, \
             actor_subject, actor_roles, request_id, trace_id, occurred_at, payload, payload_type, \
             payload_proto, trace_parent) VALUES {}",
            crate::db::value_rows(chunk.len(), 13, 1)
        );
        // Safe: constant text and numbered placeholders; values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for Outgoing {
            context,
            traceparent,
            event,
        } in chunk
        {
            query = query
                .bind(event.event_type)
                .bind(event.entity_type)
                .bind(event.entity_id.clone())
                .bind(event.customer_id.clone())
                .bind(context.caller.subject.clone())
                .bind(context.caller.roles.join(" "))
                .bind(context.request_id.clone())
                .bind(context.trace_id.clone())
                .bind(occurred_at)
                .bind(String::new())
                .bind(event.payload.type_name.clone())
                .bind(event.payload.bytes.clone())
                .bind(traceparent.clone());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Wakes the relay after commits and feed readers after sequencing.
#[derive(Clone)]
pub struct FeedSignals {
    committed: Arc<Notify>,
    sequenced: watch::Sender<i64>,
}

impl Default for FeedSignals {
    fn default() -> Self {
        Self {
            committed: Arc::new(Notify::new()),
            sequenced: watch::channel(0).0,
        }
    }
}

impl FeedSignals {
    /// Call after committing a transaction that appended events.
    pub fn notify_committed(&self) {
        self.committed.notify_one();
    }
}

/// Assigns feed sequences to committed outbox rows. Run exactly one per process; across
/// PostgreSQL replicas the cursor row lock makes them take turns.
pub struct Relay {
    db: Db,
    signals: FeedSignals,
}

const RELAY_BATCH: i64 = 1000;
/// How often the relay and the readers look for rows written by other replicas.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

impl Relay {
    /// A relay over `db`.
    pub fn new(db: Db, signals: FeedSignals) -> Self {
        Self { db, signals }
    }

    /// Sequences one batch; returns how many rows got a sequence.
    pub async fn sequence_batch(&self) -> sqlx::Result<usize> {
        sequence_committed(&self.db, &self.signals).await
    }

    /// Runs until `shutdown` flips to true, sequencing after every commit signal and poll.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.sequence_batch().await {
                Ok(n) if n as i64 == RELAY_BATCH => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "outbox relay failed; retrying"),
            }
            tokio::select! {
                _ = self.signals.committed.notified() => {}
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = shutdown.changed() => {
                    // One last pass so events committed during the drain are sequenced.
                    let _ = self.sequence_batch().await;
                    return;
                }
            }
        }
    }
}

/// Gives the next feed sequences to up to one batch of committed, unsequenced outbox rows, in
/// the order this transaction sees them. Takes the cursor row's lock, so concurrent callers (the
/// relay of every replica, feed readers) take turns.
pub async fn sequence_committed(db: &Db, signals: &FeedSignals) -> sqlx::Result<usize> {
    let mut tx = db.begin_locking().await?;
    let lock = match db.backend() {
        Backend::Postgres => "SELECT last_sequence FROM outbox_cursor WHERE id = 1 FOR UPDATE",
        Backend::Sqlite => "SELECT last_sequence FROM outbox_cursor WHERE id = 1",
    };
    let mut last: i64 = sqlx::query(lock).fetch_one(&mut *tx).await?.try_get(0)?;
    let ids: Vec<i64> = sqlx::query(
        "SELECT id FROM outbox_events WHERE feed_sequence IS NULL ORDER BY id LIMIT $1",
    )
    .bind(RELAY_BATCH)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|row| row.try_get(0))
    .collect::<Result<_, _>>()?;
    for id in &ids {
        last += 1;
        sqlx::query("UPDATE outbox_events SET feed_sequence = $1 WHERE id = $2")
            .bind(last)
            .bind(*id)
            .execute(&mut *tx)
            .await?;
    }
    if !ids.is_empty() {
        sqlx::query("UPDATE outbox_cursor SET last_sequence = $1 WHERE id = 1")
            .bind(last)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    if !ids.is_empty() {
        signals.sequenced.send_replace(last);
    }
    Ok(ids.len())
}

fn event_from_row(source: &str, row: &sqlx::any::AnyRow) -> sqlx::Result<Event> {
    let roles: String = row.try_get("actor_roles")?;
    Ok(Event {
        sequence: row.try_get("feed_sequence")?,
        source: source.to_string(),
        event_type: row.try_get("event_type")?,
        entity_type: row.try_get("entity_type")?,
        entity_id: row.try_get("entity_id")?,
        customer_id: row.try_get("customer_id")?,
        actor_subject: row.try_get("actor_subject")?,
        actor_roles: roles.split_whitespace().map(str::to_string).collect(),
        request_id: row.try_get("request_id")?,
        trace_id: row.try_get("trace_id")?,
        occur_time: Some(crate::clock::to_timestamp(row.try_get("occurred_at")?)),
        payload_json: payload_json(row)?,
        payload: typed_payload(row)?,
        traceparent: row.try_get("trace_parent")?,
    })
}

/// The payload's JSON: rendered from the message, or as stored by a version that stored JSON.
fn payload_json(row: &sqlx::any::AnyRow) -> sqlx::Result<String> {
    let stored: String = row.try_get("payload")?;
    let name: String = row.try_get("payload_type")?;
    if !stored.is_empty() || name.is_empty() {
        return Ok(stored);
    }
    let bytes: Option<Vec<u8>> = row.try_get("payload_proto")?;
    Ok(rendered(&name, &bytes.unwrap_or_default()))
}

/// The typed payload of a row, as `google.protobuf.Any`, when it has one.
fn typed_payload(row: &sqlx::any::AnyRow) -> sqlx::Result<Option<prost_types::Any>> {
    let name: String = row.try_get("payload_type")?;
    if name.is_empty() {
        return Ok(None);
    }
    let value: Option<Vec<u8>> = row.try_get("payload_proto")?;
    Ok(Some(prost_types::Any {
        type_url: format!("type.googleapis.com/{name}"),
        value: value.unwrap_or_default(),
    }))
}

/// Reads up to `limit` sequenced events after `after`.
pub async fn read_events(
    db: &Db,
    source: &str,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query(
        "SELECT feed_sequence, event_type, entity_type, entity_id, customer_id, actor_subject, \
         actor_roles, request_id, trace_id, occurred_at, payload, payload_type, payload_proto, \
         trace_parent FROM outbox_events WHERE feed_sequence > $1 ORDER BY feed_sequence LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|row| event_from_row(source, row))
    .collect()
}

/// The event feed from `after`: the backlog in order, then (unless `backlog_only`) new events as
/// the relay sequences them, until the client goes away or `shutdown` flips.
pub fn event_stream(
    db: Db,
    source: &'static str,
    signals: FeedSignals,
    after: i64,
    backlog_only: bool,
    mut shutdown: watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, tonic::Status>> + Send + 'static {
    let mut sequenced = signals.sequenced.subscribe();
    async_stream::try_stream! {
        // Read-your-writes: whatever committed before this call is on the feed it serves,
        // without waiting for the relay's next pass.
        while sequence_committed(&db, &signals)
            .await
            .map_err(|e| tonic::Status::from(crate::error::ApiError::from(e)))?
            == RELAY_BATCH as usize
        {}
        let mut position = after;
        loop {
            let batch = read_events(&db, source, position, 500)
                .await
                .map_err(|e| tonic::Status::from(crate::error::ApiError::from(e)))?;
            let empty = batch.is_empty();
            for event in batch {
                position = event.sequence;
                yield event;
            }
            if !empty {
                continue;
            }
            if backlog_only || *shutdown.borrow() {
                break;
            }
            tokio::select! {
                _ = sequenced.changed() => {}
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Where the feed stands: the newest sequence and when it occurred, and when the first event
/// after `after` occurred (None when there is none).
pub async fn feed_position(
    db: &Db,
    after: i64,
) -> sqlx::Result<(i64, Option<Micros>, Option<Micros>)> {
    let last = sqlx::query(
        "SELECT c.last_sequence, e.occurred_at FROM outbox_cursor c \
         LEFT JOIN outbox_events e ON e.feed_sequence = c.last_sequence WHERE c.id = 1",
    )
    .fetch_one(&db.pool)
    .await?;
    let last_sequence: i64 = last.try_get(0)?;
    let last_time: Option<Micros> = last.try_get(1)?;
    let next_time: Option<Micros> =
        sqlx::query("SELECT occurred_at FROM outbox_events WHERE feed_sequence = $1")
            .bind(after + 1)
            .fetch_optional(&db.pool)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
    Ok((last_sequence, last_time, next_time))
}
