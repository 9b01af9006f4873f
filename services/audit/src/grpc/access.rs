//! Which roles may call which method.
use credit_platform::auth::{Access, roles};

/// Who may read the audit log: auditors and the credit team's deciders (and admins).
const READERS: &[&str] = &[roles::AUDITOR, roles::ANALYST, roles::MANAGER];

/// The access rule of an audit method path.
pub fn access(path: &str) -> Option<Access> {
    let method = path.strip_prefix("/credit.audit.v1.AuditService/")?;
    Some(match method {
        "GetCheckpoint"
        | "GetInclusionProof"
        | "GetConsistencyProof"
        | "GetAuditEntry"
        | "ListAuditEntries"
        | "ExportAuditEntries"
        | "VerifyAuditLog"
        | "ListAuditSources" => Access::AnyRole(READERS),
        _ => return None,
    })
}
