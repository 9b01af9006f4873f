//! Server reflection that describes what a server answers, nothing more: a client listing the
//! services of limits must not be offered scoring's, which limits would answer UNIMPLEMENTED.
use prost::Message;
use prost_types::{FileDescriptorProto, FileDescriptorSet};
use std::collections::{BTreeSet, HashMap};

/// The standard services every server of the suite answers besides its own.
pub const STANDARD_SERVICES: &[&str] = &[
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// The suite's own descriptors (every `credit.*` file).
fn suite_files() -> Vec<FileDescriptorProto> {
    // The set is compiled into the binary by credit-proto's build script: it always decodes.
    FileDescriptorSet::decode(credit_proto::FILE_DESCRIPTOR_SET)
        .map(|set| set.file)
        .unwrap_or_default()
}

/// "credit.limits.v1" + "LimitsService" → "credit.limits.v1.LimitsService".
fn full_name(package: &str, service: &str) -> String {
    format!("{package}.{service}")
}

/// The fully qualified gRPC services the suite defines in `package`.
pub fn services_of(package: &str) -> Vec<String> {
    suite_files()
        .iter()
        .filter(|f| f.package() == package)
        .flat_map(|f| {
            f.service
                .iter()
                .map(move |s| full_name(f.package(), s.name()))
        })
        .collect()
}

/// The gRPC paths ("/credit.limits.v1.LimitsService/CheckCredit") of every method of `services`.
pub fn methods_of(services: &[String]) -> Vec<String> {
    suite_files()
        .iter()
        .flat_map(|f| {
            f.service.iter().flat_map(move |s| {
                let service = full_name(f.package(), s.name());
                s.method
                    .iter()
                    .map(move |m| (service.clone(), format!("/{service}/{}", m.name())))
            })
        })
        .filter(|(service, _)| services.contains(service))
        .map(|(_, path)| path)
        .collect()
}

/// Whether the method at gRPC `path` ("/credit.event.v1.EventFeedService/StreamEvents")
/// streams its responses (false for unary methods and for paths the suite does not define).
pub fn streams_responses(path: &str) -> bool {
    static STREAMING: std::sync::LazyLock<std::collections::HashSet<String>> =
        std::sync::LazyLock::new(|| {
            suite_files()
                .iter()
                .flat_map(|f| {
                    f.service.iter().flat_map(move |s| {
                        s.method
                            .iter()
                            .filter(|m| m.server_streaming())
                            .map(move |m| {
                                format!("/{}/{}", full_name(f.package(), s.name()), m.name())
                            })
                    })
                })
                .collect()
        });
    STREAMING.contains(path)
}

/// The `grpc_method` label of a call to `path`: the path itself when it is a method of the
/// suite or of the standard services, else "unknown" — so calls to made-up paths (a scanner, a
/// misconfigured client) cannot create an unbounded number of series.
pub fn method_label(path: &str) -> &str {
    static KNOWN: std::sync::LazyLock<std::collections::HashSet<String>> =
        std::sync::LazyLock::new(|| {
            let standard = [
                "/grpc.health.v1.Health/Check",
                "/grpc.health.v1.Health/Watch",
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            ];
            suite_files()
                .iter()
                .flat_map(|f| {
                    f.service.iter().flat_map(move |s| {
                        s.method.iter().map(move |m| {
                            format!("/{}/{}", full_name(f.package(), s.name()), m.name())
                        })
                    })
                })
                .chain(standard.iter().map(|p| p.to_string()))
                .collect()
        });
    if KNOWN.contains(path) {
        path
    } else {
        "unknown"
    }
}

/// The files that define `services` and, transitively, everything they import — so a client
/// can describe every method and message of those services and cannot find any other.
pub fn descriptors_for(services: &[String]) -> anyhow::Result<FileDescriptorSet> {
    let files = suite_files();
    let by_name: HashMap<&str, &FileDescriptorProto> =
        files.iter().map(|f| (f.name(), f)).collect();
    let mut wanted = BTreeSet::new();
    for service in services {
        let defining = files
            .iter()
            .find(|f| {
                f.service
                    .iter()
                    .any(|s| full_name(f.package(), s.name()) == *service)
            })
            .ok_or_else(|| anyhow::anyhow!("no descriptor defines the service {service}"))?;
        wanted.insert(defining.name());
    }
    let mut pending: Vec<&str> = wanted.iter().copied().collect();
    while let Some(name) = pending.pop() {
        // Well-known types (google/protobuf/*) are not in the set: reflection serves them from
        // its own copy, so only the suite's files are followed.
        let Some(file) = by_name.get(name) else {
            continue;
        };
        for dependency in &file.dependency {
            if by_name.contains_key(dependency.as_str()) && wanted.insert(dependency.as_str()) {
                pending.push(dependency.as_str());
            }
        }
    }
    // A file needed only for its messages (event.proto, imported by limits.proto) keeps its
    // services out: what a server does not answer must not be describable there.
    let file = files
        .iter()
        .filter(|f| wanted.contains(f.name()))
        .map(|f| {
            let mut f = f.clone();
            let package = f.package().to_string();
            f.service
                .retain(|s| services.contains(&full_name(&package, s.name())));
            f
        })
        .collect();
    Ok(FileDescriptorSet { file })
}

/// Reflection v1 and v1alpha (many clients still speak the latter) listing exactly `services`
/// plus health and reflection, and describing only the files they need.
pub fn reflection_services(
    services: &[String],
) -> anyhow::Result<(
    tonic_reflection::server::v1::ServerReflectionServer<
        impl tonic_reflection::server::v1::ServerReflection,
    >,
    tonic_reflection::server::v1alpha::ServerReflectionServer<
        impl tonic_reflection::server::v1alpha::ServerReflection,
    >,
)> {
    let descriptors = descriptors_for(services)?;
    let builder = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_file_descriptor_set(descriptors.clone())
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            // Each version's server registers only its own descriptors; both are listed, so
            // both must be describable whichever version a client asks with.
            .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(
                tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            );
        for name in services
            .iter()
            .map(String::as_str)
            .chain(STANDARD_SERVICES.iter().copied())
        {
            builder = builder.with_service_name(name);
        }
        builder
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_services_of_a_package() {
        let services = services_of("credit.limits.v1");
        assert!(services.contains(&"credit.limits.v1.LimitsService".to_string()));
        assert!(services.contains(&"credit.limits.v1.DiagnosticsService".to_string()));
        assert!(services_of("credit.nothing.v1").is_empty());
    }

    #[test]
    fn describes_a_service_with_its_imports_and_nothing_else() {
        let set = descriptors_for(&["credit.limits.v1.LimitsService".to_string()]).expect("set");
        let names: Vec<&str> = set.file.iter().map(|f| f.name()).collect();
        assert!(
            names.contains(&"credit/limits/v1/limits.proto"),
            "{names:?}"
        );
        // limits.proto imports the money types, and nothing of the feed or the other services.
        assert!(names.contains(&"credit/type/v1/money.proto"), "{names:?}");
        for other in [
            "credit/event/v1/event.proto",
            "credit/scoring/v1/scoring.proto",
            "credit/audit/v1/audit.proto",
        ] {
            assert!(!names.contains(&other), "{other} in {names:?}");
        }
    }

    #[test]
    fn lists_the_methods_of_a_service_as_paths() {
        let methods = methods_of(&["credit.limits.v1.DiagnosticsService".to_string()]);
        assert_eq!(methods, ["/credit.limits.v1.DiagnosticsService/Ping"]);
    }

    #[test]
    fn refuses_a_service_the_suite_does_not_define() {
        assert!(descriptors_for(&["credit.nothing.v1.NoService".to_string()]).is_err());
    }
}
