//! Compiles `proto/` with protox (pure Rust), so no system `protoc` is needed.
use prost::Message;
use std::path::PathBuf;

const PROTO_FILES: &[&str] = &[
    "google/type/date.proto",
    "credit/type/v1/money.proto",
    "credit/type/v1/error_reason.proto",
    "credit/event/v1/event.proto",
    "credit/limits/v1/limits.proto",
    "credit/audit/v1/audit.proto",
    "credit/scoring/v1/scoring.proto",
    "credit/applications/v1/applications.proto",
    "credit/collections/v1/collections.proto",
    "credit/type/v1/events.proto",
    "credit/limits/v1/events.proto",
    "credit/scoring/v1/events.proto",
    "credit/applications/v1/events.proto",
    "credit/collections/v1/events.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    println!("cargo:rerun-if-changed={}", proto_root.display());
    let fds = protox::compile(PROTO_FILES, [&proto_root])?;
    // compile_fds does not write the descriptor set; reflection needs it, so encode it here.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("credit_descriptor.bin"), fds.encode_to_vec())?;
    std::fs::write(out_dir.join("idempotent.rs"), idempotent_impls(&fds))?;
    std::fs::write(out_dir.join("short_names.rs"), short_name_impls(&fds))?;
    // Type names (`prost::Name`) so event payloads travel as `google.protobuf.Any`.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds_with_config(fds, config)?;
    Ok(())
}

/// The Rust path of a proto package's module (`credit::r#type::v1`).
fn module_of(file: &prost_types::FileDescriptorProto) -> String {
    file.package()
        .split('.')
        .map(|part| match part {
            "type" => "r#type".to_string(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("::")
}

/// The Rust name prost gives a proto enum (`DisputeState`; `UPPER_CASE` parts camel-cased).
fn rust_type_name(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `impl ShortName` for every top-level enum whose zero value is `<PREFIX>UNSPECIFIED`: the
/// prefix is what the short names ("OPEN" for `DISPUTE_STATE_OPEN`) leave out.
fn short_name_impls(fds: &prost_types::FileDescriptorSet) -> String {
    let mut impls = String::new();
    for file in &fds.file {
        for enumeration in &file.enum_type {
            let Some(prefix) = enumeration
                .value
                .iter()
                .find(|v| v.number() == 0)
                .and_then(|v| v.name().strip_suffix("UNSPECIFIED"))
            else {
                continue;
            };
            impls.push_str(&format!(
                "impl crate::ShortName for crate::{}::{} {{\n    \
                 const PREFIX: &'static str = \"{prefix}\";\n    \
                 fn from_full_name(name: &str) -> Option<Self> {{\n        \
                 Self::from_str_name(name)\n    }}\n    \
                 fn full_name(self) -> &'static str {{\n        self.as_str_name()\n    }}\n}}\n",
                module_of(file),
                rust_type_name(enumeration.name()),
            ));
        }
    }
    impls
}

/// `impl Idempotent` for every top-level message with a `string request_id` field: each such
/// request carries the caller's idempotency key, and handlers read it through the trait instead
/// of a hand-kept list.
fn idempotent_impls(fds: &prost_types::FileDescriptorSet) -> String {
    use prost_types::field_descriptor_proto::Type;
    let mut impls = String::new();
    for file in &fds.file {
        let module = module_of(file);
        for message in &file.message_type {
            let keyed = message
                .field
                .iter()
                .any(|field| field.name() == "request_id" && field.r#type() == Type::String);
            if keyed {
                impls.push_str(&format!(
                    "impl crate::Idempotent for crate::{}::{} {{\n    \
                     fn request_id(&self) -> &str {{\n        &self.request_id\n    }}\n}}\n",
                    module,
                    message.name()
                ));
            }
        }
    }
    impls
}
