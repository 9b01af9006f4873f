//! Generated gRPC types, clients and servers of the credit suite, plus the encoded descriptor set
//! that server reflection serves.
#![allow(clippy::all, missing_docs)]

/// Modules mirror the proto packages, because prost refers across packages by relative path.
pub mod google {
    /// `google.type`: the common types of the Google APIs the suite uses (calendar dates).
    pub mod r#type {
        tonic::include_proto!("google.r#type");

        impl Date {
            /// The date of a day since 1970-01-01.
            pub fn of_day(day: i64) -> Self {
                let (year, month, day) = credit_clock::civil_of_day(day);
                Self {
                    year: i32::try_from(year).unwrap_or(i32::MAX),
                    month: month as i32,
                    day: day as i32,
                }
            }

            /// The day since 1970-01-01 of a full date (year 1–9999, month and day given and
            /// valid); None for a partial or impossible one.
            pub fn day(&self) -> Option<i64> {
                if self.year <= 0 || self.year > 9999 {
                    return None;
                }
                credit_clock::day_of_civil(
                    i64::from(self.year),
                    u32::try_from(self.month).ok()?,
                    u32::try_from(self.day).ok()?,
                )
            }

            /// An ISO 8601 date ("2026-11-30"); None when it is not one.
            pub fn parse(iso: &str) -> Option<Self> {
                credit_clock::parse_date(iso).map(Self::of_day)
            }

            /// The numbers of a "YYYY-MM-DD" text as they are, valid or not (a draft keeps what
            /// was typed until it is checked); None when it is not three numbers.
            pub fn read(text: &str) -> Option<Self> {
                let mut parts = text.trim().splitn(3, '-').map(|p| p.parse::<i32>().ok());
                Some(Self {
                    year: parts.next()??,
                    month: parts.next()??,
                    day: parts.next()??,
                })
            }

            /// ISO 8601, "2026-11-30" (as given, also when it is not a full date).
            pub fn iso(&self) -> String {
                format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
            }
        }
    }
}

/// The suite's own packages.
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

pub mod json;

/// A request that carries the caller's idempotency key: implemented by the build for every
/// request message with a `string request_id` field (a retry with the same key gets the first
/// answer instead of a second change).
pub trait Idempotent {
    /// The caller's idempotency key (empty when the caller sent none).
    fn request_id(&self) -> &str;
}

include!(concat!(env!("OUT_DIR"), "/idempotent.rs"));

/// A wire enum whose value names share a prefix (`DISPUTE_STATE_OPEN`): its short names
/// ("OPEN") are what people, the command line, the feed and the stored columns use.
/// Implemented by the build for every enum whose zero value is `<PREFIX>UNSPECIFIED`.
pub trait ShortName: Copy + Into<i32> + TryFrom<i32> {
    /// The prefix of its value names (`DISPUTE_STATE_`).
    const PREFIX: &'static str;
    /// The value of a full name.
    fn from_full_name(name: &str) -> Option<Self>;
    /// The full name of a value.
    fn full_name(self) -> &'static str;
}

/// The wire value of a short name ("OPEN" → `DISPUTE_STATE_OPEN`); 0 (unspecified) for a
/// name the enum does not have.
pub fn wire<E: ShortName>(name: &str) -> i32 {
    E::from_full_name(&format!("{}{name}", E::PREFIX)).map_or(0, Into::into)
}

/// The short name of a wire value; `None` for unspecified and unknown values.
pub fn short_name<E: ShortName>(value: i32) -> Option<&'static str> {
    E::try_from(value)
        .ok()
        .and_then(|e| e.full_name().strip_prefix(E::PREFIX))
        .filter(|name| *name != "UNSPECIFIED")
}

/// Every short name of an enum, in order of value (enums are numbered from 1 without gaps).
pub fn short_names<E: ShortName>() -> Vec<&'static str> {
    (1..).map_while(short_name::<E>).collect()
}

include!(concat!(env!("OUT_DIR"), "/short_names.rs"));

/// The encoded `FileDescriptorSet` of every proto in the suite, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/credit_descriptor.bin"));
