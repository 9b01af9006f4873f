//! Write-offs, pure: a requested write-off is decided once, by someone other than who asked —
//! approved (the loss is booked) or rejected; only an approved one recovers money afterwards.
use credit_platform::transition::IllegalMove;
use serde::{Deserialize, Serialize};

credit_platform::named! {
    /// Where a write-off is.
    pub enum WriteOffState {
        /// Asked for, waiting for a decision.
        Requested = "REQUESTED",
        /// Approved: booked as a WRITE_OFF document.
        Approved = "APPROVED",
        /// Rejected: the invoice stays collectible.
        Rejected = "REJECTED",
    }
}

impl WriteOffState {
    /// The state a decision moves a requested write-off to.
    pub fn transition(self, approve: bool) -> Result<Self, IllegalMove> {
        match (self, approve) {
            (Self::Requested, true) => Ok(Self::Approved),
            (Self::Requested, false) => Ok(Self::Rejected),
            _ => Err(IllegalMove {
                aggregate: "write-off",
                state: self.name(),
                why: "it was decided already",
            }),
        }
    }
}

/// Money that arrived after a write-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// Minor units.
    pub amount: i64,
    /// The day it arrived.
    pub day: i64,
    /// The payment's reference (bank, agency statement).
    pub reference: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When (µs).
    pub recorded_at: i64,
}

/// A request to write off (part of) a receivable, and its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOff {
    /// Its id (UUID v7); once approved also the WRITE_OFF document's.
    pub write_off_id: String,
    /// The customer.
    pub customer_id: String,
    /// The invoice (or fee, interest).
    pub invoice_id: String,
    /// The invoice's currency.
    pub currency: String,
    /// Minor units.
    pub amount: i64,
    /// Why it cannot be collected.
    pub reason: String,
    /// Where it is.
    pub state: WriteOffState,
    /// Who asked.
    pub requested_by: String,
    /// When (µs).
    pub requested_at: i64,
    /// The role whose authority the amount needs.
    pub required_role: String,
    /// Who decided.
    pub decided_by: String,
    /// When (µs).
    pub decided_at: Option<i64>,
    /// The decider's comment.
    pub decision_comment: String,
    /// The dispute it settles, when any.
    pub dispute_id: String,
    /// Recoveries, oldest first.
    pub recoveries: Vec<Recovery>,
}

impl WriteOff {
    /// Decides it: `by` (who must not be who asked) at `at`.
    pub fn decide(
        &mut self,
        approve: bool,
        by: &str,
        at: i64,
        comment: &str,
    ) -> Result<(), IllegalMove> {
        self.state = self.state.transition(approve)?;
        self.decided_by = by.to_string();
        self.decided_at = Some(at);
        self.decision_comment = comment.to_string();
        Ok(())
    }

    /// Whether money can be recovered on it (only once approved).
    pub fn check_recoverable(&self) -> Result<(), IllegalMove> {
        match self.state {
            WriteOffState::Approved => Ok(()),
            state => Err(IllegalMove {
                aggregate: "write-off",
                state: state.name(),
                why: "only an approved write-off recovers money",
            }),
        }
    }

    /// What was recovered so far, minor units.
    pub fn recovered(&self) -> i64 {
        self.recoveries.iter().map(|r| r.amount).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requested() -> WriteOff {
        WriteOff {
            write_off_id: "w1".into(),
            customer_id: "c1".into(),
            invoice_id: "i1".into(),
            currency: "EUR".into(),
            amount: 500,
            reason: "insolvent".into(),
            state: WriteOffState::Requested,
            requested_by: "ana".into(),
            requested_at: 1,
            required_role: "collector".into(),
            decided_by: String::new(),
            decided_at: None,
            decision_comment: String::new(),
            dispute_id: String::new(),
            recoveries: vec![],
        }
    }

    #[test]
    fn a_write_off_is_decided_once_and_recovers_only_when_approved() {
        let mut w = requested();
        assert_eq!(
            w.check_recoverable()
                .expect_err("an illegal move")
                .to_string(),
            "the write-off is REQUESTED: only an approved write-off recovers money"
        );
        w.decide(true, "bo", 9, "ok").expect("a legal move");
        assert_eq!(
            (w.state, w.decided_by.as_str(), w.decided_at),
            (WriteOffState::Approved, "bo", Some(9))
        );
        assert!(w.check_recoverable().is_ok());
        assert_eq!(
            w.decide(false, "cy", 10, "no")
                .expect_err("an illegal move")
                .to_string(),
            "the write-off is APPROVED: it was decided already"
        );
        assert_eq!(w.decided_by, "bo", "an illegal move changes nothing");

        let mut r = requested();
        r.decide(false, "bo", 9, "collect it")
            .expect("a legal move");
        assert_eq!(r.state, WriteOffState::Rejected);
        assert!(r.check_recoverable().is_err());
    }
}
