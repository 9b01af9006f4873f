//! The vocabulary of every service's domain: fixed-name enums (`named!`), the typed refusal of a
//! move the current state does not allow (`IllegalMove`, FAILED_PRECONDITION at the edge), and
//! the problems found in a document the domain validates (`Problem`, INVALID_ARGUMENT).
//! Pure: domain modules use it without pulling protobuf, SQL or a runtime.

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

/// A problem the domain finds in a document it validates (a policy, an imported row): the
/// field's JSON path and what is wrong. At the edge it becomes a field violation of the request
/// (under the request field that carried the document, when there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path ("levels[1].up_to.EUR").
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// A problem of `field`.
pub fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

impl Problem {
    /// As a violation of the request field `carrier` that held the document ("document_json"):
    /// "document_json.levels[1].up_to.EUR"; a problem of the whole document names the carrier.
    pub fn within(self, carrier: &str) -> crate::error::FieldViolation {
        let field = if self.field == carrier || self.field.is_empty() {
            carrier.to_string()
        } else {
            format!("{carrier}.{}", self.field)
        };
        crate::error::FieldViolation::new(field, self.message)
    }
}

/// The refusal of a document with problems, each named under the request field `carrier`.
pub fn invalid_document(problems: Vec<Problem>, carrier: &str) -> crate::error::ApiError {
    crate::error::ApiError::InvalidArgument(
        problems.into_iter().map(|p| p.within(carrier)).collect(),
    )
}

impl From<Problem> for crate::error::FieldViolation {
    fn from(problem: Problem) -> Self {
        Self::new(problem.field, problem.message)
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

    #[test]
    fn a_problem_is_named_under_the_field_that_carried_the_document() {
        let nested = super::problem("levels[1].up_to.EUR", "not a decimal").within("document_json");
        assert_eq!(nested.field, "document_json.levels[1].up_to.EUR");
        let whole = super::problem("document_json", "not JSON").within("document_json");
        assert_eq!(whole.field, "document_json");
        let plain: crate::error::FieldViolation = super::problem("amount", "negative").into();
        assert_eq!(
            (plain.field.as_str(), plain.description.as_str()),
            ("amount", "negative")
        );
    }
}
