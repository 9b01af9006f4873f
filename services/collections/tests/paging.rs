//! Lists come in pages: `page_size` items, newest first, and a `next_page_token` that the next
//! request hands back until the last page; a bad size or token is named.
mod support;

use credit_proto::collections as pb;
use support::{App, Client, fields, import, invoice, money, rid};

async fn disputes_page(
    c: &mut Client,
    page_size: i32,
    page_token: &str,
) -> pb::ListDisputesResponse {
    c.list_disputes(pb::ListDisputesRequest {
        customer_id: "ACME".into(),
        page_size,
        page_token: page_token.into(),
        ..Default::default()
    })
    .await
    .expect("disputes")
    .into_inner()
}

#[tokio::test]
async fn a_list_is_walked_page_by_page_and_bad_pages_are_named() {
    let app = App::start_configured(|c| c.dunning_enabled = false).await;
    let mut erp = app.erp();
    import(
        &mut erp,
        false,
        vec![
            invoice("INV-1", "ACME", "100", "2026-02-01", "2026-03-03"),
            invoice("INV-2", "ACME", "200", "2026-02-01", "2026-03-03"),
            invoice("INV-3", "ACME", "300", "2026-02-01", "2026-03-03"),
        ],
    )
    .await;
    let mut opened = Vec::new();
    for invoice_id in ["INV-1", "INV-2", "INV-3"] {
        let dispute = erp
            .open_dispute(pb::OpenDisputeRequest {
                invoice_id: invoice_id.into(),
                amount: money("50", "EUR"),
                reason: pb::DisputeReason::Price as i32,
                line: String::new(),
                owner: String::new(),
                comment: "price differs from the order".into(),
                request_id: rid(),
            })
            .await
            .expect("open")
            .into_inner();
        opened.push(dispute.dispute_id);
    }

    let first = disputes_page(&mut erp, 2, "").await;
    assert_eq!(first.disputes.len(), 2);
    assert!(!first.next_page_token.is_empty());
    let second = disputes_page(&mut erp, 2, &first.next_page_token).await;
    assert_eq!(second.disputes.len(), 1);
    assert_eq!(second.next_page_token, "", "the last page says so");
    let walked: Vec<String> = first
        .disputes
        .iter()
        .chain(&second.disputes)
        .map(|d| d.dispute_id.clone())
        .collect();
    opened.reverse();
    assert_eq!(walked, opened, "newest first, each once");

    // The whole list fits the default page.
    let all = disputes_page(&mut erp, 0, "").await;
    assert_eq!((all.disputes.len(), all.next_page_token.as_str()), (3, ""));

    let bad = erp
        .list_disputes(pb::ListDisputesRequest {
            customer_id: "ACME".into(),
            page_size: 1001,
            page_token: "%%%".into(),
            ..Default::default()
        })
        .await
        .expect_err("bad page");
    assert_eq!(fields(bad), ["page_size", "page_token"]);

    // A computed list pages the same way.
    let mut tokens = Vec::new();
    let mut token = String::new();
    let mut documents = Vec::new();
    loop {
        let page = erp
            .list_limitations(pb::ListLimitationsRequest {
                customer_id: "ACME".into(),
                page_size: 1,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("limitations")
            .into_inner();
        documents.extend(page.limitations.into_iter().map(|l| l.document_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        tokens.push(token.clone());
    }
    assert_eq!(documents, ["INV-1", "INV-2", "INV-3"]);
    assert_eq!(tokens.len(), 2);
    app.stop().await;
}
