//! The stress-scenario use case: exposure from limits, probabilities from the latest scores,
//! industries from the bureau reports, the scenario applied by [`crate::domain::stress`].
use crate::domain::stress::{self, Dimension, Position, Scenario};
use crate::peers::limits::{Account, LimitsReader};
use crate::store;
use credit_platform::clock::{SharedClock, to_timestamp};
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::{Currency, Money, parse_decimal};
use credit_proto::scoring as pb;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A validated request.
#[derive(Debug, Clone)]
pub struct StressRequest {
    /// The scenario.
    pub scenario: Scenario,
    /// The breakdown.
    pub dimension: Dimension,
    /// The reporting currency, when given.
    pub currency: Option<Currency>,
    /// How many customers to list.
    pub top: usize,
}

/// Runs scenarios against the portfolio.
#[derive(Clone)]
pub struct StressTesting {
    db: Db,
    clock: SharedClock,
    limits: Option<LimitsReader>,
}

impl StressTesting {
    /// Over the scoring database, reading exposure through `limits` (None: not configured).
    pub fn new(db: Db, clock: SharedClock, limits: Option<LimitsReader>) -> Self {
        Self { db, clock, limits }
    }

    /// Applies the scenario to every account in limits.
    pub async fn run(
        &self,
        request: StressRequest,
        data_scope: &credit_platform::scope::DataScope,
    ) -> Result<pb::RunStressScenarioResponse, ApiError> {
        let limits = self.limits.as_ref().ok_or_else(|| {
            ApiError::StateConflict(
                "scoring is not connected to the limits service, where exposure comes from: \
                 set SCORING_LIMITS_URL"
                    .into(),
            )
        })?;
        let now = self.clock.now();
        let mut accounts = limits.accounts().await?;
        // A caller limited to some regions or business units stresses only their customers.
        accounts.retain(|a| data_scope.admits(&a.region, &a.business_unit));
        let currency = reporting_currency(request.currency, &accounts)?;
        let mut conversions = Vec::new();
        let foreign: BTreeSet<String> = accounts
            .iter()
            .filter(|a| a.currency_code != currency.code())
            .map(|a| a.currency_code.clone())
            .collect();
        let mut factors: HashMap<String, Decimal> = HashMap::new();
        if !foreign.is_empty() {
            let rates = limits.rates().await?;
            for code in foreign {
                let rate = rates.in_force(&code, currency.code(), now).ok_or_else(|| {
                    ApiError::StateConflict(format!(
                        "limits has no {code}/{currency} exchange rate in force to convert \
                         exposure into {currency}: record one with SetFxRate, or choose another \
                         reporting_currency_code"
                    ))
                })?;
                conversions.push(pb::StressConversion {
                    from_currency_code: code.clone(),
                    rate: rate.rate.normalize().to_string(),
                    effective_time: Some(to_timestamp(rate.effective_at)),
                });
                factors.insert(code, rate.rate);
            }
        }
        let (scores, industries) = {
            let mut tx = self.db.pool.begin().await?;
            let scores = store::latest_scores(&mut tx).await?;
            let industries = store::bureau_reports(&mut tx).await?;
            tx.commit().await?;
            (scores, industries)
        };
        let scores: HashMap<String, pb::Score> = scores
            .into_iter()
            .map(|s| (s.customer_id.clone(), s))
            .collect();
        let industries: HashMap<String, String> = industries
            .into_iter()
            .filter_map(|(customer, report)| report.industry.map(|i| (customer, i)))
            .collect();
        let mut positions = Vec::with_capacity(accounts.len());
        for account in accounts {
            let exposure = match factors.get(account.currency_code.as_str()) {
                Some(rate) => Money::rounded(account.exposure * rate, currency).amount,
                None => account.exposure,
            };
            let score = scores.get(&account.customer_id);
            let probability = score
                .map(|s| parse_decimal(&s.probability_of_default, "probability_of_default"))
                .transpose()
                .map_err(|v| {
                    ApiError::Internal(anyhow::anyhow!("a stored score is unreadable: {v:?}"))
                })?;
            positions.push(Position {
                industry: industries.get(&account.customer_id).cloned(),
                probability_of_default: probability,
                risk_class: score.map(|s| s.risk_class.clone()),
                exposure,
                customer_id: account.customer_id,
                region: account.region,
                segment: account.segment,
                business_unit: account.business_unit,
            });
        }
        let outcome = stress::run(
            &request.scenario,
            request.dimension,
            &positions,
            request.top,
        );
        Ok(answer(&request, currency, now, conversions, outcome))
    }
}

/// The currency given, or the one every account shares.
fn reporting_currency(given: Option<Currency>, accounts: &[Account]) -> Result<Currency, ApiError> {
    if let Some(currency) = given {
        return Ok(currency);
    }
    let codes: BTreeSet<&str> = accounts.iter().map(|a| a.currency_code.as_str()).collect();
    match codes.iter().next() {
        Some(code) if codes.len() == 1 => Currency::from_code(code).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("limits holds an account in '{code}'"))
        }),
        None => Err(FieldViolation::new(
            "reporting_currency_code",
            "required: there are no credit accounts to take the currency from",
        )
        .into()),
        Some(_) => Err(FieldViolation::new(
            "reporting_currency_code",
            format!(
                "required: exposure is in several currencies ({})",
                codes.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )
        .into()),
    }
}

fn probability(value: Decimal) -> String {
    format!("{:.6}", value.round_dp(6))
}

fn slice(key: &str, s: &stress::SliceLoss, currency: Currency) -> pb::StressSegment {
    let money = |amount: Decimal| Some(Money::rounded(amount, currency).to_proto());
    let before = Money::rounded(s.expected_loss_before, currency).amount;
    let after = Money::rounded(s.expected_loss_after, currency).amount;
    pb::StressSegment {
        key: key.to_string(),
        customers: s.customers,
        exposure: money(s.exposure),
        probability_of_default_before: probability(s.probability_before()),
        probability_of_default_after: probability(s.probability_after()),
        expected_loss_before: money(before),
        expected_loss_after: money(after),
        // The difference of the rounded figures, so the answer adds up as shown.
        expected_loss_change: money(after - before),
        unscored_customers: s.unscored_customers,
        unscored_exposure: money(s.unscored_exposure),
    }
}

fn answer(
    request: &StressRequest,
    currency: Currency,
    now: credit_platform::clock::Micros,
    conversions: Vec<pb::StressConversion>,
    outcome: stress::Outcome,
) -> pb::RunStressScenarioResponse {
    let money = |amount: Decimal| Some(Money::rounded(amount, currency).to_proto());
    let shock_list = |table: &BTreeMap<String, Decimal>| {
        table
            .iter()
            .map(|(key, factor)| pb::StressShock {
                key: key.clone(),
                probability_multiplier: factor.normalize().to_string(),
            })
            .collect()
    };
    let s = &request.scenario;
    pb::RunStressScenarioResponse {
        scenario: Some(pb::StressScenario {
            name: s.name.clone(),
            probability_multiplier: s.probability_multiplier.normalize().to_string(),
            industry_shocks: shock_list(&s.industry_shocks),
            region_shocks: shock_list(&s.region_shocks),
            segment_shocks: shock_list(&s.segment_shocks),
            loss_given_default: s.loss_given_default.normalize().to_string(),
        }),
        group_by: match request.dimension {
            Dimension::RiskClass => pb::StressDimension::RiskClass,
            Dimension::Industry => pb::StressDimension::Industry,
            Dimension::Region => pb::StressDimension::Region,
            Dimension::CustomerSegment => pb::StressDimension::CustomerSegment,
            Dimension::BusinessUnit => pb::StressDimension::BusinessUnit,
        } as i32,
        as_of_time: Some(to_timestamp(now)),
        reporting_currency_code: currency.code().to_string(),
        segments: outcome
            .slices
            .iter()
            .map(|(key, s)| slice(key, s, currency))
            .collect(),
        portfolio: Some(slice("PORTFOLIO", &outcome.portfolio, currency)),
        top_customers: outcome
            .top_customers
            .iter()
            .map(|c| pb::StressedCustomer {
                customer_id: c.customer_id.clone(),
                segment_key: c.key.clone(),
                exposure: money(c.exposure),
                probability_of_default_before: probability(c.probability_before),
                probability_of_default_after: probability(c.probability_after),
                expected_loss_before: money(c.expected_loss_before),
                expected_loss_after: money(c.expected_loss_after),
            })
            .collect(),
        conversions,
        unmatched_shocks: outcome.unmatched_shocks,
    }
}
