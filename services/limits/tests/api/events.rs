use crate::helpers::*;
use credit_proto::limits as pb;
use futures::StreamExt;
use std::time::Duration;

#[tokio::test]
async fn every_change_is_on_the_feed_in_order_with_its_actor_and_the_feed_resumes_and_follows() {
    let app = spawn_app().await;
    let mut c = app.client.clone();
    create_account(&mut c, "FEED", "").await;
    set_limit(&app, "FEED", amount_limit("100", "EUR")).await;
    check(&mut c, "FEED", "O-1", "50").await;
    check(&mut c, "FEED", "O-2", "80").await;

    let backlog: Vec<_> = app
        .feed()
        .stream_events(credit_proto::event::StreamEventsRequest {
            after_sequence: 0,
            backlog_only: true,
        })
        .await
        .expect("feed")
        .into_inner()
        .map(|e| e.expect("event").event.expect("event"))
        .collect()
        .await;
    let types: Vec<_> = backlog.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "credit.limits.credit_account.created",
            "credit.limits.credit_limit.changed",
            "credit.limits.reservation.created",
            "credit.limits.credit_check.rejected"
        ]
    );
    assert_eq!(
        backlog.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    // The limit is set by the applications service; everything else here by the tester.
    let actors: Vec<_> = backlog.iter().map(|e| e.actor_subject.as_str()).collect();
    assert_eq!(
        actors,
        ["tester", "service:applications", "tester", "tester"]
    );
    assert!(
        backlog
            .iter()
            .all(|e| e.source == "limits" && e.customer_id == "FEED")
    );
    assert!(backlog.iter().all(|e| !e.request_id.is_empty()));

    // Resume after 2, then follow the live tail.
    let mut live = app
        .feed()
        .stream_events(credit_proto::event::StreamEventsRequest {
            after_sequence: 2,
            backlog_only: false,
        })
        .await
        .expect("feed")
        .into_inner();
    let third = live
        .next()
        .await
        .expect("item")
        .expect("event")
        .event
        .expect("event");
    assert_eq!(third.sequence, 3);
    let _fourth = live.next().await.expect("item").expect("event");
    c.place_credit_hold(pb::PlaceCreditHoldRequest {
        customer_id: "FEED".into(),
        reason: "test".into(),
        request_id: rid(),
        ..Default::default()
    })
    .await
    .expect("hold");
    let fifth = tokio::time::timeout(Duration::from_secs(10), live.next())
        .await
        .expect("live event in time")
        .expect("item")
        .expect("event")
        .event
        .expect("event");
    assert_eq!(fifth.sequence, 5);
    assert_eq!(fifth.event_type, "credit.limits.credit_hold.placed");
    app.stop().await;
}

#[tokio::test]
async fn shutdown_ends_live_feeds_and_the_server_stops_within_the_drain() {
    let app = spawn_app().await;
    let mut live = app
        .feed()
        .stream_events(credit_proto::event::StreamEventsRequest {
            after_sequence: 0,
            backlog_only: false,
        })
        .await
        .expect("feed")
        .into_inner();
    app.server.shutdown.trigger();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = live.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the live feed ends at shutdown");
    let stopped = tokio::time::timeout(Duration::from_secs(10), app.server.stop()).await;
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
}
