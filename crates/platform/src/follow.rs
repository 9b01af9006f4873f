//! Following another service's event feed, effectively once: the consumer stores the last
//! sequence it handled in its own `feed_positions` table, in the same transaction as the
//! handling's writes, so a redelivered event (after a restart, a reconnect, or with two
//! replicas following the same feed) changes nothing twice. Delivery itself is at least once:
//! the follower resumes from the stored position and reconnects with backoff.
//!
//! Every consumer's migrations create:
//! `CREATE TABLE feed_positions (source TEXT PRIMARY KEY, position BIGINT NOT NULL,
//! updated_at BIGINT NOT NULL)`.
use crate::auth::{BearerToken, ServiceToken};
use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::ApiError;
use crate::server::Shutdown;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::event::{Event, StreamEventsRequest};
use futures::FutureExt;
use sqlx::{AnyConnection, Row};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Events ignored in a row before their position is stored anyway.
const IGNORED_BATCH: i64 = 200;

/// The feed to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The source's name in `feed_positions` ("scoring").
    pub source: String,
    /// Where its `credit.event.v1.EventFeedService` answers.
    pub url: String,
}

/// The position of one event, to store with its handling.
#[derive(Debug, Clone)]
pub struct Consumed {
    source: String,
    sequence: i64,
}

impl Consumed {
    /// The event's sequence in its feed.
    pub fn sequence(&self) -> i64 {
        self.sequence
    }

    /// Stores the position in the handling's transaction. False when the event was handled
    /// already (a redelivery, or another replica was faster): the caller rolls back.
    pub async fn record(&self, tx: &mut AnyConnection, now: i64) -> Result<bool, ApiError> {
        store_position(tx, &self.source, self.sequence, now).await
    }
}

async fn store_position(
    conn: &mut AnyConnection,
    source: &str,
    sequence: i64,
    now: i64,
) -> Result<bool, ApiError> {
    let advanced = sqlx::query(
        "INSERT INTO feed_positions (source, position, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (source) DO UPDATE SET position = excluded.position, \
         updated_at = excluded.updated_at WHERE feed_positions.position < excluded.position",
    )
    .bind(source.to_string())
    .bind(sequence)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(advanced == 1)
}

/// The payload of `event` as the contract `T`: its typed message, or — for an event written
/// before its type had a message — its JSON read as `J` and converted.
pub fn contract<T, J>(event: &Event, from_json: impl FnOnce(J) -> T) -> Result<T, ApiError>
where
    T: prost::Name + Default,
    J: serde::de::DeserializeOwned,
{
    let bad = |e: String| {
        ApiError::Internal(anyhow::anyhow!(
            "{} payload of {}: {e}",
            T::full_name(),
            event.event_type
        ))
    };
    match &event.payload {
        Some(payload) => payload.to_msg::<T>().map_err(|e| bad(e.to_string())),
        None => serde_json::from_str(&event.payload_json)
            .map(from_json)
            .map_err(|e| bad(e.to_string())),
    }
}

/// The last sequence handled from `source` (0 before the first).
pub async fn position(conn: &mut AnyConnection, source: &str) -> Result<i64, ApiError> {
    Ok(
        sqlx::query("SELECT position FROM feed_positions WHERE source = $1")
            .bind(source.to_string())
            .fetch_optional(conn)
            .await?
            .map(|row| row.try_get::<i64, _>(0))
            .transpose()?
            .unwrap_or(0),
    )
}

/// What a handler did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Its effects and its position were committed together (or it was handled before).
    Recorded,
    /// It is not for this consumer; the follower stores the position later.
    Ignored,
}

/// A consumer's reaction to events. Work that calls other services happens before the
/// handler opens its transaction; the transaction then writes the effects and
/// [`Consumed::record`]s the position.
pub trait EventHandler: Send + Sync + 'static {
    /// Handles one event.
    fn handle(
        &self,
        event: Event,
        consumed: Consumed,
    ) -> impl Future<Output = Result<Handled, ApiError>> + Send;
}

/// Follows `feed` until `shutdown`: every event after the stored position goes to `handler`
/// in order; on a failure (the producer down, a handler error) waits 0.2 s doubling to 10 s
/// and resumes from the stored position.
pub async fn follow<H: EventHandler>(
    db: Db,
    clock: SharedClock,
    feed: Feed,
    token: ServiceToken,
    handler: Arc<H>,
    shutdown: Shutdown,
) {
    reconnecting(
        &shutdown,
        || follow_once(&db, &clock, &feed, &token, &*handler, &shutdown),
        |outcome, retry_in| {
            if let Err(error) = outcome {
                tracing::warn!(source = %feed.source, %error, ?retry_in,
                    "could not follow the event feed; retrying");
            }
            metrics::gauge!("feed_follower_connected", "source" => feed.source.clone()).set(0.0);
        },
    )
    .await;
}

/// Runs `connection` again and again until `shutdown`: after it ends, `ended` hears how and
/// how long the pause before the next one is — 0.2 s after a clean end, doubling to 10 s
/// while it keeps failing (a producer that is down is not hammered).
pub async fn reconnecting<F, Fut>(
    shutdown: &Shutdown,
    mut connection: F,
    mut ended: impl FnMut(anyhow::Result<()>, Duration),
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut stop = shutdown.subscribe();
    let mut backoff = Duration::from_millis(200);
    loop {
        if *stop.borrow() {
            return;
        }
        let outcome = connection().await;
        if outcome.is_ok() {
            backoff = Duration::from_millis(200);
        }
        ended(outcome, backoff);
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|down| *down) => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn follow_once<H: EventHandler>(
    db: &Db,
    clock: &SharedClock,
    feed: &Feed,
    token: &ServiceToken,
    handler: &H,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let mut stop = shutdown.subscribe();
    let mut handled = {
        let mut conn = db.pool.acquire().await?;
        position(&mut conn, &feed.source).await?
    };
    let channel = crate::client::channel(&feed.url, Duration::from_secs(2))?;
    let mut client =
        EventFeedServiceClient::with_interceptor(channel, BearerToken(Some(token.current()?)))
            .max_decoding_message_size(crate::server::MAX_MESSAGE_BYTES);
    let mut stream = client
        .stream_events(StreamEventsRequest {
            after_sequence: handled,
            backlog_only: false,
        })
        .await?
        .into_inner();
    metrics::gauge!("feed_follower_connected", "source" => feed.source.clone()).set(1.0);
    tracing::info!(source = %feed.source, after = handled, "following the event feed");
    // The newest ignored event whose position is not stored yet.
    let mut ignored_since: Option<i64> = None;
    let mut ignored_count = 0;
    let flush = |ignored: Option<i64>| async move {
        if let Some(sequence) = ignored {
            let mut conn = db.pool.acquire().await?;
            store_position(&mut conn, &feed.source, sequence, clock.now()).await?;
        }
        anyhow::Ok(())
    };
    loop {
        // Store skipped positions whenever the feed pauses, so a restart does not re-read them.
        let next = match stream.message().now_or_never() {
            Some(next) => next,
            None => {
                flush(ignored_since.take()).await?;
                tokio::select! {
                    next = stream.message() => next,
                    _ = stop.wait_for(|down| *down) => return Ok(()),
                }
            }
        };
        let Some(message) = next? else {
            flush(ignored_since.take()).await?;
            return Ok(());
        };
        let Some(event) = message.event else {
            continue;
        };
        let sequence = event.sequence;
        if sequence <= handled {
            continue;
        }
        let consumed = Consumed {
            source: feed.source.clone(),
            sequence,
        };
        // The handling joins the trace of the work that caused the event.
        let span = crate::telemetry::event_span("handle event", &event);
        match handler.handle(event, consumed).instrument(span).await? {
            Handled::Recorded => {
                ignored_since = None;
                ignored_count = 0;
            }
            Handled::Ignored => {
                ignored_since = Some(sequence);
                ignored_count += 1;
                if ignored_count >= IGNORED_BATCH {
                    flush(ignored_since.take()).await?;
                    ignored_count = 0;
                }
            }
        }
        handled = sequence;
        metrics::gauge!("feed_follower_position", "source" => feed.source.clone())
            .set(sequence as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credit_proto::collections::PaymentBehaviourChanged;

    #[derive(serde::Deserialize)]
    struct Json {
        disputes: i64,
    }

    fn event(payload_json: &str, payload: Option<prost_types::Any>) -> Event {
        Event {
            event_type: "credit.collections.payment_behaviour.changed".into(),
            payload_json: payload_json.into(),
            payload,
            ..Default::default()
        }
    }

    fn from_json(json: Json) -> PaymentBehaviourChanged {
        PaymentBehaviourChanged {
            disputes: json.disputes,
            ..Default::default()
        }
    }

    #[test]
    fn a_contract_is_its_typed_message_or_else_the_json_of_an_older_event() {
        let sent = PaymentBehaviourChanged {
            disputes: 2,
            share_paid_late: "0.25".into(),
            ..Default::default()
        };
        let typed = event(
            "ignored",
            Some(prost_types::Any::from_msg(&sent).expect("any")),
        );
        assert_eq!(contract(&typed, from_json).ok(), Some(sent));
        let older = event(r#"{"disputes": 3}"#, None);
        assert_eq!(
            contract(&older, from_json).map(|c| c.disputes).ok(),
            Some(3)
        );
        let other = event(
            "{}",
            Some(prost_types::Any {
                type_url: "type.googleapis.com/credit.collections.v1.Customer".into(),
                value: Vec::new(),
            }),
        );
        let refused = contract(&other, from_json).expect_err("another message");
        assert!(
            format!("{refused:?}").contains("PaymentBehaviourChanged"),
            "{refused:?}"
        );
        assert!(contract(&event("not json", None), from_json).is_err());
    }
}
