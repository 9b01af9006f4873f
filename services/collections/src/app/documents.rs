//! Documents read back: one with its applications and versions, or a customer's list.
use super::ledger::Ledger;
use crate::convert;
use crate::domain::ledger::Booked;
use crate::domain::ledger::Kind;
use crate::store::{self, StoredDocument};
use credit_platform::calendar;
use credit_platform::clock::to_timestamp;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::paging::PageRequest;
use credit_platform::records;
use credit_proto::collections as pb;
use sqlx::AnyConnection;

impl Ledger {
    pub(super) async fn view(
        &self,
        conn: &mut AnyConnection,
        document_id: &str,
    ) -> Result<pb::ReceivableDocument, ApiError> {
        let stored =
            store::document(conn, document_id)
                .await?
                .ok_or_else(|| ApiError::NotFound {
                    kind: "document",
                    id: document_id.to_string(),
                })?;
        let mut d = self.shown(&stored)?;
        if stored.kind == Kind::Invoice {
            d.applied = store::applied_list(conn, document_id)
                .await?
                .into_iter()
                .map(|(source, kind, amount, day)| pb::AppliedAllocation {
                    document_id: source,
                    kind: Kind::from_name(&kind)
                        .map_or(pb::DocumentKind::Unspecified, convert::document_kind)
                        as i32,
                    amount: Some(convert::money(amount, &stored.currency)),
                    applied_date: Some(calendar::date(day)),
                })
                .collect();
        }
        Ok(d)
    }

    fn shown(&self, stored: &StoredDocument) -> Result<pb::ReceivableDocument, ApiError> {
        let mut d = convert::booked(&records::decode::<Booked>(stored.body.clone())?);
        d.open_amount = Some(convert::money(stored.open_amount, &stored.currency));
        d.version = stored.version;
        d.create_time = Some(to_timestamp(stored.created_at));
        d.update_time = Some(to_timestamp(stored.updated_at));
        Ok(d)
    }

    /// One document with what is applied to it.
    pub async fn document(&self, document_id: &str) -> Result<pb::ReceivableDocument, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        self.view(&mut conn, document_id).await
    }

    /// A page of a customer's documents.
    pub async fn documents(
        &self,
        customer_id: &str,
        kind: &str,
        open_only: bool,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<pb::ReceivableDocument>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        store::customer_documents(&mut conn, customer_id, kind, open_only, after, limit)
            .await?
            .iter()
            .map(|d| self.shown(d))
            .collect()
    }

    /// A document's versions.
    pub async fn versions(
        &self,
        document_id: &str,
        page: &PageRequest,
    ) -> Result<pb::ListDocumentVersionsResponse, ApiError> {
        let after: i64 = if page.after.is_empty() {
            0
        } else {
            page.after.parse().map_err(|_| {
                ApiError::from(FieldViolation::new(
                    "page_token",
                    "not a token from a previous page",
                ))
            })?
        };
        let mut conn = self.db.pool.acquire().await?;
        let mut versions = store::versions(&mut conn, document_id, after, page.fetch()).await?;
        if versions.is_empty() && after == 0 {
            return Err(ApiError::NotFound {
                kind: "document",
                id: document_id.to_string(),
            });
        }
        let next_page_token = page.finish(&mut versions, |(version, ..)| version.to_string());
        let versions = versions
            .into_iter()
            .map(|(version, body, actor, source, at)| {
                let mut document = convert::booked(&records::decode::<Booked>(body)?);
                document.version = version;
                Ok(pb::DocumentVersion {
                    document: Some(document),
                    actor_subject: actor,
                    source,
                    record_time: Some(to_timestamp(at)),
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(pb::ListDocumentVersionsResponse {
            versions,
            next_page_token,
        })
    }
}
