//! Validation of an application from the wire: formats on every save (each bad field named),
//! completeness on submission. Financial statements are checked in depth by scoring at
//! submission; its field errors come back under `financial_statements[i]`.
use crate::app::changes::ChangeRequest;
use crate::domain::state::Kind;
use credit_platform::clock::Micros;
use credit_platform::error::Violations;
use credit_platform::ids::{check_external_id, check_text};
use credit_platform::money::{Money, parse_decimal};
use credit_platform::paging::PageRequest;
use credit_proto::applications as pb;
use rust_decimal::Decimal;

/// Languages decision notices are written in.
pub const LANGUAGES: &[&str] = &["en", "fr", "ro", "zh"];

fn country(code: &str, field: &str, required: bool, v: &mut Violations) {
    if code.is_empty() {
        if required {
            v.add(field, "required (ISO 3166-1 alpha-2 code)");
        }
    } else if isocountry::CountryCode::for_alpha2(code).is_err() {
        v.add(
            field,
            format!("'{code}' is not an ISO 3166-1 alpha-2 country code"),
        );
    }
}

/// A tax or VAT id: 5 to 20 letters and digits (spaces, dots and dashes ignored); one that
/// starts with two letters is a VAT number whose prefix must be the country's (EL for Greece).
fn tax_id(value: &str, country_code: &str, field: &str, required: bool, v: &mut Violations) {
    if value.is_empty() {
        if required {
            v.add(field, "required");
        }
        return;
    }
    let compact: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    if !(5..=20).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        v.add(field, "must be 5 to 20 letters and digits");
        return;
    }
    let prefix = &compact[..2];
    if prefix.chars().all(|c| c.is_ascii_alphabetic()) && !country_code.is_empty() {
        let expected = if country_code == "GR" {
            "EL"
        } else {
            country_code
        };
        if !prefix.eq_ignore_ascii_case(expected) {
            v.add(
                field,
                format!("a VAT number of a company in {country_code} starts with {expected}"),
            );
        }
    }
}

fn bic(value: &str, field: &str, v: &mut Violations) {
    let b = value.as_bytes();
    let ok = (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && isocountry::CountryCode::for_alpha2(&value[4..6]).is_ok();
    if !ok {
        v.add(
            field,
            "must be a BIC: 8 or 11 characters, bank code, country code, location, branch",
        );
    }
}

fn email(value: &str, field: &str, v: &mut Violations) {
    let ok = value.len() <= 254
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.starts_with('.')
                && domain.contains('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
                && !domain.contains('@')
        });
    if !ok {
        v.add(field, "must be an e-mail address like name@example.com");
    }
}

fn phone(value: &str, field: &str, v: &mut Violations) {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let shape = value.starts_with('+')
        && value[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'));
    if !shape || !(7..=15).contains(&digits) {
        v.add(
            field,
            "must be an international number like +33 1 23 45 67 89",
        );
    }
}

fn address(a: Option<&pb::Address>, field: &str, required: bool, v: &mut Violations) {
    let Some(a) = a else {
        if required {
            v.add(field, "required");
        }
        return;
    };
    if required && a.lines.iter().all(|l| l.trim().is_empty()) {
        v.add(format!("{field}.lines"), "required");
    }
    for (i, line) in a.lines.iter().enumerate() {
        check_text(line, &format!("{field}.lines[{i}]"), false, 200, v);
    }
    check_text(
        &a.postal_code,
        &format!("{field}.postal_code"),
        false,
        16,
        v,
    );
    check_text(&a.city, &format!("{field}.city"), required, 100, v);
    country(
        &a.country_code,
        &format!("{field}.country_code"),
        required,
        v,
    );
}

fn applicant(a: Option<&pb::Applicant>, complete: bool, v: &mut Violations) {
    let Some(a) = a else {
        if complete {
            v.add("application.applicant", "required");
        }
        return;
    };
    let f = |name: &str| format!("application.applicant.{name}");
    check_text(&a.legal_name, &f("legal_name"), true, 200, v);
    check_text(&a.trading_name, &f("trading_name"), false, 200, v);
    if a.registration_id.is_empty() {
        if complete {
            v.add(f("registration_id"), "required");
        }
    } else if a.registration_id.len() > 32
        || !a
            .registration_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '/'))
    {
        v.add(
            f("registration_id"),
            "at most 32 letters, digits, spaces, '-', '.', '/'",
        );
    }
    country(&a.country_code, &f("country_code"), complete, v);
    tax_id(&a.tax_id, &a.country_code, &f("tax_id"), complete, v);
    address(
        a.registered_address.as_ref(),
        &f("registered_address"),
        complete,
        v,
    );
    address(a.billing_address.as_ref(), &f("billing_address"), false, v);
    if complete && a.contacts.is_empty() {
        v.add(f("contacts"), "at least one contact");
    }
    for (i, c) in a.contacts.iter().enumerate() {
        let g = |name: &str| f(&format!("contacts[{i}].{name}"));
        check_text(&c.name, &g("name"), true, 200, v);
        check_text(&c.role, &g("role"), false, 100, v);
        if !c.email.is_empty() {
            email(&c.email, &g("email"), v);
        }
        if !c.phone.is_empty() {
            phone(&c.phone, &g("phone"), v);
        }
        if c.email.is_empty() && c.phone.is_empty() {
            v.add(
                g("email"),
                "an e-mail address or a phone number is required",
            );
        }
    }
    let mut shares = Decimal::ZERO;
    for (i, o) in a.owners.iter().enumerate() {
        let g = |name: &str| f(&format!("owners[{i}].{name}"));
        check_text(&o.name, &g("name"), true, 200, v);
        match parse_decimal(&o.share_percent, &g("share_percent")) {
            Ok(share) if share > Decimal::ZERO && share <= Decimal::ONE_HUNDRED => {
                shares += share;
            }
            Ok(_) => v.add(g("share_percent"), "must be above 0 and at most 100"),
            Err(e) => v.add(e.field, e.description),
        }
    }
    if shares > Decimal::ONE_HUNDRED {
        v.add(
            f("owners"),
            format!("shares add up to {shares}%, more than 100%"),
        );
    }
    check_text(
        &a.parent_company_name,
        &f("parent_company_name"),
        false,
        200,
        v,
    );
    if !a.parent_customer_id.is_empty() {
        check_external_id(&a.parent_customer_id, &f("parent_customer_id"), v);
    }
    let nace = a.industry.len() == 1 && (b'A'..=b'U').contains(&a.industry.as_bytes()[0]);
    if !a.industry.is_empty() && !nace {
        v.add(f("industry"), "must be a NACE section letter A–U");
    } else if complete && a.industry.is_empty() {
        v.add(f("industry"), "required (NACE section letter A–U)");
    }
    if !(0..=500).contains(&a.years_in_business) {
        v.add(f("years_in_business"), "must be 0 to 500");
    }
    for (i, r) in a.trade_references.iter().enumerate() {
        let g = |name: &str| f(&format!("trade_references[{i}].{name}"));
        credit_platform::ids::required_enum::<credit_proto::scoring::ReferenceKind>(
            r.kind,
            &g("kind"),
            v,
        );
        check_text(&r.source, &g("source"), true, 200, v);
    }
    match a.bank_account.as_ref() {
        Some(b) => {
            let g = |name: &str| f(&format!("bank_account.{name}"));
            if b.iban.is_empty() {
                v.add(g("iban"), "required");
            } else if b.iban.parse::<iban::Iban>().is_err() {
                v.add(
                    g("iban"),
                    "not a valid IBAN (country, length or check digits are wrong)",
                );
            }
            if !b.bic.is_empty() {
                bic(&b.bic, &g("bic"), v);
            }
            check_text(&b.bank_name, &g("bank_name"), false, 200, v);
            check_text(&b.account_holder, &g("account_holder"), false, 200, v);
        }
        None if complete => v.add(f("bank_account"), "required"),
        None => {}
    }
    if !a.preferred_language.is_empty() && !LANGUAGES.contains(&a.preferred_language.as_str()) {
        v.add(
            f("preferred_language"),
            format!("must be one of {}", LANGUAGES.join(", ")),
        );
    }
    check_text(&a.region, &f("region"), false, 64, v);
    check_text(&a.business_unit, &f("business_unit"), false, 64, v);
    check_text(&a.segment, &f("segment"), false, 64, v);
}

fn credit_request(r: Option<&pb::CreditRequest>, complete: bool, v: &mut Violations) {
    let Some(r) = r else {
        if complete {
            v.add("application.credit_request", "required");
        }
        return;
    };
    let f = |name: &str| format!("application.credit_request.{name}");
    let requested = if r.requested_limit.is_some() || complete {
        v.check(Money::from_proto(
            r.requested_limit.as_ref(),
            &f("requested_limit"),
        ))
    } else {
        None
    };
    if let Some(m) = requested
        && m.amount <= Decimal::ZERO
    {
        v.add(f("requested_limit.amount"), "must be positive");
    }
    if !(0..=180).contains(&r.payment_terms_days) {
        v.add(f("payment_terms_days"), "must be 0 to 180 days");
    }
    if r.expected_monthly_volume.is_some() {
        let volume = v.check(Money::from_proto(
            r.expected_monthly_volume.as_ref(),
            &f("expected_monthly_volume"),
        ));
        if let Some(m) = volume {
            if m.amount < Decimal::ZERO {
                v.add(f("expected_monthly_volume.amount"), "must not be negative");
            }
            if requested.is_some_and(|r| r.currency != m.currency) {
                v.add(
                    f("expected_monthly_volume.currency_code"),
                    "must be the currency of requested_limit",
                );
            }
        }
    }
}

fn statements(list: &[credit_proto::scoring::FinancialStatement], v: &mut Violations) {
    let mut periods = std::collections::BTreeSet::new();
    for (i, s) in list.iter().enumerate() {
        if !periods.insert(s.period_end.as_ref().map(|d| d.iso())) {
            v.add(
                format!("application.financial_statements[{i}].period_end"),
                "another statement has the same period",
            );
        }
    }
    if list.len() > 10 {
        v.add("application.financial_statements", "at most 10 periods");
    }
}

/// The filters of a list of cases: a state (any when unspecified), a customer (any when
/// empty), and the page.
pub fn case_filter<E: credit_proto::ShortName>(
    state: i32,
    customer_id: &str,
    page_size: i32,
    page_token: &str,
    v: &mut Violations,
) -> Option<(&'static str, PageRequest)> {
    let state = credit_platform::ids::enum_filter::<E>(state, "state", v);
    if !customer_id.is_empty() {
        check_external_id(customer_id, "customer_id", v);
    }
    Some((state, PageRequest::parse(page_size, page_token, v)?))
}

/// Checks an application: formats always, completeness when `complete` (submission).
pub fn check_application(app: &pb::Application, complete: bool, v: &mut Violations) {
    check_external_id(&app.customer_id, "application.customer_id", v);
    applicant(app.applicant.as_ref(), complete, v);
    credit_request(app.credit_request.as_ref(), complete, v);
    statements(&app.financial_statements, v);
}

/// A change of an approved limit: its kind, the limit asked for, when a temporary increase
/// ends (in the future, within a year of `now`), and why.
pub fn limit_change(
    request: &pb::RequestLimitChangeRequest,
    now: Micros,
    v: &mut Violations,
) -> Option<ChangeRequest> {
    check_external_id(&request.customer_id, "customer_id", v);
    let kind = match pb::ApplicationKind::try_from(request.kind) {
        Ok(pb::ApplicationKind::LimitIncrease) => Some(Kind::LimitIncrease),
        Ok(pb::ApplicationKind::TemporaryIncrease) => Some(Kind::TemporaryIncrease),
        Ok(pb::ApplicationKind::LimitDecrease) => Some(Kind::LimitDecrease),
        _ => {
            v.add(
                "kind",
                "must be LIMIT_INCREASE, TEMPORARY_INCREASE or LIMIT_DECREASE",
            );
            None
        }
    };
    let requested = v.check(Money::from_proto(
        request.requested_limit.as_ref(),
        "requested_limit",
    ));
    if let Some(m) = &requested
        && m.amount < rust_decimal::Decimal::ZERO
    {
        v.add("requested_limit.amount", "must not be negative");
    }
    let end = request
        .temporary_end_time
        .as_ref()
        .map(credit_platform::clock::from_timestamp);
    match (kind, end) {
        (Some(Kind::TemporaryIncrease), None) => {
            v.add("temporary_end_time", "required for a TEMPORARY_INCREASE")
        }
        (Some(Kind::TemporaryIncrease), Some(None)) => {
            v.add("temporary_end_time", "not a valid timestamp")
        }
        (Some(Kind::TemporaryIncrease), Some(Some(end)))
            if end <= now || end > now + 366 * 24 * 3_600_000_000 =>
        {
            v.add("temporary_end_time", "must be in the future, within a year")
        }
        (Some(Kind::TemporaryIncrease), _) => {}
        (_, Some(_)) => v.add(
            "temporary_end_time",
            "only a TEMPORARY_INCREASE ends by itself",
        ),
        _ => {}
    }
    check_text(&request.reason, "reason", true, 2000, v);
    let change = ChangeRequest {
        customer_id: request.customer_id.clone(),
        kind: kind?,
        requested: requested?.to_proto(),
        temporary_end: end.flatten(),
        reason: request.reason.trim().to_string(),
    };
    Some(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(check: impl FnOnce(&mut Violations)) -> Vec<String> {
        let mut v = Violations::new();
        check(&mut v);
        match v.into_result() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_violations().into_iter().map(|f| f.field).collect(),
        }
    }

    #[test]
    fn ibans_bics_tax_ids_emails_and_phones_are_checked() {
        let good = |a: &pb::Applicant| named(|v| applicant(Some(a), false, v));
        let mut a = pb::Applicant {
            legal_name: "Acme SAS".into(),
            country_code: "FR".into(),
            tax_id: "FR40303265045".into(),
            bank_account: Some(pb::BankAccount {
                iban: "FR14 2004 1010 0505 0001 3M02 606".into(),
                bic: "PSSTFRPPPAR".into(),
                ..Default::default()
            }),
            contacts: vec![pb::Contact {
                name: "Jeanne Dupont".into(),
                email: "jeanne@acme.fr".into(),
                phone: "+33 1 23 45 67 89".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert!(good(&a).is_empty(), "{:?}", good(&a));
        a.tax_id = "DE123456789".into();
        a.bank_account.as_mut().expect("bank").iban = "FR15 2004 1010 0505 0001 3M02 606".into();
        a.bank_account.as_mut().expect("bank").bic = "PSST12".into();
        a.contacts[0].email = "jeanne@".into();
        a.contacts[0].phone = "0123".into();
        a.country_code = "XX".into();
        let fields = good(&a);
        for field in [
            "application.applicant.tax_id",
            "application.applicant.bank_account.iban",
            "application.applicant.bank_account.bic",
            "application.applicant.contacts[0].email",
            "application.applicant.contacts[0].phone",
            "application.applicant.country_code",
        ] {
            assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
        }
    }

    #[test]
    fn a_draft_may_be_partial_but_a_submission_must_be_complete() {
        let draft = pb::Application {
            customer_id: "C-1".into(),
            applicant: Some(pb::Applicant {
                legal_name: "Acme".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(named(|v| check_application(&draft, false, v)).is_empty());
        let missing = named(|v| check_application(&draft, true, v));
        for field in [
            "application.applicant.tax_id",
            "application.applicant.country_code",
            "application.applicant.registered_address",
            "application.applicant.contacts",
            "application.applicant.bank_account",
            "application.applicant.industry",
            "application.credit_request",
        ] {
            assert!(missing.iter().any(|f| f == field), "{field} in {missing:?}");
        }
    }
}
