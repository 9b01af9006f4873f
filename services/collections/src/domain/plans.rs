//! Payment plans, pure: where a plan stands given what was paid. Payments count towards the
//! earliest instalments first; an instalment whose day plus the grace days has passed short of
//! its amount breaches the plan; once nothing the plan covers is open, it is completed.

/// One instalment: due day and amount (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    /// Days since 1970-01-01.
    pub due_day: i64,
    /// Minor units, positive.
    pub amount: i64,
}

/// How one instalment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstalmentStanding {
    /// Paid towards it.
    pub paid: i64,
    /// "DUE", "PAID" or "LATE".
    pub state: &'static str,
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
                "PAID"
            } else if i.due_day < today {
                if breached.is_none() && i.due_day + grace_days < today {
                    breached = Some(i.due_day);
                }
                "LATE"
            } else {
                "DUE"
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
            [(300, "PAID"), (150, "DUE"), (0, "DUE")]
        );
        // The second instalment's day passed: late within grace, breached after.
        assert_eq!(standing(&plan(), 450, 550, 133, 5).0, Standing::Active);
        assert_eq!(standing(&plan(), 450, 550, 133, 5).1[1].state, "LATE");
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
}
