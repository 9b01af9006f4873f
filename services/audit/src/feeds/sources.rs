//! Following the sources' event feeds: one follower per configured source, resuming from the
//! position stored with the entries, reconnecting with backoff, and a lag probe per source.
use crate::app::log::{AppendError, AuditLog};
use credit_platform::auth::{BearerToken, ServiceToken};
use credit_platform::clock::{Micros, SharedClock, from_timestamp};
use credit_platform::server::Shutdown;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::event::{Event, GetFeedPositionRequest, StreamEventsRequest};
use futures::FutureExt;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;

/// A feed to follow: "name=url", for example "limits=http://limits:50051".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The source's name in the log.
    pub name: String,
    /// Where its EventFeedService answers.
    pub url: String,
}

impl FromStr for Source {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, url) = text
            .split_once('=')
            .ok_or_else(|| format!("'{text}': expected name=url"))?;
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(format!(
                "'{name}': a source name is lower-case letters, digits, '-', '_'"
            ));
        }
        // One host, or a list of replicas.
        url.trim()
            .parse::<credit_platform::balance::Target>()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            name: name.to_string(),
            url: url.trim().to_string(),
        })
    }
}

/// What is known about a source's feed right now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceStatus {
    /// Connected to the feed.
    pub connected: bool,
    /// The producer's newest sequence, when last asked.
    pub producer_last_sequence: i64,
    /// Events behind the producer, when last asked.
    pub lag_events: i64,
    /// How long the oldest unrecorded event has waited, when last asked.
    pub lag_micros: Micros,
}

/// The status of every followed source, shared with the API.
#[derive(Debug, Clone, Default)]
pub struct SourceBoard(Arc<Mutex<BTreeMap<String, SourceStatus>>>);

impl SourceBoard {
    fn update(&self, source: &str, change: impl FnOnce(&mut SourceStatus)) {
        let mut board = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(board.entry(source.to_string()).or_default());
    }

    /// A copy of every source's status.
    pub fn snapshot(&self) -> BTreeMap<String, SourceStatus> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Most events recorded per transaction.
const BATCH: usize = 500;

type FeedClient = EventFeedServiceClient<InterceptedService<Channel, BearerToken>>;

fn client(source: &Source, token: &ServiceToken) -> anyhow::Result<FeedClient> {
    let channel = credit_platform::client::channel(&source.url, Duration::from_secs(2))?;
    Ok(
        EventFeedServiceClient::with_interceptor(channel, BearerToken(Some(token.current()?)))
            .max_decoding_message_size(credit_platform::server::MAX_MESSAGE_BYTES),
    )
}

/// Follows `source` until `shutdown`: reads the feed after the stored position and records it in
/// batches; on any failure waits (0.2 s doubling to 10 s) and resumes from the stored position,
/// so nothing is skipped and redeliveries are dropped.
pub async fn follow_sources(
    source: Source,
    log: AuditLog,
    token: ServiceToken,
    board: SourceBoard,
    shutdown: Shutdown,
) {
    credit_platform::follow::reconnecting(
        &shutdown,
        || follow_once(&source, &log, &token, &board, &shutdown),
        |outcome, retry_in| {
            match outcome {
                Err(error) if matches!(error.downcast_ref::<AppendError>(), Some(AppendError::Gap { .. })) => {
                    metrics::counter!("audit_feed_gaps_total", "source" => source.name.clone())
                        .increment(1);
                    tracing::error!(source = %source.name, %error, "feed gap; not recording past it");
                }
                Err(error) => tracing::warn!(source = %source.name, %error, ?retry_in,
                    "audit could not follow the feed; retrying"),
                Ok(()) => {}
            }
            board.update(&source.name, |s| s.connected = false);
            metrics::gauge!("audit_source_connected", "source" => source.name.clone()).set(0.0);
        },
    )
    .await;
}

/// One connection: Ok when the producer ended the stream (it is shutting down) or we are.
async fn follow_once(
    source: &Source,
    log: &AuditLog,
    token: &ServiceToken,
    board: &SourceBoard,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let mut stop = shutdown.subscribe();
    let position = log.position(&source.name).await?;
    let mut client = client(source, token)?;
    let mut stream = client
        .stream_events(StreamEventsRequest {
            after_sequence: position,
            backlog_only: false,
        })
        .await?
        .into_inner();
    board.update(&source.name, |s| s.connected = true);
    metrics::gauge!("audit_source_connected", "source" => source.name.clone()).set(1.0);
    tracing::info!(source = %source.name, after = position, "following the event feed");
    loop {
        let first = tokio::select! {
            message = stream.message() => message?,
            _ = stop.wait_for(|down| *down) => return Ok(()),
        };
        let Some(first) = first else {
            return Ok(());
        };
        let mut batch: Vec<Event> = first.event.into_iter().collect();
        // Take whatever else has already arrived, so a backlog is recorded in large batches.
        while batch.len() < BATCH {
            match stream.message().now_or_never() {
                Some(Ok(Some(next))) => batch.extend(next.event),
                Some(Err(status)) => {
                    record(source, log, &batch).await?;
                    return Err(status.into());
                }
                Some(Ok(None)) | None => break,
            }
        }
        record(source, log, &batch).await?;
    }
}

async fn record(source: &Source, log: &AuditLog, batch: &[Event]) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    // A span per event, child of the span that caused it, covering its recording: each journey
    // stays one trace though a batch records many.
    let spans: Vec<tracing::Span> = batch
        .iter()
        .map(|event| credit_platform::telemetry::event_span("record audit entry", event))
        .collect();
    let appended = log.append(&source.name, batch).await?;
    drop(spans);
    metrics::gauge!("audit_source_position", "source" => source.name.clone())
        .set(appended.position as f64);
    Ok(())
}

/// Asks `source` where its feed stands every `every`, and publishes how far behind audit is:
/// `audit_source_lag_events` and `audit_source_lag_seconds` (age of the oldest event not yet
/// recorded).
pub async fn probe_lag(
    source: Source,
    log: AuditLog,
    token: ServiceToken,
    board: SourceBoard,
    clock: SharedClock,
    every: Duration,
    shutdown: Shutdown,
) {
    let mut stop = shutdown.subscribe();
    loop {
        if let Err(error) = probe_once(&source, &log, &token, &board, &clock).await {
            tracing::debug!(source = %source.name, %error, "lag probe failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|down| *down) => return,
        }
    }
}

async fn probe_once(
    source: &Source,
    log: &AuditLog,
    token: &ServiceToken,
    board: &SourceBoard,
    clock: &SharedClock,
) -> anyhow::Result<()> {
    let position = log.position(&source.name).await?;
    // A probe has a deadline (the stream does not: it is meant to last; keep-alives end it
    // when the producer stops answering).
    let mut request = tonic::Request::new(GetFeedPositionRequest {
        after_sequence: position,
    });
    request.set_timeout(credit_platform::deadline::DEFAULT_OUTBOUND);
    let answer = client(source, token)?
        .get_feed_position(request)
        .await?
        .into_inner();
    let lag_events = (answer.last_sequence - position).max(0);
    let lag_micros = answer
        .next_occur_time
        .as_ref()
        .and_then(from_timestamp)
        .map_or(0, |next| (clock.now() - next).max(0));
    board.update(&source.name, |s| {
        s.producer_last_sequence = answer.last_sequence;
        s.lag_events = lag_events;
        s.lag_micros = lag_micros;
    });
    let name = source.name.clone();
    metrics::gauge!("audit_source_lag_events", "source" => name.clone()).set(lag_events as f64);
    metrics::gauge!("audit_source_lag_seconds", "source" => name.clone())
        .set(lag_micros as f64 / 1e6);
    metrics::gauge!("audit_source_producer_sequence", "source" => name)
        .set(answer.last_sequence as f64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_name_equals_url() {
        assert_eq!(
            "limits=http://limits:50051".parse::<Source>(),
            Ok(Source {
                name: "limits".into(),
                url: "http://limits:50051".into()
            })
        );
        assert!("limits".parse::<Source>().is_err());
        assert!("Limits=http://x:1".parse::<Source>().is_err());
        assert!("limits=".parse::<Source>().is_err());
    }
}
