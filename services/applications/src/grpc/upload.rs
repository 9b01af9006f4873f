//! The client stream of `UploadDocument`: the metadata first, then the content in chunks,
//! refused as soon as it passes `limit` bytes (the rest is not read).
use crate::app::documents::accepted_type;
use credit_platform::error::{ApiError, FieldViolation, Violations};
use credit_platform::idempotency::validate_request_id;
use credit_platform::ids::{check_text, check_uuid};
use credit_proto::applications as pb;
use credit_proto::applications::upload_document_request::Part as UploadPart;
use tonic::{Status, Streaming};

/// The document's metadata and content, or the status that refuses the upload.
pub(super) async fn read(
    mut parts: Streaming<pb::UploadDocumentRequest>,
    limit: usize,
) -> Result<(pb::DocumentUpload, Vec<u8>), Status> {
    let first = parts.message().await?.and_then(|m| m.part);
    let Some(UploadPart::Metadata(metadata)) = first else {
        return Err(ApiError::from(FieldViolation::new(
            "metadata",
            "required: the first message carries the metadata, the following ones the content",
        ))
        .into());
    };
    let mut v = Violations::new();
    check_uuid(&metadata.application_id, "metadata.application_id", &mut v);
    validate_request_id(&metadata.request_id, &mut v);
    check_text(&metadata.file_name, "metadata.file_name", true, 200, &mut v);
    if metadata.file_name.contains(['/', '\\']) || metadata.file_name.starts_with('.') {
        v.add("metadata.file_name", "a file name, not a path");
    }
    if !accepted_type(&metadata.content_type) {
        v.add(
            "metadata.content_type",
            "must be application/pdf, image/png, image/jpeg, text/csv, or an .xlsx/.docx type",
        );
    }
    credit_platform::ids::required_enum::<pb::DocumentKind>(metadata.kind, "metadata.kind", &mut v);
    v.into_result()?;
    let mut content = Vec::new();
    while let Some(message) = parts.message().await? {
        match message.part {
            Some(UploadPart::Chunk(bytes)) => {
                if content.len() + bytes.len() > limit {
                    // Refused as soon as it is too big, without reading the rest.
                    return Err(ApiError::from(FieldViolation::new(
                        "chunk",
                        format!("the document exceeds the limit of {limit} bytes"),
                    ))
                    .into());
                }
                content.extend_from_slice(&bytes);
            }
            Some(UploadPart::Metadata(_)) => {
                return Err(ApiError::from(FieldViolation::new(
                    "metadata",
                    "only the first message carries metadata",
                ))
                .into());
            }
            None => {}
        }
    }
    if content.is_empty() {
        return Err(ApiError::from(FieldViolation::new("chunk", "the document is empty")).into());
    }
    Ok((metadata, content))
}
