//! The stress-scenario use case: exposure from limits, probabilities from the latest scores,
//! industries from the bureau reports, the scenario applied by [`crate::domain::stress`].
use crate::domain::stress::{self, DEFAULT_LOSS_GIVEN_DEFAULT, Dimension, Position, Scenario};
use crate::exposure::{Account, LimitsReader};
use crate::store;
use credit_platform::clock::{SharedClock, to_timestamp};
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation, Violations};
use credit_platform::money::{Currency, Money, parse_decimal};
use credit_proto::scoring as pb;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// No factor may exceed this: beyond it a typo ("150" for "1.50") is likelier than a scenario.
const MAX_MULTIPLIER: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);
/// Customers listed by default, and at most.
const TOP_DEFAULT: usize = 10;
const TOP_MAX: usize = 100;

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

fn multiplier(text: &str, field: &str, v: &mut Violations) -> Option<Decimal> {
    let value = v.check(parse_decimal(text, field))?;
    if value <= Decimal::ZERO || value > MAX_MULTIPLIER {
        v.add(
            field,
            format!("must be above 0 and at most {MAX_MULTIPLIER}"),
        );
        return None;
    }
    Some(value)
}

fn shocks(
    shocks: &[pb::StressShock],
    name: &str,
    industry: bool,
    v: &mut Violations,
) -> BTreeMap<String, Decimal> {
    let mut table = BTreeMap::new();
    for (i, shock) in shocks.iter().enumerate() {
        let field = format!("scenario.{name}[{i}]");
        let key_ok = if industry {
            shock.key.len() == 1 && (b'A'..=b'U').contains(&shock.key.as_bytes()[0])
        } else {
            !shock.key.is_empty() && shock.key.len() <= 64
        };
        if !key_ok {
            v.add(
                format!("{field}.key"),
                if industry {
                    "must be a NACE section letter A–U"
                } else {
                    "required, at most 64 characters"
                },
            );
        }
        let factor = multiplier(
            &shock.probability_multiplier,
            &format!("{field}.probability_multiplier"),
            v,
        );
        if let (true, Some(factor)) = (key_ok, factor)
            && table.insert(shock.key.clone(), factor).is_some()
        {
            v.add(
                format!("{field}.key"),
                format!("'{}' is shocked twice", shock.key),
            );
        }
    }
    table
}

/// Validates a request, naming every bad field.
pub fn parse_request(request: &pb::RunStressScenarioRequest) -> Result<StressRequest, ApiError> {
    let mut v = Violations::new();
    let default = pb::StressScenario::default();
    let p = request.scenario.as_ref().unwrap_or(&default);
    if p.name.len() > 200 {
        v.add("scenario.name", "at most 200 characters");
    }
    let probability_multiplier = if p.probability_multiplier.is_empty() {
        Some(Decimal::ONE)
    } else {
        multiplier(
            &p.probability_multiplier,
            "scenario.probability_multiplier",
            &mut v,
        )
    };
    let loss_given_default = if p.loss_given_default.is_empty() {
        Some(DEFAULT_LOSS_GIVEN_DEFAULT)
    } else {
        v.check(parse_decimal(
            &p.loss_given_default,
            "scenario.loss_given_default",
        ))
        .filter(|lgd| {
            let ok = (Decimal::ZERO..=Decimal::ONE).contains(lgd);
            if !ok {
                v.add("scenario.loss_given_default", "must be between 0 and 1");
            }
            ok
        })
    };
    let industry_shocks = shocks(&p.industry_shocks, "industry_shocks", true, &mut v);
    let region_shocks = shocks(&p.region_shocks, "region_shocks", false, &mut v);
    let segment_shocks = shocks(&p.segment_shocks, "segment_shocks", false, &mut v);
    let dimension = match pb::StressDimension::try_from(request.group_by) {
        Ok(pb::StressDimension::Unspecified | pb::StressDimension::RiskClass) => {
            Some(Dimension::RiskClass)
        }
        Ok(pb::StressDimension::Industry) => Some(Dimension::Industry),
        Ok(pb::StressDimension::Region) => Some(Dimension::Region),
        Ok(pb::StressDimension::CustomerSegment) => Some(Dimension::CustomerSegment),
        Ok(pb::StressDimension::BusinessUnit) => Some(Dimension::BusinessUnit),
        Err(_) => {
            v.add("group_by", "not a known StressDimension");
            None
        }
    };
    let currency = if request.reporting_currency_code.is_empty() {
        None
    } else {
        v.check(Currency::parse_field(
            &request.reporting_currency_code,
            "reporting_currency_code",
        ))
    };
    let top = match usize::try_from(request.top_customers) {
        Ok(0) => TOP_DEFAULT,
        Ok(n) if n <= TOP_MAX => n,
        _ => {
            v.add("top_customers", format!("must be 0 to {TOP_MAX}"));
            0
        }
    };
    v.into_result()?;
    match (probability_multiplier, loss_given_default, dimension) {
        (Some(probability_multiplier), Some(loss_given_default), Some(dimension)) => {
            Ok(StressRequest {
                scenario: Scenario {
                    name: p.name.clone(),
                    probability_multiplier,
                    industry_shocks,
                    region_shocks,
                    segment_shocks,
                    loss_given_default,
                },
                dimension,
                currency,
                top,
            })
        }
        _ => Err(ApiError::Internal(anyhow::anyhow!(
            "validated stress request incomplete"
        ))),
    }
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
    ) -> Result<pb::RunStressScenarioResponse, ApiError> {
        let limits = self.limits.as_ref().ok_or_else(|| {
            ApiError::StateConflict(
                "scoring is not connected to the limits service, where exposure comes from: \
                 set SCORING_LIMITS_URL"
                    .into(),
            )
        })?;
        let now = self.clock.now();
        let accounts = limits.accounts().await?;
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
