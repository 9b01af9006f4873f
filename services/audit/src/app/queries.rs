//! Reading the log back: checkpoints, entries by filter, where each source's feed stands, and a
//! full verification on demand.
use super::log::AuditLog;
use super::verify::{Verification, verify};
use crate::domain::checkpoint::TrustedKeys;
use crate::store::{self, Filter, Page, StoredCheckpoint, StoredEntry};
use credit_platform::clock::Micros;

impl AuditLog {
    /// The checkpoint signed at `tree_size` entries, or the latest when `None`.
    pub async fn stored_checkpoint(
        &self,
        tree_size: Option<i64>,
    ) -> sqlx::Result<Option<StoredCheckpoint>> {
        store::checkpoint(self.db(), tree_size).await
    }

    /// One page of entries matching `filter`.
    pub async fn entries(&self, filter: &Filter, page: Page) -> sqlx::Result<Vec<StoredEntry>> {
        store::list_entries(self.db(), filter, page).await
    }

    /// Each source's last recorded sequence and when its event occurred, by source name.
    pub async fn source_positions(&self) -> sqlx::Result<Vec<(String, i64, Micros)>> {
        store::source_positions(self.db()).await
    }

    /// Verifies the whole stored log against `trusted` keys.
    pub async fn verify(&self, trusted: &TrustedKeys) -> anyhow::Result<Verification> {
        verify(self.db(), trusted, self.signer().origin()).await
    }
}
