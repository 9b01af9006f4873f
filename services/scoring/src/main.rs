//! `credit-scoring`: the scoring service, and its model tools.
use clap::{Parser, Subcommand};
use credit_scoring::model::{TrainOptions, train_csv};
use std::path::PathBuf;

/// The scoring service of the credit suite.
#[derive(Parser)]
#[command(name = "credit-scoring", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the scoring API.
    Serve {
        #[command(flatten)]
        server: credit_platform::server::ServerConfig,
        #[command(flatten)]
        scoring: Box<credit_scoring::ScoringConfig>,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: credit_platform::db::DatabaseConfig,
    },
    /// Train a scorecard from a CSV of labelled examples and save it as a model artifact.
    Train {
        /// The examples: a header row, one binary target column, any numeric or categorical
        /// characteristic columns.
        #[arg(long)]
        csv: PathBuf,
        /// The target column (1/0, true/false, yes/no, bad/good; 1 = defaulted or paid late).
        #[arg(long)]
        target: String,
        /// The artifact's version, recorded on every score it makes.
        #[arg(long)]
        version: String,
        /// Where to write the artifact (JSON).
        #[arg(long)]
        out: PathBuf,
        /// Share of the rows held out to measure the model.
        #[arg(long, default_value_t = 0.3)]
        holdout_share: f64,
        /// Seed of the train/hold-out split.
        #[arg(long, default_value_t = 20_261_122)]
        seed: u64,
    },
    /// Write the generated sample portfolio the shipped model was trained on.
    Sample {
        /// How many companies to generate.
        #[arg(long, default_value_t = 20_000)]
        rows: usize,
        /// Random seed (the same seed writes the same portfolio).
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Where to write the CSV.
        #[arg(long)]
        out: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve { server, scoring } => {
            credit_platform::runtime::run_binary(
                "credit-scoring",
                &server,
                |listener, shutdown| {
                    credit_scoring::serve(
                        *scoring,
                        std::sync::Arc::new(credit_platform::clock::SystemClock),
                        listener,
                        shutdown,
                    )
                },
            )
            .await?;
        }
        Command::Migrate { database } => {
            let _telemetry = credit_platform::telemetry::init(
                "credit-scoring",
                credit_platform::telemetry::LogFormat::Json,
            )?;
            credit_scoring::migrate(&database).await?;
        }
        Command::Train {
            csv,
            target,
            version,
            out,
            holdout_share,
            seed,
        } => {
            anyhow::ensure!(
                (0.05..=0.5).contains(&holdout_share),
                "--holdout-share must be between 0.05 and 0.5"
            );
            let options = TrainOptions {
                version,
                holdout_share,
                seed,
                ..TrainOptions::default()
            };
            let card = train_csv(&csv, &target, options)?;
            std::fs::write(&out, card.to_json())?;
            let m = card.metrics;
            println!(
                "trained {} on {} rows ({} held out, bad rate {:.1} %)",
                card.version,
                m.training_rows + m.holdout_rows,
                m.holdout_rows,
                m.bad_rate * 100.0
            );
            println!(
                "hold-out: AUC {:.3}  Gini {:.3}  KS {:.3}   (training: AUC {:.3})",
                m.holdout.auc, m.holdout.gini, m.holdout.ks, m.training.auc
            );
            for c in &card.characteristics {
                println!(
                    "  {:<28} IV {:.3}  {} bins  coefficient {:+.3}",
                    c.binned.name,
                    c.binned.information_value,
                    c.binned.bins.len(),
                    c.coefficient
                );
            }
            for (name, iv) in &card.dropped {
                println!("  {name:<28} IV {iv:.3}  dropped (below 0.02)");
            }
            println!("written to {}", out.display());
        }
        Command::Sample { rows, seed, out } => {
            std::fs::write(
                &out,
                credit_scoring::model::sample::portfolio_csv(rows, seed),
            )?;
            println!("{rows} companies written to {}", out.display());
        }
    }
    Ok(())
}
