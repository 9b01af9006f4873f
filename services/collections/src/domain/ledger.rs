//! The receivables ledger's rules, pure: what a valid document is, and whether allocations fit
//! the invoices' open amounts. Amounts are integers in the currency's minor unit, so sums are
//! exact and the database can add them.
use credit_platform::money::Currency;
use rust_decimal::Decimal;
use std::str::FromStr;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    /// A receivable.
    Invoice,
    /// Reduces an invoice, or is credit to allocate.
    CreditNote,
    /// Money received.
    Payment,
    /// A dunning fee a policy step charged: owed like an invoice.
    Fee,
    /// Default interest a dunning step charged: owed like an invoice.
    Interest,
    /// An approved write-off: takes an invoice's open amount to zero as a loss.
    WriteOff,
}

impl Kind {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Invoice => "INVOICE",
            Self::CreditNote => "CREDIT_NOTE",
            Self::Payment => "PAYMENT",
            Self::Fee => "FEE",
            Self::Interest => "INTEREST",
            Self::WriteOff => "WRITE_OFF",
        }
    }

    /// From the stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "INVOICE" => Self::Invoice,
            "CREDIT_NOTE" => Self::CreditNote,
            "PAYMENT" => Self::Payment,
            "FEE" => Self::Fee,
            "INTEREST" => Self::Interest,
            "WRITE_OFF" => Self::WriteOff,
            _ => return None,
        })
    }

    /// Owed by the customer: payments and credit notes allocate to it, it ages and is dunned.
    pub fn is_receivable(self) -> bool {
        matches!(self, Self::Invoice | Self::Fee | Self::Interest)
    }
}

/// An amount of a currency in its minor unit (cents for EUR, yen for JPY).
pub fn to_minor(amount: Decimal, currency: &Currency) -> Option<i64> {
    let digits = currency.minor_unit_digits();
    if amount.normalize().scale() > digits {
        return None;
    }
    let scaled = amount * Decimal::from(10_i64.pow(digits));
    i64::try_from(scaled.trunc()).ok()
}

/// Fraction digits of a stored currency code (2 if the code were ever unknown: stored codes
/// were validated on the way in).
pub fn digits_of(currency: &str) -> u32 {
    Currency::from_code(currency).map_or(2, |c| c.minor_unit_digits())
}

/// The decimal text of a minor-unit amount ("12345" cents → "123.45").
pub fn from_minor(minor: i64, digits: u32) -> String {
    Decimal::new(minor, digits).to_string()
}

/// A validated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The ERP's id.
    pub document_id: String,
    /// The customer.
    pub customer_id: String,
    pub kind: Kind,
    /// ISO 4217 code.
    pub currency: String,
    /// Fraction digits of the currency.
    pub digits: u32,
    /// Amount, minor units, positive.
    pub amount: i64,
    /// Booking day.
    pub issue_day: i64,
    /// Invoices: due day.
    pub due_day: Option<i64>,
    /// Where a payment or credit note goes: (invoice id, minor amount).
    pub allocations: Vec<(String, i64)>,
}

impl Document {
    /// What the allocations apply in total.
    pub fn allocated(&self) -> i64 {
        self.allocations.iter().map(|(_, a)| a).sum()
    }
}

/// A document as it was booked (by the ERP's import, a dunning step or a write-off): what is
/// stored, what is shown, and what an import compares to tell an unchanged document from a new
/// version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Booked {
    /// The document's id.
    pub document_id: String,
    /// The customer.
    pub customer_id: String,
    /// What it is.
    pub kind: Kind,
    /// ISO 4217 code.
    pub currency: String,
    /// Amount, minor units.
    pub amount: i64,
    /// Booking day.
    pub issue_day: i64,
    /// Invoices: due day.
    pub due_day: Option<i64>,
    /// Invoices: the payment terms the ERP said.
    pub payment_terms_days: i32,
    /// Invoices: the sales order.
    pub order_id: String,
    /// Where a payment or credit note goes: (invoice id, minor amount).
    pub allocations: Vec<(String, i64)>,
    /// The ERP's or the booking step's reference.
    pub reference: String,
}

impl Booked {
    /// The booking of a validated document with what the ERP said besides.
    pub fn of(doc: &Document, payment_terms_days: i32, order_id: &str, reference: &str) -> Self {
        Self {
            document_id: doc.document_id.clone(),
            customer_id: doc.customer_id.clone(),
            kind: doc.kind,
            currency: doc.currency.clone(),
            amount: doc.amount,
            issue_day: doc.issue_day,
            due_day: doc.due_day,
            payment_terms_days,
            order_id: order_id.to_string(),
            allocations: doc.allocations.clone(),
            reference: reference.to_string(),
        }
    }
}

pub use credit_platform::transition::{Problem, problem};

/// An invoice as an allocation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    /// The customer.
    pub customer_id: String,
    /// Its currency.
    pub currency: String,
    /// Its amount.
    pub amount: i64,
    /// What other documents apply to it now.
    pub applied_by_others: i64,
}

/// Checks each allocation of `document` against the invoice it names (None: no such
/// invoice): same customer and currency, and within what is still open.
pub fn check_allocations(
    document: &Document,
    invoices: &[Option<OpenInvoice>],
) -> Result<(), Problem> {
    for (i, ((invoice_id, amount), invoice)) in
        document.allocations.iter().zip(invoices).enumerate()
    {
        let field = format!("document.allocations[{i}]");
        let Some(invoice) = invoice else {
            return Err(problem(
                format!("{field}.invoice_id"),
                format!("no invoice {invoice_id} in the ledger"),
            ));
        };
        if invoice.customer_id != document.customer_id {
            return Err(problem(
                format!("{field}.invoice_id"),
                format!(
                    "invoice {invoice_id} belongs to {}, not {}",
                    invoice.customer_id, document.customer_id
                ),
            ));
        }
        if invoice.currency != document.currency {
            return Err(problem(
                format!("{field}.invoice_id"),
                format!(
                    "invoice {invoice_id} is in {}, the document in {}",
                    invoice.currency, document.currency
                ),
            ));
        }
        let open = invoice.amount - invoice.applied_by_others;
        if *amount > open {
            let message = if open == 0 {
                format!("invoice {invoice_id} is paid: nothing is open on it")
            } else {
                format!(
                    "more than the open amount of invoice {invoice_id} ({})",
                    from_minor(open, document.digits)
                )
            };
            return Err(problem(format!("{field}.amount"), message));
        }
    }
    Ok(())
}

/// Parses a decimal amount of `currency`, positive, in minor units.
pub fn positive_minor(text: &str, currency: &Currency, field: &str) -> Result<i64, Problem> {
    let amount = Decimal::from_str(text.trim())
        .map_err(|_| problem(field, "must be a decimal number (\"1234.50\")"))?;
    if amount <= Decimal::ZERO {
        return Err(problem(field, "must be positive"));
    }
    to_minor(amount, currency).ok_or_else(|| {
        problem(
            field,
            format!(
                "{} allows at most {} decimal places",
                currency.code(),
                currency.minor_unit_digits()
            ),
        )
    })
}

/// A positive amount given with its currency code, which must be `currency` (`whose` says
/// whose currency it is: "the invoice's currency"), in minor units; problems are named under
/// `field` (`field.currency_code`, `field.amount`).
pub fn positive_amount_in(
    amount: &str,
    currency_code: &str,
    currency: &Currency,
    field: &str,
    whose: &str,
) -> Result<i64, Problem> {
    if currency_code != currency.code() {
        return Err(problem(
            format!("{field}.currency_code"),
            format!("must be {}, {whose}", currency.code()),
        ));
    }
    positive_minor(amount, currency, &format!("{field}.amount"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_and_interest_are_owed_like_invoices_and_every_kind_keeps_its_name() {
        let all = [
            Kind::Invoice,
            Kind::CreditNote,
            Kind::Payment,
            Kind::Fee,
            Kind::Interest,
            Kind::WriteOff,
        ];
        let owed: Vec<Kind> = all.into_iter().filter(|k| k.is_receivable()).collect();
        assert_eq!(owed, [Kind::Invoice, Kind::Fee, Kind::Interest]);
        for kind in all {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::from_name("invoice"), None);
    }
    use rust_decimal_macros::dec;

    fn eur() -> Currency {
        Currency::from_code("EUR").expect("EUR")
    }

    fn payment(allocations: Vec<(&str, i64)>) -> Document {
        Document {
            document_id: "PAY-1".into(),
            customer_id: "ACME".into(),
            kind: Kind::Payment,
            currency: "EUR".into(),
            digits: 2,
            amount: 100_000,
            issue_day: 20_000,
            due_day: None,
            allocations: allocations
                .into_iter()
                .map(|(i, a)| (i.to_string(), a))
                .collect(),
        }
    }

    fn invoice(amount: i64, applied: i64) -> Option<OpenInvoice> {
        Some(OpenInvoice {
            customer_id: "ACME".into(),
            currency: "EUR".into(),
            amount,
            applied_by_others: applied,
        })
    }

    #[test]
    fn amounts_are_minor_units_of_their_currency() {
        assert_eq!(to_minor(dec!(123.45), &eur()), Some(12_345));
        assert_eq!(to_minor(dec!(123.450), &eur()), Some(12_345));
        assert_eq!(to_minor(dec!(123.456), &eur()), None);
        let yen = Currency::from_code("JPY").expect("JPY");
        assert_eq!(to_minor(dec!(500), &yen), Some(500));
        assert_eq!(from_minor(12_345, 2), "123.45");
        assert_eq!(from_minor(500, 0), "500");
        assert_eq!(
            positive_minor("0", &eur(), "a"),
            Err(problem("a", "must be positive"))
        );
        assert!(positive_minor("1.001", &eur(), "a").is_err());
        assert!(positive_minor("abc", &eur(), "a").is_err());
    }

    #[test]
    fn an_allocation_must_fit_the_open_amount_of_an_invoice_of_the_same_customer_and_currency() {
        let fits = payment(vec![("INV-1", 40_000), ("INV-2", 60_000)]);
        assert_eq!(
            check_allocations(&fits, &[invoice(50_000, 10_000), invoice(60_000, 0)]),
            Ok(())
        );
        let over = payment(vec![("INV-1", 40_001)]);
        let err = check_allocations(&over, &[invoice(50_000, 10_000)]).expect_err("over");
        assert_eq!(err.field, "document.allocations[0].amount");
        assert!(err.message.contains("400.00"), "{}", err.message);
        let paid = check_allocations(&payment(vec![("INV-1", 1)]), &[invoice(50_000, 50_000)])
            .expect_err("paid");
        assert!(paid.message.contains("is paid"));
        let missing =
            check_allocations(&payment(vec![("INV-9", 1)]), &[None]).expect_err("missing");
        assert_eq!(missing.field, "document.allocations[0].invoice_id");
        let mut other = invoice(50_000, 0);
        if let Some(o) = other.as_mut() {
            o.currency = "USD".into();
        }
        assert!(check_allocations(&payment(vec![("INV-1", 1)]), &[other]).is_err());
    }
}
