//! A generated but realistic portfolio of business customers with a default flag, to train the
//! model the suite ships with. Each company has a hidden financial strength; its ratios, bureau
//! scores and payment habits are noisy views of it, and its chance of defaulting within a year
//! rises as strength falls (about 9 % default within the year). Real history replaces it: see services/scoring/README.md.
use crate::characteristics as ch;

/// A deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-12);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

const INDUSTRIES: &[(&str, f64)] = &[
    // NACE section, extra risk on the log-odds.
    ("C", 0.0),  // manufacturing
    ("F", 0.6),  // construction
    ("G", 0.1),  // wholesale and retail
    ("H", 0.2),  // transport
    ("I", 0.7),  // hospitality
    ("J", -0.2), // information
    ("M", -0.3), // professional services
];

/// `rows` companies as CSV with the characteristics of [`ch::ALL`] and a `defaulted` column.
pub fn portfolio_csv(rows: usize, seed: u64) -> String {
    let mut r = Random(seed.max(1));
    let mut csv = ch::ALL.join(",");
    csv.push_str(",defaulted\n");
    for _ in 0..rows {
        let strength = r.normal(); // hidden: higher is stronger
        let (industry, industry_risk) =
            INDUSTRIES[(r.uniform() * INDUSTRIES.len() as f64) as usize];
        let years = (8.0 + 6.0 * strength + 10.0 * r.uniform() + 4.0 * r.normal())
            .clamp(0.0, 80.0)
            .round();
        let employees = (20.0 * (1.2 * r.normal() + 0.4 * strength + 1.5).exp())
            .round()
            .max(1.0);
        let z = 1.8 + 1.3 * strength + 0.8 * r.normal();
        let current = (1.3 + 0.35 * strength + 0.3 * r.normal()).max(0.1);
        let debt_to_equity = (2.0 - 0.8 * strength + 0.7 * r.normal()).max(-1.0);
        let margin = 0.05 + 0.03 * strength + 0.03 * r.normal();
        let failure = (50.0 + 22.0 * strength + 12.0 * r.normal())
            .clamp(1.0, 100.0)
            .round();
        let paydex = (72.0 + 7.0 * strength + 6.0 * r.normal())
            .clamp(1.0, 100.0)
            .round();
        let trade_dbt = (6.0 - 5.0 * strength + 5.0 * r.normal()).max(0.0).round();
        let legal = if r.uniform() < 0.06 * (-1.2 * strength).exp() {
            1.0 + (r.uniform() * 3.0).floor()
        } else {
            0.0
        };
        let trading = r.uniform() < 0.6; // a known customer: our own payment history exists
        let internal_dbt = (5.0 - 5.0 * strength + 6.0 * r.normal()).max(0.0).round();
        let paid_late = (0.2 - 0.12 * strength + 0.1 * r.normal()).clamp(0.0, 1.0);
        let logit = -3.3 - 1.25 * strength + industry_risk + 0.8 * legal.min(1.0);
        let defaulted = r.uniform() < 1.0 / (1.0 + (-logit).exp());
        // Statements are missing for some small companies; bureau data for a few.
        let statements = r.uniform() > 0.12;
        let bureau = r.uniform() > 0.05;
        let cell = |present: bool, text: String| if present { text } else { String::new() };
        let cells = [
            cell(statements, format!("{z:.3}")),
            cell(statements, format!("{current:.3}")),
            cell(statements, format!("{debt_to_equity:.3}")),
            cell(statements, format!("{margin:.4}")),
            format!("{years}"),
            format!("{employees}"),
            industry.to_string(),
            cell(bureau, format!("{failure}")),
            cell(bureau, format!("{paydex}")),
            format!("{trade_dbt}"),
            cell(bureau, format!("{legal}")),
            cell(trading, format!("{internal_dbt}")),
            cell(trading, format!("{paid_late:.3}")),
        ];
        csv.push_str(&cells.join(","));
        csv.push_str(if defaulted { ",1\n" } else { ",0\n" });
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;
    use crate::{TrainOptions, train};

    #[test]
    fn the_sample_portfolio_is_realistic_and_learnable() {
        let csv = portfolio_csv(20_000, 7);
        let data = Dataset::from_csv(csv.as_bytes(), "defaulted").expect("csv");
        let bad_rate = data.bad.iter().filter(|b| **b).count() as f64 / data.len() as f64;
        assert!((0.03..0.12).contains(&bad_rate), "bad rate {bad_rate}");
        let card = train(&data, &TrainOptions::default()).expect("trains");
        // Commercial scorecards reach an AUC of 0.75–0.85; the sample should be in that world.
        assert!(card.metrics.holdout.auc > 0.72, "{:?}", card.metrics);
        assert!(
            card.metrics.holdout.auc < 0.95,
            "too easy to be realistic: {:?}",
            card.metrics
        );
    }
}
