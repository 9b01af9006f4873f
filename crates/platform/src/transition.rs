//! The vocabulary of every service's state machines: fixed-name enums (`named!`) and the typed
//! refusal of a move the current state does not allow (`IllegalMove`, FAILED_PRECONDITION at
//! the edge). Pure: domain modules use it without pulling protobuf, SQL or a runtime.

/// A fieldless enum whose values have fixed names (the names the API shows and the stores
/// keep): `name()`, `from_name()`, `ALL` in declaration order, and serde under the same names.
/// The calling crate needs `serde` (every service has it).
#[macro_export]
macro_rules! named {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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

/// A move the state an aggregate is in does not allow: the aggregate, its state, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {aggregate} is {state}: {why}")]
pub struct IllegalMove {
    /// "dispute", "credit case"…
    pub aggregate: &'static str,
    /// The state's name as the API shows it.
    pub state: &'static str,
    /// What the state allows instead.
    pub why: &'static str,
}

impl From<IllegalMove> for crate::error::ApiError {
    fn from(illegal: IllegalMove) -> Self {
        Self::StateConflict(illegal.to_string())
    }
}

#[cfg(test)]
mod tests {
    crate::named! {
        /// A test enum.
        pub enum Light {
            /// Go.
            Green = "GREEN",
            /// Stop.
            Red = "RED",
        }
    }

    #[test]
    fn names_round_trip_and_serde_uses_them() {
        for light in Light::ALL {
            assert_eq!(Light::from_name(light.name()), Some(*light));
        }
        assert_eq!(Light::from_name("AMBER"), None);
        assert_eq!(serde_json::to_string(&Light::Red).expect("json"), "\"RED\"");
        let refusal = super::IllegalMove {
            aggregate: "light",
            state: Light::Red.name(),
            why: "wait",
        };
        assert_eq!(refusal.to_string(), "the light is RED: wait");
    }
}
