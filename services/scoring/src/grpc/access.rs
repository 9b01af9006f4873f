//! Which roles may call which method.
use credit_platform::auth::{Access, roles};

// Applications follows the feed (early warnings) and reads scores.
const READ: &[&str] = &[
    roles::VIEWER,
    roles::ANALYST,
    roles::MANAGER,
    roles::AUDITOR,
    roles::APPLICATIONS_SERVICE,
];
const ANALYSIS: &[&str] = &[roles::ANALYST, roles::MANAGER];
const MANAGEMENT: &[&str] = &[roles::MANAGER];
const PORTFOLIO: &[&str] = &[roles::ANALYST, roles::MANAGER, roles::AUDITOR];
// Applications passes an applicant's statements and references on, and has it scored.
const APPLICANT_EVIDENCE: &[&str] = &[roles::ANALYST, roles::MANAGER, roles::APPLICATIONS_SERVICE];

/// The access rule of a scoring method path.
pub fn access(path: &str) -> Option<Access> {
    if path.starts_with("/credit.event.v1.EventFeedService/") {
        return Some(Access::AnyRole(READ));
    }
    let method = path.strip_prefix("/credit.scoring.v1.ScoringService/")?;
    Some(match method {
        "ListFinancialStatements"
        | "GetScore"
        | "ListScores"
        | "GetPolicy"
        | "ListPolicies"
        | "GetModel" => Access::AnyRole(READ),
        // Portfolio figures: for the people who manage the risk, not every viewer.
        "RunStressScenario" => Access::AnyRole(PORTFOLIO),
        "UploadPolicy" | "ApprovePolicy" | "RescorePortfolio" => Access::AnyRole(MANAGEMENT),
        // Bureau monitoring callbacks come from an integration with the analyst role or a
        // dedicated service token holding it.
        "PutFinancialStatement" | "PutReferences" | "ScoreCustomer" => {
            Access::AnyRole(APPLICANT_EVIDENCE)
        }
        "PutBureauReport" | "PutPaymentBehaviour" | "NotifyBureauChange" => {
            Access::AnyRole(ANALYSIS)
        }
        _ => return None,
    })
}
