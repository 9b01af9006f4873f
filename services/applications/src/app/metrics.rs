//! GetApplicationMetrics: docs/domain.md's application metrics over a period, from the applications
//! themselves (each carries its submissions, steps, approvals and decision).
use crate::app::Applications;
use crate::convert::state_of;
use crate::domain::measure::{percentile, rate};
use crate::domain::state::State;
use crate::domain::workflow::ApprovalAction;
use credit_platform::clock::{Micros, from_timestamp, to_timestamp};
use credit_platform::error::ApiError;
use credit_proto::applications as pb;
use credit_proto::short_name;
use std::collections::BTreeMap;

/// What the metrics are asked over.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Decisions from (inclusive).
    pub start: Option<Micros>,
    /// Decisions before.
    pub end: Option<Micros>,
    /// Only this region.
    pub region: Option<String>,
    /// Only this segment.
    pub segment: Option<String>,
}

fn at(t: &Option<prost_types::Timestamp>) -> Option<Micros> {
    t.as_ref().and_then(from_timestamp)
}

fn duration(micros: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// The metrics of `apps` in `scope` as of `now`.
pub fn measure(apps: &[pb::Application], scope: &Scope, now: Micros) -> pb::ApplicationMetrics {
    let in_period =
        |t: Micros| scope.start.is_none_or(|s| t >= s) && scope.end.is_none_or(|e| t < e);
    let mut m = pb::ApplicationMetrics {
        as_of_time: Some(to_timestamp(now)),
        ..Default::default()
    };
    let mut cycles = Vec::new();
    let mut backlog: BTreeMap<String, pb::LevelBacklog> = BTreeMap::new();
    let mut approvers: BTreeMap<String, pb::ApproverActivity> = BTreeMap::new();
    for app in apps {
        let applicant = app.applicant.clone().unwrap_or_default();
        if scope
            .region
            .as_ref()
            .is_some_and(|r| *r != applicant.region)
            || scope
                .segment
                .as_ref()
                .is_some_and(|s| *s != applicant.segment)
        {
            continue;
        }
        if at(&app.first_submit_time).is_some_and(in_period) {
            m.submissions += 1;
        }
        for approval in app.approval_steps.iter().flat_map(|s| &s.approvals) {
            if !at(&approval.action_time).is_some_and(in_period) {
                continue;
            }
            let entry = approvers
                .entry(approval.approver.clone())
                .or_insert_with(|| pb::ApproverActivity {
                    approver: approval.approver.clone(),
                    ..Default::default()
                });
            match short_name::<pb::ApprovalAction>(approval.action)
                .and_then(ApprovalAction::from_name)
            {
                Some(ApprovalAction::Approve) => entry.approvals += 1,
                Some(ApprovalAction::Reject) => entry.rejections += 1,
                _ => entry.information_requests += 1,
            }
        }
        let pending = app
            .approval_steps
            .iter()
            .find(|s| s.state() == pb::ApprovalStepState::Pending);
        if let (State::InReview, Some(step)) = (state_of(app), pending) {
            let level = backlog
                .entry(step.level.clone())
                .or_insert_with(|| pb::LevelBacklog {
                    level: step.level.clone(),
                    ..Default::default()
                });
            level.pending += 1;
            let due = at(&step.due_time);
            if due.is_some_and(|d| d <= now) {
                level.overdue += 1;
            }
            if due.is_some_and(|d| at(&level.oldest_due_time).is_none_or(|o| d < o)) {
                level.oldest_due_time = step.due_time;
            }
        }
        let Some(decision) = &app.final_decision else {
            continue;
        };
        let Some(decided) = at(&decision.decide_time).filter(|t| in_period(*t)) else {
            continue;
        };
        m.decisions += 1;
        if decision.outcome() == pb::DecisionOutcome::Approved {
            m.approved += 1;
        }
        if decision.automatic {
            m.automatic_decisions += 1;
        }
        if decision.overridden {
            m.overrides += 1;
            if let Some(a) = approvers.get_mut(&decision.decided_by) {
                a.overrides += 1;
            }
        }
        if let Some(first) = at(&app.first_submit_time) {
            cycles.push(decided - first);
        }
    }
    cycles.sort_unstable();
    m.auto_decision_rate = rate(m.automatic_decisions, m.decisions);
    m.override_frequency = rate(m.overrides, m.decisions);
    m.cycle_time_p50 = percentile(&cycles, 50).map(duration);
    m.cycle_time_p90 = percentile(&cycles, 90).map(duration);
    m.cycle_time_p99 = percentile(&cycles, 99).map(duration);
    m.cycle_time_max = cycles.last().copied().map(duration);
    m.backlog = backlog.into_values().collect();
    m.approvers = approvers.into_values().collect();
    m
}

impl Applications {
    /// The metrics in `scope`, now, over the customers a caller limited to `data_scope` sees.
    pub async fn metrics(
        &self,
        scope: &Scope,
        data_scope: &credit_platform::scope::DataScope,
    ) -> Result<pb::ApplicationMetrics, ApiError> {
        let apps = self.all_submitted(data_scope).await?;
        Ok(measure(&apps, scope, self.now()))
    }
}
