//! What the log does on its own: sign checkpoints on a schedule and verify itself periodically.
use super::log::AuditLog;
use super::verify;
use crate::domain::checkpoint::TrustedKeys;
use credit_platform::server::Shutdown;
use std::sync::Arc;
use std::time::Duration;

/// Signs a checkpoint every `every` until shutdown (the log skips one when nothing changed).
pub async fn sign_checkpoints(log: AuditLog, every: Duration, shutdown: Shutdown) {
    let mut stop = shutdown.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|down| *down) => return,
        }
        if let Err(error) = log.checkpoint().await {
            tracing::warn!(%error, "signing a checkpoint failed; retrying");
        }
    }
}

/// Verifies the whole log at start and then every `every`, so the verification metrics always
/// say whether the stored log is intact (verify logs an error naming the first bad index).
pub async fn verify_periodically(
    log: AuditLog,
    trusted: Arc<TrustedKeys>,
    every: Duration,
    shutdown: Shutdown,
) {
    let mut stop = shutdown.subscribe();
    loop {
        let origin = log.signer().origin().to_string();
        let run = verify::verify(log.db(), &trusted, &origin);
        tokio::select! {
            result = run => {
                if let Err(error) = result {
                    tracing::warn!(%error, "background verification could not run");
                }
            }
            _ = stop.wait_for(|down| *down) => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|down| *down) => return,
        }
    }
}
