//! Compiles `proto/` with protox (pure Rust), so no system `protoc` is needed.
use prost::Message;
use std::path::PathBuf;

const PROTO_FILES: &[&str] = &[
    "credit/type/v1/money.proto",
    "credit/type/v1/error_reason.proto",
    "credit/event/v1/event.proto",
    "credit/limits/v1/limits.proto",
    "credit/audit/v1/audit.proto",
    "credit/scoring/v1/scoring.proto",
    "credit/applications/v1/applications.proto",
    "credit/collections/v1/collections.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    println!("cargo:rerun-if-changed={}", proto_root.display());
    let fds = protox::compile(PROTO_FILES, [&proto_root])?;
    // compile_fds does not write the descriptor set; reflection needs it, so encode it here.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("credit_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
