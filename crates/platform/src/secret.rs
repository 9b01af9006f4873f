//! Secrets in configuration (token secrets, sealing and signing keys, URLs with passwords):
//! held as [`SecretString`], whose `Debug` prints `[REDACTED]`, so a configuration struct can be
//! logged or shown in a panic without leaking what it holds. The value is reachable only through
//! [`ExposeSecret::expose_secret`], which makes every use a line a reviewer can find.
pub use secrecy::{ExposeSecret, SecretString};

/// clap's parser for a secret argument or environment variable:
/// `#[arg(long, env = "…", value_parser = credit_platform::secret::parse, hide_env_values = true)]`.
pub fn parse(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

/// A secret given inline or in a file (Kubernetes mounts secrets as files), exactly one of them;
/// `names` are the two settings as the operator writes them, for the error.
pub fn inline_or_file(
    inline: Option<&SecretString>,
    file: Option<&std::path::Path>,
    names: (&str, &str),
) -> anyhow::Result<SecretString> {
    match (inline, file) {
        (Some(secret), None) => Ok(secret.clone()),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|text| SecretString::from(text.trim().to_string()))
            .map_err(|e| anyhow::anyhow!("reading {} {}: {e}", names.1, path.display())),
        _ => anyhow::bail!("set exactly one of {} and {}", names.0, names.1),
    }
}

/// Writes `contents` to `path` readable and writable by its owner only (mode 0600 on Unix),
/// from the moment the file exists — a key or token must never be readable by others, not even
/// between its creation and a later `chmod`. An existing file is narrowed to 0600 too.
pub fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn private_files_are_the_owners_alone_from_the_start() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key");
        write_private(&path, "k1").expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        // A file that was readable by others is narrowed when written again.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&path, "k2").expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "k2");
    }

    #[derive(Debug, clap::Parser)]
    struct Settings {
        #[arg(long, value_parser = parse)]
        token_secret: Option<SecretString>,
    }

    #[test]
    fn a_parsed_secret_never_shows_in_debug_output() {
        use clap::Parser;
        let settings = Settings::parse_from(["test", "--token-secret", "hunter2-hunter2"]);
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
        assert_eq!(
            settings
                .token_secret
                .as_ref()
                .map(|secret| secret.expose_secret()),
            Some("hunter2-hunter2")
        );
    }

    #[test]
    fn inline_or_file_reads_exactly_one() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("key");
        std::fs::write(&path, "from-file\n").expect("write");
        let names = ("KEY", "KEY_FILE");
        let inline = SecretString::from("inline");
        assert_eq!(
            inline_or_file(Some(&inline), None, names)
                .expect("inline")
                .expose_secret(),
            "inline"
        );
        assert_eq!(
            inline_or_file(None, Some(&path), names)
                .expect("file")
                .expose_secret(),
            "from-file"
        );
        let neither = inline_or_file(None, None, names).expect_err("neither");
        assert!(neither.to_string().contains("KEY_FILE"), "{neither}");
        assert!(inline_or_file(Some(&inline), Some(&path), names).is_err());
    }
}
