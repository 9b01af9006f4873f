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
    std::fs::write(out_dir.join("idempotent.rs"), idempotent_impls(&fds))?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}

/// `impl Idempotent` for every top-level message with a `string request_id` field: each such
/// request carries the caller's idempotency key, and handlers read it through the trait instead
/// of a hand-kept list.
fn idempotent_impls(fds: &prost_types::FileDescriptorSet) -> String {
    use prost_types::field_descriptor_proto::Type;
    let mut impls = String::new();
    for file in &fds.file {
        let module: Vec<String> = file
            .package()
            .split('.')
            .map(|part| match part {
                "type" => "r#type".to_string(),
                other => other.to_string(),
            })
            .collect();
        for message in &file.message_type {
            let keyed = message
                .field
                .iter()
                .any(|field| field.name() == "request_id" && field.r#type() == Type::String);
            if keyed {
                impls.push_str(&format!(
                    "impl crate::Idempotent for crate::{}::{} {{\n    \
                     fn request_id(&self) -> &str {{\n        &self.request_id\n    }}\n}}\n",
                    module.join("::"),
                    message.name()
                ));
            }
        }
    }
    impls
}
