//! Trust (issue 16) as a newcomer's suite shows it: what it writes to disk is its owner's alone,
//! and what it says to a caller it does not trust gives nothing away.
mod support;

#[cfg(unix)]
#[tokio::test]
async fn the_keys_and_token_the_suite_writes_are_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let journey = support::Journey::start().await;
    let dir = journey.dir.path();
    for file in [
        credit_suite::TOKEN_FILE,
        credit_suite::SECRET_FILE,
        credit_suite::AUDIT_KEY_FILE,
        credit_suite::APPLICATIONS_KEY_FILE,
    ] {
        let mode = std::fs::metadata(dir.join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "{file} is readable by others: {:o}",
            mode & 0o777
        );
    }
    journey.stop().await;
}
