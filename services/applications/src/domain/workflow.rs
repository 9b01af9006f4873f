//! The approval workflow, pure: the chain of steps the authority matrix names for a referred
//! application, worked through one level at a time. Approvers of the current (pending) step act
//! on it under the four-eyes rule; a step is complete when it has the approvals it requires and
//! the next one starts, due after its SLA; the deciding level's completion is the decision. A
//! rejection or a request for information ends the chain. A step past its due time escalates to
//! the next level (or the level above the last one), and at the top raises an overdue alarm.
pub use super::policy::PlannedStep;
use super::{Amount, Refusal};
use credit_platform::auth::roles;
use credit_platform::transition::IllegalMove;
use serde::{Deserialize, Serialize};

credit_platform::named! {
    /// Where a step stands.
    pub enum StepState {
        /// Not reached yet.
        Waiting = "WAITING",
        /// The current step: its approvers act.
        Pending = "PENDING",
        /// Approved by as many approvers as it requires.
        Approved = "APPROVED",
        /// An approver rejected the application.
        Rejected = "REJECTED",
        /// An approver returned the application with questions.
        InformationRequested = "INFORMATION_REQUESTED",
        /// Overdue: the next level took over.
        Escalated = "ESCALATED",
        /// Never reached (the application was decided, returned or withdrawn before).
        Cancelled = "CANCELLED",
    }
}

credit_platform::named! {
    /// What an approver did.
    pub enum ApprovalAction {
        /// Approved, maybe with another amount, terms or conditions.
        Approve = "APPROVE",
        /// Rejected, with reasons.
        Reject = "REJECT",
        /// Returned to the applicant with questions.
        RequestInformation = "REQUEST_INFORMATION",
    }
}

/// One approver's act on a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Who acted.
    pub approver: String,
    /// What they did.
    pub action: ApprovalAction,
    /// The amount approved, when another than asked.
    pub approved_limit: Option<Amount>,
    /// The payment terms approved (0: as asked).
    pub payment_terms_days: i32,
    /// Conditions attached.
    pub conditions: Vec<String>,
    /// Reasons of a rejection, or the questions of a request for information.
    pub reasons: Vec<String>,
    /// Comment.
    pub comment: String,
    /// When (µs).
    pub acted_at: Option<i64>,
}

/// A step of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// 1, 2, … in the chain.
    pub sequence: u32,
    /// The level's name.
    pub level: String,
    /// The roles that act on it.
    pub roles: Vec<String>,
    /// How many different approvers must approve.
    pub approvals_required: u32,
    /// Where it stands.
    pub state: StepState,
    /// What approvers did on it.
    pub approvals: Vec<Approval>,
    /// When it became current (µs).
    pub started_at: Option<i64>,
    /// When it is due (µs).
    pub due_at: Option<i64>,
    /// Hours before it is overdue.
    pub sla_hours: u32,
    /// Overdue at the top of the chain (the alarm was raised).
    pub overdue: bool,
}

/// What an approval did to the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// The level approved on.
    pub level: String,
    /// The step has all the approvals it requires.
    pub step_complete: bool,
    /// It was the deciding level: the application is approved.
    pub decided: bool,
}

/// What the terms of the final approval are, from every approval of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedTerms {
    /// The latest amount an approver set, if any did.
    pub limit: Option<Amount>,
    /// The latest payment terms an approver set (0: none did).
    pub payment_terms_days: i32,
    /// Every condition attached, once each, in order.
    pub conditions: Vec<String>,
}

/// What escalating an overdue step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Escalation {
    /// The next level took over.
    Escalated {
        /// The overdue level.
        from: String,
        /// The level now current.
        to: String,
        /// When the overdue step was due (µs).
        due_at: Option<i64>,
    },
    /// Nobody is above: the step stays, flagged overdue (raised once).
    Overdue {
        /// The overdue level.
        level: String,
        /// When it was due (µs).
        due_at: Option<i64>,
    },
    /// No step is current.
    Nothing,
}

const MICROS_PER_HOUR: i64 = 3_600_000_000;

fn no_current_step() -> IllegalMove {
    IllegalMove {
        aggregate: "approval workflow",
        state: "without a current step",
        why: "nobody can act on it",
    }
}

/// An application's approval chain.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Workflow {
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Workflow {
    /// The chain the policy planned, its first step current from `now`.
    pub fn plan(chain: Vec<PlannedStep>, now: i64) -> Self {
        let mut workflow = Self::default();
        for planned in chain {
            workflow.push(planned);
        }
        workflow.start_next(now);
        workflow
    }

    fn push(&mut self, planned: PlannedStep) {
        self.steps.push(Step {
            sequence: self.steps.len() as u32 + 1,
            level: planned.level,
            roles: planned.roles,
            approvals_required: planned.approvals_required,
            state: StepState::Waiting,
            approvals: Vec::new(),
            started_at: None,
            due_at: None,
            sla_hours: planned.sla_hours,
            overdue: false,
        });
    }

    /// Makes the first waiting step current, due after its SLA; false when none waits.
    pub fn start_next(&mut self, now: i64) -> bool {
        let Some(step) = self
            .steps
            .iter_mut()
            .find(|s| s.state == StepState::Waiting)
        else {
            return false;
        };
        step.state = StepState::Pending;
        step.started_at = Some(now);
        step.due_at = Some(now + i64::from(step.sla_hours) * MICROS_PER_HOUR);
        true
    }

    /// The current step.
    pub fn current(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.state == StepState::Pending)
    }

    fn current_mut(&mut self) -> Result<&mut Step, IllegalMove> {
        self.steps
            .iter_mut()
            .find(|s| s.state == StepState::Pending)
            .ok_or_else(no_current_step)
    }

    /// When the current step is due, unless its overdue alarm was raised already.
    pub fn due_at(&self) -> Option<i64> {
        self.current().filter(|s| !s.overdue).and_then(|s| s.due_at)
    }

    /// Whether `subject` with `caller_roles` may act on the current step: never who created,
    /// edited or submitted the application, nobody twice on one submission (four eyes), and
    /// only the step's roles (or an administrator).
    pub fn may_act(
        &self,
        subject: &str,
        caller_roles: &[String],
        created_by: &str,
        submitted_by: &str,
        edited_by: &[String],
    ) -> Result<(), Refusal> {
        if subject == created_by
            || subject == submitted_by
            || edited_by.iter().any(|e| e == subject)
        {
            return Err(Refusal(format!(
                "four-eyes rule: {subject} created, edited or submitted this application and may \
                 not decide it"
            )));
        }
        let acted_before = self
            .steps
            .iter()
            .flat_map(|s| &s.approvals)
            .any(|a| a.approver == subject);
        if acted_before {
            return Err(Refusal(format!(
                "four-eyes rule: {subject} already acted on this submission; another approver is \
                 needed"
            )));
        }
        let Some(step) = self.current() else {
            return Err(Refusal(no_current_step().to_string()));
        };
        let entitled = caller_roles
            .iter()
            .any(|r| r == roles::ADMIN || step.roles.contains(r));
        if !entitled {
            return Err(Refusal(format!(
                "the application waits for the {} level ({}); the caller has none of these roles",
                step.level,
                step.roles.join(", ")
            )));
        }
        Ok(())
    }

    /// Records an approval on the current step; a complete step hands over to the next, and the
    /// last one's completion decides.
    pub fn approve(&mut self, approval: Approval, now: i64) -> Result<Approved, IllegalMove> {
        let step = self.current_mut()?;
        step.approvals.push(Approval {
            action: ApprovalAction::Approve,
            ..approval
        });
        let level = step.level.clone();
        let step_complete = step.approvals.len() >= step.approvals_required as usize;
        if step_complete {
            step.state = StepState::Approved;
        }
        let decided = step_complete && !self.start_next(now);
        Ok(Approved {
            level,
            step_complete,
            decided,
        })
    }

    /// Records a rejection: the chain ends.
    pub fn reject(&mut self, approval: Approval) -> Result<(), IllegalMove> {
        self.end_with(approval, ApprovalAction::Reject, StepState::Rejected)
    }

    /// Records a request for information: the chain ends (a new submission plans a new one).
    pub fn request_information(&mut self, approval: Approval) -> Result<(), IllegalMove> {
        self.end_with(
            approval,
            ApprovalAction::RequestInformation,
            StepState::InformationRequested,
        )
    }

    fn end_with(
        &mut self,
        approval: Approval,
        action: ApprovalAction,
        state: StepState,
    ) -> Result<(), IllegalMove> {
        let step = self.current_mut()?;
        step.state = state;
        step.approvals.push(Approval { action, ..approval });
        self.cancel_waiting();
        Ok(())
    }

    /// Cancels the steps not reached (the application was decided or returned).
    pub fn cancel_waiting(&mut self) {
        for step in &mut self.steps {
            if step.state == StepState::Waiting {
                step.state = StepState::Cancelled;
                step.due_at = None;
            }
        }
    }

    /// The application is withdrawn: the current step and those not reached are cancelled.
    pub fn withdraw(&mut self) {
        for step in &mut self.steps {
            if step.state == StepState::Pending {
                step.state = StepState::Cancelled;
            }
        }
        self.cancel_waiting();
    }

    /// Whether a step is still to come after the current one.
    pub fn has_waiting(&self) -> bool {
        self.steps.iter().any(|s| s.state == StepState::Waiting)
    }

    /// Escalates the current, overdue step at `now`: the next level takes over; when it was the
    /// last, `above` (the level over it, if the matrix has one) is added with as many approvers
    /// as the overdue step needed; with nobody above, the step is flagged overdue.
    pub fn escalate(&mut self, now: i64, above: Option<PlannedStep>) -> Escalation {
        let Some(index) = self
            .steps
            .iter()
            .position(|s| s.state == StepState::Pending)
        else {
            return Escalation::Nothing;
        };
        let (from, due_at, required) = {
            let step = &self.steps[index];
            (step.level.clone(), step.due_at, step.approvals_required)
        };
        if !self.has_waiting() && above.is_none() {
            self.steps[index].overdue = true;
            return Escalation::Overdue {
                level: from,
                due_at,
            };
        }
        self.steps[index].state = StepState::Escalated;
        if let Some(above) = above.filter(|_| !self.has_waiting()) {
            self.push(PlannedStep {
                approvals_required: required,
                ..above
            });
        }
        self.start_next(now);
        let to = self.current().map(|s| s.level.clone()).unwrap_or_default();
        Escalation::Escalated { from, to, due_at }
    }

    /// The terms the approvals set: the latest amount and terms given, every condition once.
    pub fn approved_terms(&self) -> ApprovedTerms {
        let approvals: Vec<&Approval> = self
            .steps
            .iter()
            .flat_map(|s| &s.approvals)
            .filter(|a| a.action == ApprovalAction::Approve)
            .collect();
        let mut conditions: Vec<String> = Vec::new();
        for c in approvals.iter().flat_map(|a| &a.conditions) {
            if !conditions.contains(c) {
                conditions.push(c.clone());
            }
        }
        ApprovedTerms {
            limit: approvals
                .iter()
                .rev()
                .find_map(|a| a.approved_limit.clone()),
            payment_terms_days: approvals
                .iter()
                .rev()
                .map(|a| a.payment_terms_days)
                .find(|d| *d > 0)
                .unwrap_or(0),
            conditions,
        }
    }

    /// The questions of the latest request for information.
    pub fn questions(&self) -> Vec<String> {
        self.steps
            .iter()
            .flat_map(|s| &s.approvals)
            .rfind(|a| a.action == ApprovalAction::RequestInformation)
            .map(|a| a.reasons.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
