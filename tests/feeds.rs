//! Every service's event feed, read by a client that knows only the gateway: the shared
//! `credit.event.v1.EventFeedService` is routed by the `credit-feed` metadata naming the source.
mod support;

use credit_platform::auth::{BearerToken, FeedOf};
use credit_proto::event::GetFeedPositionRequest;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use support::Journey;
use tonic::Code;

#[tokio::test]
async fn every_feed_is_read_through_the_gateway_by_the_source_its_metadata_names() {
    let journey = Journey::start().await;
    // Limits says nothing until something changes; the other services activate their default
    // policies on first start.
    journey.create_account("FEED-1", "Feed Ltd").await;
    for (source, first) in [
        ("limits", "credit.limits.credit_account.created"),
        ("scoring", "credit.scoring.policy.activated"),
        (
            "applications",
            "credit.applications.decision_policy.activated",
        ),
        ("collections", "credit.collections.dunning_policy.activated"),
    ] {
        let events = journey.backlog(source).await.expect(source);
        assert!(
            events.iter().all(|e| e.source == source),
            "{source}: {events:?}"
        );
        assert!(
            events.iter().any(|e| e.event_type == first),
            "{source} lacks {first}: {events:?}"
        );
        let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, (1..=events.len() as i64).collect::<Vec<_>>());
        // The package names the same feed.
        let by_package = journey
            .backlog(&format!("credit.{source}.v1"))
            .await
            .expect("by package");
        assert_eq!(by_package.len(), events.len(), "{source}");
        let mut feed = EventFeedServiceClient::with_interceptor(
            journey.channel.clone(),
            FeedOf {
                token: journey.token(),
                source: source.into(),
            },
        );
        let position = feed
            .get_feed_position(GetFeedPositionRequest { after_sequence: 0 })
            .await
            .expect("position")
            .into_inner();
        assert_eq!(position.last_sequence, events.len() as i64, "{source}");
    }

    // Without the metadata the gateway cannot know whose feed is meant, and says how to ask.
    let mut unnamed =
        EventFeedServiceClient::with_interceptor(journey.channel.clone(), journey.token());
    let refused = unnamed
        .get_feed_position(GetFeedPositionRequest { after_sequence: 0 })
        .await
        .expect_err("no source");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("credit-feed"), "{refused:?}");
    // Audit records feeds but serves none.
    let refused = journey
        .backlog("audit")
        .await
        .expect_err("audit has no feed");
    assert_eq!(refused.code(), Code::Unimplemented, "{refused:?}");
    let refused = journey.backlog("nobody").await.expect_err("unknown source");
    assert_eq!(refused.code(), Code::Unimplemented, "{refused:?}");
    // The source still applies its own rules: no token, no feed.
    let mut anonymous = EventFeedServiceClient::with_interceptor(
        journey.channel.clone(),
        FeedOf {
            token: BearerToken(None),
            source: "limits".into(),
        },
    );
    let refused = anonymous
        .get_feed_position(GetFeedPositionRequest { after_sequence: 0 })
        .await
        .expect_err("anonymous");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    journey.stop().await;
}
