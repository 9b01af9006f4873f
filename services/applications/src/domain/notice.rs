//! Decision notices: the letter an applicant receives, in its language, from Fluent message
//! templates (`locales/<language>.ftl`): the outcome, the limit and terms, the conditions, and
//! the reasons in plain words. Reason codes of the policy have a sentence per language; reasons
//! a person wrote are quoted as written.
use credit_platform::l10n::{Args as FluentArgs, Catalog, Value as FluentValue};
use std::sync::OnceLock;

pub use credit_platform::l10n::format_amount;

/// The languages notices are written in, with their templates.
const TEMPLATES: &[(&str, &str)] = &[
    ("en", include_str!("../../locales/en.ftl")),
    ("fr", include_str!("../../locales/fr.ftl")),
    ("ro", include_str!("../../locales/ro.ftl")),
    ("zh", include_str!("../../locales/zh.ftl")),
];

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::new(TEMPLATES))
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
    /// For a limit change: the limit before it, and its currency (empty for new credit).
    pub previous: (String, String),
    /// For a temporary increase: the day it ends (YYYY-MM-DD).
    pub until: String,
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

/// The language used for `wanted`: itself when notices are written in it, else English.
pub fn language(wanted: &str) -> &'static str {
    catalog().language(wanted)
}

/// A policy reason code in plain words, or the reason as a person wrote it.
fn reason(language: &str, reason: &str, args: &FluentArgs) -> String {
    let is_code = !reason.is_empty()
        && reason
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if is_code {
        let id = format!("reason-{}", reason.to_lowercase().replace('_', "-"));
        if let Some(text) = catalog().text(language, &id, args) {
            return text;
        }
    }
    reason.to_string()
}

/// Renders the notice of `kind` in `wanted` (English when not supported).
pub fn render(kind: Kind, wanted: &str, facts: &Facts) -> Notice {
    let language = language(wanted);
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
    args.set(
        "previous",
        format_amount(&facts.previous.0, &facts.previous.1, language),
    );
    args.set("until", facts.until.clone());
    let change = !facts.previous.0.is_empty();
    let text = |id: &str| catalog().text(language, id, &args).unwrap_or_default();
    let (subject, mut paragraphs) = match kind {
        Kind::Approved => {
            let (subject, first) = match (change, facts.until.is_empty()) {
                (false, _) => ("notice-subject-approved", "notice-approved"),
                (true, true) => ("notice-subject-changed", "notice-changed"),
                (true, false) => ("notice-subject-changed", "notice-changed-temporary"),
            };
            let mut p = vec![text(first)];
            if !facts.conditions.is_empty() {
                p.push(text("notice-conditions"));
            }
            if !facts.review_date.is_empty() {
                p.push(text("notice-review"));
            }
            (text(subject), p)
        }
        Kind::Rejected => {
            let (subject, first) = if change {
                ("notice-subject-change-rejected", "notice-change-rejected")
            } else {
                ("notice-subject-rejected", "notice-rejected")
            };
            let mut p = vec![text(first)];
            if !facts.reasons.is_empty() {
                let list: Vec<String> = facts
                    .reasons
                    .iter()
                    .map(|r| format!("  – {}", reason(language, r, &args)))
                    .collect();
                p.push(format!("{}\n{}", text("notice-reasons"), list.join("\n")));
            }
            (text(subject), p)
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
            previous: (String::new(), String::new()),
            until: String::new(),
        }
    }

    #[test]
    fn a_limit_change_says_from_what_to_what_and_until_when_in_every_language() {
        let mut temporary = facts();
        temporary.previous = ("30000.00".into(), "EUR".into());
        temporary.until = "2027-01-31".into();
        let en = render(Kind::Approved, "en", &temporary);
        assert!(
            en.body
                .contains("raised from 30,000.00 EUR to 40,000.00 EUR until 2027-01-31"),
            "{}",
            en.body
        );
        let mut cut = facts();
        cut.previous = ("60000.00".into(), "EUR".into());
        let fr = render(Kind::Approved, "fr", &cut);
        assert!(
            fr.subject.contains("modifiée")
                && fr
                    .body
                    .contains("passe de 60\u{202f}000,00 EUR à 40\u{202f}000,00 EUR"),
            "{}",
            fr.body
        );
        let refused = render(Kind::Rejected, "ro", &cut);
        assert!(refused.body.contains("60.000,00 EUR"), "{}", refused.body);
        for language in ["en", "fr", "ro", "zh"] {
            for (kind, f) in [
                (Kind::Approved, &temporary),
                (Kind::Approved, &cut),
                (Kind::Rejected, &cut),
            ] {
                let notice = render(kind, language, f);
                assert!(
                    !notice.subject.is_empty() && !notice.body.contains('{'),
                    "{language}: {notice:?}"
                );
                assert!(
                    notice
                        .body
                        .contains(&format_amount(&f.previous.0, "EUR", language))
                );
            }
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
