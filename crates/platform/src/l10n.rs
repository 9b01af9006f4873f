//! Letters in the customer's language: a catalog of Fluent message files (one per language,
//! `fluent-bundle`), and amounts written the way people of a language write them. Every
//! service that writes to customers (decision notices, dunning) renders through one of these.
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

type Bundle = FluentBundle<FluentResource>;

/// Message files by language; the first language is the fallback.
pub struct Catalog {
    bundles: HashMap<&'static str, Bundle>,
    languages: Vec<&'static str>,
}

impl Catalog {
    /// Parses `files` ((language, Fluent text)); a file that does not parse is a programming
    /// error, found by the first test that renders.
    pub fn new(files: &[(&'static str, &'static str)]) -> Self {
        let bundles = files
            .iter()
            .map(|(language, text)| {
                let resource =
                    FluentResource::try_new(text.to_string()).unwrap_or_else(|(_, errors)| {
                        panic!("messages for {language} do not parse: {errors:?}")
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
            .collect();
        Self {
            bundles,
            languages: files.iter().map(|(l, _)| *l).collect(),
        }
    }

    /// The language used for `wanted`: itself when the catalog has it, else the first one.
    pub fn language(&self, wanted: &str) -> &'static str {
        self.languages
            .iter()
            .copied()
            .find(|l| *l == wanted)
            .unwrap_or(self.languages[0])
    }

    /// Message `id` in `language` with `args`; None when the message is missing or a variable
    /// is unfilled.
    pub fn text(&self, language: &str, id: &str, args: &FluentArgs) -> Option<String> {
        let bundle = self.bundles.get(self.language(language))?;
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(args), &mut errors);
        errors.is_empty().then(|| text.into_owned())
    }
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

pub use fluent_bundle::{FluentArgs as Args, FluentValue as Value};
