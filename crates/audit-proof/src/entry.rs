//! One audit entry and its canonical form, the bytes its Merkle leaf hashes.
//!
//! The canonical entry is the entry's fields as RFC 8785 (JCS) JSON: keys sorted, no
//! whitespace, strings and integers only — so any JSON library can rebuild the exact bytes from
//! an exported entry (Python: `json.dumps(entry, sort_keys=True, separators=(",", ":"),
//! ensure_ascii=False)`). The log index is part of it, so an entry moved to another position
//! no longer matches its leaf.
use crate::merkle::{Hash, leaf_hash};
use credit_clock::{Micros, from_timestamp, to_timestamp};
use credit_proto::audit as pb;
use credit_proto::event::Event;
use serde::{Deserialize, Serialize};

/// An entry of the log. Field order is alphabetical: serde writes fields in declaration order,
/// and that order is the JCS order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The actor's roles.
    pub actor_roles: Vec<String>,
    /// Who made the change.
    pub actor_subject: String,
    /// The customer concerned, or empty.
    pub customer_id: String,
    /// The entity's id.
    pub entity_id: String,
    /// The entity's kind.
    pub entity_type: String,
    /// Dotted past-tense event type.
    pub event_type: String,
    /// Position in the log (the leaf index).
    pub log_index: i64,
    /// When the source committed the change, RFC 3339 UTC with microseconds.
    pub occur_time: String,
    /// The event's JSON payload, exactly as recorded.
    pub payload_json: String,
    /// When audit recorded it, RFC 3339 UTC with microseconds.
    pub record_time: String,
    /// The mutation's request id, or empty.
    pub request_id: String,
    /// The producing service.
    pub source: String,
    /// The event's sequence on its source's feed.
    pub source_sequence: i64,
    /// W3C trace id, or empty.
    pub trace_id: String,
}

/// RFC 3339 UTC with microseconds, the canonical time format.
pub fn format_time(micros: Micros) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_micros(micros.max(0) as u64);
    humantime::format_rfc3339_micros(at).to_string()
}

/// Parses [`format_time`]'s output back.
pub fn parse_time(text: &str) -> Option<Micros> {
    let at = humantime::parse_rfc3339(text).ok()?;
    let micros = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_micros();
    i64::try_from(micros).ok()
}

impl Entry {
    /// The entry recording `event` at `log_index`, recorded at `recorded_at`.
    pub fn from_event(log_index: i64, recorded_at: Micros, event: &Event) -> Self {
        let occurred_at = event
            .occur_time
            .as_ref()
            .and_then(from_timestamp)
            .unwrap_or(0);
        Self {
            actor_roles: event.actor_roles.clone(),
            actor_subject: event.actor_subject.clone(),
            customer_id: event.customer_id.clone(),
            entity_id: event.entity_id.clone(),
            entity_type: event.entity_type.clone(),
            event_type: event.event_type.clone(),
            log_index,
            occur_time: format_time(occurred_at),
            payload_json: event.payload_json.clone(),
            record_time: format_time(recorded_at),
            request_id: event.request_id.clone(),
            source: event.source.clone(),
            source_sequence: event.sequence,
            trace_id: event.trace_id.clone(),
        }
    }

    /// The canonical bytes (RFC 8785 JSON).
    pub fn canonical(&self) -> Vec<u8> {
        // Serialising a struct of strings, integers and string lists cannot fail.
        serde_json::to_vec(self).expect("an entry serialises to JSON")
    }

    /// The entry's RFC 9162 leaf hash.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.canonical())
    }

    /// The entry of an API answer (a client rebuilding the canonical bytes to check a proof).
    pub fn from_proto(entry: &pb::AuditEntry) -> Self {
        let time = |ts: &Option<prost_types::Timestamp>| {
            format_time(ts.as_ref().and_then(from_timestamp).unwrap_or(0))
        };
        Self {
            actor_roles: entry.actor_roles.clone(),
            actor_subject: entry.actor_subject.clone(),
            customer_id: entry.customer_id.clone(),
            entity_id: entry.entity_id.clone(),
            entity_type: entry.entity_type.clone(),
            event_type: entry.event_type.clone(),
            log_index: entry.log_index,
            occur_time: time(&entry.occur_time),
            payload_json: entry.payload_json.clone(),
            record_time: time(&entry.record_time),
            request_id: entry.request_id.clone(),
            source: entry.source.clone(),
            source_sequence: entry.source_sequence,
            trace_id: entry.trace_id.clone(),
        }
    }

    /// The entry on the API.
    pub fn to_proto(&self, leaf: &Hash) -> pb::AuditEntry {
        pb::AuditEntry {
            log_index: self.log_index,
            source: self.source.clone(),
            source_sequence: self.source_sequence,
            event_type: self.event_type.clone(),
            entity_type: self.entity_type.clone(),
            entity_id: self.entity_id.clone(),
            customer_id: self.customer_id.clone(),
            actor_subject: self.actor_subject.clone(),
            actor_roles: self.actor_roles.clone(),
            request_id: self.request_id.clone(),
            trace_id: self.trace_id.clone(),
            occur_time: parse_time(&self.occur_time).map(to_timestamp),
            record_time: parse_time(&self.record_time).map(to_timestamp),
            payload_json: self.payload_json.clone(),
            leaf_hash: leaf.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry::from_event(
            7,
            1_700_000_000_000_123,
            &Event {
                sequence: 3,
                source: "limits".into(),
                event_type: "credit.limits.limit.set".into(),
                entity_type: "credit_account".into(),
                entity_id: "ACME".into(),
                customer_id: "ACME".into(),
                actor_subject: "alice".into(),
                actor_roles: vec!["credit.manager".into()],
                request_id: "r-1".into(),
                trace_id: String::new(),
                occur_time: Some(to_timestamp(1_700_000_000_000_001)),
                payload_json: r#"{"note":"Zoë \"quoted\"\n"}"#.into(),
                payload: None,
                // Not part of the entry: how the event was traced is not evidence.
                traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into(),
            },
        )
    }

    #[test]
    fn the_canonical_form_has_sorted_keys_and_no_whitespace() {
        let text = String::from_utf8(entry().canonical()).expect("utf-8");
        assert!(text.starts_with(r#"{"actor_roles":["credit.manager"],"actor_subject":"alice","#));
        assert!(text.contains(r#""log_index":7,"occur_time":"2023-11-14T22:13:20.000001Z""#));
        assert!(text.contains(r#""record_time":"2023-11-14T22:13:20.000123Z""#));
        assert!(text.ends_with(r#""source":"limits","source_sequence":3,"trace_id":""}"#));
        let names = [
            "actor_roles",
            "actor_subject",
            "customer_id",
            "entity_id",
            "entity_type",
            "event_type",
            "log_index",
            "occur_time",
            "payload_json",
            "record_time",
            "request_id",
            "source",
            "source_sequence",
            "trace_id",
        ];
        let mut sorted = names;
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        let positions: Vec<usize> = names
            .iter()
            .map(|name| {
                text.find(&format!("\"{name}\":"))
                    .expect("every field is written")
            })
            .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    }

    #[test]
    fn an_entry_read_back_from_json_hashes_the_same_and_any_change_changes_the_leaf() {
        let original = entry();
        let back: Entry = serde_json::from_slice(&original.canonical()).expect("parse");
        assert_eq!(back.leaf_hash(), original.leaf_hash());
        let mut moved = original.clone();
        moved.log_index = 8;
        assert_ne!(moved.leaf_hash(), original.leaf_hash());
        let mut edited = original.clone();
        edited.actor_subject = "mallory".into();
        assert_ne!(edited.leaf_hash(), original.leaf_hash());
        assert_eq!(
            parse_time(&original.occur_time),
            Some(1_700_000_000_000_001)
        );
    }
}
