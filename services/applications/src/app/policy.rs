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
            |version| policy_event(version, &policy, true),
        )
        .await
    }

    /// Stores a validated policy as the next version.
    pub async fn upload_policy(
        &self,
        context: &RequestContext,
        request: &pb::UploadDecisionPolicyRequest,
    ) -> Result<pb::DecisionPolicy, ApiError> {
        let policy = Policy::parse(&request.document_json)
            .map_err(|problems| invalid_document(problems, "document_json"))?;
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
            request.activate,
            |version| policy_event(version, &policy, request.activate),
        )
        .await?;
        let answer = wire_policy(stored, request.activate);
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
    }
}

fn policy_event(version: i64, policy: &Policy, active: bool) -> NewEvent {
    let event_type = if active {
        "credit.applications.decision_policy.activated"
    } else {
        "credit.applications.decision_policy.uploaded"
    };
    policies::version_event(
        event_type,
        "decision_policy",
        version,
        &policy.document.name,
    )
}
