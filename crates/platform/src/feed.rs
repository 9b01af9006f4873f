//! The `credit.event.v1.EventFeedService` every service serves from its outbox: one
//! implementation, so every feed behaves the same for its consumers.
use crate::clock::to_timestamp;
use crate::context::RequestContext;
use crate::db::Db;
use crate::error::{ApiError, FieldViolation};
use crate::outbox::{FeedSignals, event_stream, feed_position};
use crate::scope;
use crate::server::Shutdown;
use credit_proto::event::event_feed_service_server::EventFeedService;
use credit_proto::event::{
    GetFeedPositionRequest, GetFeedPositionResponse, StreamEventsRequest, StreamEventsResponse,
};
use futures::{Stream, StreamExt};
use std::pin::Pin;
use tonic::{Request, Response, Status};

/// A service's event feed.
#[derive(Clone)]
pub struct EventFeed {
    db: Db,
    source: &'static str,
    signals: FeedSignals,
    shutdown: Shutdown,
}

impl EventFeed {
    /// The feed of `source` over its outbox in `db`.
    pub fn new(db: Db, source: &'static str, signals: FeedSignals, shutdown: Shutdown) -> Self {
        Self {
            db,
            source,
            signals,
            shutdown,
        }
    }
}

/// Validates a consumer's position (`after_sequence`: 0 or more).
pub fn after_sequence(after: i64) -> Result<i64, Status> {
    if after < 0 {
        return Err(ApiError::from(FieldViolation::new(
            "after_sequence",
            "must not be negative",
        ))
        .into());
    }
    Ok(after)
}

#[tonic::async_trait]
impl EventFeedService for EventFeed {
    type StreamEventsStream =
        Pin<Box<dyn Stream<Item = Result<StreamEventsResponse, Status>> + Send + 'static>>;

    async fn stream_events(
        &self,
        request: Request<StreamEventsRequest>,
    ) -> Result<Response<Self::StreamEventsStream>, Status> {
        // A caller limited to some regions or business units sees only their customers' events.
        let scope = RequestContext::from_request(&request).caller.scope;
        let request = request.into_inner();
        let events = event_stream(
            self.db.clone(),
            self.source,
            self.signals.clone(),
            after_sequence(request.after_sequence)?,
            request.backlog_only,
            self.shutdown.subscribe(),
        );
        let respond =
            |event: Result<_, Status>| event.map(|e| StreamEventsResponse { event: Some(e) });
        if scope.is_all() {
            return Ok(Response::new(Box::pin(events.map(respond))));
        }
        let db = self.db.clone();
        let within = events.filter_map(move |event| {
            let (db, scope) = (db.clone(), scope.clone());
            async move {
                match event {
                    Ok(event) => match scope::sees_event(&db, &scope, &event).await {
                        Ok(true) => Some(Ok(event)),
                        Ok(false) => None,
                        Err(e) => Some(Err(e.into())),
                    },
                    Err(status) => Some(Err(status)),
                }
            }
        });
        Ok(Response::new(Box::pin(within.map(respond))))
    }

    async fn get_feed_position(
        &self,
        request: Request<GetFeedPositionRequest>,
    ) -> Result<Response<GetFeedPositionResponse>, Status> {
        let after = after_sequence(request.into_inner().after_sequence)?;
        let (last_sequence, last, next) = feed_position(&self.db, after)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(GetFeedPositionResponse {
            last_sequence,
            last_occur_time: last.map(to_timestamp),
            next_occur_time: next.map(to_timestamp),
        }))
    }
}
