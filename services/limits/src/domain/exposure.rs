//! Exposure by category and the rules that say which categories count against a limit.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Exposure categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    /// Reserved open orders.
    ReservedOrders,
    /// Shipped, not invoiced.
    DeliveredNotInvoiced,
    /// Unpaid invoices.
    OpenReceivables,
    /// Other commitments.
    OtherCommitments,
}

impl Category {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReservedOrders => "RESERVED_ORDERS",
            Self::DeliveredNotInvoiced => "DELIVERED_NOT_INVOICED",
            Self::OpenReceivables => "OPEN_RECEIVABLES",
            Self::OtherCommitments => "OTHER_COMMITMENTS",
        }
    }

    /// From the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::ReservedOrders,
            Self::DeliveredNotInvoiced,
            Self::OpenReceivables,
            Self::OtherCommitments,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }
}

/// Amounts by category, in the account currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Exposure {
    /// Reserved open orders.
    pub reserved_orders: Decimal,
    /// Shipped, not invoiced.
    pub delivered_not_invoiced: Decimal,
    /// Unpaid invoices.
    pub open_receivables: Decimal,
    /// Other commitments.
    pub other_commitments: Decimal,
}

impl Exposure {
    /// The amount of one category.
    pub fn get(&self, category: Category) -> Decimal {
        match category {
            Category::ReservedOrders => self.reserved_orders,
            Category::DeliveredNotInvoiced => self.delivered_not_invoiced,
            Category::OpenReceivables => self.open_receivables,
            Category::OtherCommitments => self.other_commitments,
        }
    }

    /// Adds `delta` (possibly negative) to one category.
    pub fn add(&mut self, category: Category, delta: Decimal) {
        let slot = match category {
            Category::ReservedOrders => &mut self.reserved_orders,
            Category::DeliveredNotInvoiced => &mut self.delivered_not_invoiced,
            Category::OpenReceivables => &mut self.open_receivables,
            Category::OtherCommitments => &mut self.other_commitments,
        };
        *slot += delta;
    }

    /// Adds every category of `other`, scaled by `sign` (1 or -1).
    pub fn add_all(&mut self, other: &Exposure, sign: Decimal) {
        self.reserved_orders += other.reserved_orders * sign;
        self.delivered_not_invoiced += other.delivered_not_invoiced * sign;
        self.open_receivables += other.open_receivables * sign;
        self.other_commitments += other.other_commitments * sign;
    }

    /// Sum of all categories.
    pub fn total(&self) -> Decimal {
        self.reserved_orders
            + self.delivered_not_invoiced
            + self.open_receivables
            + self.other_commitments
    }

    /// Sum of the categories `counting` counts.
    pub fn counted(&self, counting: &Counting) -> Decimal {
        [
            Category::ReservedOrders,
            Category::DeliveredNotInvoiced,
            Category::OpenReceivables,
            Category::OtherCommitments,
        ]
        .into_iter()
        .filter(|c| counting.counts(*c))
        .map(|c| self.get(c))
        .sum()
    }
}

/// Where a counting rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CountingScope {
    /// Built in: everything counts.
    Default,
    /// Set for the account's segment.
    Segment,
    /// Set for the account.
    Account,
}

/// Which categories count against the limit; the rest are shown only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counting {
    /// Where the rule comes from.
    pub scope: CountingScope,
    /// Reserved orders count.
    pub reserved_orders: bool,
    /// Delivered-not-invoiced counts.
    pub delivered_not_invoiced: bool,
    /// Open receivables count.
    pub open_receivables: bool,
    /// Other commitments count.
    pub other_commitments: bool,
}

impl Default for Counting {
    fn default() -> Self {
        Self {
            scope: CountingScope::Default,
            reserved_orders: true,
            delivered_not_invoiced: true,
            open_receivables: true,
            other_commitments: true,
        }
    }
}

impl Counting {
    /// Whether `category` counts.
    pub fn counts(&self, category: Category) -> bool {
        match category {
            Category::ReservedOrders => self.reserved_orders,
            Category::DeliveredNotInvoiced => self.delivered_not_invoiced,
            Category::OpenReceivables => self.open_receivables,
            Category::OtherCommitments => self.other_commitments,
        }
    }

    /// Stored form: four bits in category order.
    pub fn to_bits(&self) -> i64 {
        i64::from(self.reserved_orders)
            | i64::from(self.delivered_not_invoiced) << 1
            | i64::from(self.open_receivables) << 2
            | i64::from(self.other_commitments) << 3
    }

    /// From the stored form.
    pub fn from_bits(bits: i64, scope: CountingScope) -> Self {
        Self {
            scope,
            reserved_orders: bits & 1 != 0,
            delivered_not_invoiced: bits & 2 != 0,
            open_receivables: bits & 4 != 0,
            other_commitments: bits & 8 != 0,
        }
    }

    /// The rule in force: the account's own, else its segment's, else the default.
    pub fn resolve(account_bits: Option<i64>, segment_bits: Option<i64>) -> Self {
        match (account_bits, segment_bits) {
            (Some(bits), _) => Self::from_bits(bits, CountingScope::Account),
            (None, Some(bits)) => Self::from_bits(bits, CountingScope::Segment),
            (None, None) => Self::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn counted_exposure_skips_shown_only_categories() {
        let exposure = Exposure {
            reserved_orders: dec!(100),
            delivered_not_invoiced: dec!(20),
            open_receivables: dec!(300),
            other_commitments: dec!(5),
        };
        assert_eq!(exposure.counted(&Counting::default()), dec!(425));
        let no_orders = Counting {
            reserved_orders: false,
            ..Counting::default()
        };
        assert_eq!(exposure.counted(&no_orders), dec!(325));
        assert_eq!(exposure.total(), dec!(425));
    }

    #[test]
    fn account_rule_wins_over_segment_rule_over_default() {
        assert_eq!(Counting::resolve(None, None), Counting::default());
        assert_eq!(
            Counting::resolve(None, Some(0b0100)).scope,
            CountingScope::Segment
        );
        let account = Counting::resolve(Some(0b0101), Some(0));
        assert_eq!(account.scope, CountingScope::Account);
        assert!(
            account.reserved_orders && account.open_receivables && !account.delivered_not_invoiced
        );
        assert_eq!(account.to_bits(), 0b0101);
    }
}
