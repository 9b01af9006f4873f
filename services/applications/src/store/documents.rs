//! Documents of applications: what was uploaded, by whom, and its SHA-256 (the content itself is
//! in the document store, addressed by that hash).
use credit_platform::clock::{Micros, to_timestamp};
use credit_proto::applications as pb;
use credit_proto::{short_name, wire};
use sqlx::{AnyConnection, Row};

fn from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<pb::Document> {
    Ok(pb::Document {
        document_id: row.try_get("document_id")?,
        application_id: row.try_get("application_id")?,
        file_name: row.try_get("file_name")?,
        content_type: row.try_get("content_type")?,
        kind: wire::<pb::DocumentKind>(&row.try_get::<String, _>("kind")?),
        size_bytes: row.try_get("size_bytes")?,
        sha256: row.try_get("sha256")?,
        uploaded_by: row.try_get("uploaded_by")?,
        upload_time: Some(to_timestamp(row.try_get("uploaded_at")?)),
    })
}

/// One document.
pub async fn document(
    conn: &mut AnyConnection,
    document_id: &str,
) -> sqlx::Result<Option<pb::Document>> {
    sqlx::query(
        "SELECT document_id, application_id, file_name, content_type, kind, size_bytes, \
         sha256, uploaded_by, uploaded_at FROM documents WHERE document_id = $1",
    )
    .bind(document_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Records an uploaded document.
pub async fn insert_document(
    conn: &mut AnyConnection,
    document: &pb::Document,
    uploaded_at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO documents (document_id, application_id, file_name, content_type, kind, \
         size_bytes, sha256, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(document.document_id.clone())
    .bind(document.application_id.clone())
    .bind(document.file_name.clone())
    .bind(document.content_type.clone())
    .bind(short_name::<pb::DocumentKind>(document.kind).unwrap_or_default())
    .bind(document.size_bytes)
    .bind(document.sha256.clone())
    .bind(document.uploaded_by.clone())
    .bind(uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The documents of an application, in upload order.
pub async fn documents_of(
    conn: &mut AnyConnection,
    application_id: &str,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<pb::Document>> {
    sqlx::query(
        "SELECT document_id, application_id, file_name, content_type, kind, size_bytes, \
         sha256, uploaded_by, uploaded_at FROM documents WHERE application_id = $1 \
         AND document_id > $2 ORDER BY document_id LIMIT $3",
    )
    .bind(application_id.to_string())
    .bind(after.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}
