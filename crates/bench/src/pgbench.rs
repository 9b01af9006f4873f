//! Database ceilings measured in the same run as the checks: `pgbench` against the same
//! PostgreSQL server, so a check's throughput reads as a ratio to what the database itself
//! does with the smallest transactions shaped like one check.
use std::process::Command;
use std::time::Duration;

/// One baseline: what it ran and the transactions per second pgbench reported.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// What the transaction is.
    pub name: &'static str,
    /// Transactions per second (without the initial connection time).
    pub tps: f64,
}

/// The conditional UPDATE a check is at its core: take one unit of an account's room if it
/// fits. `:aid` is chosen by the script's first line.
const CONDITIONAL_UPDATE: &str = "UPDATE pgbench_accounts SET abalance = abalance + 1 \
     WHERE aid = :aid AND abalance + 1 <= 1000000000;\n";

/// Runs the baselines on a scratch database `url` (created for the run and dropped after by the
/// caller): pgbench's simple-update (`-N`), and the conditional UPDATE on one row and spread
/// over `rows` rows, each with `clients` clients for `duration`.
pub fn baselines(
    url: &str,
    clients: usize,
    duration: Duration,
    rows: usize,
) -> anyhow::Result<Vec<Baseline>> {
    // Scale 1 holds 100 000 accounts: enough for `rows` customers.
    run(Command::new("pgbench").args(["-i", "-q", "-s", "1", url]))?;
    let dir = tempfile::tempdir()?;
    let script = |name: &str, set: String| -> anyhow::Result<String> {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{set}\n{CONDITIONAL_UPDATE}"))?;
        Ok(path.display().to_string())
    };
    let one_row = script("one-row.sql", "\\set aid 1".into())?;
    let spread = script(
        "spread.sql",
        format!("\\set aid random(1, {})", rows.max(1)),
    )?;
    let seconds = duration.as_secs().max(1).to_string();
    let clients = clients.max(1).to_string();
    let threads = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .min(clients.parse().unwrap_or(1))
        .to_string();
    let measure = |name: &'static str, extra: &[&str]| -> anyhow::Result<Baseline> {
        let mut command = Command::new("pgbench");
        command.args(["-n", "-c", &clients, "-j", &threads, "-T", &seconds]);
        command.args(extra).arg(url);
        Ok(Baseline {
            name,
            tps: tps_of(&run(&mut command)?)?,
        })
    };
    Ok(vec![
        measure("pgbench -N (simple update, builtin)", &["-N"])?,
        measure("pgbench conditional UPDATE, one row", &["-f", &one_row])?,
        measure(
            "pgbench conditional UPDATE, one row per customer",
            &["-f", &spread],
        )?,
    ])
}

fn run(command: &mut Command) -> anyhow::Result<String> {
    let output = command.output().map_err(|e| {
        anyhow::anyhow!("pgbench (from PostgreSQL's client tools) did not run: {e}")
    })?;
    if !output.status.success() {
        anyhow::bail!(
            "pgbench failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The TPS pgbench printed ("tps = 1234.5 (without initial connection time)").
fn tps_of(report: &str) -> anyhow::Result<f64> {
    report
        .lines()
        .find(|l| l.starts_with("tps = ") && l.contains("without initial connection time"))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's report:\n{report}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_tps_pgbench_reports() {
        let report = "latency average = 2.1 ms\n\
             initial connection time = 12.3 ms\n\
             tps = 1523.870412 (without initial connection time)\n";
        assert_eq!(super::tps_of(report).expect("tps"), 1523.870412);
        assert!(super::tps_of("tps = nothing").is_err());
    }
}
