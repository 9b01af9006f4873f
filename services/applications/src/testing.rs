//! A sample applicant for tests, benchmarks and demonstrations: a sound French company, its
//! statement and what a bureau reports on it. Kept with the service so every test of the
//! suite submits the same complete application.
use credit_proto::applications as pb;
use credit_proto::scoring as spb;
use credit_proto::types::Money;

fn eur(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: "EUR".into(),
    })
}

/// The last annual statement of a sound company (EUR).
pub fn sound_statement() -> spb::FinancialStatement {
    spb::FinancialStatement {
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
    }
}

/// A complete application of a sound French company asking for `amount` EUR: every section
/// filled (contacts, owners, a trade reference, the bank account, a statement), so a modest
/// amount is decided automatically.
pub fn sound_application(customer_id: &str, tax_id: &str, amount: &str) -> pb::Application {
    pb::Application {
        customer_id: customer_id.into(),
        applicant: Some(pb::Applicant {
            legal_name: format!("{customer_id} SAS"),
            registration_id: "303 265 045".into(),
            tax_id: tax_id.into(),
            country_code: "FR".into(),
            registered_address: Some(pb::Address {
                lines: vec!["12 rue de la Paix".into()],
                postal_code: "75002".into(),
                city: "Paris".into(),
                country_code: "FR".into(),
            }),
            contacts: vec![pb::Contact {
                name: "Jeanne Dupont".into(),
                role: "CFO".into(),
                email: "jeanne.dupont@example.fr".into(),
                phone: "+33 1 23 45 67 89".into(),
            }],
            owners: vec![pb::Owner {
                name: "Jean Martin".into(),
                share_percent: "60".into(),
            }],
            industry: "G".into(),
            years_in_business: 35,
            trade_references: vec![spb::Reference {
                kind: spb::ReferenceKind::Trade.into(),
                source: "Supplier AG".into(),
                days_beyond_terms: "0".into(),
                highest_credit: eur("50000"),
                years_known: "8".into(),
            }],
            bank_account: Some(pb::BankAccount {
                iban: "FR14 2004 1010 0505 0001 3M02 606".into(),
                bic: "PSSTFRPPPAR".into(),
                bank_name: "La Banque Postale".into(),
                account_holder: format!("{customer_id} SAS"),
            }),
            preferred_language: "fr".into(),
            region: "EMEA".into(),
            segment: "SME".into(),
            ..Default::default()
        }),
        credit_request: Some(pb::CreditRequest {
            requested_limit: eur(amount),
            payment_terms_days: 30,
            expected_monthly_volume: eur("10000"),
        }),
        financial_statements: vec![sound_statement()],
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
