//! Payment plans, pure: where a plan stands given what was paid. Payments count towards the
//! earliest instalments first; an instalment whose day plus the grace days has passed short of
//! its amount breaches the plan; once nothing the plan covers is open, it is completed. An
//! active plan ends once, completed or breached.
use credit_platform::transition::IllegalMove;
use serde::{Deserialize, Serialize};

/// One instalment: due day and amount (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    /// Days since 1970-01-01.
    pub due_day: i64,
    /// Minor units, positive.
    pub amount: i64,
}

credit_platform::named! {
    /// Where one instalment is.
    pub enum InstalmentState {
        /// Its day has not passed.
        Due = "DUE",
        /// Paid in full.
        Paid = "PAID",
        /// Its day passed short of it (within the grace days, or the plan is breached).
        Late = "LATE",
    }
}

/// How one instalment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstalmentStanding {
    /// Paid towards it.
    pub paid: i64,
    /// Where it is.
    pub state: InstalmentState,
}

/// How a plan stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Kept so far.
    Active,
    /// Nothing it covers is open any more.
    Completed,
    /// The instalment of this day was missed beyond the grace days.
    Breached(i64),
}

/// Where a plan stands on `today`: `paid` is what came in since it was agreed, `outstanding`
/// what its invoices still have open.
pub fn standing(
    instalments: &[Instalment],
    paid: i64,
    outstanding: i64,
    today: i64,
    grace_days: i64,
) -> (Standing, Vec<InstalmentStanding>) {
    let mut left = paid.max(0);
    let mut breached = None;
    let each = instalments
        .iter()
        .map(|i| {
            let towards = left.min(i.amount);
            left -= towards;
            let state = if towards == i.amount {
                InstalmentState::Paid
            } else if i.due_day < today {
                if breached.is_none() && i.due_day + grace_days < today {
                    breached = Some(i.due_day);
                }
                InstalmentState::Late
            } else {
                InstalmentState::Due
            };
            InstalmentStanding {
                paid: towards,
                state,
            }
        })
        .collect();
    let standing = if outstanding <= 0 {
        Standing::Completed
    } else if let Some(day) = breached {
        Standing::Breached(day)
    } else {
        Standing::Active
    };
    (standing, each)
}

/// Why a schedule cannot be agreed: (field, message).
pub fn check_schedule(
    instalments: &[Instalment],
    total: i64,
    today: i64,
) -> Result<(), (String, String)> {
    if instalments.is_empty() || instalments.len() > 60 {
        return Err(("instalments".into(), "from 1 to 60 instalments".into()));
    }
    for (i, instalment) in instalments.iter().enumerate() {
        if i == 0 && instalment.due_day < today {
            return Err(("instalments[0].due_date".into(), "today or later".into()));
        }
        if i > 0 && instalment.due_day <= instalments[i - 1].due_day {
            return Err((
                format!("instalments[{i}].due_date"),
                "after the previous instalment's".into(),
            ));
        }
        if instalment.due_day > today + 5 * 366 {
            return Err((
                format!("instalments[{i}].due_date"),
                "within five years".into(),
            ));
        }
    }
    let sum: i64 = instalments.iter().map(|i| i.amount).sum();
    if sum != total {
        return Err((
            "instalments".into(),
            "the amounts must add up to what the invoices have open".into(),
        ));
    }
    Ok(())
}

credit_platform::named! {
    /// Where a plan is.
    pub enum PlanState {
        /// Being kept: dunning leaves its invoices alone.
        Active = "ACTIVE",
        /// Nothing it covers is open any more.
        Completed = "COMPLETED",
        /// An instalment was missed beyond the grace days: dunning resumes.
        Breached = "BREACHED",
    }
}

impl PlanState {
    /// The state an active plan moves to given how it stands: `Ok(None)` while it stays active.
    pub fn transition(self, standing: &Standing) -> Result<Option<Self>, IllegalMove> {
        if self != Self::Active {
            return Err(IllegalMove {
                aggregate: "payment plan",
                state: self.name(),
                why: "it has ended already",
            });
        }
        Ok(match standing {
            Standing::Active => None,
            Standing::Completed => Some(Self::Completed),
            Standing::Breached(_) => Some(Self::Breached),
        })
    }
}

/// An instalment of a plan as last reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedInstalment {
    /// Due by (days since 1970-01-01).
    pub due_day: i64,
    /// Minor units.
    pub amount: i64,
    /// Paid towards it, minor units.
    pub paid: i64,
    /// Where it is.
    pub state: InstalmentState,
}

/// A payment plan over open invoices of one customer, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentPlan {
    /// Its id (UUID v7).
    pub plan_id: String,
    /// The customer.
    pub customer_id: String,
    /// The currency of the invoices and instalments.
    pub currency: String,
    /// The invoices it covers.
    pub invoice_ids: Vec<String>,
    /// The instalments, in date order.
    pub instalments: Vec<PlannedInstalment>,
    /// What the invoices had open when it was agreed (the instalments add up to it), minor units.
    pub total: i64,
    /// Paid since, minor units.
    pub paid: i64,
    /// Days after an instalment's day before it counts as missed.
    pub grace_days: i32,
    /// Where it is.
    pub state: PlanState,
    /// The first instalment missed, when breached.
    pub breached_day: Option<i64>,
    /// How it was agreed.
    pub note: String,
    /// Who agreed it.
    pub created_by: String,
    /// When (µs).
    pub created_at: i64,
    /// When it completed or was breached (µs).
    pub ended_at: Option<i64>,
}

impl PaymentPlan {
    /// Brings the paid amounts and instalment states up to date on `today`, given what its
    /// invoices still have open: how it stands.
    pub fn review(&mut self, outstanding: i64, today: i64) -> Standing {
        let paid = self.total - outstanding;
        let schedule: Vec<Instalment> = self
            .instalments
            .iter()
            .map(|i| Instalment {
                due_day: i.due_day,
                amount: i.amount,
            })
            .collect();
        let (now, each) = standing(
            &schedule,
            paid,
            outstanding,
            today,
            i64::from(self.grace_days),
        );
        self.paid = paid.max(0);
        for (instalment, s) in self.instalments.iter_mut().zip(each) {
            instalment.paid = s.paid;
            instalment.state = s.state;
        }
        now
    }

    /// Ends an active plan that stands completed or breached (at `at`): the new state, or
    /// `None` while it stays active.
    pub fn end(&mut self, standing: &Standing, at: i64) -> Result<Option<PlanState>, IllegalMove> {
        let Some(state) = self.state.transition(standing)? else {
            return Ok(None);
        };
        self.state = state;
        if let Standing::Breached(day) = standing {
            self.breached_day = Some(*day);
        }
        self.ended_at = Some(at);
        Ok(Some(state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Vec<Instalment> {
        vec![
            Instalment {
                due_day: 100,
                amount: 300,
            },
            Instalment {
                due_day: 130,
                amount: 300,
            },
            Instalment {
                due_day: 160,
                amount: 400,
            },
        ]
    }

    #[test]
    fn payments_fill_the_earliest_instalments_and_a_miss_beyond_grace_breaches() {
        let (s, each) = standing(&plan(), 450, 550, 120, 5);
        assert_eq!(s, Standing::Active);
        assert_eq!(
            each.iter().map(|e| (e.paid, e.state)).collect::<Vec<_>>(),
            [
                (300, InstalmentState::Paid),
                (150, InstalmentState::Due),
                (0, InstalmentState::Due)
            ]
        );
        // The second instalment's day passed: late within grace, breached after.
        assert_eq!(standing(&plan(), 450, 550, 133, 5).0, Standing::Active);
        assert_eq!(
            standing(&plan(), 450, 550, 133, 5).1[1].state,
            InstalmentState::Late
        );
        assert_eq!(
            standing(&plan(), 450, 550, 136, 5).0,
            Standing::Breached(130)
        );
        // Everything paid (or otherwise closed): completed even past the last day.
        assert_eq!(standing(&plan(), 1000, 0, 400, 5).0, Standing::Completed);
    }

    #[test]
    fn a_schedule_adds_up_rises_and_starts_today_or_later() {
        assert_eq!(check_schedule(&plan(), 1000, 90), Ok(()));
        assert_eq!(
            check_schedule(&plan(), 999, 90).map_err(|e| e.0),
            Err("instalments".to_string())
        );
        assert_eq!(
            check_schedule(&plan(), 1000, 101).map_err(|e| e.0),
            Err("instalments[0].due_date".to_string())
        );
        let mut back = plan();
        back[2].due_day = 130;
        assert_eq!(
            check_schedule(&back, 1000, 90).map_err(|e| e.0),
            Err("instalments[2].due_date".to_string())
        );
        assert!(check_schedule(&[], 0, 90).is_err());
    }

    #[test]
    fn an_active_plan_ends_once_completed_or_breached() {
        let mut p = PaymentPlan {
            plan_id: "p1".into(),
            customer_id: "c1".into(),
            currency: "EUR".into(),
            invoice_ids: vec!["i1".into()],
            instalments: plan()
                .iter()
                .map(|i| PlannedInstalment {
                    due_day: i.due_day,
                    amount: i.amount,
                    paid: 0,
                    state: InstalmentState::Due,
                })
                .collect(),
            total: 1000,
            paid: 0,
            grace_days: 5,
            state: PlanState::Active,
            breached_day: None,
            note: String::new(),
            created_by: "ana".into(),
            created_at: 0,
            ended_at: None,
        };
        let standing = p.review(550, 120);
        assert_eq!((standing.clone(), p.paid), (Standing::Active, 450));
        assert_eq!(p.instalments[0].state, InstalmentState::Paid);
        assert_eq!(p.end(&standing, 1), Ok(None));
        let standing = p.review(550, 136);
        assert_eq!(p.end(&standing, 2), Ok(Some(PlanState::Breached)));
        assert_eq!((p.breached_day, p.ended_at), (Some(130), Some(2)));
        assert_eq!(
            p.end(&Standing::Completed, 3)
                .expect_err("an illegal move")
                .to_string(),
            "the payment plan is BREACHED: it has ended already"
        );
    }
}
