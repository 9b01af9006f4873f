//! Blocked-order credit cases, pure: an order the credit check rejected, referred to credit
//! people instead of failed. An open case gathers the checks made for the order; it is
//! released (a person's one-off approval, or a recheck that fits), or rejected, once — and
//! nothing moves it after. Only the roles of the authority level the amount needs release it,
//! and never the person who referred it (four eyes).
pub use super::Amount;
use super::Refusal;
use credit_platform::auth::roles;
use credit_platform::transition::IllegalMove;
use serde::{Deserialize, Serialize};

credit_platform::named! {
    /// Where a case stands.
    pub enum CaseState {
        /// Waiting for an analyst.
        Open = "OPEN",
        /// The order is reserved (by approval or because a recheck passed).
        Released = "RELEASED",
        /// The order stays blocked.
        Rejected = "REJECTED",
    }
}

credit_platform::named! {
    /// How a case was resolved.
    pub enum CaseResolution {
        /// A person with the authority released the order past the available credit.
        ReleasedByApproval = "RELEASED_BY_APPROVAL",
        /// A recheck found the order fits now.
        ReleasedOnRecheck = "RELEASED_ON_RECHECK",
        /// A person rejected the order.
        Rejected = "REJECTED",
    }
}

credit_platform::named! {
    /// What a credit check answered.
    pub enum CheckOutcome {
        /// The order fits; limits reserved it.
        Approved = "APPROVED",
        /// The order does not fit; nothing reserved.
        Rejected = "REJECTED",
    }
}

/// One credit check made for a case: the referred one, then each recheck or release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCheck {
    /// The decision limits stored.
    pub decision_id: String,
    /// Its outcome.
    pub outcome: CheckOutcome,
    /// Its reasons (limits' check reason names, without prefix).
    pub reasons: Vec<String>,
    /// Available credit before the order.
    pub available_before: Option<Amount>,
    /// The largest amount that would have fit.
    pub max_approvable: Option<Amount>,
    /// Who asked for the check.
    pub checked_by: String,
    /// When limits decided (µs).
    pub checked_at: Option<i64>,
}

/// A blocked order referred to credit people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditCase {
    /// Id (UUID v7).
    pub case_id: String,
    /// The customer.
    pub customer_id: String,
    /// The sales order.
    pub order_id: String,
    /// The order amount as checked (order currency).
    pub order_amount: Amount,
    /// The order amount in the account currency.
    pub checked_amount: Amount,
    /// Where it stands.
    pub state: CaseState,
    /// The referred check first, then every later one.
    pub checks: Vec<CaseCheck>,
    /// The latest referred check's stored inputs, as limits recorded them.
    pub inputs_json: String,
    /// Who referred it.
    pub referred_by: String,
    /// When (µs).
    pub referred_at: i64,
    /// How it was resolved, once it was.
    pub resolution: Option<CaseResolution>,
    /// Who resolved it.
    pub resolved_by: String,
    /// When (µs).
    pub resolved_at: Option<i64>,
    /// The release's comment or the rejection's reason.
    pub comment: String,
    /// The reservation limits made for the released order.
    pub reservation_id: String,
    /// The authority level a release needs.
    pub required_level: String,
    /// The roles that may release it.
    pub release_roles: Vec<String>,
}

/// What is done to an open case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseMove {
    /// Limits reserved the order: by a person's release, or on a recheck that fits.
    Release {
        /// The check that reserved it.
        check: CaseCheck,
        /// The reservation made.
        reservation_id: String,
        /// Whether a recheck (not a person's release) reserved it.
        on_recheck: bool,
        /// The release's comment.
        comment: String,
    },
    /// A person rejects the order.
    Reject {
        /// Why.
        reason: String,
    },
    /// A recheck that still does not fit: recorded, the case stays open.
    StillBlocked {
        /// The check.
        check: CaseCheck,
    },
}

impl CreditCase {
    /// Refuses any move once the case is resolved.
    pub fn ensure_open(&self) -> Result<(), IllegalMove> {
        if self.state == CaseState::Open {
            Ok(())
        } else {
            Err(IllegalMove {
                aggregate: "credit case",
                state: self.state.name(),
                why: "it was resolved already",
            })
        }
    }

    /// Adds a later rejected check of the same order (a new decision referred while the case
    /// is open); false when the case holds that decision already.
    pub fn join(&mut self, check: CaseCheck, inputs_json: String) -> bool {
        if self
            .checks
            .iter()
            .any(|c| c.decision_id == check.decision_id)
        {
            return false;
        }
        self.checks.push(check);
        self.inputs_json = inputs_json;
        true
    }

    /// Four eyes and the authority matrix, the same for both ways of deciding a blocked order
    /// (`decision`: "release" or "reject"): who referred the order does not decide it, and
    /// only the roles of the level the amount needs (or an administrator) do.
    pub fn may_decide(
        &self,
        subject: &str,
        caller_roles: &[String],
        decision: &str,
    ) -> Result<(), Refusal> {
        if subject == self.referred_by {
            return Err(Refusal(format!(
                "four-eyes rule: {subject} referred this order and may not {decision} it"
            )));
        }
        let entitled = caller_roles
            .iter()
            .any(|r| r == roles::ADMIN || self.release_roles.contains(r));
        if !entitled {
            return Err(Refusal(format!(
                "to {decision} this order needs the {} level ({})",
                self.required_level,
                self.release_roles.join(", ")
            )));
        }
        Ok(())
    }

    /// Applies a move by `by` at `at` (µs); an open case only.
    pub fn apply(&mut self, case_move: CaseMove, by: &str, at: i64) -> Result<(), IllegalMove> {
        self.ensure_open()?;
        let resolution = match case_move {
            CaseMove::Release {
                check,
                reservation_id,
                on_recheck,
                comment,
            } => {
                self.checks.push(check);
                self.state = CaseState::Released;
                self.comment = comment;
                self.reservation_id = reservation_id;
                if on_recheck {
                    CaseResolution::ReleasedOnRecheck
                } else {
                    CaseResolution::ReleasedByApproval
                }
            }
            CaseMove::Reject { reason } => {
                self.state = CaseState::Rejected;
                self.comment = reason;
                CaseResolution::Rejected
            }
            CaseMove::StillBlocked { check } => {
                self.checks.push(check);
                return Ok(());
            }
        };
        self.resolution = Some(resolution);
        self.resolved_by = by.to_string();
        self.resolved_at = Some(at);
        Ok(())
    }

    /// The latest check.
    pub fn last_check(&self) -> Option<&CaseCheck> {
        self.checks.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn check(decision: &str, outcome: CheckOutcome) -> CaseCheck {
        CaseCheck {
            decision_id: decision.into(),
            outcome,
            reasons: if outcome == CheckOutcome::Rejected {
                vec!["INSUFFICIENT_CREDIT".into()]
            } else {
                Vec::new()
            },
            available_before: None,
            max_approvable: None,
            checked_by: "sales".into(),
            checked_at: Some(1),
        }
    }

    fn open_case() -> CreditCase {
        let eur = |amount: i64| Amount {
            amount: Decimal::from(amount),
            currency: "EUR".into(),
        };
        CreditCase {
            case_id: "case-1".into(),
            customer_id: "C1".into(),
            order_id: "SO-1".into(),
            order_amount: eur(60_000),
            checked_amount: eur(60_000),
            state: CaseState::Open,
            checks: vec![check("d1", CheckOutcome::Rejected)],
            inputs_json: "{}".into(),
            referred_by: "sales".into(),
            referred_at: 1,
            resolution: None,
            resolved_by: String::new(),
            resolved_at: None,
            comment: String::new(),
            reservation_id: String::new(),
            required_level: "MANAGER".into(),
            release_roles: vec!["credit_manager".into()],
        }
    }

    #[test]
    fn a_case_is_resolved_once_and_nothing_moves_it_after() {
        let mut case = open_case();
        case.apply(
            CaseMove::StillBlocked {
                check: check("d2", CheckOutcome::Rejected),
            },
            "analyst",
            2,
        )
        .expect("a recheck that does not fit keeps it open");
        assert_eq!(case.state, CaseState::Open);
        assert_eq!(case.resolution, None);
        assert_eq!(case.checks.len(), 2);
        case.apply(
            CaseMove::Release {
                check: check("d3", CheckOutcome::Approved),
                reservation_id: "r1".into(),
                on_recheck: false,
                comment: "good customer".into(),
            },
            "manager",
            3,
        )
        .expect("release");
        assert_eq!(case.state, CaseState::Released);
        assert_eq!(case.resolution, Some(CaseResolution::ReleasedByApproval));
        assert_eq!(
            (case.resolved_by.as_str(), case.resolved_at),
            ("manager", Some(3))
        );
        let refusal = case
            .apply(
                CaseMove::Reject {
                    reason: "late".into(),
                },
                "manager",
                4,
            )
            .expect_err("resolved already");
        assert_eq!(
            refusal.to_string(),
            "the credit case is RELEASED: it was resolved already"
        );
        assert_eq!(
            case.comment, "good customer",
            "a refused move changes nothing"
        );
    }

    #[test]
    fn a_recheck_that_fits_releases_and_a_rejection_closes() {
        let mut fits = open_case();
        fits.apply(
            CaseMove::Release {
                check: check("d2", CheckOutcome::Approved),
                reservation_id: "r2".into(),
                on_recheck: true,
                comment: String::new(),
            },
            "analyst",
            2,
        )
        .expect("fits");
        assert_eq!(fits.resolution, Some(CaseResolution::ReleasedOnRecheck));
        let mut rejected = open_case();
        rejected
            .apply(
                CaseMove::Reject {
                    reason: "overdue invoices".into(),
                },
                "manager",
                2,
            )
            .expect("reject");
        assert_eq!(rejected.state, CaseState::Rejected);
        assert_eq!(rejected.resolution, Some(CaseResolution::Rejected));
        assert_eq!(rejected.checks.len(), 1, "a rejection makes no check");
    }

    #[test]
    fn only_the_level_the_amount_needs_releases_or_rejects_and_never_who_referred() {
        let case = open_case();
        let manager = vec!["credit_manager".to_string()];
        for decision in ["release", "reject"] {
            assert!(case.may_decide("manager", &manager, decision).is_ok());
            let own = case
                .may_decide("sales", &manager, decision)
                .expect_err("four eyes");
            assert!(own.0.contains("four-eyes"), "{}", own.0);
            assert!(own.0.contains(decision), "{}", own.0);
            let analyst = case
                .may_decide("analyst", &["credit_analyst".to_string()], decision)
                .expect_err("below the level");
            assert!(analyst.0.contains("MANAGER"), "{}", analyst.0);
            assert!(
                case.may_decide("admin", &[roles::ADMIN.to_string()], decision)
                    .is_ok()
            );
        }
    }

    #[test]
    fn a_decision_joins_an_open_case_once() {
        let mut case = open_case();
        assert!(!case.join(check("d1", CheckOutcome::Rejected), "{}".into()));
        assert!(case.join(check("d2", CheckOutcome::Rejected), "{\"x\":1}".into()));
        assert_eq!(case.checks.len(), 2);
        assert_eq!(case.inputs_json, "{\"x\":1}");
    }

    #[test]
    fn a_case_is_stored_under_its_names() {
        let mut case = open_case();
        case.resolution = Some(CaseResolution::ReleasedOnRecheck);
        let json = serde_json::to_value(&case).expect("json");
        assert_eq!(json["state"], "OPEN");
        assert_eq!(json["resolution"], "RELEASED_ON_RECHECK");
        assert_eq!(json["order_amount"]["amount"], "60000");
        let back: CreditCase = serde_json::from_value(json).expect("back");
        assert_eq!(back, case);
    }
}
