//! Where an application stands and what may happen to it from there.

use credit_platform::transition::IllegalMove;

credit_platform::named! {
    /// The states of an application.
    pub enum State {
        /// Being filled in.
        Draft = "DRAFT",
        /// Waiting for approvers.
        InReview = "IN_REVIEW",
        /// Returned to the applicant with questions.
        InformationRequested = "INFORMATION_REQUESTED",
        /// Approved (final).
        Approved = "APPROVED",
        /// Rejected (final).
        Rejected = "REJECTED",
        /// Withdrawn (final).
        Withdrawn = "WITHDRAWN",
    }
}

/// What is asked of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Change its content.
    Update,
    /// Submit it.
    Submit,
    /// Approve, reject or ask for information (an approver's act).
    Decide,
    /// Withdraw it.
    Withdraw,
}

impl Action {
    fn refused(self) -> &'static str {
        match self {
            Self::Update => "it cannot be changed now",
            Self::Submit => "it cannot be submitted now",
            Self::Decide => "it cannot be decided now",
            Self::Withdraw => "it cannot be withdrawn now",
        }
    }
}

impl State {
    /// Still open: counts for the duplicate rule and may still change.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::InReview | Self::InformationRequested
        )
    }

    /// Whether `action` is allowed now; the refusal names the state (FAILED_PRECONDITION at the
    /// edge).
    pub fn allows(self, action: Action) -> Result<(), IllegalMove> {
        let allowed = match action {
            Action::Update | Action::Submit => {
                matches!(self, Self::Draft | Self::InformationRequested)
            }
            Action::Decide => self == Self::InReview,
            Action::Withdraw => self.is_open(),
        };
        if allowed {
            Ok(())
        } else {
            Err(IllegalMove {
                aggregate: "application",
                state: self.name(),
                why: action.refused(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reviewed_applications_are_decided_and_final_ones_never_change() {
        assert!(State::Draft.allows(Action::Decide).is_err());
        let refusal = State::Approved.allows(Action::Decide).expect_err("twice");
        assert_eq!(
            refusal.to_string(),
            "the application is APPROVED: it cannot be decided now"
        );
        assert!(State::InReview.allows(Action::Decide).is_ok());
        assert!(State::InReview.allows(Action::Update).is_err());
        assert!(State::InformationRequested.allows(Action::Submit).is_ok());
        for closed in [State::Approved, State::Rejected, State::Withdrawn] {
            assert!(!closed.is_open());
            for action in [
                Action::Update,
                Action::Submit,
                Action::Decide,
                Action::Withdraw,
            ] {
                assert!(closed.allows(action).is_err(), "{closed:?} {action:?}");
            }
            assert_eq!(State::from_name(closed.name()), Some(closed));
        }
    }

    #[test]
    fn kinds_are_stored_under_their_wire_names_and_read_under_the_old_ones_too() {
        assert_eq!(
            serde_json::to_string(&Kind::TemporaryIncrease).expect("json"),
            "\"TEMPORARY_INCREASE\""
        );
        for (old, kind) in [
            ("\"NewCredit\"", Kind::NewCredit),
            ("\"LimitDecrease\"", Kind::LimitDecrease),
            ("\"LIMIT_INCREASE\"", Kind::LimitIncrease),
        ] {
            assert_eq!(serde_json::from_str::<Kind>(old).expect("kind"), kind);
        }
    }
}

/// What an application asks for. Stored under its wire names; limit instructions queued before
/// read under the Rust names they were written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    /// A new customer's first limit.
    #[default]
    #[serde(rename = "NEW_CREDIT", alias = "NewCredit")]
    NewCredit,
    /// A higher permanent limit.
    #[serde(rename = "LIMIT_INCREASE", alias = "LimitIncrease")]
    LimitIncrease,
    /// A higher limit for a while, on top of the permanent one.
    #[serde(rename = "TEMPORARY_INCREASE", alias = "TemporaryIncrease")]
    TemporaryIncrease,
    /// A lower permanent limit.
    #[serde(rename = "LIMIT_DECREASE", alias = "LimitDecrease")]
    LimitDecrease,
}

impl Kind {
    /// The wire name (without the enum prefix).
    pub fn name(self) -> &'static str {
        match self {
            Self::NewCredit => "NEW_CREDIT",
            Self::LimitIncrease => "LIMIT_INCREASE",
            Self::TemporaryIncrease => "TEMPORARY_INCREASE",
            Self::LimitDecrease => "LIMIT_DECREASE",
        }
    }

    /// A change of an approved customer's limit.
    pub fn is_change(self) -> bool {
        self != Self::NewCredit
    }
}
