//! Which roles may call which method.
use credit_platform::auth::{Access, roles};

const READ: &[&str] = &[
    roles::VIEWER,
    roles::ANALYST,
    roles::MANAGER,
    roles::SALES_ORDER,
    roles::AUDITOR,
];
const ORDERS: &[&str] = &[roles::SALES_ORDER, roles::ANALYST, roles::MANAGER];
const ANALYSIS: &[&str] = &[roles::ANALYST, roles::MANAGER];
const MANAGEMENT: &[&str] = &[roles::MANAGER];

/// The access rule of a limits method path.
pub fn access(path: &str) -> Option<Access> {
    if path.starts_with("/credit.event.v1.EventFeedService/") {
        return Some(Access::AnyRole(READ));
    }
    if path == "/credit.limits.v1.DiagnosticsService/Ping" {
        // The no-op the benchmarks compare the check with: any valid token.
        return Some(Access::Authenticated);
    }
    let method = path.strip_prefix("/credit.limits.v1.LimitsService/")?;
    Some(match method {
        "GetCreditAccount"
        | "ListCreditAccounts"
        | "ListCreditLimitChanges"
        | "GetExposure"
        | "GetReservation"
        | "GetCreditDecision"
        | "ReplayCreditDecision"
        | "ListCreditHolds"
        | "ListFxRates" => Access::AnyRole(READ),
        "CheckCredit" | "ShipReservation" | "InvoiceReservation" | "ReleaseReservation" => {
            Access::AnyRole(ORDERS)
        }
        "CreateCreditAccount"
        | "UpdateCreditAccount"
        | "PostReceivable"
        | "PostCommitment"
        | "PlaceCreditHold"
        | "ReleaseCreditHold" => Access::AnyRole(ANALYSIS),
        "SetCreditLimit" | "SetExposureCounting" | "SetFxRate" => Access::AnyRole(MANAGEMENT),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sales_order_service_checks_but_does_not_set_limits() {
        let check = access("/credit.limits.v1.LimitsService/CheckCredit");
        assert!(matches!(check, Some(Access::AnyRole(r)) if r.contains(&roles::SALES_ORDER)));
        let set = access("/credit.limits.v1.LimitsService/SetCreditLimit");
        assert!(
            matches!(set, Some(Access::AnyRole(r)) if !r.contains(&roles::SALES_ORDER) && !r.contains(&roles::ANALYST))
        );
    }
}
