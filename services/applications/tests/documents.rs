//! Documents: streamed in, checked, stored under their SHA-256, recorded on the feed, verified
//! on the way out.
mod support;

use credit_platform::auth::roles;
use credit_proto::applications as pb;
use credit_proto::applications::download_document_response::Part as Down;
use credit_proto::applications::upload_document_request::Part as Up;
use sha2::{Digest, Sha256};
use support::{Client, Suite, application, create, fields, rid};

fn pdf(size: usize) -> Vec<u8> {
    let mut content = b"%PDF-1.7\n".to_vec();
    content.extend((0..size).map(|i| (i % 251) as u8));
    content
}

async fn upload(
    c: &mut Client,
    application_id: &str,
    content_type: &str,
    content: &[u8],
    request_id: &str,
) -> Result<pb::Document, tonic::Status> {
    let mut parts = vec![pb::UploadDocumentRequest {
        part: Some(Up::Metadata(pb::DocumentUpload {
            application_id: application_id.into(),
            file_name: "accounts-2025.pdf".into(),
            content_type: content_type.into(),
            kind: pb::DocumentKind::FinancialStatement.into(),
            request_id: request_id.into(),
        })),
    }];
    parts.extend(
        content
            .chunks(50_000)
            .map(|chunk| pb::UploadDocumentRequest {
                part: Some(Up::Chunk(chunk.to_vec())),
            }),
    );
    c.upload_document(futures::stream::iter(parts))
        .await
        .map(tonic::Response::into_inner)
}

async fn download(
    c: &mut Client,
    document_id: &str,
) -> Result<(pb::Document, Vec<u8>), tonic::Status> {
    let mut stream = c
        .download_document(pb::DownloadDocumentRequest {
            document_id: document_id.into(),
        })
        .await?
        .into_inner();
    let mut document = None;
    let mut content = Vec::new();
    while let Some(message) = stream.message().await? {
        match message.part {
            Some(Down::Document(d)) => document = Some(d),
            Some(Down::Chunk(bytes)) => content.extend(bytes),
            None => {}
        }
    }
    Ok((document.expect("metadata first"), content))
}

#[tokio::test]
async fn documents_are_stored_with_their_hash_recorded_and_verified_when_read() {
    let suite = Suite::start().await;
    let mut sales = suite.sales();
    let id = create(&mut sales, application("DOCS-FR", "FR40303265045", "1000")).await;
    let content = pdf(120_000);
    let request_id = rid();
    let document = upload(&mut sales, &id, "application/pdf", &content, &request_id)
        .await
        .expect("upload");
    let expected = hex::encode(Sha256::digest(&content));
    assert_eq!(document.sha256, expected);
    assert_eq!(document.size_bytes, content.len() as i64);
    assert_eq!(document.uploaded_by, "sam.sales");
    // A retry of the same upload answers the same document.
    let again = upload(&mut sales, &id, "application/pdf", &content, &request_id)
        .await
        .expect("retry");
    assert_eq!(again.document_id, document.document_id);

    let listed = suite
        .client("vic.viewer", &[roles::VIEWER])
        .list_documents(pb::ListDocumentsRequest {
            application_id: id.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .documents;
    assert_eq!(listed, std::slice::from_ref(&document));
    let (meta, bytes) = download(
        &mut suite.client("ana.analyst", &[roles::ANALYST]),
        &document.document_id,
    )
    .await
    .expect("download");
    assert_eq!(
        (meta, bytes.as_slice()),
        (document.clone(), content.as_slice())
    );
    let status = download(
        &mut suite.client("vic.viewer", &[roles::VIEWER]),
        &document.document_id,
    )
    .await
    .expect_err("viewers do not read documents");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);

    // The hash is on the feed, where audit keeps it.
    let events = suite.events().await;
    let uploaded: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "credit.applications.document.uploaded")
        .collect();
    assert_eq!(uploaded.len(), 1, "the retry recorded nothing twice");
    assert!(uploaded[0].payload_json.contains(&expected));
    assert_eq!(uploaded[0].customer_id, "DOCS-FR");

    // Altered in storage: refused with DATA_LOSS rather than served.
    let stored = suite.documents.path().join(&expected[..2]).join(&expected);
    let mut altered = std::fs::read(&stored).expect("stored");
    altered[20] ^= 1;
    std::fs::write(&stored, altered).expect("alter");
    let status = download(
        &mut suite.client("ana.analyst", &[roles::ANALYST]),
        &document.document_id,
    )
    .await
    .expect_err("altered");
    assert_eq!(status.code(), tonic::Code::DataLoss, "{status:?}");
    suite.stop().await;
}

#[tokio::test]
async fn oversized_mistyped_and_misaddressed_documents_are_refused() {
    let suite = Suite::start().await;
    let mut sales = suite.sales();
    let id = create(&mut sales, application("DOCS-FR", "FR40303265045", "1000")).await;
    // The suite's test limit is 256 KiB.
    let status = upload(&mut sales, &id, "application/pdf", &pdf(300_000), &rid())
        .await
        .expect_err("too big");
    let named = fields(status.clone());
    assert_eq!(named, ["chunk"]);
    assert!(status.message().contains("262144"), "{}", status.message());
    let png_bytes = b"\x89PNG\r\n\x1a\nrest".to_vec();
    let status = upload(&mut sales, &id, "application/pdf", &png_bytes, &rid())
        .await
        .expect_err("not a pdf");
    assert_eq!(fields(status), ["chunk"]);
    let status = upload(
        &mut sales,
        &id,
        "application/x-msdownload",
        &pdf(10),
        &rid(),
    )
    .await
    .expect_err("type");
    assert_eq!(fields(status), ["metadata.content_type"]);
    let status = upload(
        &mut sales,
        &uuid::Uuid::now_v7().to_string(),
        "application/pdf",
        &pdf(10),
        &rid(),
    )
    .await
    .expect_err("no such application");
    assert_eq!(status.code(), tonic::Code::NotFound);
    let status = sales
        .upload_document(futures::stream::iter(vec![pb::UploadDocumentRequest {
            part: Some(Up::Chunk(b"%PDF-".to_vec())),
        }]))
        .await
        .expect_err("metadata first");
    assert_eq!(fields(status), ["metadata"]);
    // Nothing was recorded by the refusals.
    let listed = sales
        .list_documents(pb::ListDocumentsRequest {
            application_id: id,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .documents;
    assert!(listed.is_empty());
    suite.stop().await;
}
