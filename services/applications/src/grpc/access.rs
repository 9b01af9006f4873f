//! Which roles may call which method.
use credit_platform::auth::{Access, roles};

const READ: &[&str] = &[
    roles::VIEWER,
    roles::SALES_ORDER,
    roles::ANALYST,
    roles::MANAGER,
    roles::AUDITOR,
];
/// Applications are entered by sales (or the customer portal acting for it) and by analysts.
const INTAKE: &[&str] = &[roles::SALES_ORDER, roles::ANALYST, roles::MANAGER];
/// The authority matrix further narrows who acts on each step.
const APPROVERS: &[&str] = &[roles::ANALYST, roles::MANAGER];
const MANAGEMENT: &[&str] = &[roles::MANAGER];

/// The access rule of an applications method path.
pub fn access(path: &str) -> Option<Access> {
    if path.starts_with("/credit.event.v1.EventFeedService/") {
        // The sales-order service learns the outcome of its blocked orders here.
        return Some(Access::AnyRole(&[
            roles::SALES_ORDER,
            roles::VIEWER,
            roles::ANALYST,
            roles::MANAGER,
            roles::AUDITOR,
        ]));
    }
    let method = path.strip_prefix("/credit.applications.v1.ApplicationsService/")?;
    Some(match method {
        "GetApplication" | "ListApplications" | "GetDecisionPolicy" | "GetDecisionNotice" => {
            Access::AnyRole(READ)
        }
        "CreateApplication" | "UpdateApplication" | "SubmitApplication" | "WithdrawApplication" => {
            Access::AnyRole(INTAKE)
        }
        "ApproveApplication" | "RejectApplication" | "RequestInformation" => {
            Access::AnyRole(APPROVERS)
        }
        "UploadDecisionPolicy" | "ApproveDecisionPolicy" => Access::AnyRole(MANAGEMENT),
        "UploadDocument" => Access::AnyRole(&[roles::SALES_ORDER, roles::ANALYST, roles::MANAGER]),
        "ListDocuments" | "ListReviewCases" | "GetCreditCase" | "ListCreditCases" => {
            Access::AnyRole(READ)
        }
        // Sales asks for limit changes and refers the orders the check blocked; analysts too.
        "RequestLimitChange" | "ReferBlockedOrder" | "RecheckBlockedOrder" => {
            Access::AnyRole(INTAKE)
        }
        // The authority matrix further narrows who releases which amount.
        "ReleaseBlockedOrder" | "RejectBlockedOrder" => Access::AnyRole(APPROVERS),
        "CloseReviewCase" => Access::AnyRole(APPROVERS),
        "GetApplicationMetrics" => {
            Access::AnyRole(&[roles::ANALYST, roles::MANAGER, roles::AUDITOR])
        }
        // Documents hold financial and personal detail: those who assess or audit read them.
        "DownloadDocument" => Access::AnyRole(&[roles::ANALYST, roles::MANAGER, roles::AUDITOR]),
        _ => return None,
    })
}
