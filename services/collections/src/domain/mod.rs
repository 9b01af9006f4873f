//! The collections rules, pure: the ledger's validity and allocations, aging, metrics,
//! dunning strategies, the state machines of disputes, promises, payment plans and write-offs,
//! the worklist's ranking.
/// An enum of fixed names (the API's, the feed's and the stored columns'): `name()`,
/// `from_name()`, `ALL`, and serde under the same names.
macro_rules! named {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// Its name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value of a name.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name() == name)
            }
        }
    };
}

pub mod activities;
pub mod aging;
pub mod behaviour;
pub mod disputes;
pub mod dunning;
pub mod ledger;
pub mod limitation;
pub mod metrics;
pub mod plans;
pub mod policy;
pub mod promises;
pub mod transition;
pub mod worklist;
pub mod write_offs;
