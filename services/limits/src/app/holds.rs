//! Credit holds: manual ones placed by people, rule ones placed by other services' rules.
use super::{Limits, account_not_found};
use crate::convert;
use crate::store::accounts;
use crate::store::holds::{self, Hold};
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_proto::limits as pb;

fn hold_event(event_type: &'static str, h: &Hold) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: "credit_hold",
        entity_id: h.hold_id.clone(),
        customer_id: h.customer_id.clone(),
        payload: Payload::of(&pb::CreditHoldChanged {
            hold: Some(convert::hold(h)),
        }),
    }
}

impl Limits {
    /// Places a hold. A rule hold that is already active is returned as it is.
    pub async fn place_hold(
        &self,
        context: &RequestContext,
        request: &pb::PlaceCreditHoldRequest,
        rule: bool,
    ) -> Result<pb::CreditHold, ApiError> {
        let mut m = begin_mutation!(self, context, "PlaceCreditHold", request);
        let chain = self
            .locked_chain(&mut m.tx, &context.caller.scope, &request.customer_id)
            .await?;
        if rule
            && let Some(existing) =
                holds::active_rule_hold(&mut m.tx, &request.customer_id, &request.rule_code).await?
        {
            let answer = convert::hold(&existing);
            self.finish(m, &answer).await?;
            return Ok(answer);
        }
        let hold = Hold {
            hold_id: uuid::Uuid::now_v7().to_string(),
            customer_id: request.customer_id.clone(),
            kind: if rule { "RULE" } else { "MANUAL" }.into(),
            rule_code: if rule {
                request.rule_code.clone()
            } else {
                String::new()
            },
            reason: request.reason.clone(),
            placed_by: context.caller.subject.clone(),
            placed_at: m.now,
            active: true,
            released_by: String::new(),
            release_reason: String::new(),
            released_at: None,
        };
        holds::insert(&mut m.tx, &hold).await?;
        let mut account = chain[0].clone();
        account.active_holds += 1;
        account.updated_at = m.now;
        accounts::update_settings(&mut m.tx, &account).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            hold_event("credit.limits.credit_hold.placed", &hold),
        )
        .await?;
        let answer = convert::hold(&hold);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Releases a hold.
    pub async fn release_hold(
        &self,
        context: &RequestContext,
        request: &pb::ReleaseCreditHoldRequest,
    ) -> Result<pb::CreditHold, ApiError> {
        let mut m = begin_mutation!(self, context, "ReleaseCreditHold", request);
        let not_found = || ApiError::NotFound {
            kind: "credit hold",
            id: request.hold_id.clone(),
        };
        let customer_id = holds::get(&mut m.tx, &request.hold_id)
            .await?
            .ok_or_else(not_found)?
            .customer_id;
        let chain = accounts::lock_chain(&mut m.tx, self.backend(), &customer_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("hold {} without account", request.hold_id))?;
        super::in_scope(&context.caller.scope, &chain[0])?;
        let mut hold = holds::get(&mut m.tx, &request.hold_id)
            .await?
            .ok_or_else(not_found)?;
        if !hold.active {
            return Err(ApiError::StateConflict(format!(
                "credit hold {} is already released",
                hold.hold_id
            )));
        }
        hold.active = false;
        hold.released_by = context.caller.subject.clone();
        hold.release_reason = request.reason.clone();
        hold.released_at = Some(m.now);
        holds::release(&mut m.tx, &hold).await?;
        let mut account = chain[0].clone();
        account.active_holds = (account.active_holds - 1).max(0);
        account.updated_at = m.now;
        accounts::update_settings(&mut m.tx, &account).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            hold_event("credit.limits.credit_hold.released", &hold),
        )
        .await?;
        let answer = convert::hold(&hold);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Releases the active hold of `rule_code` on the account, when there is one.
    pub async fn release_rule_hold(
        &self,
        context: &RequestContext,
        customer_id: &str,
        rule_code: &str,
        reason: &str,
        request_id: &str,
    ) -> Result<Option<pb::CreditHold>, ApiError> {
        let active = {
            let mut tx = self.read().await?;
            holds::active_rule_hold(&mut tx, customer_id, rule_code).await?
        };
        let Some(hold) = active else {
            return Ok(None);
        };
        let request = pb::ReleaseCreditHoldRequest {
            hold_id: hold.hold_id,
            reason: reason.to_string(),
            request_id: request_id.to_string(),
        };
        self.release_hold(context, &request).await.map(Some)
    }

    /// An account's holds.
    pub async fn list_holds(
        &self,
        customer_id: &str,
        include_released: bool,
        page: &PageRequest,
    ) -> Result<pb::ListCreditHoldsResponse, ApiError> {
        let mut tx = self.read().await?;
        accounts::get(&mut tx, customer_id)
            .await?
            .ok_or_else(|| account_not_found(customer_id.to_string()))?;
        let mut holds = holds::list(
            &mut tx,
            customer_id,
            include_released,
            &page.after,
            page.fetch(),
        )
        .await?;
        let next_page_token = page.finish(&mut holds, |h| h.hold_id.clone());
        Ok(pb::ListCreditHoldsResponse {
            credit_holds: holds.iter().map(convert::hold).collect(),
            next_page_token,
        })
    }
}
