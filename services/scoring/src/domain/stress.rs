//! Stress scenarios: what the portfolio would lose under a shock.
//!
//! Expected loss of a customer = probability of default × exposure × loss given default. A
//! scenario multiplies the probabilities — everyone's, and further those of shocked industries,
//! regions and customer segments — capping each at 1, and the portfolio's expected loss is
//! compared before and after, slice by slice.
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The Basel foundation loss given default for senior unsecured claims (trade receivables
/// are such claims): the default when a scenario names none.
pub const DEFAULT_LOSS_GIVEN_DEFAULT: Decimal = Decimal::from_parts(45, 0, 0, false, 2);

/// The key of a slice whose customers have no value for the dimension.
pub const UNKNOWN: &str = "UNKNOWN";

/// A scenario, validated: every factor positive, loss given default within 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// For people.
    pub name: String,
    /// Factor on everyone.
    pub probability_multiplier: Decimal,
    /// Factor by industry letter.
    pub industry_shocks: BTreeMap<String, Decimal>,
    /// Factor by region.
    pub region_shocks: BTreeMap<String, Decimal>,
    /// Factor by customer segment.
    pub segment_shocks: BTreeMap<String, Decimal>,
    /// Share of exposure lost at default.
    pub loss_given_default: Decimal,
}

/// How results are sliced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Risk class of the latest score.
    RiskClass,
    /// Bureau industry letter.
    Industry,
    /// Account region.
    Region,
    /// Account customer segment.
    CustomerSegment,
    /// Account business unit.
    BusinessUnit,
}

/// One customer of the portfolio: its exposure (in the reporting currency) and what is known
/// of it. `probability_of_default` is `None` for a customer never scored.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// The customer.
    pub customer_id: String,
    /// Exposure in the reporting currency.
    pub exposure: Decimal,
    /// Probability of default of the latest score.
    pub probability_of_default: Option<Decimal>,
    /// Risk class of the latest score.
    pub risk_class: Option<String>,
    /// Industry letter from the bureau report.
    pub industry: Option<String>,
    /// Account region.
    pub region: String,
    /// Account customer segment.
    pub segment: String,
    /// Account business unit.
    pub business_unit: String,
}

impl Position {
    fn key(&self, dimension: Dimension) -> String {
        let value = match dimension {
            Dimension::RiskClass => self.risk_class.as_deref().unwrap_or_default(),
            Dimension::Industry => self.industry.as_deref().unwrap_or_default(),
            Dimension::Region => &self.region,
            Dimension::CustomerSegment => &self.segment,
            Dimension::BusinessUnit => &self.business_unit,
        };
        if value.is_empty() {
            UNKNOWN.to_string()
        } else {
            value.to_string()
        }
    }
}

impl Scenario {
    /// The customer's probability under the scenario: every factor that applies, capped at 1.
    pub fn stressed(&self, position: &Position, probability: Decimal) -> Decimal {
        let mut factor = self.probability_multiplier;
        let shocks = [
            (&self.industry_shocks, position.industry.as_deref()),
            (&self.region_shocks, Some(position.region.as_str())),
            (&self.segment_shocks, Some(position.segment.as_str())),
        ];
        for (table, key) in shocks {
            if let Some(k) = key.and_then(|key| table.get(key)) {
                factor *= k;
            }
        }
        (probability * factor).min(Decimal::ONE)
    }

    /// Shocks that apply to none of `positions`, named as "industry_shocks[F]".
    fn unmatched(&self, positions: &[Position]) -> Vec<String> {
        let industries: BTreeSet<&str> = positions
            .iter()
            .filter_map(|p| p.industry.as_deref())
            .collect();
        let regions: BTreeSet<&str> = positions.iter().map(|p| p.region.as_str()).collect();
        let segments: BTreeSet<&str> = positions.iter().map(|p| p.segment.as_str()).collect();
        let mut unmatched = Vec::new();
        for (name, table, present) in [
            ("industry_shocks", &self.industry_shocks, &industries),
            ("region_shocks", &self.region_shocks, &regions),
            ("segment_shocks", &self.segment_shocks, &segments),
        ] {
            unmatched.extend(
                table
                    .keys()
                    .filter(|key| !present.contains(key.as_str()))
                    .map(|key| format!("{name}[{key}]")),
            );
        }
        unmatched
    }
}

/// Expected loss of a slice, exact (rounding is the answer's business).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SliceLoss {
    /// Scored customers.
    pub customers: i64,
    /// Their exposure.
    pub exposure: Decimal,
    /// Σ probability × exposure, before (÷ exposure gives the weighted probability).
    pub weighted_probability_before: Decimal,
    /// The same after.
    pub weighted_probability_after: Decimal,
    /// Expected loss before.
    pub expected_loss_before: Decimal,
    /// Under the scenario.
    pub expected_loss_after: Decimal,
    /// Customers never scored.
    pub unscored_customers: i64,
    /// Their exposure.
    pub unscored_exposure: Decimal,
}

impl SliceLoss {
    /// Exposure-weighted probability before; zero without exposure.
    pub fn probability_before(&self) -> Decimal {
        Self::weighted(self.weighted_probability_before, self.exposure)
    }

    /// Exposure-weighted probability after; zero without exposure.
    pub fn probability_after(&self) -> Decimal {
        Self::weighted(self.weighted_probability_after, self.exposure)
    }

    fn weighted(sum: Decimal, exposure: Decimal) -> Decimal {
        if exposure.is_zero() {
            Decimal::ZERO
        } else {
            sum / exposure
        }
    }

    fn add(&mut self, customer: &CustomerLoss) {
        self.customers += 1;
        self.exposure += customer.exposure;
        self.weighted_probability_before += customer.probability_before * customer.exposure;
        self.weighted_probability_after += customer.probability_after * customer.exposure;
        self.expected_loss_before += customer.expected_loss_before;
        self.expected_loss_after += customer.expected_loss_after;
    }
}

/// One scored customer under the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerLoss {
    /// The customer.
    pub customer_id: String,
    /// Its slice.
    pub key: String,
    /// Its exposure.
    pub exposure: Decimal,
    /// Probability before.
    pub probability_before: Decimal,
    /// Under the scenario.
    pub probability_after: Decimal,
    /// Expected loss before.
    pub expected_loss_before: Decimal,
    /// Under the scenario.
    pub expected_loss_after: Decimal,
}

/// The scenario's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Slices, largest expected loss after the shock first (then by key).
    pub slices: Vec<(String, SliceLoss)>,
    /// The whole portfolio.
    pub portfolio: SliceLoss,
    /// The `top` customers whose expected loss grows most (then by id).
    pub top_customers: Vec<CustomerLoss>,
    /// Shocks that matched no customer.
    pub unmatched_shocks: Vec<String>,
}

/// Applies `scenario` to `positions`, sliced by `dimension`.
pub fn run(
    scenario: &Scenario,
    dimension: Dimension,
    positions: &[Position],
    top: usize,
) -> Outcome {
    let mut slices: BTreeMap<String, SliceLoss> = BTreeMap::new();
    let mut portfolio = SliceLoss::default();
    let mut customers = Vec::new();
    for position in positions {
        let key = position.key(dimension);
        let slice = slices.entry(key.clone()).or_default();
        let Some(before) = position.probability_of_default else {
            for s in [&mut *slice, &mut portfolio] {
                s.unscored_customers += 1;
                s.unscored_exposure += position.exposure;
            }
            continue;
        };
        let after = scenario.stressed(position, before);
        let loss =
            |probability: Decimal| probability * position.exposure * scenario.loss_given_default;
        let customer = CustomerLoss {
            customer_id: position.customer_id.clone(),
            key,
            exposure: position.exposure,
            probability_before: before,
            probability_after: after,
            expected_loss_before: loss(before),
            expected_loss_after: loss(after),
        };
        slice.add(&customer);
        portfolio.add(&customer);
        customers.push(customer);
    }
    let mut slices: Vec<(String, SliceLoss)> = slices.into_iter().collect();
    slices.sort_by(|(a_key, a), (b_key, b)| {
        b.expected_loss_after
            .cmp(&a.expected_loss_after)
            .then_with(|| a_key.cmp(b_key))
    });
    customers.sort_by(|a, b| {
        let growth = |c: &CustomerLoss| c.expected_loss_after - c.expected_loss_before;
        growth(b)
            .cmp(&growth(a))
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    customers.truncate(top);
    Outcome {
        slices,
        portfolio,
        top_customers: customers,
        unmatched_shocks: scenario.unmatched(positions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn position(id: &str, exposure: Decimal, pd: Option<Decimal>, industry: &str) -> Position {
        Position {
            customer_id: id.into(),
            exposure,
            probability_of_default: pd,
            risk_class: pd.map(|_| "B".to_string()),
            industry: (!industry.is_empty()).then(|| industry.to_string()),
            region: "EU-WEST".into(),
            segment: "SME".into(),
            business_unit: String::new(),
        }
    }

    fn scenario() -> Scenario {
        Scenario {
            name: "recession".into(),
            probability_multiplier: dec!(1.5),
            industry_shocks: BTreeMap::from([("F".to_string(), dec!(2))]),
            region_shocks: BTreeMap::new(),
            segment_shocks: BTreeMap::new(),
            loss_given_default: dec!(0.45),
        }
    }

    #[test]
    fn expected_loss_is_probability_times_exposure_times_loss_given_default() {
        let positions = [
            // Construction, shocked twice: 0.02 × 1.5 × 2 = 0.06.
            position("a", dec!(100000), Some(dec!(0.02)), "F"),
            // Retail, only the general factor: 0.04 × 1.5 = 0.06.
            position("b", dec!(50000), Some(dec!(0.04)), "G"),
            // Never scored: reported beside the figures, not in them.
            position("c", dec!(7000), None, "G"),
        ];
        let outcome = run(&scenario(), Dimension::Industry, &positions, 10);
        // Before: 0.02·100000·0.45 = 900 and 0.04·50000·0.45 = 900.
        // After: 0.06·100000·0.45 = 2700 and 0.06·50000·0.45 = 1350.
        assert_eq!(outcome.portfolio.expected_loss_before, dec!(1800));
        assert_eq!(outcome.portfolio.expected_loss_after, dec!(4050));
        assert_eq!(outcome.portfolio.exposure, dec!(150000));
        assert_eq!(outcome.portfolio.customers, 2);
        assert_eq!(outcome.portfolio.unscored_customers, 1);
        assert_eq!(outcome.portfolio.unscored_exposure, dec!(7000));
        // Weighted: (0.02·100000 + 0.04·50000) / 150000 = 0.026666…; after 0.06.
        assert_eq!(
            outcome.portfolio.probability_before().round_dp(6),
            dec!(0.026667)
        );
        assert_eq!(outcome.portfolio.probability_after(), dec!(0.06));
        let keys: Vec<&str> = outcome.slices.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["F", "G"], "largest loss after the shock first");
        let g = &outcome.slices[1].1;
        assert_eq!((g.customers, g.unscored_customers), (1, 1));
        assert_eq!(g.expected_loss_after, dec!(1350));
        let top: Vec<&str> = outcome
            .top_customers
            .iter()
            .map(|c| c.customer_id.as_str())
            .collect();
        assert_eq!(top, ["a", "b"], "a grows by 1800, b by 450");
    }

    #[test]
    fn factors_multiply_and_a_probability_never_exceeds_one() {
        let mut s = scenario();
        s.region_shocks.insert("EU-WEST".into(), dec!(10));
        let p = position("a", dec!(1000), Some(dec!(0.02)), "F");
        // 0.02 × 1.5 × 2 × 10 = 0.6.
        assert_eq!(s.stressed(&p, dec!(0.02)), dec!(0.6));
        assert_eq!(s.stressed(&p, dec!(0.2)), Decimal::ONE);
        s.segment_shocks.insert("SME".into(), dec!(0.5));
        assert_eq!(s.stressed(&p, dec!(0.02)), dec!(0.3));
    }

    #[test]
    fn a_neutral_scenario_changes_nothing() {
        let neutral = Scenario {
            name: String::new(),
            probability_multiplier: Decimal::ONE,
            industry_shocks: BTreeMap::new(),
            region_shocks: BTreeMap::new(),
            segment_shocks: BTreeMap::new(),
            loss_given_default: DEFAULT_LOSS_GIVEN_DEFAULT,
        };
        let positions = [
            position("a", dec!(123.45), Some(dec!(0.031)), "F"),
            position("b", dec!(0), Some(dec!(0.5)), ""),
        ];
        let outcome = run(&neutral, Dimension::RiskClass, &positions, 10);
        assert_eq!(
            outcome.portfolio.expected_loss_before,
            outcome.portfolio.expected_loss_after
        );
        assert_eq!(outcome.portfolio.expected_loss_before, dec!(1.7221275));
    }

    #[test]
    fn slices_without_a_value_are_unknown_and_typos_are_reported() {
        let mut s = scenario();
        s.industry_shocks.insert("f".into(), dec!(3));
        s.region_shocks.insert("MARS".into(), dec!(3));
        let positions = [position("a", dec!(10), Some(dec!(0.1)), "")];
        let outcome = run(&s, Dimension::Industry, &positions, 10);
        assert_eq!(outcome.slices[0].0, UNKNOWN);
        assert_eq!(
            outcome.unmatched_shocks,
            [
                "industry_shocks[F]",
                "industry_shocks[f]",
                "region_shocks[MARS]"
            ]
        );
    }

    #[test]
    fn an_empty_portfolio_has_no_loss() {
        let outcome = run(&scenario(), Dimension::Region, &[], 10);
        assert_eq!(outcome.portfolio, SliceLoss::default());
        assert_eq!(outcome.portfolio.probability_before(), Decimal::ZERO);
        assert!(outcome.slices.is_empty() && outcome.top_customers.is_empty());
    }
}
