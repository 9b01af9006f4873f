//! Aging: open receivables bucketed by days past due (current, then the configured overdue
//! bounds, then beyond the last), per group and currency — amounts are never added across
//! currencies.
use std::collections::BTreeMap;

/// The standard bounds: current, 1–30, 31–60, 61–90, 90+.
pub const DEFAULT_BOUNDS: &[i64] = &[30, 60, 90];

/// Bucket bounds in days past due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    bounds: Vec<i64>,
}

impl Buckets {
    /// Bounds ascending, each at least 1; empty means the standard ones.
    pub fn new(bounds: &[i64]) -> Result<Self, String> {
        if bounds.is_empty() {
            return Ok(Self {
                bounds: DEFAULT_BOUNDS.to_vec(),
            });
        }
        if bounds.len() > 12 {
            return Err("at most 12 bounds".into());
        }
        if bounds[0] < 1 || bounds.windows(2).any(|w| w[1] <= w[0]) {
            return Err("bounds must be ascending whole days, from 1".into());
        }
        Ok(Self {
            bounds: bounds.to_vec(),
        })
    }

    /// Labels, current first ("current", "1-30", …, "90+").
    pub fn labels(&self) -> Vec<String> {
        let mut labels = vec!["current".to_string()];
        let mut from = 1;
        for bound in &self.bounds {
            labels.push(format!("{from}-{bound}"));
            from = bound + 1;
        }
        labels.push(format!("{}+", from - 1));
        labels
    }

    /// The bucket of an invoice `days_past_due` days after its due date (0 or less: current).
    pub fn index(&self, days_past_due: i64) -> usize {
        if days_past_due <= 0 {
            return 0;
        }
        1 + self
            .bounds
            .iter()
            .position(|b| days_past_due <= *b)
            .unwrap_or(self.bounds.len())
    }

    /// Number of buckets.
    pub fn len(&self) -> usize {
        self.bounds.len() + 2
    }

    /// Never empty (current and beyond the last bound always exist).
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// One group's aging in one currency, amounts in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    /// Open amount per bucket.
    pub amounts: Vec<i64>,
    /// Invoices per bucket.
    pub invoices: Vec<i64>,
    /// Unapplied cash and credit.
    pub unapplied: i64,
}

impl Line {
    /// Everything open.
    pub fn total(&self) -> i64 {
        self.amounts.iter().sum()
    }

    /// Open and past due.
    pub fn overdue(&self) -> i64 {
        self.amounts.iter().skip(1).sum()
    }
}

/// Aging being added up: (group key, currency) → line.
#[derive(Debug, Clone)]
pub struct Aging {
    buckets: Buckets,
    as_of_day: i64,
    /// The lines, by key then currency.
    pub lines: BTreeMap<(String, String), Line>,
}

impl Aging {
    /// Empty aging as of `as_of_day`.
    pub fn new(buckets: Buckets, as_of_day: i64) -> Self {
        Self {
            buckets,
            as_of_day,
            lines: BTreeMap::new(),
        }
    }

    fn line(&mut self, key: &str, currency: &str) -> &mut Line {
        let size = self.buckets.len();
        self.lines
            .entry((key.to_string(), currency.to_string()))
            .or_insert_with(|| Line {
                amounts: vec![0; size],
                invoices: vec![0; size],
                unapplied: 0,
            })
    }

    /// Adds `count` invoices due on `due_day` with `open` still to pay.
    pub fn add_open(&mut self, key: &str, currency: &str, due_day: i64, open: i64, count: i64) {
        let index = self.buckets.index(self.as_of_day - due_day);
        let line = self.line(key, currency);
        line.amounts[index] += open;
        line.invoices[index] += count;
    }

    /// Adds unapplied cash or credit.
    pub fn add_unapplied(&mut self, key: &str, currency: &str, amount: i64) {
        self.line(key, currency).unapplied += amount;
    }

    /// The bucket labels.
    pub fn labels(&self) -> Vec<String> {
        self.buckets.labels()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoices_fall_into_the_bucket_of_their_days_past_due() {
        let b = Buckets::new(&[]).expect("default");
        assert_eq!(b.labels(), ["current", "1-30", "31-60", "61-90", "90+"]);
        let cases = [
            (-5, 0),
            (0, 0),
            (1, 1),
            (30, 1),
            (31, 2),
            (60, 2),
            (61, 3),
            (90, 3),
            (91, 4),
            (400, 4),
        ];
        for (days, bucket) in cases {
            assert_eq!(b.index(days), bucket, "{days} days past due");
        }
        let weekly = Buckets::new(&[7, 14]).expect("weekly");
        assert_eq!(weekly.labels(), ["current", "1-7", "8-14", "14+"]);
        assert!(Buckets::new(&[30, 30]).is_err());
        assert!(Buckets::new(&[0, 30]).is_err());
    }

    #[test]
    fn lines_add_up_by_group_and_currency_never_across_currencies() {
        let mut aging = Aging::new(Buckets::new(&[]).expect("default"), 1_000);
        aging.add_open("ACME", "EUR", 1_010, 10_000, 1); // not due yet
        aging.add_open("ACME", "EUR", 985, 5_000, 1); // 15 days late
        aging.add_open("ACME", "EUR", 900, 2_500, 2); // 100 days late
        aging.add_open("ACME", "USD", 985, 7_000, 1);
        aging.add_unapplied("ACME", "EUR", 1_000);
        let eur = &aging.lines[&("ACME".to_string(), "EUR".to_string())];
        assert_eq!(eur.amounts, [10_000, 5_000, 0, 0, 2_500]);
        assert_eq!(eur.invoices, [1, 1, 0, 0, 2]);
        assert_eq!(
            (eur.total(), eur.overdue(), eur.unapplied),
            (17_500, 7_500, 1_000)
        );
        let usd = &aging.lines[&("ACME".to_string(), "USD".to_string())];
        assert_eq!(usd.total(), 7_000);
    }
}
