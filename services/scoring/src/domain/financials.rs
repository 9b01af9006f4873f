//! Financial statements, their consistency checks, the standard ratios and Altman's Z''-score.
//!
//! Amounts are exact decimals in the statement's currency; ratios are dimensionless decimals
//! rounded to 4 places. A ratio whose denominator is zero or missing is `None`, never infinity.
use rust_decimal::Decimal;
use rust_decimal::prelude::*;
use serde::{Deserialize, Serialize};

/// One period's financial statement of a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Last day of the period, ISO 8601 date ("2025-12-31").
    pub period_end: String,
    /// ISO 4217 currency of every amount.
    pub currency_code: String,
    /// Revenue (turnover).
    pub revenue: Decimal,
    /// Earnings before interest and taxes.
    pub ebit: Decimal,
    /// Net income.
    pub net_income: Decimal,
    /// Interest expense, when reported.
    pub interest_expense: Option<Decimal>,
    /// Total assets.
    pub total_assets: Decimal,
    /// Current assets.
    pub current_assets: Decimal,
    /// Cash and equivalents.
    pub cash: Decimal,
    pub inventory: Decimal,
    /// Trade receivables.
    pub receivables: Decimal,
    /// Intangible assets (goodwill included), when reported; tangible net worth excludes them.
    pub intangible_assets: Option<Decimal>,
    /// Total liabilities.
    pub total_liabilities: Decimal,
    /// Current liabilities.
    pub current_liabilities: Decimal,
    /// Retained earnings (may be negative: accumulated losses).
    pub retained_earnings: Decimal,
    /// Book equity (may be negative).
    pub equity: Decimal,
}

/// Something wrong with a statement; a flagged statement is reported, not silently used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// Stable code, UPPER_SNAKE_CASE.
    pub code: String,
    /// The field concerned.
    pub field: String,
    /// For a person.
    pub message: String,
}

/// How far total assets may differ from liabilities + equity, relative to total assets, before a
/// statement is called inconsistent (rounding in published accounts). Policy may set another.
pub const DEFAULT_BALANCE_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 2); // 0.01

impl Statement {
    /// Consistency checks: totals that cannot be negative, parts larger than their whole, and
    /// a balance sheet that does not balance within `tolerance` (a share of total assets).
    pub fn flags(&self, tolerance: Decimal) -> Vec<Flag> {
        let mut flags = Vec::new();
        let never_negative = [
            ("revenue", self.revenue),
            ("total_assets", self.total_assets),
            ("current_assets", self.current_assets),
            ("cash", self.cash),
            ("inventory", self.inventory),
            ("receivables", self.receivables),
            ("total_liabilities", self.total_liabilities),
            ("current_liabilities", self.current_liabilities),
        ];
        for (field, value) in never_negative {
            if value.is_sign_negative() && !value.is_zero() {
                flags.push(Flag {
                    code: "NEGATIVE_TOTAL".into(),
                    field: field.into(),
                    message: format!("{field} is negative ({value})"),
                });
            }
        }
        if let Some(intangibles) = self.intangible_assets
            && intangibles.is_sign_negative()
            && !intangibles.is_zero()
        {
            flags.push(Flag {
                code: "NEGATIVE_TOTAL".into(),
                field: "intangible_assets".into(),
                message: format!("intangible_assets is negative ({intangibles})"),
            });
        }
        if self.total_assets.is_zero() {
            flags.push(Flag {
                code: "NO_ASSETS".into(),
                field: "total_assets".into(),
                message: "total assets are zero: no ratio to assets can be computed".into(),
            });
        }
        let parts = [
            (
                "current_assets",
                self.current_assets,
                "current_assets above total_assets",
                self.total_assets,
            ),
            (
                "current_assets",
                self.cash + self.inventory + self.receivables,
                "cash + inventory + receivables above current_assets",
                self.current_assets,
            ),
            (
                "current_liabilities",
                self.current_liabilities,
                "current_liabilities above total_liabilities",
                self.total_liabilities,
            ),
        ];
        for (field, part, what, whole) in parts {
            if part > whole {
                flags.push(Flag {
                    code: "PART_EXCEEDS_TOTAL".into(),
                    field: field.into(),
                    message: format!("{what}: {part} > {whole}"),
                });
            }
        }
        let gap = (self.total_assets - (self.total_liabilities + self.equity)).abs();
        if gap > self.total_assets.abs() * tolerance {
            flags.push(Flag {
                code: "BALANCE_SHEET_DOES_NOT_BALANCE".into(),
                field: "total_assets".into(),
                message: format!(
                    "total assets {} differ from liabilities + equity {} by {gap}, more than {}% \
                     of total assets",
                    self.total_assets,
                    self.total_liabilities + self.equity,
                    (tolerance * Decimal::ONE_HUNDRED).normalize()
                ),
            });
        }
        flags
    }

    /// Current assets − current liabilities.
    pub fn working_capital(&self) -> Decimal {
        self.current_assets - self.current_liabilities
    }

    /// Equity − intangible assets (what creditors could count on in a liquidation).
    pub fn tangible_net_worth(&self) -> Decimal {
        self.equity - self.intangible_assets.unwrap_or_default()
    }
}

fn ratio(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    if denominator.is_zero() {
        return None;
    }
    numerator.checked_div(denominator).map(|r| r.round_dp(4))
}

/// The standard ratios of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratios {
    /// Current assets / current liabilities.
    pub current_ratio: Option<Decimal>,
    /// (Current assets − inventory) / current liabilities.
    pub quick_ratio: Option<Decimal>,
    /// Total liabilities / equity (None when equity is zero; negative equity gives a negative
    /// ratio, which the scorecard treats as the worst band).
    pub debt_to_equity: Option<Decimal>,
    /// EBIT / interest expense, when interest is reported and not zero.
    pub interest_cover: Option<Decimal>,
    /// EBIT / revenue.
    pub ebit_margin: Option<Decimal>,
    /// Net income / revenue.
    pub net_margin: Option<Decimal>,
    /// Net income / total assets.
    pub return_on_assets: Option<Decimal>,
    /// Working capital, an amount.
    pub working_capital: Decimal,
    /// Tangible net worth, an amount.
    pub tangible_net_worth: Decimal,
}

impl Ratios {
    /// The ratios of `s`.
    pub fn of(s: &Statement) -> Self {
        Self {
            current_ratio: ratio(s.current_assets, s.current_liabilities),
            quick_ratio: ratio(s.current_assets - s.inventory, s.current_liabilities),
            debt_to_equity: ratio(s.total_liabilities, s.equity),
            interest_cover: s.interest_expense.and_then(|i| ratio(s.ebit, i)),
            ebit_margin: ratio(s.ebit, s.revenue),
            net_margin: ratio(s.net_income, s.revenue),
            return_on_assets: ratio(s.net_income, s.total_assets),
            working_capital: s.working_capital(),
            tangible_net_worth: s.tangible_net_worth(),
        }
    }
}

/// Where a Z''-score falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Zone {
    /// Below 1.1.
    Distress,
    /// 1.1 to 2.6.
    Grey,
    /// Above 2.6.
    Safe,
}

/// Altman's Z''-score for private, non-manufacturing firms, with its four ratios.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AltmanZ {
    /// Working capital / total assets.
    pub x1: Decimal,
    /// Retained earnings / total assets.
    pub x2: Decimal,
    /// EBIT / total assets.
    pub x3: Decimal,
    /// Book equity / total liabilities.
    pub x4: Decimal,
    /// 6.56·X1 + 3.26·X2 + 6.72·X3 + 1.05·X4, rounded to 4 places.
    pub score: Decimal,
    /// Distress below 1.1, safe above 2.6.
    pub zone: Zone,
}

/// Z'' of `s`, or None when total assets or total liabilities are zero (the ratios are undefined).
pub fn altman_z(s: &Statement) -> Option<AltmanZ> {
    let x1 = ratio(s.working_capital(), s.total_assets)?;
    let x2 = ratio(s.retained_earnings, s.total_assets)?;
    let x3 = ratio(s.ebit, s.total_assets)?;
    let x4 = ratio(s.equity, s.total_liabilities)?;
    let weights = [dec("6.56"), dec("3.26"), dec("6.72"), dec("1.05")];
    let score = (weights[0] * x1 + weights[1] * x2 + weights[2] * x3 + weights[3] * x4).round_dp(4);
    let zone = if score < dec("1.1") {
        Zone::Distress
    } else if score > dec("2.6") {
        Zone::Safe
    } else {
        Zone::Grey
    };
    Some(AltmanZ {
        x1,
        x2,
        x3,
        x4,
        score,
        zone,
    })
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a constant decimal")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// A distributor's year: figures chosen so every ratio is easy to check by hand.
    fn statement() -> Statement {
        Statement {
            period_end: "2025-12-31".into(),
            currency_code: "EUR".into(),
            revenue: dec!(2000000),
            ebit: dec!(150000),
            net_income: dec!(90000),
            interest_expense: Some(dec!(30000)),
            total_assets: dec!(1000000),
            current_assets: dec!(600000),
            cash: dec!(100000),
            inventory: dec!(200000),
            receivables: dec!(250000),
            intangible_assets: Some(dec!(50000)),
            total_liabilities: dec!(600000),
            current_liabilities: dec!(400000),
            retained_earnings: dec!(250000),
            equity: dec!(400000),
        }
    }

    #[test]
    fn ratios_match_the_hand_computation() {
        let r = Ratios::of(&statement());
        assert_eq!(r.current_ratio, Some(dec!(1.5))); // 600 / 400
        assert_eq!(r.quick_ratio, Some(dec!(1.0))); // (600 - 200) / 400
        assert_eq!(r.debt_to_equity, Some(dec!(1.5))); // 600 / 400
        assert_eq!(r.interest_cover, Some(dec!(5))); // 150 / 30
        assert_eq!(r.ebit_margin, Some(dec!(0.075))); // 150 / 2000
        assert_eq!(r.net_margin, Some(dec!(0.045))); // 90 / 2000
        assert_eq!(r.return_on_assets, Some(dec!(0.09))); // 90 / 1000
        assert_eq!(r.working_capital, dec!(200000));
        assert_eq!(r.tangible_net_worth, dec!(350000));
    }

    #[test]
    fn altman_z_double_prime_matches_the_hand_computation() {
        // X1 = 200/1000 = 0.2, X2 = 250/1000 = 0.25, X3 = 150/1000 = 0.15, X4 = 400/600 = 0.6667
        // Z'' = 6.56·0.2 + 3.26·0.25 + 6.72·0.15 + 1.05·0.6667
        //     = 1.312 + 0.815 + 1.008 + 0.700035 = 3.835035 → 3.835
        let z = altman_z(&statement()).expect("defined");
        assert_eq!(
            (z.x1, z.x2, z.x3, z.x4),
            (dec!(0.2), dec!(0.25), dec!(0.15), dec!(0.6667))
        );
        assert_eq!(z.score, dec!(3.8350));
        assert_eq!(z.zone, Zone::Safe);

        // A loss-making, over-indebted year: WC = 300 - 500 = -200, RE = -100, EBIT = -50,
        // equity 100 against liabilities 900 on assets of 1000.
        // Z'' = 6.56·(-0.2) + 3.26·(-0.1) + 6.72·(-0.05) + 1.05·0.1111
        //     = -1.312 - 0.326 - 0.336 + 0.116655 = -1.857345 → -1.8573
        let weak = Statement {
            current_assets: dec!(300000),
            current_liabilities: dec!(500000),
            retained_earnings: dec!(-100000),
            ebit: dec!(-50000),
            equity: dec!(100000),
            total_liabilities: dec!(900000),
            ..statement()
        };
        let z = altman_z(&weak).expect("defined");
        assert_eq!(z.score, dec!(-1.8573));
        assert_eq!(z.zone, Zone::Distress);

        // Grey zone: X1 = 0.1, X2 = 0.1, X3 = 0.05, X4 = 0.5 → 0.656 + 0.326 + 0.336 + 0.525 = 1.843
        let middling = Statement {
            current_assets: dec!(500000),
            current_liabilities: dec!(400000),
            retained_earnings: dec!(100000),
            ebit: dec!(50000),
            equity: dec!(333333.33),
            total_liabilities: dec!(666666.67),
            ..statement()
        };
        let z = altman_z(&middling).expect("defined");
        assert_eq!(z.score, dec!(1.843));
        assert_eq!(z.zone, Zone::Grey);
    }

    #[test]
    fn undefined_ratios_are_none_not_infinite() {
        let empty = Statement {
            total_assets: dec!(0),
            current_liabilities: dec!(0),
            total_liabilities: dec!(0),
            equity: dec!(0),
            revenue: dec!(0),
            interest_expense: None,
            current_assets: dec!(0),
            cash: dec!(0),
            inventory: dec!(0),
            receivables: dec!(0),
            retained_earnings: dec!(0),
            intangible_assets: None,
            ..statement()
        };
        let r = Ratios::of(&empty);
        assert_eq!(
            (
                r.current_ratio,
                r.quick_ratio,
                r.debt_to_equity,
                r.interest_cover,
                r.ebit_margin
            ),
            (None, None, None, None, None)
        );
        assert!(altman_z(&empty).is_none());
        assert!(
            empty
                .flags(DEFAULT_BALANCE_TOLERANCE)
                .iter()
                .any(|f| f.code == "NO_ASSETS")
        );
    }

    #[test]
    fn inconsistent_statements_are_flagged() {
        assert_eq!(statement().flags(DEFAULT_BALANCE_TOLERANCE), Vec::new());
        let unbalanced = Statement {
            equity: dec!(300000), // assets 1000 vs 600 + 300 = 900: 10 % off
            ..statement()
        };
        let flags = unbalanced.flags(DEFAULT_BALANCE_TOLERANCE);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].code, "BALANCE_SHEET_DOES_NOT_BALANCE");
        // Within a looser tolerance it passes.
        assert!(unbalanced.flags(dec!(0.15)).is_empty());

        let negative = Statement {
            cash: dec!(-5),
            current_assets: dec!(1200000),
            ..statement()
        };
        let flags = negative.flags(DEFAULT_BALANCE_TOLERANCE);
        let codes: Vec<_> = flags
            .iter()
            .map(|f| (f.code.as_str(), f.field.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("NEGATIVE_TOTAL", "cash"),
                ("PART_EXCEEDS_TOTAL", "current_assets")
            ]
        );
    }
}
