//! What every state machine of collections answers for a move it does not allow.

/// A move the state an aggregate is in does not allow: the aggregate, its state, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {aggregate} is {state}: {why}")]
pub struct IllegalMove {
    /// "dispute", "write-off"…
    pub aggregate: &'static str,
    /// The state's name as the API shows it.
    pub state: &'static str,
    /// What the state allows instead.
    pub why: &'static str,
}
