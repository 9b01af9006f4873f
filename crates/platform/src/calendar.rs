//! Calendar dates on the wire (`google.type.Date`) and in the domain (days since 1970-01-01).
use crate::error::{FieldViolation, Violations};
use credit_proto::google::r#type::Date;

/// The wire date of a day since 1970-01-01.
pub fn date(day: i64) -> Date {
    Date::of_day(day)
}

/// The wire date of a day, unset for none.
pub fn optional_date(day: Option<i64>) -> Option<Date> {
    day.map(date)
}

/// The day of a full wire date (year, month and day all given and valid); None otherwise.
pub fn day_of(date: &Date) -> Option<i64> {
    date.day()
}

/// The day of a required date field, or a violation naming `field`.
pub fn required_day(field: &str, date: Option<&Date>) -> Result<i64, FieldViolation> {
    match date {
        None => Err(FieldViolation::new(field, "required: a calendar date")),
        Some(d) => day_of(d).ok_or_else(|| {
            FieldViolation::new(
                field,
                format!(
                    "{} is not a calendar date (year 1–9999, month 1–12, a day the month has)",
                    d.iso()
                ),
            )
        }),
    }
}

/// The day of an optional date field (unset is `None`), or a violation naming `field`.
pub fn optional_day(field: &str, date: Option<&Date>) -> Result<Option<i64>, FieldViolation> {
    date.map(|d| required_day(field, Some(d))).transpose()
}

/// The day of a required date field; None with the problem added to `v`.
pub fn day_in(field: &str, date: Option<&Date>, v: &mut Violations) -> Option<i64> {
    required_day(field, date)
        .map_err(|e| v.add(e.field, e.description))
        .ok()
}

/// The day of an optional date field: `Some(None)` when unset, None with the problem added to
/// `v` when it is not a date.
pub fn optional_day_in(
    field: &str,
    date: Option<&Date>,
    v: &mut Violations,
) -> Option<Option<i64>> {
    optional_day(field, date)
        .map_err(|e| v.add(e.field, e.description))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_round_trip() {
        for day in [-1, 0, 59, 20_000, 20_787] {
            assert_eq!(day_of(&date(day)), Some(day));
        }
        assert_eq!(
            date(20_787),
            Date {
                year: 2026,
                month: 11,
                day: 30
            }
        );
    }

    #[test]
    fn partial_and_impossible_dates_are_refused_with_the_field_named() {
        let partial = Date {
            year: 2026,
            month: 2,
            day: 0,
        };
        let impossible = Date {
            year: 2026,
            month: 2,
            day: 29,
        };
        assert_eq!(day_of(&partial), None);
        let error = required_day("due_date", Some(&impossible)).expect_err("no 29 February 2026");
        assert_eq!(error.field, "due_date");
        assert!(required_day("due_date", None).is_err());
        assert_eq!(optional_day("due_date", None).ok(), Some(None));
    }
}
