//! Which roles may call which method.
use credit_platform::auth::{Access, roles};

const READ: &[&str] = &[
    roles::VIEWER,
    roles::ANALYST,
    roles::MANAGER,
    roles::SALES_ORDER,
    roles::AUDITOR,
    roles::APPLICATIONS_SERVICE,
];
// Applications rechecks and releases the orders of credit cases.
const ORDERS: &[&str] = &[
    roles::SALES_ORDER,
    roles::ANALYST,
    roles::MANAGER,
    roles::APPLICATIONS_SERVICE,
];
const ANALYSIS: &[&str] = &[roles::ANALYST, roles::MANAGER];
// Applications opens the account of newly approved credit.
const ACCOUNTS: &[&str] = &[roles::ANALYST, roles::MANAGER, roles::APPLICATIONS_SERVICE];
const MANAGEMENT: &[&str] = &[roles::MANAGER];
// Limits change, and orders pass beyond them, only on decisions applications took under the
// authority matrix and four eyes; nobody else, admin included, sets a limit here.
const LIMIT_AUTHORITY: &[&str] = &[roles::APPLICATIONS_SERVICE];

/// Whether `caller` may send a one-off release with a credit check.
pub fn may_release(caller: &credit_platform::auth::Caller) -> bool {
    caller.holds_one_of(LIMIT_AUTHORITY)
}

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
        "CreateCreditAccount" => Access::AnyRole(ACCOUNTS),
        "UpdateCreditAccount"
        | "PostReceivable"
        | "PostCommitment"
        | "PlaceCreditHold"
        | "ReleaseCreditHold" => Access::AnyRole(ANALYSIS),
        "SetCreditLimit" => Access::OnlyRole(LIMIT_AUTHORITY),
        "SetExposureCounting" | "SetFxRate" => Access::AnyRole(MANAGEMENT),
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
        assert_eq!(set, Some(Access::OnlyRole(&[roles::APPLICATIONS_SERVICE])));
    }

    #[test]
    fn only_the_applications_service_releases_orders() {
        let of =
            |role: &str| credit_platform::auth::Caller::of(None, "someone", vec![role.to_string()]);
        assert!(may_release(&of(roles::APPLICATIONS_SERVICE)));
        for person in [roles::ANALYST, roles::MANAGER, roles::ADMIN] {
            assert!(!may_release(&of(person)), "{person}");
        }
    }
}
