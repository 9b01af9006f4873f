//! Decision policies: versioned documents, one active; the default installed on first start.
use super::Applications;
use crate::domain::policy::{DEFAULT_POLICY, Policy};
use credit_platform::begin_mutation;
use credit_platform::clock::to_timestamp;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::NewEvent;
use credit_platform::policies;
use credit_platform::transition::invalid_document;
use credit_proto::applications as pb;

impl Applications {
    /// Installs the default decision policy as version 1 on first start.
    pub async fn bootstrap_policy(&self) -> Result<(), ApiError> {
        let policy = Policy::parse(DEFAULT_POLICY).map_err(|p| {
            ApiError::Internal(anyhow::anyhow!("default decision policy invalid: {p:?}"))
        })?;
        policies::bootstrap(
            &self.db,
            &*self.clock,
            &self.signals,
            &policy.document.name,
            DEFAULT_POLICY,
            |version| policy_event(version, &policy.document.name, true),
        )
        .await
    }

    /// Stores a validated policy as the next version: a proposal, in force once another
    /// manager approves it (the authority matrix included).
    pub async fn upload_policy(
        &self,
        context: &RequestContext,
        request: &pb::UploadDecisionPolicyRequest,
    ) -> Result<pb::DecisionPolicy, ApiError> {
        let policy = Policy::parse(&request.document_json)
            .map_err(|problems| invalid_document(problems, "document_json"))?;
        if request.activate {
            return Err(policies::activation_needs_approval("ApproveDecisionPolicy"));
        }
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "UploadDecisionPolicy",
            request
        );
        let stored = policies::upload(
            &mut m.tx,
            context,
            m.now,
            &policy.document.name,
            &request.document_json,
            |version| policy_event(version, &policy.document.name, false),
        )
        .await?;
        let answer = wire_policy(stored, false);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Puts a proposed version in force on a second manager's approval.
    pub async fn approve_policy(
        &self,
        context: &RequestContext,
        request: &pb::ApproveDecisionPolicyRequest,
    ) -> Result<pb::DecisionPolicy, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "ApproveDecisionPolicy",
            request
        );
        let stored = policies::approve(
            &mut m.tx,
            context,
            m.now,
            request.version,
            "decision policy version",
            |version, name| policy_event(version, name, true),
        )
        .await?;
        let answer = wire_policy(stored, true);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// The active policy (version 0) or one version.
    pub async fn get_policy(&self, version: i64) -> Result<pb::DecisionPolicy, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let (stored, active) =
            policies::resolve(&mut conn, version, "decision policy version").await?;
        Ok(wire_policy(stored, active))
    }
}

fn wire_policy(stored: policies::PolicyVersion, active: bool) -> pb::DecisionPolicy {
    pb::DecisionPolicy {
        version: stored.version,
        name: stored.name,
        document_json: stored.document,
        active,
        uploaded_by: stored.uploaded_by,
        upload_time: Some(to_timestamp(stored.uploaded_at)),
        approved_by: stored.approved_by,
        approve_time: stored.approved_at.map(to_timestamp),
    }
}

fn policy_event(version: i64, name: &str, active: bool) -> NewEvent {
    let event_type = if active {
        "credit.applications.decision_policy.activated"
    } else {
        "credit.applications.decision_policy.uploaded"
    };
    policies::version_event(event_type, "decision_policy", version, name)
}
