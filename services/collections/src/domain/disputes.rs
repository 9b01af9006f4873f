//! Disputes, pure: an open dispute is resolved once — by a credit note the ERP booked on the
//! invoice, by an approved write-off, or rejected — and nothing moves it after.
use credit_platform::transition::IllegalMove;
use serde::{Deserialize, Serialize};

credit_platform::named! {
    /// Why an invoice is disputed.
    pub enum DisputeReason {
        /// The price differs from what was agreed.
        Price = "PRICE",
        /// The quantity differs from what was delivered.
        Quantity = "QUANTITY",
        /// Goods arrived damaged.
        Damaged = "DAMAGED",
        /// Goods or services were not received.
        NotReceived = "NOT_RECEIVED",
        /// The invoice duplicates another.
        Duplicate = "DUPLICATE",
        /// Something else (the comment says what).
        Other = "OTHER",
    }
}

impl DisputeReason {
    /// Its stable number, 1 to 6: the wire's enum value, and what the metrics' column holds.
    pub fn number(self) -> i32 {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0) as i32 + 1
    }

    /// From its number.
    pub fn from_number(number: i32) -> Option<Self> {
        usize::try_from(number - 1)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }
}

credit_platform::named! {
    /// Where a dispute is.
    pub enum DisputeState {
        /// Being worked: its amount is left out of dunning.
        Open = "OPEN",
        /// A credit note on the invoice settled it.
        ResolvedByCreditNote = "RESOLVED_BY_CREDIT_NOTE",
        /// An approved write-off settled it.
        ResolvedByWriteOff = "RESOLVED_BY_WRITE_OFF",
        /// The claim was not accepted.
        Rejected = "REJECTED",
    }
}

impl DisputeState {
    /// The state a resolution moves an open dispute to.
    pub fn transition(self, resolution: &Resolution) -> Result<Self, IllegalMove> {
        if self != Self::Open {
            return Err(IllegalMove {
                aggregate: "dispute",
                state: self.name(),
                why: "it was resolved already",
            });
        }
        Ok(match resolution {
            Resolution::CreditNote(_) => Self::ResolvedByCreditNote,
            Resolution::WriteOff(_) => Self::ResolvedByWriteOff,
            Resolution::Rejected => Self::Rejected,
        })
    }
}

/// How a dispute ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// By this credit note, applied to the invoice.
    CreditNote(String),
    /// By this approved write-off.
    WriteOff(String),
    /// Not accepted.
    Rejected,
}

impl Resolution {
    /// The name the feed's `dispute.resolved` event carries.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreditNote(_) => "CREDIT_NOTE",
            Self::WriteOff(_) => "WRITE_OFF",
            Self::Rejected => "REJECTED",
        }
    }
}

/// A comment on a dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Who wrote it.
    pub author: String,
    /// What.
    pub text: String,
    /// When (µs since the epoch).
    pub at: i64,
}

/// A document attached to a dispute (its content lives in the document store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file's name.
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// Its size.
    pub size_bytes: i64,
    /// SHA-256 of the content, hex: its key in the document store.
    pub sha256: String,
    /// Who attached it.
    pub uploaded_by: String,
    /// When (µs since the epoch).
    pub uploaded_at: i64,
}

/// A dispute on an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    /// Its id (UUID v7).
    pub dispute_id: String,
    /// The customer.
    pub customer_id: String,
    /// The invoice.
    pub invoice_id: String,
    /// The line or item disputed, when it is one.
    pub line: String,
    /// Why.
    pub reason: DisputeReason,
    /// The invoice's currency.
    pub currency: String,
    /// The amount disputed, minor units.
    pub amount: i64,
    /// Who handles it.
    pub owner: String,
    /// Where it is.
    pub state: DisputeState,
    /// The day its resolution is due (days since 1970-01-01).
    pub due_day: i64,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
    /// Documents, oldest first.
    pub attachments: Vec<Attachment>,
    /// Who opened it.
    pub opened_by: String,
    /// When (µs).
    pub opened_at: i64,
    /// Who resolved it.
    pub resolved_by: String,
    /// When (µs), once resolved.
    pub resolved_at: Option<i64>,
    /// The credit note that resolved it.
    pub credit_note_id: String,
    /// The write-off that resolved it.
    pub write_off_id: String,
}

impl Dispute {
    /// Resolves it: `by` at `at`, with the resolver's comment.
    pub fn resolve(
        &mut self,
        resolution: Resolution,
        by: &str,
        at: i64,
        comment: &str,
    ) -> Result<(), IllegalMove> {
        self.state = self.state.transition(&resolution)?;
        match resolution {
            Resolution::CreditNote(id) => self.credit_note_id = id,
            Resolution::WriteOff(id) => self.write_off_id = id,
            Resolution::Rejected => {}
        }
        self.comment(by, comment, at);
        self.resolved_by = by.to_string();
        self.resolved_at = Some(at);
        Ok(())
    }

    /// Adds a comment.
    pub fn comment(&mut self, author: &str, text: &str, at: i64) {
        self.comments.push(Comment {
            author: author.to_string(),
            text: text.to_string(),
            at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> Dispute {
        Dispute {
            dispute_id: "d1".into(),
            customer_id: "c1".into(),
            invoice_id: "i1".into(),
            line: String::new(),
            reason: DisputeReason::Price,
            currency: "EUR".into(),
            amount: 10_000,
            owner: "ana".into(),
            state: DisputeState::Open,
            due_day: 20_000,
            comments: vec![],
            attachments: vec![],
            opened_by: "ana".into(),
            opened_at: 1,
            resolved_by: String::new(),
            resolved_at: None,
            credit_note_id: String::new(),
            write_off_id: String::new(),
        }
    }

    #[test]
    fn an_open_dispute_resolves_once_and_records_how() {
        let mut d = open();
        d.resolve(Resolution::CreditNote("cn1".into()), "bo", 5, "credited")
            .expect("a legal move");
        assert_eq!(d.state, DisputeState::ResolvedByCreditNote);
        assert_eq!(
            (d.credit_note_id.as_str(), d.resolved_by.as_str()),
            ("cn1", "bo")
        );
        assert_eq!(d.resolved_at, Some(5));
        assert_eq!(d.comments.last().map(|c| c.text.as_str()), Some("credited"));

        let again = d.resolve(Resolution::Rejected, "bo", 6, "no");
        assert_eq!(
            again.expect_err("an illegal move").to_string(),
            "the dispute is RESOLVED_BY_CREDIT_NOTE: it was resolved already"
        );
        assert_eq!(d.comments.len(), 1, "an illegal move changes nothing");
    }

    #[test]
    fn each_resolution_has_its_state() {
        for (resolution, state) in [
            (
                Resolution::CreditNote("c".into()),
                DisputeState::ResolvedByCreditNote,
            ),
            (
                Resolution::WriteOff("w".into()),
                DisputeState::ResolvedByWriteOff,
            ),
            (Resolution::Rejected, DisputeState::Rejected),
        ] {
            assert_eq!(DisputeState::Open.transition(&resolution), Ok(state));
            assert_eq!(DisputeState::from_name(state.name()), Some(state));
        }
    }

    #[test]
    fn reasons_keep_their_numbers() {
        assert_eq!(DisputeReason::Price.number(), 1);
        assert_eq!(DisputeReason::Other.number(), 6);
        for n in 1..=6 {
            assert_eq!(
                DisputeReason::from_number(n).map(DisputeReason::number),
                Some(n)
            );
        }
        assert_eq!(DisputeReason::from_number(0), None);
        assert_eq!(DisputeReason::from_number(7), None);
    }

    #[test]
    fn the_stored_record_is_plain_json() {
        let json = serde_json::to_value(open()).expect("json");
        assert_eq!(json["state"], "OPEN");
        assert_eq!(json["reason"], "PRICE");
        let back: Dispute = serde_json::from_value(json).expect("record");
        assert_eq!(back, open());
    }
}
