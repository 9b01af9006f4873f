//! Where an application stands and what may happen to it from there.

/// The states of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Being filled in.
    Draft,
    /// Waiting for approvers.
    InReview,
    /// Returned to the applicant with questions.
    InformationRequested,
    /// Approved (final).
    Approved,
    /// Rejected (final).
    Rejected,
    /// Withdrawn (final).
    Withdrawn,
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
    fn describe(self) -> &'static str {
        match self {
            Self::Update => "changed",
            Self::Submit => "submitted",
            Self::Decide => "decided",
            Self::Withdraw => "withdrawn",
        }
    }
}

impl State {
    /// The stored and wire name (without the enum prefix).
    pub fn name(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::InReview => "IN_REVIEW",
            Self::InformationRequested => "INFORMATION_REQUESTED",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
            Self::Withdrawn => "WITHDRAWN",
        }
    }

    /// From the stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::InReview,
            Self::InformationRequested,
            Self::Approved,
            Self::Rejected,
            Self::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }

    /// Still open: counts for the duplicate rule and may still change.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::InReview | Self::InformationRequested
        )
    }

    /// Whether `action` is allowed now; the refusal names the state, for FAILED_PRECONDITION.
    pub fn allows(self, action: Action) -> Result<(), String> {
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
            Err(format!(
                "the application is {}: it cannot be {} now",
                self.name(),
                action.describe()
            ))
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
        assert!(refusal.contains("APPROVED"), "{refusal}");
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
}

/// What an application asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    /// A new customer's first limit.
    #[default]
    NewCredit,
    /// A higher permanent limit.
    LimitIncrease,
    /// A higher limit for a while, on top of the permanent one.
    TemporaryIncrease,
    /// A lower permanent limit.
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
