//! `creditctl application`: documents of an application: upload, list, download (checked against
//! the hash fixed at upload).
use super::{ApplicationCommand, Client, content_type_of, rid};
use crate::output::{self, table, time};
use anyhow::Context;
use credit_proto::applications as pb;

/// Runs `command` if it is one of these; gives it back otherwise.
pub async fn run(
    command: ApplicationCommand,
    c: &mut Client,
    json: bool,
) -> anyhow::Result<Option<ApplicationCommand>> {
    match command {
        ApplicationCommand::Upload {
            application_id,
            file,
            kind,
            content_type,
        } => {
            use credit_proto::applications::upload_document_request::Part;
            let content = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
            let content_type = match content_type {
                Some(t) => t,
                None => content_type_of(&file)?,
            };
            let file_name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut parts = vec![pb::UploadDocumentRequest {
                part: Some(Part::Metadata(pb::DocumentUpload {
                    application_id,
                    file_name,
                    content_type,
                    kind: output::enum_arg::<pb::DocumentKind>(&kind, "--kind")?,
                    request_id: rid(),
                })),
            }];
            parts.extend(
                content
                    .chunks(512 * 1024)
                    .map(|chunk| pb::UploadDocumentRequest {
                        part: Some(Part::Chunk(chunk.to_vec())),
                    }),
            );
            let d = c
                .upload_document(tokio_stream::iter(parts))
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&d, "credit.applications.v1.Document")?
                );
            } else {
                println!(
                    "document {} ({} bytes) stored, SHA-256 {}",
                    d.document_id, d.size_bytes, d.sha256
                );
            }
        }
        ApplicationCommand::Documents { application_id } => {
            let list = c
                .list_documents(pb::ListDocumentsRequest {
                    application_id,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            if json {
                println!(
                    "{}",
                    output::to_json(&list, "credit.applications.v1.ListDocumentsResponse")?
                );
            } else {
                let rows = list
                    .documents
                    .iter()
                    .map(|d| {
                        vec![
                            d.document_id.clone(),
                            output::enum_name::<pb::DocumentKind>(d.kind),
                            d.file_name.clone(),
                            d.size_bytes.to_string(),
                            d.sha256.clone(),
                            d.uploaded_by.clone(),
                            time(&d.upload_time),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(
                        &[
                            "document", "kind", "file", "bytes", "sha256", "by", "uploaded"
                        ],
                        rows
                    )
                );
            }
        }
        ApplicationCommand::Download { document_id, out } => {
            use credit_proto::applications::download_document_response::Part;
            use sha2::Digest;
            let mut stream = c
                .download_document(pb::DownloadDocumentRequest { document_id })
                .await?
                .into_inner();
            let mut document = None;
            let mut content = Vec::new();
            while let Some(message) = stream.message().await? {
                match message.part {
                    Some(Part::Document(d)) => document = Some(d),
                    Some(Part::Chunk(bytes)) => content.extend(bytes),
                    None => {}
                }
            }
            let document = document.ok_or_else(|| anyhow::anyhow!("no document metadata"))?;
            let sha256 = hex::encode(sha2::Sha256::digest(&content));
            anyhow::ensure!(
                sha256 == document.sha256,
                "the content received does not match the SHA-256 fixed at upload"
            );
            std::fs::write(&out, &content)?;
            println!(
                "{} written ({} bytes, SHA-256 {} as fixed at upload)",
                out.display(),
                content.len(),
                sha256
            );
        }
        other => return Ok(Some(other)),
    }
    Ok(None)
}
