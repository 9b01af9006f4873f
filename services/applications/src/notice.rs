//! Decision notices: the letter an applicant receives, in its language, from Fluent message
//! templates (`locales/<language>.ftl`): the outcome, the limit and terms, the conditions, and
//! the reasons in plain words. Reason codes of the policy have a sentence per language; reasons
//! a person wrote are quoted as written.
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;

/// The languages notices are written in, with their templates.
const TEMPLATES: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en.ftl")),
    ("fr", include_str!("../locales/fr.ftl")),
    ("ro", include_str!("../locales/ro.ftl")),
    ("zh", include_str!("../locales/zh.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static HashMap<&'static str, Bundle> {
    static BUNDLES: OnceLock<HashMap<&'static str, Bundle>> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        TEMPLATES
            .iter()
            .map(|(language, text)| {
                let resource =
                    FluentResource::try_new(text.to_string()).unwrap_or_else(|(_, errors)| {
                        panic!("locales/{language}.ftl does not parse: {errors:?}")
                    });
                let id = language.parse().expect("a valid language identifier");
                let mut bundle = Bundle::new_concurrent(vec![id]);
                // Plain text for letters and e-mails: no bidi isolation marks.
                bundle.set_use_isolating(false);
                bundle
                    .add_resource(resource)
                    .expect("message ids are unique within a file");
                (*language, bundle)
            })
            .collect()
    })
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The credit is granted.
    Approved,
    /// It is declined.
    Rejected,
    /// More information is needed.
    InformationRequested,
}

/// The facts a notice states.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The applicant's name.
    pub company: String,
    /// The application's reference for the applicant.
    pub reference: String,
    /// Amount granted, decimal string, and its currency.
    pub limit: (String, String),
    /// Amount asked for, and its currency.
    pub requested: (String, String),
    /// Payment terms granted (days).
    pub terms_days: i64,
    /// Conditions attached.
    pub conditions: Vec<String>,
    /// Review date (YYYY-MM-DD), when approved.
    pub review_date: String,
    /// Reasons: policy codes (UPPER_SNAKE) or sentences a person wrote.
    pub reasons: Vec<String>,
    /// Questions, when information is requested.
    pub questions: Vec<String>,
}

/// A rendered notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The language used.
    pub language: String,
    /// Subject line.
    pub subject: String,
    /// The letter.
    pub body: String,
}

/// An amount as people of `language` write it: grouping and decimal separators, then the
/// currency code ("40,000.00 EUR", "40 000,00 EUR", "40.000,00 EUR").
pub fn format_amount(amount: &str, currency: &str, language: &str) -> String {
    let Ok(value) = Decimal::from_str(amount) else {
        return format!("{amount} {currency}");
    };
    let text = value.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let (group, decimal) = match language {
        "fr" => ('\u{202f}', ','),
        "ro" => ('.', ','),
        _ => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{grouped} {currency}")
    } else {
        format!("{sign}{grouped}{decimal}{fraction} {currency}")
    }
}

/// The language used for `wanted`: itself when notices are written in it, else English.
pub fn language(wanted: &str) -> &'static str {
    TEMPLATES
        .iter()
        .map(|(l, _)| *l)
        .find(|l| *l == wanted)
        .unwrap_or("en")
}

fn message(bundle: &Bundle, id: &str, args: &FluentArgs) -> Option<String> {
    let pattern = bundle.get_message(id)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(args), &mut errors);
    errors.is_empty().then(|| text.into_owned())
}

/// A policy reason code in plain words, or the reason as a person wrote it.
fn reason(bundle: &Bundle, reason: &str, args: &FluentArgs) -> String {
    let is_code = !reason.is_empty()
        && reason
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if is_code {
        let id = format!("reason-{}", reason.to_lowercase().replace('_', "-"));
        if let Some(text) = message(bundle, &id, args) {
            return text;
        }
    }
    reason.to_string()
}

/// Renders the notice of `kind` in `wanted` (English when not supported).
pub fn render(kind: Kind, wanted: &str, facts: &Facts) -> Notice {
    let language = language(wanted);
    let bundle = &bundles()[language];
    let mut args = FluentArgs::new();
    args.set("company", facts.company.clone());
    args.set("reference", facts.reference.clone());
    args.set(
        "limit",
        format_amount(&facts.limit.0, &facts.limit.1, language),
    );
    args.set(
        "requested",
        format_amount(&facts.requested.0, &facts.requested.1, language),
    );
    args.set("terms", FluentValue::from(facts.terms_days));
    args.set("review", facts.review_date.clone());
    args.set("conditions", facts.conditions.join("; "));
    let text = |id: &str| message(bundle, id, &args).unwrap_or_default();
    let (subject, mut paragraphs) = match kind {
        Kind::Approved => {
            let mut p = vec![text("notice-approved")];
            if !facts.conditions.is_empty() {
                p.push(text("notice-conditions"));
            }
            if !facts.review_date.is_empty() {
                p.push(text("notice-review"));
            }
            (text("notice-subject-approved"), p)
        }
        Kind::Rejected => {
            let mut p = vec![text("notice-rejected")];
            if !facts.reasons.is_empty() {
                let list: Vec<String> = facts
                    .reasons
                    .iter()
                    .map(|r| format!("  – {}", reason(bundle, r, &args)))
                    .collect();
                p.push(format!("{}\n{}", text("notice-reasons"), list.join("\n")));
            }
            (text("notice-subject-rejected"), p)
        }
        Kind::InformationRequested => {
            let list: Vec<String> = facts.questions.iter().map(|q| format!("  – {q}")).collect();
            (
                text("notice-subject-information"),
                vec![format!(
                    "{}\n{}",
                    text("notice-information"),
                    list.join("\n")
                )],
            )
        }
    };
    paragraphs.insert(0, text("notice-greeting"));
    paragraphs.push(text("notice-closing"));
    Notice {
        language: language.to_string(),
        subject,
        body: paragraphs.join("\n\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            company: "Newco SAS".into(),
            reference: "A-1".into(),
            limit: ("40000.00".into(), "EUR".into()),
            requested: ("50000.00".into(), "EUR".into()),
            terms_days: 30,
            conditions: vec!["quarterly accounts".into()],
            review_date: "2028-11-23".into(),
            reasons: vec!["RISK_CLASS_REJECTED".into(), "sector exposure".into()],
            questions: vec!["2026 interim accounts".into()],
        }
    }

    #[test]
    fn every_language_states_the_outcome_the_limit_the_terms_and_the_conditions() {
        let en = render(Kind::Approved, "en", &facts());
        assert_eq!(en.subject, "Your credit application A-1 has been approved");
        assert!(en.body.contains("40,000.00 EUR"), "{}", en.body);
        assert!(en.body.contains("30 days") && en.body.contains("quarterly accounts"));
        assert!(en.body.contains("2028-11-23"));
        let fr = render(Kind::Approved, "fr", &facts());
        assert!(
            fr.body.contains("40\u{202f}000,00 EUR") && fr.body.contains("30 jours"),
            "{}",
            fr.body
        );
        let ro = render(Kind::Approved, "ro", &facts());
        assert!(
            ro.body.contains("40.000,00 EUR") && ro.body.contains("30 de zile"),
            "{}",
            ro.body
        );
        let mut one_day = facts();
        one_day.terms_days = 1;
        assert!(
            render(Kind::Approved, "en", &one_day)
                .body
                .contains("1 day ")
        );
        let zh = render(Kind::Approved, "zh", &facts());
        assert!(
            zh.subject.contains("已获批准") && zh.body.contains("30 天"),
            "{}",
            zh.body
        );
        for notice in [&en, &fr, &ro, &zh] {
            assert!(!notice.body.contains('\u{2068}'), "no isolation marks");
            assert!(
                !notice.body.contains("{"),
                "every variable filled: {}",
                notice.body
            );
        }
    }

    #[test]
    fn reasons_are_plain_words_and_unknown_languages_fall_back_to_english() {
        let fr = render(Kind::Rejected, "fr", &facts());
        assert!(fr.body.contains("trop élevé"), "{}", fr.body);
        assert!(
            fr.body.contains("sector exposure"),
            "a person's words as written"
        );
        let de = render(Kind::Rejected, "de", &facts());
        assert_eq!(de.language, "en");
        assert!(de.body.contains("too high"));
        let info = render(Kind::InformationRequested, "ro", &facts());
        assert!(info.body.contains("2026 interim accounts"));
    }
}
