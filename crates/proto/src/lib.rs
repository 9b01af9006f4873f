//! Generated gRPC types, clients and servers of the credit suite, plus the encoded descriptor set
//! that server reflection serves.
#![allow(clippy::all, missing_docs)]

/// Modules mirror the proto packages, because prost refers across packages by relative path.
pub mod credit {
    pub mod r#type {
        pub mod v1 {
            tonic::include_proto!("credit.r#type.v1");
        }
    }
    pub mod event {
        pub mod v1 {
            tonic::include_proto!("credit.event.v1");
        }
    }
    pub mod limits {
        pub mod v1 {
            tonic::include_proto!("credit.limits.v1");
        }
    }
    pub mod audit {
        pub mod v1 {
            tonic::include_proto!("credit.audit.v1");
        }
    }
    pub mod scoring {
        pub mod v1 {
            tonic::include_proto!("credit.scoring.v1");
        }
    }
    pub mod applications {
        pub mod v1 {
            tonic::include_proto!("credit.applications.v1");
        }
    }
    pub mod collections {
        pub mod v1 {
            tonic::include_proto!("credit.collections.v1");
        }
    }
}

/// `credit.collections.v1`: the receivables ledger, aging and collections.
pub use credit::collections::v1 as collections;

/// `credit.applications.v1`: credit applications, decisions and approvals.
pub use credit::applications::v1 as applications;

/// `credit.scoring.v1`: scores, policies and models.
pub use credit::scoring::v1 as scoring;

/// `credit.audit.v1`: the tamper-evident audit log.
pub use credit::audit::v1 as audit;

/// `credit.event.v1`: the event-feed envelope shared by every service.
pub use credit::event::v1 as event;
/// `credit.limits.v1`: credit accounts, limits, exposure and the credit check.
pub use credit::limits::v1 as limits;
/// `credit.type.v1`: types shared by every service.
pub use credit::r#type::v1 as types;

/// A request that carries the caller's idempotency key: implemented by the build for every
/// request message with a `string request_id` field (a retry with the same key gets the first
/// answer instead of a second change).
pub trait Idempotent {
    /// The caller's idempotency key (empty when the caller sent none).
    fn request_id(&self) -> &str;
}

include!(concat!(env!("OUT_DIR"), "/idempotent.rs"));

/// The encoded `FileDescriptorSet` of every proto in the suite, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/credit_descriptor.bin"));
