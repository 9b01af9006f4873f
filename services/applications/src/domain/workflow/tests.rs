use super::*;
use rust_decimal::Decimal;

const HOUR: i64 = MICROS_PER_HOUR;

fn level(name: &str, role: &str, required: u32) -> PlannedStep {
    PlannedStep {
        level: name.into(),
        roles: vec![role.into()],
        approvals_required: required,
        sla_hours: 24,
    }
}

fn by(approver: &str) -> Approval {
    Approval {
        approver: approver.into(),
        action: ApprovalAction::Approve,
        approved_limit: None,
        payment_terms_days: 0,
        conditions: Vec::new(),
        reasons: Vec::new(),
        comment: String::new(),
        acted_at: Some(1),
    }
}

fn chain() -> Workflow {
    Workflow::plan(
        vec![
            level("ANALYST", "credit_analyst", 1),
            level("MANAGER", "credit_manager", 2),
        ],
        0,
    )
}

fn roles_of(role: &str) -> Vec<String> {
    vec![role.to_string()]
}

#[test]
fn the_first_level_starts_due_after_its_sla_and_the_others_wait() {
    let workflow = chain();
    let states: Vec<StepState> = workflow.steps.iter().map(|s| s.state).collect();
    assert_eq!(states, [StepState::Pending, StepState::Waiting]);
    assert_eq!(workflow.due_at(), Some(24 * HOUR));
    assert_eq!(workflow.steps[1].sequence, 2);
}

#[test]
fn each_level_approves_in_turn_and_dual_approval_needs_two_people() {
    let mut workflow = chain();
    let first = workflow.approve(by("ana"), 5 * HOUR).expect("analyst");
    assert_eq!(
        first,
        Approved {
            level: "ANALYST".into(),
            step_complete: true,
            decided: false
        }
    );
    assert_eq!(
        workflow.current().map(|s| s.level.as_str()),
        Some("MANAGER")
    );
    assert_eq!(
        workflow.due_at(),
        Some(29 * HOUR),
        "the SLA runs from the hand-over"
    );
    let one = workflow
        .approve(by("max"), 6 * HOUR)
        .expect("first manager");
    assert!(
        !one.step_complete && !one.decided,
        "dual approval: one is not enough"
    );
    let two = workflow
        .approve(by("mia"), 7 * HOUR)
        .expect("second manager");
    assert!(two.step_complete && two.decided);
    assert_eq!(workflow.current(), None);
    assert!(
        workflow.approve(by("zoe"), 8 * HOUR).is_err(),
        "nothing to approve after the decision"
    );
}

#[test]
fn four_eyes_and_the_authority_matrix_decide_who_may_act() {
    let mut workflow = chain();
    let creator = workflow
        .may_act("sam", &roles_of("credit_analyst"), "sam", "sam", &[])
        .expect_err("own application");
    assert!(creator.0.contains("four-eyes"), "{}", creator.0);
    let wrong_level = workflow
        .may_act("max", &roles_of("credit_manager"), "sam", "sam", &[])
        .expect_err("the analyst level is current");
    assert!(wrong_level.0.contains("ANALYST"), "{}", wrong_level.0);
    assert!(
        workflow
            .may_act("ana", &roles_of("credit_analyst"), "sam", "sam", &[])
            .is_ok()
    );
    assert!(
        workflow
            .may_act("root", &roles_of(roles::ADMIN), "sam", "sam", &[])
            .is_ok()
    );
    workflow.approve(by("ana"), HOUR).expect("analyst");
    let twice = workflow
        .may_act("ana", &roles_of("credit_manager"), "sam", "sam", &[])
        .expect_err("acted before");
    assert!(twice.0.contains("already acted"), "{}", twice.0);
}

#[test]
fn who_edited_an_application_does_not_approve_it_whoever_submitted_it() {
    let workflow = chain();
    // Ana answered the questions on a returned application (edited it); Sam resubmitted it.
    let editor = workflow
        .may_act(
            "ana",
            &roles_of("credit_analyst"),
            "sam",
            "sam",
            &["ana".into()],
        )
        .expect_err("edited it");
    assert!(editor.0.contains("four-eyes"), "{}", editor.0);
    assert!(
        workflow
            .may_act(
                "al",
                &roles_of("credit_analyst"),
                "sam",
                "sam",
                &["ana".into()]
            )
            .is_ok()
    );
}

#[test]
fn a_rejection_or_a_question_ends_the_chain() {
    let mut rejected = chain();
    rejected
        .reject(Approval {
            reasons: vec!["weak accounts".into()],
            ..by("ana")
        })
        .expect("reject");
    let states: Vec<StepState> = rejected.steps.iter().map(|s| s.state).collect();
    assert_eq!(states, [StepState::Rejected, StepState::Cancelled]);
    assert_eq!(
        rejected.steps[0].approvals[0].action,
        ApprovalAction::Reject
    );
    assert_eq!(rejected.steps[1].due_at, None);
    assert!(
        rejected.reject(by("max")).is_err(),
        "nothing current any more"
    );

    let mut asked = chain();
    asked
        .request_information(Approval {
            reasons: vec!["latest accounts?".into()],
            ..by("ana")
        })
        .expect("ask");
    assert_eq!(asked.steps[0].state, StepState::InformationRequested);
    assert_eq!(asked.questions(), ["latest accounts?"]);
}

#[test]
fn the_approved_terms_are_the_latest_given_with_every_condition_once() {
    let eur = |amount: i64| Amount {
        amount: Decimal::from(amount),
        currency: "EUR".into(),
    };
    let mut workflow = Workflow::plan(
        vec![
            level("ANALYST", "credit_analyst", 1),
            level("MANAGER", "credit_manager", 1),
        ],
        0,
    );
    workflow
        .approve(
            Approval {
                approved_limit: Some(eur(40_000)),
                payment_terms_days: 30,
                conditions: vec!["guarantee".into()],
                ..by("ana")
            },
            1,
        )
        .expect("analyst");
    workflow
        .approve(
            Approval {
                conditions: vec!["guarantee".into(), "quarterly accounts".into()],
                ..by("max")
            },
            2,
        )
        .expect("manager");
    let terms = workflow.approved_terms();
    assert_eq!(terms.limit, Some(eur(40_000)));
    assert_eq!(terms.payment_terms_days, 30);
    assert_eq!(terms.conditions, ["guarantee", "quarterly accounts"]);
}

#[test]
fn an_overdue_step_escalates_up_the_chain_and_alarms_once_at_the_top() {
    let mut workflow = chain();
    let first = workflow.escalate(25 * HOUR, None);
    assert_eq!(
        first,
        Escalation::Escalated {
            from: "ANALYST".into(),
            to: "MANAGER".into(),
            due_at: Some(24 * HOUR)
        }
    );
    assert_eq!(workflow.steps[0].state, StepState::Escalated);
    assert_eq!(workflow.due_at(), Some(49 * HOUR));
    // The deciding level is overdue: the level above takes over with as many approvers.
    let second = workflow.escalate(50 * HOUR, Some(level("BOARD", "board", 1)));
    assert!(matches!(second, Escalation::Escalated { ref to, .. } if to == "BOARD"));
    let board = workflow.current().expect("board");
    assert_eq!((board.sequence, board.approvals_required), (3, 2));
    // Nobody above the board: the alarm is raised and the step stays.
    let third = workflow.escalate(80 * HOUR, None);
    assert!(matches!(third, Escalation::Overdue { ref level, .. } if level == "BOARD"));
    assert_eq!(workflow.current().map(|s| s.overdue), Some(true));
    assert_eq!(workflow.due_at(), None, "raised once: no longer due");
}

#[test]
fn withdrawing_cancels_the_current_step_and_those_to_come() {
    let mut workflow = chain();
    workflow.withdraw();
    assert!(
        workflow
            .steps
            .iter()
            .all(|s| s.state == StepState::Cancelled)
    );
    assert_eq!(workflow.escalate(100 * HOUR, None), Escalation::Nothing);
}
