//! Periodic reviews: every approval carries a review date from its risk class; when it passes,
//! the sweep opens a review case (one open case per customer), and an analyst closes it with an
//! outcome — CONFIRMED schedules the next review by the same rule.
use crate::convert::review_case_to_wire;
use crate::domain::policy::Policy;
use crate::domain::review::{ReviewCase, ReviewOutcome, ReviewReason, Warning};
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, SharedClock, add_months};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_platform::policies;
use credit_platform::scope::{self, DataScope};
use credit_proto::applications as pb;
use sqlx::AnyConnection;

/// What an early warning tells the review.
#[derive(Debug, Clone)]
pub struct EarlyWarning {
    /// The customer.
    pub customer_id: String,
    /// Its latest approved application.
    pub application_id: String,
    /// What it tells the review.
    pub warning: Warning,
}

/// Opens an EARLY_WARNING review case in the caller's transaction; when a case is open for the
/// customer already, the warning joins it (its signals, score and proposal are added).
pub async fn open_for_early_warning(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    warning: EarlyWarning,
) -> Result<ReviewCase, ApiError> {
    if let Some(mut open) = store::open_review_case(conn, &warning.customer_id).await? {
        open.warn(warning.warning);
        store::update_review_signals(&mut *conn, &open).await?;
        outbox::append(
            conn,
            context,
            now,
            event("credit.applications.review.warned", &open),
        )
        .await?;
        return Ok(open);
    }
    let mut case = ReviewCase::open(
        uuid::Uuid::now_v7().to_string(),
        warning.customer_id,
        warning.application_id,
        ReviewReason::EarlyWarning,
        now,
        now,
    );
    case.warn(warning.warning);
    store::insert_review_case(conn, &case).await?;
    outbox::append(
        conn,
        context,
        now,
        event("credit.applications.review.opened", &case),
    )
    .await?;
    Ok(case)
}

fn event(event_type: &'static str, case: &ReviewCase) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: "review_case",
        entity_id: case.case_id.clone(),
        customer_id: case.customer_id.clone(),
        payload: Payload::of(&pb::ReviewCaseChanged {
            review_case: Some(review_case_to_wire(case)),
        }),
    }
}

/// The review use cases.
#[derive(Clone)]
pub struct Reviews {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
}

impl Reviews {
    /// Reviews over `db`.
    pub fn new(db: Db, clock: SharedClock, signals: FeedSignals) -> Self {
        Self { db, clock, signals }
    }

    /// Opens a case for every review due by the clock's now; answers how many were handled.
    pub async fn open_due(&self) -> Result<usize, ApiError> {
        let due = {
            let mut conn = self.db.pool.acquire().await?;
            store::due_reviews(&mut conn, self.clock.now(), 100).await?
        };
        for application_id in &due {
            mutation::with_retry(|| self.open(application_id)).await?;
        }
        Ok(due.len())
    }

    async fn open(&self, application_id: &str) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await?;
        let now = self.clock.now();
        let Some(mut row) = store::get(&mut tx, application_id).await? else {
            return Ok(());
        };
        if row.review_at == 0 || row.review_at > now {
            return Ok(());
        }
        let open = store::open_review_case(&mut tx, &row.customer_id).await?;
        let due = row.review_at;
        // Taken off the schedule either way: a case is open for the customer now.
        row.review_at = 0;
        store::update(&mut tx, &row).await?;
        if open.is_none() {
            let case = ReviewCase::open(
                uuid::Uuid::now_v7().to_string(),
                row.customer_id.clone(),
                row.application_id.clone(),
                ReviewReason::Periodic,
                due,
                now,
            );
            store::insert_review_case(&mut tx, &case).await?;
            let context = RequestContext::system("reviews");
            outbox::append(
                &mut tx,
                &context,
                now,
                event("credit.applications.review.opened", &case),
            )
            .await?;
        }
        tx.commit().await?;
        self.signals.notify_committed();
        Ok(())
    }

    /// Cases, newest first.
    pub async fn list(
        &self,
        scope: &DataScope,
        state: &str,
        customer_id: &str,
        page: &PageRequest,
    ) -> Result<pb::ListReviewCasesResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let mut cases = store::list_review_cases(
            &mut conn,
            scope,
            state,
            customer_id,
            &page.after,
            page.fetch(),
        )
        .await?;
        let next_page_token = page.finish(&mut cases, |c| c.case_id.clone());
        Ok(pb::ListReviewCasesResponse {
            cases: cases.iter().map(review_case_to_wire).collect(),
            next_page_token,
        })
    }

    /// Closes a case; CONFIRMED schedules the application's next review.
    pub async fn close(
        &self,
        context: &RequestContext,
        request: &pb::CloseReviewCaseRequest,
    ) -> Result<pb::ReviewCase, ApiError> {
        let outcome = credit_proto::short_name::<pb::ReviewOutcome>(request.outcome)
            .and_then(ReviewOutcome::from_name)
            .ok_or_else(|| FieldViolation::new("outcome", "required"))?;
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "CloseReviewCase", request);
        let mut found = store::review_case(&mut m.tx, &request.case_id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                kind: "review case",
                id: request.case_id.clone(),
            })?;
        scope::may_change(&mut m.tx, &context.caller.scope, &found.customer_id).await?;
        found.close(
            outcome,
            request.comment.clone(),
            &context.caller.subject,
            m.now,
        )?;
        if outcome == ReviewOutcome::Confirmed {
            found.next_review_at = self
                .schedule_next(&mut m.tx, &found.application_id, m.now)
                .await?;
        }
        store::close_review_case(&mut m.tx, &found).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            event("credit.applications.review.closed", &found),
        )
        .await?;
        let found = review_case_to_wire(&found);
        mutation::finish(&self.signals, m, &found).await?;
        Ok(found)
    }

    /// The next review of the application after `now`, by its risk class under the policy it
    /// was decided with; written on the application.
    async fn schedule_next(
        &self,
        conn: &mut AnyConnection,
        application_id: &str,
        now: Micros,
    ) -> Result<Option<Micros>, ApiError> {
        let Some(mut row) = store::get(conn, application_id).await? else {
            return Ok(None);
        };
        let (version, risk_class) = row
            .body
            .recommendation
            .as_ref()
            .map(|r| (r.policy_version, r.risk_class.clone()))
            .unwrap_or_default();
        let months = match policies::get(conn, version).await? {
            Some(stored) => Policy::parse(&stored.document)
                .map(|p| p.review_months(&risk_class))
                .unwrap_or(12),
            None => 12,
        };
        let next = add_months(now, months as i32);
        // Only the masked body changes: the review date is no sensitive field.
        if let Some(decision) = row.body.final_decision.as_mut() {
            decision.review_at = Some(next);
        }
        row.review_at = next;
        store::update(conn, &row).await?;
        Ok(Some(next))
    }
}
