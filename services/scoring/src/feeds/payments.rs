//! Payment behaviour followed on collections' event feed: each
//! `credit.collections.payment_behaviour.changed` is recorded as if PutPaymentBehaviour had been
//! called — the same validation, event and re-score of a customer scored before — keyed by a
//! request id derived from the event's sequence, so a redelivered event changes nothing twice.
use crate::app::Scoring;
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, Violations};
use credit_platform::follow::{Consumed, EventHandler, Handled};
use credit_proto::collections as cpb;
use credit_proto::event::Event;
use credit_proto::scoring as pb;
use serde::Deserialize;

/// The event followed.
pub const CHANGED: &str = "credit.collections.payment_behaviour.changed";

/// The payload as collections wrote it before it was typed (events already on its feed).
#[derive(Debug, Deserialize)]
struct JsonChanged {
    average_days_beyond_terms: String,
    share_paid_late: String,
    #[serde(default)]
    disputes: i32,
    #[serde(default)]
    broken_promises: i32,
}

/// Records collections' payment behaviour.
pub struct PaymentFollower {
    scoring: Scoring,
}

impl PaymentFollower {
    /// The handler.
    pub fn new(scoring: Scoring) -> Self {
        Self { scoring }
    }
}

impl EventHandler for PaymentFollower {
    async fn handle(&self, event: Event, consumed: Consumed) -> Result<Handled, ApiError> {
        if event.event_type != CHANGED || event.customer_id.is_empty() {
            return Ok(Handled::Ignored);
        }
        let changed = credit_platform::follow::contract(&event, |json: JsonChanged| {
            cpb::PaymentBehaviourChanged {
                average_days_beyond_terms: json.average_days_beyond_terms,
                share_paid_late: json.share_paid_late,
                disputes: i64::from(json.disputes),
                broken_promises: i64::from(json.broken_promises),
                ..Default::default()
            }
        })?;
        let request = pb::PutPaymentBehaviourRequest {
            customer_id: event.customer_id.clone(),
            payment_behaviour: Some(pb::PaymentBehaviour {
                average_days_beyond_terms: changed.average_days_beyond_terms,
                share_paid_late: changed.share_paid_late,
                disputes: i32::try_from(changed.disputes).unwrap_or(i32::MAX),
                broken_promises: i32::try_from(changed.broken_promises).unwrap_or(i32::MAX),
            }),
            request_id: uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_OID,
                format!(
                    "credit.collections/{}/payment_behaviour",
                    consumed.sequence()
                )
                .as_bytes(),
            )
            .to_string(),
        };
        let mut v = Violations::new();
        let behaviour =
            crate::convert::payment_behaviour(request.payment_behaviour.as_ref(), &mut v);
        let Some(behaviour) = behaviour.filter(|_| v.into_result().is_ok()) else {
            tracing::error!(sequence = consumed.sequence(), customer_id = %event.customer_id,
                "collections' payment behaviour is not valid here; skipped");
            return Ok(Handled::Ignored);
        };
        let context =
            RequestContext::system("collections-payments").with_request_id(&request.request_id);
        self.scoring
            .put_payment_behaviour(&context, &request, behaviour)
            .await?;
        // The use case is idempotent by the derived request id: the follower stores the
        // position after it.
        Ok(Handled::Ignored)
    }
}
