//! Promises to pay, pure: an open promise is settled once — kept when what came in reaches the
//! amount, and when the promised day passes short of it, partially kept (something came) or
//! broken (nothing did).
use serde::{Deserialize, Serialize};

credit_platform::named! {
    /// Where a promise is.
    pub enum PromiseState {
        /// Its day has not come and it is not paid yet: dunning waits.
        Open = "OPEN",
        /// Paid in full.
        Kept = "KEPT",
        /// Its day passed with part of it paid.
        PartiallyKept = "PARTIALLY_KEPT",
        /// Its day passed with nothing paid.
        Broken = "BROKEN",
    }
}

impl PromiseState {
    /// Where an open promise of `amount` for `promised_day` goes on `today` with `paid` in:
    /// `None` while it stays open (and for a promise already settled: settling is once).
    pub fn transition(self, amount: i64, promised_day: i64, paid: i64, today: i64) -> Option<Self> {
        if self != Self::Open {
            return None;
        }
        if paid >= amount {
            Some(Self::Kept)
        } else if today > promised_day && paid > 0 {
            Some(Self::PartiallyKept)
        } else if today > promised_day {
            Some(Self::Broken)
        } else {
            None
        }
    }
}

/// A customer's promise to pay an amount by a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promise {
    /// Its id (UUID v7).
    pub promise_id: String,
    /// The customer.
    pub customer_id: String,
    /// ISO 4217.
    pub currency: String,
    /// The amount promised, minor units.
    pub amount: i64,
    /// By when (days since 1970-01-01).
    pub promised_day: i64,
    /// Where it is.
    pub state: PromiseState,
    /// Paid towards it when it was settled, minor units.
    pub paid: i64,
    /// Who recorded it.
    pub recorded_by: String,
    /// When (µs): payments booked since count towards it.
    pub recorded_at: i64,
    /// When it was settled (µs).
    pub settled_at: Option<i64>,
    /// How it was promised.
    pub note: String,
}

impl Promise {
    /// Settles it on `today` (at `at`) with `paid` in, when it can be: the new state.
    pub fn settle(&mut self, paid: i64, today: i64, at: i64) -> Option<PromiseState> {
        let state = self
            .state
            .transition(self.amount, self.promised_day, paid, today)?;
        self.state = state;
        self.paid = paid;
        self.settled_at = Some(at);
        Some(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn promise() -> Promise {
        Promise {
            promise_id: "p1".into(),
            customer_id: "c1".into(),
            currency: "EUR".into(),
            amount: 1_000,
            promised_day: 100,
            state: PromiseState::Open,
            paid: 0,
            recorded_by: "ana".into(),
            recorded_at: 0,
            settled_at: None,
            note: String::new(),
        }
    }

    #[test]
    fn a_promise_is_kept_partially_kept_or_broken_once() {
        let open = PromiseState::Open;
        assert_eq!(
            open.transition(1_000, 100, 1_000, 90),
            Some(PromiseState::Kept)
        );
        assert_eq!(
            open.transition(1_000, 100, 400, 100),
            None,
            "its day is not over"
        );
        assert_eq!(
            open.transition(1_000, 100, 400, 101),
            Some(PromiseState::PartiallyKept)
        );
        assert_eq!(
            open.transition(1_000, 100, 0, 101),
            Some(PromiseState::Broken)
        );

        let mut p = promise();
        assert_eq!(p.settle(0, 101, 7), Some(PromiseState::Broken));
        assert_eq!((p.paid, p.settled_at), (0, Some(7)));
        assert_eq!(
            p.settle(1_000, 102, 8),
            None,
            "a settled promise stays settled"
        );
        assert_eq!(p.state, PromiseState::Broken);
    }
}
