//! Scoring policies: versioned documents, one active; the default installed on first start.
use super::Scoring;
use crate::domain::policy::{DEFAULT_POLICY, Policy};
use credit_platform::begin_mutation;
use credit_platform::clock::to_timestamp;
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::paging::PageRequest;
use credit_platform::policies;
use credit_platform::transition::invalid_document;
use credit_proto::scoring as pb;

impl Scoring {
    /// Installs the default policy as version 1 when there is none (first start).
    pub async fn bootstrap_policy(&self) -> Result<(), ApiError> {
        let policy = Policy::parse(DEFAULT_POLICY)
            .map_err(|p| ApiError::Internal(anyhow::anyhow!("default policy invalid: {p:?}")))?;
        let name = policy.document.name.clone();
        policies::bootstrap(
            &self.db,
            &*self.clock,
            &self.signals,
            &name,
            DEFAULT_POLICY,
            |version| {
                policies::version_event("credit.scoring.policy.activated", "policy", version, &name)
            },
        )
        .await
    }
}

impl Scoring {
    /// Validates and stores a policy document as the next version: a proposal, in force once
    /// another manager approves it.
    pub async fn upload_policy(
        &self,
        context: &RequestContext,
        request: &pb::UploadPolicyRequest,
    ) -> Result<pb::Policy, ApiError> {
        let policy = Policy::parse(&request.document_json)
            .map_err(|problems| invalid_document(problems, "document_json"))?;
        if request.activate {
            return Err(policies::activation_needs_approval("ApprovePolicy"));
        }
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "UploadPolicy", request);
        let name = policy.document.name.clone();
        let stored = policies::upload(
            &mut m.tx,
            context,
            m.now,
            &name,
            &request.document_json,
            |version| {
                policies::version_event("credit.scoring.policy.uploaded", "policy", version, &name)
            },
        )
        .await?;
        let answer = policy_to_proto(stored, None);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Puts a proposed version in force on a second manager's approval.
    pub async fn approve_policy(
        &self,
        context: &RequestContext,
        request: &pb::ApprovePolicyRequest,
    ) -> Result<pb::Policy, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "ApprovePolicy", request);
        let stored = policies::approve(
            &mut m.tx,
            context,
            m.now,
            request.version,
            "policy version",
            |version, name| {
                policies::version_event("credit.scoring.policy.activated", "policy", version, name)
            },
        )
        .await?;
        let version = stored.version;
        let answer = policy_to_proto(stored, Some(version));
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// The active policy (version 0) or one version.
    pub async fn get_policy(&self, version: i64) -> Result<pb::Policy, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let (row, active) = policies::resolve(&mut conn, version, "policy version").await?;
        let version = row.version;
        Ok(policy_to_proto(row, active.then_some(version)))
    }

    /// Every policy version.
    pub async fn list_policies(
        &self,
        page: &PageRequest,
    ) -> Result<pb::ListPoliciesResponse, ApiError> {
        let before = if page.after.is_empty() {
            None
        } else {
            Some(page.after.parse::<i64>().map_err(|_| {
                ApiError::from(FieldViolation::new(
                    "page_token",
                    "not a token from a previous page",
                ))
            })?)
        };
        let mut conn = self.db.pool.acquire().await?;
        let active = policies::active_version(&mut conn).await?;
        let mut rows = policies::list(&mut conn, before, page.fetch()).await?;
        let next_page_token = page.finish(&mut rows, |row| row.version.to_string());
        Ok(pb::ListPoliciesResponse {
            policies: rows
                .into_iter()
                .map(|row| policy_to_proto(row, active))
                .collect(),
            next_page_token,
        })
    }
}

fn policy_to_proto(row: policies::PolicyVersion, active: Option<i64>) -> pb::Policy {
    pb::Policy {
        active: Some(row.version) == active,
        version: row.version,
        name: row.name,
        document_json: row.document,
        uploaded_by: row.uploaded_by,
        upload_time: Some(to_timestamp(row.uploaded_at)),
        approved_by: row.approved_by,
        approve_time: row.approved_at.map(to_timestamp),
    }
}
