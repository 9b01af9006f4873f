//! A stress scenario request validated into the typed value the use case runs.
use crate::app::StressRequest;
use crate::domain::stress::{DEFAULT_LOSS_GIVEN_DEFAULT, Dimension, Scenario};
use credit_platform::error::Violations;
use credit_platform::money::{Currency, parse_decimal};
use credit_proto::scoring as pb;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// No factor may exceed this: beyond it a typo ("150" for "1.50") is likelier than a scenario.
const MAX_MULTIPLIER: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);
/// Customers listed by default, and at most.
const TOP_DEFAULT: usize = 10;
const TOP_MAX: usize = 100;

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

/// The scenario a request describes; every bad field is named in `v`.
pub fn stress_request(
    request: &pb::RunStressScenarioRequest,
    v: &mut Violations,
) -> Option<StressRequest> {
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
            v,
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
    let industry_shocks = shocks(&p.industry_shocks, "industry_shocks", true, v);
    let region_shocks = shocks(&p.region_shocks, "region_shocks", false, v);
    let segment_shocks = shocks(&p.segment_shocks, "segment_shocks", false, v);
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
    match (probability_multiplier, loss_given_default, dimension) {
        (Some(probability_multiplier), Some(loss_given_default), Some(dimension)) => {
            Some(StressRequest {
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
        _ => None,
    }
}
