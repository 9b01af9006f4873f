//! Which roles may call which method.
use credit_platform::auth::{Access, roles};

const READ: &[&str] = &[
    roles::VIEWER,
    roles::ANALYST,
    roles::MANAGER,
    roles::AUDITOR,
    roles::SALES_ORDER,
];
/// The ERP integration writes the ledger with an analyst's (or a dedicated) token.
const LEDGER: &[&str] = &[roles::ANALYST, roles::MANAGER];

/// The access rule of a collections method path.
pub fn access(path: &str) -> Option<Access> {
    if path.starts_with("/credit.event.v1.EventFeedService/") {
        return Some(Access::AnyRole(&[
            roles::VIEWER,
            roles::ANALYST,
            roles::MANAGER,
            roles::AUDITOR,
        ]));
    }
    let method = path.strip_prefix("/credit.collections.v1.CollectionsService/")?;
    Some(match method {
        "GetCustomer"
        | "GetDocument"
        | "ListDocuments"
        | "ListDocumentVersions"
        | "GetAging"
        | "GetCollectionMetrics"
        | "GetDisputeMetrics" => Access::AnyRole(READ),
        "PutCustomer"
        | "ImportDocuments"
        | "AllocateDocument"
        | "RunDunning"
        | "OpenDispute"
        | "CommentDispute"
        | "ResolveDispute"
        | "RecordPromise"
        | "RequestWriteOff"
        | "RecordRecovery"
        | "CreatePaymentPlan"
        | "LogActivity"
        | "RecordLimitationAct" => Access::AnyRole(LEDGER),
        "AssignCollector" => Access::AnyRole(&[roles::MANAGER]),
        // Who may approve how much is the policy's write-off authority, checked in the use case.
        "DecideWriteOff" => Access::AnyRole(LEDGER),
        "GetDisputeDocument" => Access::AnyRole(READ),
        "AttachDisputeDocument" => Access::AnyRole(LEDGER),
        "ListDisputes" | "ListPromises" | "ListWriteOffs" | "ListPaymentPlans" | "GetWorklist"
        | "ListActivities" | "ListLimitations" => Access::AnyRole(READ),
        "GetDunningPreview" | "ListMessages" | "GetDunningPolicy" => Access::AnyRole(READ),
        "UploadDunningPolicy" | "ApproveDunningPolicy" => Access::AnyRole(&[roles::MANAGER]),
        _ => return None,
    })
}
