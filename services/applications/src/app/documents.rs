//! Documents of applications: content checked against its declared type and a size limit,
//! stored content-addressed by its SHA-256 (fixed at upload, recorded on the event feed so audit
//! holds it), and verified against it again whenever it is read.
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::clock::{SharedClock, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_platform::scope::{self, DataScope};
use credit_proto::applications as pb;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub use credit_platform::documents::{
    DocumentStore, LocalDirectory, accepted_type, content_matches,
};

/// The document use cases.
#[derive(Clone)]
pub struct Documents {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
    store: Arc<dyn DocumentStore>,
    /// Largest document accepted.
    pub max_bytes: usize,
}

impl Documents {
    /// Documents over `db`, content in `store`.
    pub fn new(
        db: Db,
        clock: SharedClock,
        signals: FeedSignals,
        store: Arc<dyn DocumentStore>,
        max_bytes: usize,
    ) -> Self {
        Self {
            db,
            clock,
            signals,
            store,
            max_bytes,
        }
    }

    /// Stores an uploaded document: content first (content-addressed, so a failed commit
    /// leaves nothing wrong), then its record and event in one transaction.
    pub async fn upload(
        &self,
        context: &RequestContext,
        metadata: &pb::DocumentUpload,
        content: Vec<u8>,
    ) -> Result<pb::Document, ApiError> {
        if !content_matches(&metadata.content_type, &content) {
            return Err(FieldViolation::new(
                "chunk",
                format!("the content is not {}", metadata.content_type),
            )
            .into());
        }
        let sha256 = hex::encode(Sha256::digest(&content));
        // The idempotency fingerprint covers the content: a retry with other bytes is refused.
        let fingerprint = pb::Document {
            application_id: metadata.application_id.clone(),
            file_name: metadata.file_name.clone(),
            content_type: metadata.content_type.clone(),
            kind: metadata.kind,
            sha256: sha256.clone(),
            ..Default::default()
        };
        self.store
            .put(&sha256, &content)
            .await
            .map_err(|e| ApiError::Unavailable(format!("the document store failed: {e}")))?;
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "UploadDocument",
            &fingerprint
        );
        let application = crate::store::get(&mut m.tx, &metadata.application_id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                kind: "application",
                id: metadata.application_id.clone(),
            })?;
        scope::may_change(&mut m.tx, &context.caller.scope, &application.customer_id).await?;
        let document = pb::Document {
            document_id: uuid::Uuid::now_v7().to_string(),
            size_bytes: content.len() as i64,
            uploaded_by: context.caller.subject.clone(),
            upload_time: Some(to_timestamp(m.now)),
            ..fingerprint
        };
        store::insert_document(&mut m.tx, &document, m.now).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.applications.document.uploaded",
                entity_type: "document",
                entity_id: document.document_id.clone(),
                customer_id: application.customer_id.clone(),
                payload: Payload::of(&pb::DocumentUploaded {
                    application_id: document.application_id.clone(),
                    document_id: document.document_id.clone(),
                    file_name: document.file_name.clone(),
                    content_type: document.content_type.clone(),
                    kind: document.kind,
                    size_bytes: document.size_bytes,
                    sha256: document.sha256.clone(),
                }),
            },
        )
        .await?;
        mutation::finish(&self.signals, m, &document).await?;
        Ok(document)
    }

    /// The application's documents, oldest first.
    pub async fn list(
        &self,
        scope: &DataScope,
        application_id: &str,
        page: &PageRequest,
    ) -> Result<pb::ListDocumentsResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let customer = crate::store::get(&mut conn, application_id)
            .await?
            .map(|row| row.customer_id);
        let seen = match customer {
            Some(customer) => scope::sees(&mut conn, scope, &customer).await?,
            None => false,
        };
        if !seen {
            return Err(ApiError::NotFound {
                kind: "application",
                id: application_id.to_string(),
            });
        }
        let mut documents =
            store::documents_of(&mut conn, application_id, &page.after, page.fetch()).await?;
        let next_page_token = page.finish(&mut documents, |d| d.document_id.clone());
        Ok(pb::ListDocumentsResponse {
            documents,
            next_page_token,
        })
    }

    /// A document and its content, verified against the SHA-256 fixed at upload.
    pub async fn download(
        &self,
        scope: &DataScope,
        document_id: &str,
    ) -> Result<(pb::Document, Vec<u8>), ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let hidden = || ApiError::NotFound {
            kind: "document",
            id: document_id.to_string(),
        };
        let doc = store::document(&mut conn, document_id)
            .await?
            .ok_or_else(hidden)?;
        let customer = crate::store::get(&mut conn, &doc.application_id)
            .await?
            .map(|row| row.customer_id)
            .unwrap_or_default();
        if !scope::sees(&mut conn, scope, &customer).await? {
            return Err(hidden());
        }
        let content = self
            .store
            .get(&doc.sha256)
            .await
            .map_err(|e| ApiError::Unavailable(format!("the document store failed: {e}")))?;
        match content {
            Some(content) if hex::encode(Sha256::digest(&content)) == doc.sha256 => {
                Ok((doc, content))
            }
            _ => {
                metrics::counter!("applications_document_integrity_failures_total").increment(1);
                Err(ApiError::DataLoss(format!(
                    "document {document_id} is missing from the store or no longer matches the \
                     SHA-256 {} fixed at upload",
                    doc.sha256
                )))
            }
        }
    }
}
