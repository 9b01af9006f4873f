//! Exact money: a `Decimal` amount in an ISO 4217 currency, parsed from and written to the
//! wire's decimal-string form, and stored as canonical text (exact on SQLite and PostgreSQL).
use crate::error::FieldViolation;
use credit_proto::types::Money as MoneyProto;
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency that has a minor unit (so money can be expressed in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: iso_currency::Currency,
}

impl Currency {
    /// Looks up an upper-case ISO 4217 alphabetic code; `None` for unknown codes and for
    /// codes without a minor unit (gold, SDR, testing codes).
    pub fn from_code(code: &str) -> Option<Self> {
        let parsed = iso_currency::Currency::from_code(code)?;
        parsed.exponent()?;
        Some(Self { code: parsed })
    }

    /// The alphabetic code, for example "EUR".
    pub fn code(&self) -> &'static str {
        self.code.code()
    }

    /// Number of fraction digits of the minor unit (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn minor_unit_digits(&self) -> u32 {
        u32::from(self.code.exponent().unwrap_or(0))
    }

    /// Parses a code given in field `field`, naming the field when it is not a money currency.
    pub fn parse_field(code: &str, field: &str) -> Result<Self, FieldViolation> {
        if code.is_empty() {
            return Err(FieldViolation::new(field, "required (ISO 4217 code)"));
        }
        Self::from_code(code).ok_or_else(|| {
            FieldViolation::new(field, format!("'{code}' is not an ISO 4217 currency code"))
        })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An exact amount in one currency. Arithmetic across currencies is a programming error, so
/// the operations that combine two amounts take plain `Decimal`s in the same currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    /// The amount, never with more fraction digits than the currency allows.
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Money of `amount` in `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// Parses a wire `Money` from field `field` (violations name `field.amount` or
    /// `field.currency_code`). Rejects missing values, floats' exponent notation, and more
    /// fraction digits than the currency allows.
    pub fn from_proto(
        value: Option<&MoneyProto>,
        field: &str,
    ) -> Result<Self, Vec<FieldViolation>> {
        let Some(value) = value else {
            return Err(vec![FieldViolation::new(field, "required")]);
        };
        let mut violations = Vec::new();
        let currency =
            Currency::parse_field(&value.currency_code, &format!("{field}.currency_code"))
                .map_err(|v| violations.push(v))
                .ok();
        let amount = parse_decimal(&value.amount, &format!("{field}.amount"))
            .map_err(|v| violations.push(v))
            .ok();
        match (amount, currency) {
            (Some(amount), Some(currency)) => {
                if amount.normalize().scale() > currency.minor_unit_digits() {
                    return Err(vec![FieldViolation::new(
                        format!("{field}.amount"),
                        format!(
                            "{} allows at most {} decimal places",
                            currency.code(),
                            currency.minor_unit_digits()
                        ),
                    )]);
                }
                Ok(Self::new(amount, currency))
            }
            _ => Err(violations),
        }
    }

    /// The wire form, with exactly the currency's number of fraction digits.
    pub fn to_proto(&self) -> MoneyProto {
        MoneyProto {
            amount: format_amount(self.amount, self.currency),
            currency_code: self.currency.code().to_string(),
        }
    }

    /// Rounds half away from zero to the currency's minor unit (used after conversion).
    pub fn rounded(amount: Decimal, currency: Currency) -> Self {
        Self::new(
            amount.round_dp_with_strategy(
                currency.minor_unit_digits(),
                RoundingStrategy::MidpointAwayFromZero,
            ),
            currency,
        )
    }

    /// Rounds towards zero to the minor unit (used for "the largest amount that fits").
    pub fn floored(amount: Decimal, currency: Currency) -> Self {
        Self::new(
            amount.round_dp_with_strategy(currency.minor_unit_digits(), RoundingStrategy::ToZero),
            currency,
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            format_amount(self.amount, self.currency),
            self.currency
        )
    }
}

/// Formats with exactly the currency's fraction digits ("1250.00", "300").
pub fn format_amount(amount: Decimal, currency: Currency) -> String {
    let mut value = amount;
    value.rescale(currency.minor_unit_digits());
    value.to_string()
}

/// Parses a decimal string in the strict wire form: optional '-', digits, optional '.' and
/// digits. No exponent, no '+', no grouping, no surrounding space.
pub fn parse_decimal(text: &str, field: &str) -> Result<Decimal, FieldViolation> {
    let valid_shape = {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let mut parts = digits.splitn(2, '.');
        let whole = parts.next().unwrap_or("");
        let fraction = parts.next();
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
    };
    if text.is_empty() {
        return Err(FieldViolation::new(field, "required (decimal string)"));
    }
    if !valid_shape {
        return Err(FieldViolation::new(
            field,
            format!("'{text}' is not a decimal number like \"1250.00\""),
        ));
    }
    Decimal::from_str(text)
        .map_err(|_| FieldViolation::new(field, format!("'{text}' is out of range")))
}

/// Stored form of a decimal: canonical text, exact on both databases.
pub fn decimal_to_db(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Reads the stored form back. Stored values were written by `decimal_to_db`, so a failure
/// means the database was edited by hand.
pub fn decimal_from_db(text: &str) -> Result<Decimal, sqlx::Error> {
    Decimal::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount: &str, code: &str) -> MoneyProto {
        MoneyProto {
            amount: amount.into(),
            currency_code: code.into(),
        }
    }

    #[test]
    fn parses_amounts_within_the_minor_unit() {
        let m = Money::from_proto(Some(&money("1250.5", "EUR")), "amount").expect("valid");
        assert_eq!(m.to_proto().amount, "1250.50");
        let yen = Money::from_proto(Some(&money("300", "JPY")), "amount").expect("valid");
        assert_eq!(yen.to_proto().amount, "300");
        let dinar = Money::from_proto(Some(&money("1.125", "KWD")), "amount").expect("valid");
        assert_eq!(dinar.to_proto().amount, "1.125");
    }

    #[test]
    fn trailing_zeros_beyond_the_minor_unit_are_accepted() {
        let m = Money::from_proto(Some(&money("10.500", "EUR")), "amount").expect("valid");
        assert_eq!(m.to_proto().amount, "10.50");
    }

    #[test]
    fn too_many_decimals_names_the_amount_field() {
        let err = Money::from_proto(Some(&money("10.555", "EUR")), "order.amount")
            .expect_err("must be refused");
        assert_eq!(err[0].field, "order.amount.amount");
        let err = Money::from_proto(Some(&money("1.5", "JPY")), "x").expect_err("must be refused");
        assert!(err[0].description.contains("at most 0"));
    }

    #[test]
    fn rejects_unknown_currencies_and_float_forms() {
        let err = Money::from_proto(Some(&money("1", "EURO")), "m").expect_err("must be refused");
        assert_eq!(err[0].field, "m.currency_code");
        assert!(Currency::from_code("XAU").is_none(), "no minor unit");
        for bad in ["1e3", "+1", " 1", "1.", ".5", "1,000", "", "NaN", "--1"] {
            assert!(parse_decimal(bad, "f").is_err(), "{bad:?} must be rejected");
        }
        let both = Money::from_proto(Some(&money("x", "??")), "m").expect_err("must be refused");
        assert_eq!(both.len(), 2);
    }

    #[test]
    fn stored_form_round_trips_exactly() {
        for text in [
            "0",
            "1250.5",
            "-3.25",
            "79228162514264337593543950335",
            "0.0000001",
        ] {
            let value = Decimal::from_str(text).expect("decimal");
            assert_eq!(
                decimal_from_db(&decimal_to_db(value)).expect("round trip"),
                value
            );
        }
    }

    #[test]
    fn rounding_helpers_respect_the_currency() {
        let eur = Currency::from_code("EUR").expect("EUR");
        assert_eq!(
            Money::rounded(Decimal::new(12345, 3), eur).amount,
            Decimal::new(1235, 2)
        );
        assert_eq!(
            Money::floored(Decimal::new(12349, 3), eur).amount,
            Decimal::new(1234, 2)
        );
    }
}
