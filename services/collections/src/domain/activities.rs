//! What collectors do and what comes of it, as logged on a customer's file.

credit_platform::named! {
    /// What a collector did.
    pub enum ActivityKind {
        /// A call.
        Call = "CALL",
        /// An e-mail.
        Email = "EMAIL",
        /// A letter.
        Letter = "LETTER",
        /// A visit.
        Visit = "VISIT",
        /// A note for the file.
        Note = "NOTE",
    }
}

credit_platform::named! {
    /// What came of it.
    pub enum ActivityOutcome {
        /// The customer was reached.
        Reached = "REACHED",
        /// Nobody answered.
        NoAnswer = "NO_ANSWER",
        /// The customer promised to pay.
        Promised = "PROMISED",
        /// The customer disputes the debt.
        Disputed = "DISPUTED",
        /// The customer refused to pay.
        Refused = "REFUSED",
        /// Nothing to record (a note).
        None = "NONE",
    }
}

/// One logged activity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Activity {
    /// Its id (UUID v7).
    pub activity_id: String,
    /// The customer.
    pub customer_id: String,
    /// What it was.
    pub kind: ActivityKind,
    /// What came of it.
    pub outcome: ActivityOutcome,
    /// What was said or done.
    pub note: String,
    /// When to come back to it (days since 1970-01-01), when agreed.
    pub follow_up_day: Option<i64>,
    /// Who.
    pub collector: String,
    /// When (µs).
    pub recorded_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serde_uses_them() {
        for kind in ActivityKind::ALL {
            assert_eq!(ActivityKind::from_name(kind.name()), Some(*kind));
        }
        assert_eq!(
            ActivityOutcome::from_name("NO_ANSWER"),
            Some(ActivityOutcome::NoAnswer)
        );
        assert_eq!(ActivityOutcome::from_name("MAYBE"), None);
        assert_eq!(
            serde_json::to_string(&ActivityOutcome::NoAnswer).expect("json"),
            "\"NO_ANSWER\""
        );
    }
}
