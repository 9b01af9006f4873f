//! SQL of the collections service (sqlx Any: one code path for PostgreSQL and SQLite).
mod customers;
mod disputes;
mod documents;
mod figures;
mod write_offs;

pub use customers::*;
pub use disputes::*;
pub use documents::*;
pub use figures::*;
pub use write_offs::*;

/// A message stored as its protobuf encoding.
fn decode<M: prost::Message + Default>(bytes: Vec<u8>) -> sqlx::Result<M> {
    M::decode(bytes.as_slice()).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
