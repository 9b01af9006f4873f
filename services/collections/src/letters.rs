//! Dunning letters in the customer's language, from Fluent message files
//! (`locales/<language>.ftl`): what the step says, the open items with their amounts, how to
//! pay and how to dispute.
use credit_platform::l10n::{Args, Catalog, Value, format_amount};
use std::sync::OnceLock;

const FILES: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en.ftl")),
    ("fr", include_str!("../locales/fr.ftl")),
    ("ro", include_str!("../locales/ro.ftl")),
    ("zh", include_str!("../locales/zh.ftl")),
];

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::new(FILES))
}

/// An open item a letter lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The invoice.
    pub invoice: String,
    /// Its issue date.
    pub issued: String,
    /// Its due date.
    pub due: String,
    /// What is open on it (decimal).
    pub open: String,
}

/// What a letter states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The customer's name.
    pub company: String,
    /// The customer's reference.
    pub customer_id: String,
    /// The items' currency.
    pub currency: String,
    /// The items.
    pub items: Vec<Item>,
    /// Their total (decimal).
    pub total: String,
    /// Days the oldest is past due (0 or less: not yet due).
    pub days_past_due: i64,
}

/// A rendered letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// Language used.
    pub language: String,
    pub subject: String,
    /// The letter's text.
    pub body: String,
}

/// The letter of `template` ("REMINDER") in `wanted` (English when not available).
pub fn render(template: &str, wanted: &str, facts: &Facts) -> Letter {
    let catalog = catalog();
    let language = catalog.language(wanted);
    let key = template.to_lowercase().replace('_', "-");
    let mut args = Args::new();
    args.set("company", facts.company.clone());
    args.set("customer", facts.customer_id.clone());
    args.set(
        "total",
        format_amount(&facts.total, &facts.currency, language),
    );
    args.set("count", Value::from(facts.items.len() as i64));
    args.set("days", Value::from(facts.days_past_due.max(0)));
    let text = |id: &str, args: &Args| catalog.text(language, id, args).unwrap_or_default();
    let items: Vec<String> = facts
        .items
        .iter()
        .map(|item| {
            let mut a = Args::new();
            a.set("invoice", item.invoice.clone());
            a.set("issued", item.issued.clone());
            a.set("due", item.due.clone());
            a.set("open", format_amount(&item.open, &facts.currency, language));
            format!("  – {}", text("dunning-item", &a))
        })
        .collect();
    let body = [
        text("dunning-greeting", &args),
        text(&format!("dunning-intro-{key}"), &args),
        format!("{}\n{}", text("dunning-items", &args), items.join("\n")),
        text("dunning-total", &args),
        text("dunning-pay", &args),
        text("dunning-dispute", &args),
        text("dunning-closing", &args),
    ]
    .join("\n\n");
    Letter {
        language: language.to_string(),
        subject: text(&format!("dunning-subject-{key}"), &args),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            company: "Newco SAS".into(),
            customer_id: "NEWCO-FR".into(),
            currency: "EUR".into(),
            items: vec![
                Item {
                    invoice: "INV-1".into(),
                    issued: "2026-09-01".into(),
                    due: "2026-10-01".into(),
                    open: "2000.00".into(),
                },
                Item {
                    invoice: "INV-2".into(),
                    issued: "2026-10-05".into(),
                    due: "2026-11-04".into(),
                    open: "7500.00".into(),
                },
            ],
            total: "9500.00".into(),
            days_past_due: 53,
        }
    }

    #[test]
    fn every_template_in_every_language_lists_the_items_and_how_to_pay_or_dispute() {
        for language in ["en", "fr", "ro", "zh"] {
            for template in crate::domain::dunning::TEMPLATES {
                let letter = render(template, language, &facts());
                assert_eq!(letter.language, language);
                assert!(!letter.subject.is_empty(), "{language} {template}");
                assert!(
                    letter.body.contains("INV-1") && letter.body.contains("INV-2"),
                    "{language} {template}: {}",
                    letter.body
                );
                assert!(letter.body.contains("NEWCO-FR"), "{language}: how to pay");
                assert!(
                    !letter.body.contains('{'),
                    "{language} {template}: {}",
                    letter.body
                );
                // Every paragraph is there: none rendered empty.
                assert!(!letter.body.contains("\n\n\n"), "{language} {template}");
            }
        }
        let fr = render("REMINDER", "fr", &facts());
        assert!(
            fr.body.contains("9\u{202f}500,00 EUR") && fr.body.contains("53 jours"),
            "{}",
            fr.body
        );
        let ro = render("REMINDER", "ro", &facts());
        assert!(ro.body.contains("53 de zile"), "{}", ro.body);
        let en = render("FRIENDLY_REMINDER", "de", &facts());
        assert_eq!(en.language, "en");
    }
}
