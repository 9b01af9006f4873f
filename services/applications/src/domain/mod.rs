//! Pure rules of credit applications: no I/O, no wire types.
pub mod measure;
pub mod notice;
pub mod policy;
pub mod sensitive;
pub mod state;
