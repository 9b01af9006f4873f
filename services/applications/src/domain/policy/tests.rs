use super::*;
use rust_decimal_macros::dec;

fn policy() -> Policy {
    Policy::parse(DEFAULT_POLICY).expect("the default policy validates")
}

fn case(class: &str, amount: Decimal) -> Case {
    Case {
        risk_class: class.into(),
        scoring_rejected: false,
        recommended_limit: Some(dec!(1000000)),
        amount,
        currency: "EUR".into(),
        payment_terms_days: 30,
        region: "EMEA".into(),
        business_unit: String::new(),
        decrease: false,
        early_warning: false,
    }
}

#[test]
fn a_blocked_order_is_released_by_the_level_its_amount_needs_or_any_above() {
    let p = policy();
    let (level, roles) = p.release_authority(&case("B", dec!(10000)));
    assert_eq!(level, p.document.levels[0].name);
    assert!(roles.len() >= p.document.levels.last().map_or(0, |l| l.roles.len()));
    let (level, roles) = p.release_authority(&case("B", dec!(100000000)));
    assert_eq!(Some(&level), p.document.levels.last().map(|l| &l.name));
    assert_eq!(Some(&roles), p.document.levels.last().map(|l| &l.roles));
}

#[test]
fn a_decrease_is_never_rejected_alone_and_departs_only_by_keeping_more_than_recommended() {
    let p = policy();
    let mut cut = case("E", dec!(5000));
    cut.decrease = true;
    cut.recommended_limit = Some(dec!(5000));
    assert_eq!(
        p.recommend(&cut),
        (
            Outcome::Refer,
            vec!["RISK_CLASS_REJECTED", "DECREASE_REFERRED"]
        )
    );
    assert!(!p.is_override(Outcome::Refer, &cut, Some(dec!(4000))));
    assert!(!p.is_override(Outcome::Refer, &cut, Some(dec!(5000))));
    assert!(p.is_override(Outcome::Refer, &cut, Some(dec!(8000))));
    let mut mild = case("A", dec!(5000));
    mild.decrease = true;
    assert_eq!(p.recommend(&mild).0, Outcome::Approve);
    // Proposed by the system, a person confirms it.
    mild.early_warning = true;
    assert_eq!(
        p.recommend(&mild),
        (Outcome::Refer, vec!["PROPOSED_BY_EARLY_WARNING"])
    );
}

#[test]
fn small_good_requests_are_approved_bad_ones_rejected_the_rest_referred() {
    let p = policy();
    assert_eq!(p.recommend(&case("A", dec!(20000))).0, Outcome::Approve);
    assert_eq!(p.recommend(&case("E", dec!(20000))).0, Outcome::Reject);
    let mut hard = case("A", dec!(20000));
    hard.scoring_rejected = true;
    assert_eq!(
        p.recommend(&hard),
        (Outcome::Reject, vec!["SCORING_HARD_REJECT"])
    );
    let (outcome, reasons) = p.recommend(&case("C", dec!(80000)));
    assert_eq!(outcome, Outcome::Refer);
    assert_eq!(
        reasons,
        [
            "RISK_CLASS_ABOVE_AUTO_APPROVAL",
            "AMOUNT_ABOVE_AUTO_APPROVAL"
        ]
    );
    let mut beyond = case("A", dec!(20000));
    beyond.recommended_limit = Some(dec!(10000));
    assert_eq!(
        p.recommend(&beyond),
        (Outcome::Refer, vec!["AMOUNT_ABOVE_RECOMMENDED_LIMIT"])
    );
    let mut usd = case("A", dec!(20000));
    usd.currency = "JPY".into();
    assert_eq!(
        p.recommend(&usd).0,
        Outcome::Refer,
        "no JPY threshold: people decide"
    );
}

#[test]
fn the_chain_climbs_to_the_first_level_with_the_authority_and_doubles_above_the_amount() {
    let p = policy();
    let levels = |c: &Case| {
        p.chain(c)
            .into_iter()
            .map(|s| (s.level, s.approvals_required))
            .collect::<Vec<_>>()
    };
    assert_eq!(levels(&case("B", dec!(80000))), [("analyst".into(), 1)]);
    assert_eq!(
        levels(&case("B", dec!(200000))),
        [("analyst".into(), 1), ("manager".into(), 1)]
    );
    assert_eq!(
        levels(&case("D", dec!(80000))),
        [("analyst".into(), 1), ("manager".into(), 1)],
        "class D is beyond the analyst's authority"
    );
    assert_eq!(
        levels(&case("B", dec!(400000))),
        [("analyst".into(), 1), ("manager".into(), 2)],
        "above 250 000 EUR two managers decide"
    );
    assert_eq!(
        levels(&case("B", dec!(2000000))),
        [
            ("analyst".into(), 1),
            ("manager".into(), 1),
            ("committee".into(), 2)
        ]
    );
}

#[test]
fn an_overdue_step_escalates_to_the_next_level_that_applies() {
    let p = policy();
    let c = case("B", dec!(80000));
    assert_eq!(
        p.level_above(&c, "analyst").map(|s| s.level),
        Some("manager".into())
    );
    assert_eq!(
        p.level_above(&c, "manager").map(|s| s.level),
        Some("committee".into())
    );
    assert_eq!(p.level_above(&c, "committee"), None);
}

#[test]
fn overrides_are_departures_from_the_recommendation() {
    let p = policy();
    let c = case("C", dec!(80000));
    assert!(!p.is_override(Outcome::Refer, &c, Some(dec!(80000))));
    let mut low = c.clone();
    low.recommended_limit = Some(dec!(50000));
    assert!(p.is_override(Outcome::Refer, &low, Some(dec!(60000))));
    assert!(!p.is_override(Outcome::Refer, &low, Some(dec!(50000))));
    assert!(p.is_override(Outcome::Reject, &c, Some(dec!(1))));
    assert!(p.is_override(Outcome::Approve, &c, None));
    assert!(!p.is_override(Outcome::Refer, &c, None));
}

#[test]
fn every_problem_of_a_bad_policy_is_named() {
    let mut doc: serde_json::Value = serde_json::from_str(DEFAULT_POLICY).expect("json");
    doc["name"] = "".into();
    doc["auto_approve"]["max_amount"]["EURO"] = "1".into();
    doc["levels"][0]["sla_hours"] = 0.into();
    doc["levels"][2]["up_to"] = serde_json::json!({"EUR": "-5"});
    doc["override_roles"] = serde_json::json!([]);
    let problems = Policy::parse(&doc.to_string()).expect_err("invalid");
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    for field in [
        "name",
        "auto_approve.max_amount.EURO",
        "levels[0].sla_hours",
        "levels[2].up_to.EUR",
        "levels[2]",
        "override_roles",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let unknown = Policy::parse(r#"{"name": "x", "surprise": 1}"#).expect_err("invalid");
    assert_eq!(unknown[0].field, "document_json");
}
