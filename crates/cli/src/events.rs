//! `creditctl events`: a service's event feed, read through the gateway (which routes the
//! shared feed service by the `credit-feed` metadata naming the source).
use crate::output::{self, time};
use credit_client::{BearerToken, FeedOf};
use credit_proto::event::StreamEventsRequest;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use tonic::transport::Channel;

/// Prints the events of `service` after `after`, then new ones as they commit with `follow`.
pub async fn run(
    channel: Channel,
    token: Option<String>,
    service: String,
    after: i64,
    follow: bool,
    json: bool,
) -> anyhow::Result<()> {
    let mut feed = EventFeedServiceClient::with_interceptor(
        channel,
        FeedOf {
            token: BearerToken(token),
            source: service,
        },
    );
    let mut stream = feed
        .stream_events(StreamEventsRequest {
            after_sequence: after,
            backlog_only: !follow,
        })
        .await?
        .into_inner();
    while let Some(item) = stream.message().await? {
        let Some(e) = item.event else { continue };
        if json {
            println!(
                "{}",
                output::to_json(&e, "credit.event.v1.Event")?.replace('\n', "")
            );
        } else {
            println!(
                "{:>6}  {}  {:<45} {:<14} {:<12} by {}",
                e.sequence,
                time(&e.occur_time),
                e.event_type,
                e.entity_type,
                e.customer_id,
                e.actor_subject
            );
        }
    }
    Ok(())
}
