//! A sound company applying for credit, and what a bureau reports on it: the applicant the
//! journeys and the fault tests submit (the automatic path, when the amount is modest).
#![allow(dead_code)]
use credit_proto::applications as pb;
use credit_proto::scoring as spb;
use credit_proto::types::Money;

fn eur(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: "EUR".into(),
    })
}

/// The application of a sound French company asking for `amount` EUR.
pub fn application(customer_id: &str, tax_id: &str, amount: &str) -> pb::Application {
    pb::Application {
        customer_id: customer_id.into(),
        applicant: Some(pb::Applicant {
            legal_name: format!("{customer_id} SAS"),
            registration_id: "552 100 554".into(),
            tax_id: tax_id.into(),
            country_code: "FR".into(),
            registered_address: Some(pb::Address {
                lines: vec!["1 avenue des Champs-Élysées".into()],
                postal_code: "75008".into(),
                city: "Paris".into(),
                country_code: "FR".into(),
            }),
            contacts: vec![pb::Contact {
                name: "Claire Petit".into(),
                role: "CFO".into(),
                email: "claire.petit@example.fr".into(),
                phone: "+33 1 40 00 00 00".into(),
            }],
            industry: "G".into(),
            years_in_business: 20,
            bank_account: Some(pb::BankAccount {
                iban: "FR14 2004 1010 0505 0001 3M02 606".into(),
                bic: "PSSTFRPPPAR".into(),
                ..Default::default()
            }),
            preferred_language: "fr".into(),
            region: "EMEA".into(),
            segment: "SME".into(),
            ..Default::default()
        }),
        credit_request: Some(pb::CreditRequest {
            requested_limit: eur(amount),
            payment_terms_days: 30,
            expected_monthly_volume: None,
        }),
        financial_statements: vec![spb::FinancialStatement {
            period_end: credit_proto::google::r#type::Date::read("2025-12-31"),
            currency_code: "EUR".into(),
            revenue: "8000000".into(),
            ebit: "900000".into(),
            net_income: "600000".into(),
            interest_expense: "50000".into(),
            total_assets: "4000000".into(),
            current_assets: "2400000".into(),
            cash: "600000".into(),
            inventory: "700000".into(),
            receivables: "900000".into(),
            intangible_assets: "200000".into(),
            total_liabilities: "1600000".into(),
            current_liabilities: "1000000".into(),
            retained_earnings: "1500000".into(),
            equity: "2400000".into(),
        }],
        ..Default::default()
    }
}

/// What a bureau provider reports on a sound company.
pub fn sound_bureau_report() -> spb::BureauReport {
    spb::BureauReport {
        provider: "manual".into(),
        years_in_business: "20".into(),
        employees: "80".into(),
        industry: "G".into(),
        failure_score: "90".into(),
        payment_index: "80".into(),
        ..Default::default()
    }
}
