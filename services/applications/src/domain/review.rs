//! Review cases, pure: one open case per customer, opened when its review date passes or an
//! early warning arrives (a later warning joins the open case), closed once by an analyst with
//! an outcome.
use credit_platform::transition::IllegalMove;

credit_platform::named! {
    /// Why a review case was opened.
    pub enum ReviewReason {
        /// The review date the approval set passed.
        Periodic = "PERIODIC",
        /// Scoring raised an early warning.
        EarlyWarning = "EARLY_WARNING",
    }
}

credit_platform::named! {
    /// Where a review case stands.
    pub enum ReviewState {
        /// Waiting for an analyst.
        Open = "OPEN",
        /// Closed with an outcome.
        Closed = "CLOSED",
    }
}

credit_platform::named! {
    /// What a review concluded.
    pub enum ReviewOutcome {
        /// The limit stays; the next review is scheduled.
        Confirmed = "CONFIRMED",
        /// A limit change follows.
        ChangeRequested = "CHANGE_REQUESTED",
        /// Credit is withdrawn.
        Withdrawn = "WITHDRAWN",
    }
}

/// A review of an approved customer's credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewCase {
    /// Id (UUID v7).
    pub case_id: String,
    /// The customer.
    pub customer_id: String,
    /// The approved application whose review it is.
    pub application_id: String,
    /// Why it was opened.
    pub reason: ReviewReason,
    /// Where it stands.
    pub state: ReviewState,
    /// The review date that fell due (µs).
    pub review_at: i64,
    /// When it was opened (µs).
    pub opened_at: i64,
    /// When it was closed (µs).
    pub closed_at: Option<i64>,
    /// Who closed it.
    pub closed_by: String,
    /// What it concluded, once closed.
    pub outcome: Option<ReviewOutcome>,
    /// The closing comment.
    pub comment: String,
    /// The next review date a confirmation scheduled (µs; in the closing answer only).
    pub next_review_at: Option<i64>,
    /// Scoring's early-warning signals.
    pub signals: Vec<String>,
    /// The score that raised the latest warning.
    pub score_id: String,
    /// The decrease application proposed with a warning ('' when none).
    pub proposed_application_id: String,
}

/// What an early warning tells a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Scoring's signals.
    pub signals: Vec<String>,
    /// The score that raised it.
    pub score_id: String,
    /// The decrease proposed with it ('' when none).
    pub proposed_application_id: String,
}

impl ReviewCase {
    /// A new open case.
    pub fn open(
        case_id: String,
        customer_id: String,
        application_id: String,
        reason: ReviewReason,
        review_at: i64,
        opened_at: i64,
    ) -> Self {
        Self {
            case_id,
            customer_id,
            application_id,
            reason,
            state: ReviewState::Open,
            review_at,
            opened_at,
            closed_at: None,
            closed_by: String::new(),
            outcome: None,
            comment: String::new(),
            next_review_at: None,
            signals: Vec::new(),
            score_id: String::new(),
            proposed_application_id: String::new(),
        }
    }

    /// A warning joins the case: its signals are added, its score and proposal (when it has
    /// one) become the case's.
    pub fn warn(&mut self, warning: Warning) {
        self.signals.extend(warning.signals);
        self.score_id = warning.score_id;
        if !warning.proposed_application_id.is_empty() {
            self.proposed_application_id = warning.proposed_application_id;
        }
    }

    /// Closes the case once, by `by` at `at`.
    pub fn close(
        &mut self,
        outcome: ReviewOutcome,
        comment: String,
        by: &str,
        at: i64,
    ) -> Result<(), IllegalMove> {
        if self.state != ReviewState::Open {
            return Err(IllegalMove {
                aggregate: "review case",
                state: self.state.name(),
                why: "it cannot be closed again",
            });
        }
        self.state = ReviewState::Closed;
        self.outcome = Some(outcome);
        self.comment = comment;
        self.closed_by = by.to_string();
        self.closed_at = Some(at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> ReviewCase {
        ReviewCase::open(
            "r1".into(),
            "C1".into(),
            "a1".into(),
            ReviewReason::Periodic,
            10,
            11,
        )
    }

    #[test]
    fn a_review_is_closed_once() {
        let mut review = case();
        review
            .close(ReviewOutcome::Confirmed, "fine".into(), "ana", 20)
            .expect("close");
        assert_eq!(review.state, ReviewState::Closed);
        assert_eq!(review.outcome, Some(ReviewOutcome::Confirmed));
        assert_eq!(
            (review.closed_by.as_str(), review.closed_at),
            ("ana", Some(20))
        );
        let again = review
            .close(ReviewOutcome::Withdrawn, "no".into(), "bo", 30)
            .expect_err("closed already");
        assert_eq!(
            again.to_string(),
            "the review case is CLOSED: it cannot be closed again"
        );
        assert_eq!(review.outcome, Some(ReviewOutcome::Confirmed));
    }

    #[test]
    fn warnings_join_an_open_case_and_keep_an_earlier_proposal() {
        let mut review = case();
        review.warn(Warning {
            signals: vec!["risk class worsened from B to D".into()],
            score_id: "s1".into(),
            proposed_application_id: "p1".into(),
        });
        review.warn(Warning {
            signals: vec!["payments slower".into()],
            score_id: "s2".into(),
            proposed_application_id: String::new(),
        });
        assert_eq!(review.signals.len(), 2);
        assert_eq!(review.score_id, "s2");
        assert_eq!(review.proposed_application_id, "p1");
    }
}
