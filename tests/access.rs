//! Deny by default (issue 13): every RPC every service serves has an access rule. A method added
//! to a contract without one is refused at run time; this test names it before that happens.
use credit_platform::auth::{Access, unguarded};
use credit_platform::reflection::methods_of;

fn served(services: &[&str]) -> Vec<String> {
    methods_of(&services.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

/// A service: its name, the gRPC services it serves, its access table.
type AccessTable = (
    &'static str,
    &'static [&'static str],
    fn(&str) -> Option<Access>,
);

#[test]
fn every_rpc_of_every_service_has_an_access_rule() {
    let tables: [AccessTable; 5] = [
        (
            "limits",
            credit_limits::GRPC_SERVICES,
            credit_limits::grpc::access::access,
        ),
        (
            "scoring",
            credit_scoring::GRPC_SERVICES,
            credit_scoring::grpc::access,
        ),
        (
            "applications",
            credit_applications::GRPC_SERVICES,
            credit_applications::grpc::access,
        ),
        (
            "collections",
            credit_collections::GRPC_SERVICES,
            credit_collections::grpc::access,
        ),
        (
            "audit",
            credit_audit::GRPC_SERVICES,
            credit_audit::grpc::access,
        ),
    ];
    for (service, services, access) in tables {
        let methods = served(services);
        assert!(methods.len() >= services.len(), "{service}: {methods:?}");
        let missing = unguarded(&methods, &access);
        assert!(
            missing.is_empty(),
            "{service} has no access rule for {missing:?}"
        );
        // Nothing another service serves is granted here by accident.
        for (other, other_services, _) in tables {
            if other != service {
                for path in served(other_services) {
                    if !path.starts_with("/credit.event.v1.") {
                        assert!(access(&path).is_none(), "{service} grants {other}'s {path}");
                    }
                }
            }
        }
    }
}
