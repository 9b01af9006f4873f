//! Clients of the other services that the use cases call: exposure read from limits.
pub mod limits;
