//! The client stream of `ImportDocuments`: the options first, then rows, each checked as it
//! arrives (at most `MAX_IMPORT_ROWS`).
use super::MAX_IMPORT_ROWS;
use crate::app::Row;
use credit_platform::error::{ApiError, FieldViolation, Violations};
use credit_platform::ids::check_text;
use credit_proto::collections as pb;
use credit_proto::collections::import_documents_request::Part;
use tonic::{Status, Streaming};

/// The import's options and its rows, or the status that refuses the stream.
pub(super) async fn read(
    mut stream: Streaming<pb::ImportDocumentsRequest>,
) -> Result<(pb::ImportOptions, Vec<Row>), Status> {
    let options = match stream.message().await?.and_then(|m| m.part) {
        Some(Part::Options(options)) => options,
        _ => {
            return Err(ApiError::from(FieldViolation::new(
                "options",
                "the first message carries the import options",
            ))
            .into());
        }
    };
    let mut v = Violations::new();
    check_text(&options.source, "options.source", false, 200, &mut v);
    v.into_result()?;
    let mut rows = Vec::new();
    while let Some(message) = stream.message().await? {
        let Some(Part::Row(row)) = message.part else {
            return Err(
                ApiError::from(FieldViolation::new("options", "options come once, first")).into(),
            );
        };
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(ApiError::from(FieldViolation::new(
                "row",
                format!("at most {MAX_IMPORT_ROWS} rows per import: split the file"),
            ))
            .into());
        }
        let number = if row.row_number > 0 {
            row.row_number
        } else {
            rows.len() as i64 + 1
        };
        let document = row.document.unwrap_or_default();
        rows.push(Row {
            number,
            checked: crate::convert::document(&document),
            document,
        });
    }
    Ok((options, rows))
}
