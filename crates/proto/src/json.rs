//! Protobuf JSON of the suite's messages through the descriptor pool: what the feed, the audit
//! log and the command line show for a message, and what `creditctl` parses.
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use std::sync::OnceLock;

/// Why a message could not be rendered or parsed.
#[derive(Debug)]
pub struct JsonError(String);

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsonError {}

/// Every message of the suite (and the Google types it uses), from the build's descriptor set.
pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(crate::FILE_DESCRIPTOR_SET)
            .expect("the build's descriptor set decodes")
    })
}

fn decode(type_name: &str, bytes: &[u8]) -> Result<DynamicMessage, JsonError> {
    let descriptor = pool()
        .get_message_by_name(type_name)
        .ok_or_else(|| JsonError(format!("unknown message {type_name}")))?;
    DynamicMessage::decode(descriptor, bytes)
        .map_err(|e| JsonError(format!("{type_name} does not decode: {e}")))
}

/// An event payload as one line of JSON: proto field names (as everywhere else in the suite's
/// JSON), fields left at their default omitted (the proto3 mapping: every check writes an event,
/// and the feed, the outbox and audit carry each one), integers as numbers, enum values by name.
pub fn payload(type_name: &str, bytes: &[u8]) -> Result<String, JsonError> {
    let message = decode(type_name, bytes)?;
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .stringify_64_bit_integers(false);
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut out);
    message
        .serialize_with_options(&mut serializer, &options)
        .map_err(|e| JsonError(e.to_string()))?;
    String::from_utf8(out).map_err(|e| JsonError(e.to_string()))
}

/// The JSON of a `google.protobuf.Any` whose type is one of the suite's messages.
pub fn any(value: &prost_types::Any) -> Result<String, JsonError> {
    let type_name = value
        .type_url
        .rsplit_once('/')
        .map_or(value.type_url.as_str(), |(_, name)| name);
    payload(type_name, &value.value)
}

/// The canonical proto JSON of `message` (full name `name`), pretty-printed.
pub fn to_pretty<M: Message>(message: &M, name: &str) -> Result<String, JsonError> {
    let dynamic = decode(name, &message.encode_to_vec())?;
    serde_json::to_string_pretty(&dynamic).map_err(|e| JsonError(e.to_string()))
}

/// Parses proto JSON (field names as in the .proto or lowerCamelCase) into message `name`.
pub fn parse<M: Message + Default>(text: &str, name: &str) -> Result<M, JsonError> {
    let descriptor = pool()
        .get_message_by_name(name)
        .ok_or_else(|| JsonError(format!("unknown message {name}")))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let dynamic = DynamicMessage::deserialize(descriptor, &mut deserializer)
        .and_then(|d| deserializer.end().map(|()| d))
        .map_err(|e| JsonError(e.to_string()))?;
    M::decode(dynamic.encode_to_vec().as_slice()).map_err(|e| JsonError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Name;

    #[test]
    fn a_payload_renders_with_proto_field_names_and_without_defaults() {
        let money = crate::types::Money {
            amount: "12.50".into(),
            currency_code: String::new(),
        };
        let json =
            payload(&crate::types::Money::full_name(), &money.encode_to_vec()).expect("renders");
        assert_eq!(json, r#"{"amount":"12.50"}"#);
    }

    #[test]
    fn an_unknown_type_or_bad_bytes_are_errors() {
        assert!(payload("credit.nothing.v1.Nothing", &[]).is_err());
        assert!(payload(&crate::types::Money::full_name(), &[0xff, 0xff]).is_err());
    }

    #[test]
    fn json_round_trips_through_parse() {
        let money = crate::types::Money {
            amount: "1".into(),
            currency_code: "EUR".into(),
        };
        let name = crate::types::Money::full_name();
        let text = to_pretty(&money, &name).expect("renders");
        assert_eq!(
            parse::<crate::types::Money>(&text, &name).expect("parses"),
            money
        );
    }
}
