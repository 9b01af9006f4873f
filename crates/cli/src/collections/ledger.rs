//! `creditctl collections`: customers, the CSV import, documents, statements of account, aging and
//! the collection metrics.
use super::text::{aging_text, document_text, metrics_text, report_text, statement_text};
use super::{Client, CollectionsCommand, group_by, read_csv, rid};
use crate::output;
use credit_proto::collections as pb;
use credit_proto::collections::import_documents_request::Part;

/// Runs `command` if it is one of these; gives it back otherwise.
pub async fn run(
    command: CollectionsCommand,
    c: &mut Client,
    json: bool,
) -> anyhow::Result<Option<CollectionsCommand>> {
    let done: anyhow::Result<()> = match command {
        CollectionsCommand::Customer {
            customer_id,
            name,
            segment,
            region,
            group,
            language,
            time_zone,
            email,
            risk_class,
            jurisdiction,
            collector,
        } => {
            let customer = c
                .put_customer(pb::PutCustomerRequest {
                    customer: Some(pb::Customer {
                        customer_id,
                        name,
                        segment,
                        region,
                        group_id: group,
                        language,
                        time_zone,
                        email,
                        risk_class,
                        jurisdiction,
                        collector,
                        ..Default::default()
                    }),
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &customer, "credit.collections.v1.Customer", |c| {
                format!("customer {} recorded (group {})", c.customer_id, c.group_id)
            })
        }
        CollectionsCommand::Import {
            file,
            all_or_nothing,
        } => {
            let rows = read_csv(&file)?;
            let mut messages = vec![pb::ImportDocumentsRequest {
                part: Some(Part::Options(pb::ImportOptions {
                    all_or_nothing,
                    source: file
                        .file_name()
                        .map(|f| f.to_string_lossy().to_string())
                        .unwrap_or_default(),
                })),
            }];
            messages.extend(rows.into_iter().map(|row| pb::ImportDocumentsRequest {
                part: Some(Part::Row(row)),
            }));
            let report = c
                .import_documents(tokio_stream::iter(messages))
                .await?
                .into_inner();
            output::print(
                json,
                &report,
                "credit.collections.v1.ImportReport",
                report_text,
            )
        }
        CollectionsCommand::Document { document_id } => {
            let d = c
                .get_document(pb::GetDocumentRequest { document_id })
                .await?
                .into_inner();
            output::print(
                json,
                &d,
                "credit.collections.v1.ReceivableDocument",
                document_text,
            )
        }
        CollectionsCommand::Statement { customer_id } => {
            let list = c
                .list_documents(pb::ListDocumentsRequest {
                    customer_id,
                    open_only: true,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListDocumentsResponse",
                statement_text,
            )
        }
        CollectionsCommand::Aging {
            as_of,
            buckets,
            by,
            customer,
        } => {
            let group_by = group_by(&by)?;
            let aging = c
                .get_aging(pb::GetAgingRequest {
                    as_of_date: output::date_arg(&as_of, "--as-of")?,
                    bucket_days: buckets,
                    group_by: group_by as i32,
                    customer_id: customer,
                })
                .await?
                .into_inner();
            output::print(json, &aging, "credit.collections.v1.Aging", aging_text)
        }
        CollectionsCommand::Metrics {
            from,
            to,
            by,
            customer,
        } => {
            let metrics = c
                .get_collection_metrics(pb::GetCollectionMetricsRequest {
                    start_date: output::date_arg(&from, "--from")?,
                    end_date: output::date_arg(&to, "--to")?,
                    group_by: group_by(&by)? as i32,
                    customer_id: customer,
                })
                .await?
                .into_inner();
            output::print(
                json,
                &metrics,
                "credit.collections.v1.CollectionMetrics",
                metrics_text,
            )
        }
        other => return Ok(Some(other)),
    };
    done.map(|()| None)
}
