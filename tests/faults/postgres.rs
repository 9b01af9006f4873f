#![allow(dead_code)]
//! A PostgreSQL server of the test's own (initdb in a temporary directory, its own port on
//! loopback), so a fault test can stop and start it without disturbing the shared server other
//! tests use. PostgreSQL refuses to run as root: as root, its commands run as the `postgres`
//! user (runuser).
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
}

/// Where PostgreSQL's server programs are: `pg_config --bindir`, else Debian's
/// /usr/lib/postgresql/<version>/bin (the newest).
fn server_programs() -> Option<PathBuf> {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let debian = std::fs::read_dir("/usr/lib/postgresql").ok().and_then(|d| {
        let mut versions: Vec<PathBuf> = d.flatten().map(|e| e.path().join("bin")).collect();
        versions.sort();
        versions.pop()
    });
    [from_pg_config, debian]
        .into_iter()
        .flatten()
        .find(|bin| bin.join("pg_ctl").exists() && bin.join("initdb").exists())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PrivatePostgres {
    /// Creates and starts one; None (saying why) when PostgreSQL's programs are not installed.
    pub fn start() -> Option<Self> {
        let Some(bin) = server_programs() else {
            eprintln!("PostgreSQL's server programs (initdb, pg_ctl) are not installed");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("credit-faults-pg")
            .tempdir()
            .expect("tempdir");
        let this = Self {
            bin,
            port: super::cluster::free_port(),
            dir,
        };
        if is_root() {
            let owned = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(this.dir.path())
                .status()
                .expect("chown");
            assert!(owned.success(), "chown the data directory to postgres");
        }
        this.run(
            "initdb",
            &[
                "-D",
                &this.data().display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        this.resume();
        Some(this)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of PostgreSQL's programs (as `postgres` when the test runs as root).
    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let output = command.args(args).output().expect("PostgreSQL program");
        assert!(
            output.status.success(),
            "{} {args:?}: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data().display().to_string();
        let mut all = vec!["-D", data.as_str(), "-w"];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all);
    }

    /// Starts the server (again).
    pub fn resume(&self) {
        let log = self.dir.path().join("server.log").display().to_string();
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        self.pg_ctl(&["-l", &log, "-o", &options, "start"]);
    }

    /// Stops the server as an operator's restart does (`-m fast`: sessions are ended, open
    /// transactions rolled back).
    pub fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "stop"]);
    }

    /// Its admin URL.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let program = self.bin.join("pg_ctl");
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}
