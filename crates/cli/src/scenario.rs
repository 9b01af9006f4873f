//! `creditctl scoring scenario`: apply a stress scenario to the portfolio and show expected
//! loss before and after, by segment.
use crate::output::{self, table};
use credit_proto::scoring as pb;
use std::path::PathBuf;

/// How to slice the answer.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum By {
    /// Risk class of the latest score.
    RiskClass,
    /// Industry (NACE section letter).
    Industry,
    /// Sales region.
    Region,
    /// Customer segment.
    Segment,
    /// Business unit.
    BusinessUnit,
}

/// The scenario, from flags or a file.
#[derive(clap::Args)]
pub struct ScenarioArgs {
    /// The whole scenario as JSON (credit.scoring.v1.StressScenario) instead of the flags below.
    #[arg(long, conflicts_with_all = ["name", "multiplier", "industry_shock", "region_shock", "segment_shock", "lgd"])]
    file: Option<PathBuf>,
    /// A name for people.
    #[arg(long, default_value = "")]
    name: String,
    /// Factor on every probability of default ("1.5").
    #[arg(long, default_value = "")]
    multiplier: String,
    /// Shock to an industry, LETTER=FACTOR ("F=2"); repeat for several.
    #[arg(long = "industry-shock")]
    industry_shock: Vec<String>,
    /// Shock to a region, REGION=FACTOR; repeat for several.
    #[arg(long = "region-shock")]
    region_shock: Vec<String>,
    /// Shock to a customer segment, SEGMENT=FACTOR; repeat for several.
    #[arg(long = "segment-shock")]
    segment_shock: Vec<String>,
    /// Loss given default, 0 to 1 (default 0.45).
    #[arg(long, default_value = "")]
    lgd: String,
    /// How to break the result down.
    #[arg(long, value_enum, default_value = "risk-class")]
    by: By,
    /// Currency of the answer (needed when accounts are in several currencies).
    #[arg(long, default_value = "")]
    currency: String,
    /// How many customers to list by growth of expected loss.
    #[arg(long, default_value_t = 10)]
    top: i32,
}

fn shocks(flags: &[String], flag: &str) -> anyhow::Result<Vec<pb::StressShock>> {
    flags
        .iter()
        .map(|text| {
            let (key, factor) = text.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("--{flag} {text}: expected KEY=FACTOR, for example F=2")
            })?;
            Ok(pb::StressShock {
                key: key.to_string(),
                probability_multiplier: factor.to_string(),
            })
        })
        .collect()
}

impl ScenarioArgs {
    /// The request these arguments describe.
    pub fn request(&self) -> anyhow::Result<pb::RunStressScenarioRequest> {
        let scenario = match &self.file {
            Some(path) => output::from_json(
                &std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                "credit.scoring.v1.StressScenario",
            )?,
            None => pb::StressScenario {
                name: self.name.clone(),
                probability_multiplier: self.multiplier.clone(),
                industry_shocks: shocks(&self.industry_shock, "industry-shock")?,
                region_shocks: shocks(&self.region_shock, "region-shock")?,
                segment_shocks: shocks(&self.segment_shock, "segment-shock")?,
                loss_given_default: self.lgd.clone(),
            },
        };
        let group_by = match self.by {
            By::RiskClass => pb::StressDimension::RiskClass,
            By::Industry => pb::StressDimension::Industry,
            By::Region => pb::StressDimension::Region,
            By::Segment => pb::StressDimension::CustomerSegment,
            By::BusinessUnit => pb::StressDimension::BusinessUnit,
        };
        Ok(pb::RunStressScenarioRequest {
            scenario: Some(scenario),
            group_by: group_by as i32,
            reporting_currency_code: self.currency.to_uppercase(),
            top_customers: self.top,
        })
    }
}

fn amount(m: &Option<credit_proto::types::Money>) -> String {
    m.as_ref().map_or_else(|| "-".into(), |m| m.amount.clone())
}

fn segment_row(s: &pb::StressSegment) -> Vec<String> {
    vec![
        s.key.clone(),
        s.customers.to_string(),
        amount(&s.exposure),
        format!(
            "{} → {}",
            s.probability_of_default_before, s.probability_of_default_after
        ),
        amount(&s.expected_loss_before),
        amount(&s.expected_loss_after),
        amount(&s.expected_loss_change),
        if s.unscored_customers == 0 {
            String::new()
        } else {
            format!(
                "{} ({})",
                s.unscored_customers,
                amount(&s.unscored_exposure)
            )
        },
    ]
}

/// The answer as tables for people.
pub fn render(a: &pb::RunStressScenarioResponse) -> String {
    let scenario = a.scenario.clone().unwrap_or_default();
    let mut out = format!(
        "scenario \"{}\": PD × {}, loss given default {}, amounts in {} as of {}\n",
        scenario.name,
        scenario.probability_multiplier,
        scenario.loss_given_default,
        a.reporting_currency_code,
        output::time(&a.as_of_time)
    );
    let mut rows: Vec<Vec<String>> = a.segments.iter().map(segment_row).collect();
    if let Some(p) = &a.portfolio {
        rows.push(segment_row(p));
    }
    out += &table(
        &[
            "segment",
            "customers",
            "exposure",
            "PD before → after",
            "EL before",
            "EL after",
            "change",
            "unscored (exposure)",
        ],
        rows,
    );
    out.push('\n');
    let top = a
        .top_customers
        .iter()
        .map(|c| {
            vec![
                c.customer_id.clone(),
                c.segment_key.clone(),
                amount(&c.exposure),
                format!(
                    "{} → {}",
                    c.probability_of_default_before, c.probability_of_default_after
                ),
                amount(&c.expected_loss_before),
                amount(&c.expected_loss_after),
            ]
        })
        .collect();
    out += &table(
        &[
            "customer",
            "segment",
            "exposure",
            "PD before → after",
            "EL before",
            "EL after",
        ],
        top,
    );
    for c in &a.conversions {
        out += &format!(
            "\nconverted {} at {} (in force since {})",
            c.from_currency_code,
            c.rate,
            output::time(&c.effective_time)
        );
    }
    for shock in &a.unmatched_shocks {
        out += &format!("\nwarning: {shock} matched no customer");
    }
    out
}
