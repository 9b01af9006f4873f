//! Exposure: receivables and commitments posted by document id, counting rules, and the
//! exposure of an account now or at a past moment.
use super::{Limits, account_not_found};
use crate::convert;
use crate::domain::Micros;
use crate::domain::exposure::{Category, Counting, CountingScope, Exposure};
use crate::store::accounts;
use crate::store::documents::{self, ExposureDocument};
use crate::store::fx;
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::money::{Currency, Money};
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_proto::limits as pb;

/// A validated document post.
#[derive(Debug, Clone)]
pub struct DocumentPost {
    /// The customer whose exposure this is.
    pub customer_id: String,
    /// Document id.
    pub document_id: String,
    /// Receivable or commitment.
    pub category: Category,
    /// Open amount as posted.
    pub open_amount: Money,
    /// Due date.
    pub due_at: Option<Micros>,
}

impl Limits {
    /// Posts the open amount of a document; the same post twice changes nothing.
    pub async fn post_document<R: prost::Message>(
        &self,
        context: &RequestContext,
        method: &'static str,
        request: &R,
        post: DocumentPost,
    ) -> Result<pb::ExposureDocument, ApiError> {
        let mut m = begin_mutation!(self, context, method, request);
        let now = m.now;
        let mut chain = self
            .locked_chain(&mut m.tx, &context.caller.scope, &post.customer_id)
            .await?;
        let currency = chain[0].currency_code.clone();
        let account_currency = Currency::from_code(&currency)
            .ok_or_else(|| anyhow::anyhow!("stored account currency {currency} is invalid"))?;
        let (open_amount, fx_rate, fx_effective_at) =
            if post.open_amount.currency == account_currency {
                (post.open_amount.amount, None, None)
            } else {
                let (rate, effective_at) =
                    fx::in_force(&mut m.tx, post.open_amount.currency.code(), &currency, now)
                        .await?
                        .ok_or_else(|| ApiError::RuleViolation {
                            reason: "NO_FX_RATE",
                            message: format!(
                                "no exchange rate from {} to {currency} is in force",
                                post.open_amount.currency
                            ),
                        })?;
                (
                    Money::rounded(post.open_amount.amount * rate, account_currency).amount,
                    Some(rate),
                    Some(effective_at),
                )
            };
        let previous = documents::get(
            &mut m.tx,
            &post.customer_id,
            post.category,
            &post.document_id,
        )
        .await?;
        let document = ExposureDocument {
            customer_id: post.customer_id.clone(),
            category: post.category,
            document_id: post.document_id.clone(),
            open_amount,
            posted_amount: post.open_amount.amount,
            posted_currency: post.open_amount.currency.code().to_string(),
            fx_rate,
            fx_effective_at,
            due_at: post.due_at,
            updated_at: now,
        };
        if let Some(previous) = &previous
            && previous.posted_amount == document.posted_amount
            && previous.posted_currency == document.posted_currency
            && previous.due_at == document.due_at
        {
            // The same post again: nothing changes, no event.
            let answer = convert::document(previous, &currency);
            self.finish(m, &answer).await?;
            return Ok(answer);
        }
        let before = previous
            .as_ref()
            .map_or(rust_decimal::Decimal::ZERO, |p| p.open_amount);
        documents::upsert(&mut m.tx, &document).await?;
        let mut delta = Exposure::default();
        delta.add(post.category, open_amount - before);
        accounts::move_exposure(&mut m.tx, &mut chain, &delta, now, method).await?;
        let event = NewEvent {
            event_type: "credit.limits.exposure_document.posted",
            entity_type: "exposure_document",
            entity_id: post.document_id.clone(),
            customer_id: post.customer_id.clone(),
            payload: Payload::of(&pb::ExposureDocumentPosted {
                category: convert::category(post.category).into(),
                document_id: post.document_id.clone(),
                open_amount: Some(convert::money(open_amount, &currency)),
                previous_open_amount: Some(convert::money(before, &currency)),
            }),
        };
        outbox::append(&mut m.tx, context, now, event).await?;
        let answer = convert::document(&document, &currency);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Sets which categories count, for an account or a segment.
    pub async fn set_counting(
        &self,
        context: &RequestContext,
        request: &pb::SetExposureCountingRequest,
        scope_id: &str,
        counting: Counting,
    ) -> Result<pb::ExposureCounting, ApiError> {
        let mut m = begin_mutation!(self, context, "SetExposureCounting", request);
        let (customer_id, entity_type) = match counting.scope {
            CountingScope::Account => {
                let chain = self
                    .locked_chain(&mut m.tx, &context.caller.scope, scope_id)
                    .await?;
                let mut row = chain[0].clone();
                row.counting_bits = Some(counting.to_bits());
                row.updated_at = m.now;
                accounts::update_settings(&mut m.tx, &row).await?;
                (scope_id.to_string(), "credit_account")
            }
            CountingScope::Segment => {
                // A segment spans regions and business units.
                context
                    .caller
                    .scope
                    .must_be_whole("a segment's counting rule")?;
                accounts::upsert_segment_counting(&mut m.tx, scope_id, counting.to_bits(), m.now)
                    .await?;
                (String::new(), "segment")
            }
            CountingScope::Default => {
                return Err(anyhow::anyhow!("default counting cannot be set").into());
            }
        };
        let event = NewEvent {
            event_type: "credit.limits.exposure_counting.changed",
            entity_type,
            entity_id: scope_id.to_string(),
            customer_id,
            payload: Payload::of(&pb::ExposureCountingChanged {
                counting: Some(convert::counting(&counting, scope_id)),
            }),
        };
        outbox::append(&mut m.tx, context, m.now, event).await?;
        let answer = convert::counting(&counting, scope_id);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Exposure now, or as it was at `as_of` (limit and exposure from their histories; the
    /// counting rule is today's).
    pub async fn get_exposure(
        &self,
        customer_id: &str,
        as_of: Option<Micros>,
    ) -> Result<pb::Exposure, ApiError> {
        let mut tx = self.read().await?;
        let row = accounts::get(&mut tx, customer_id)
            .await?
            .ok_or_else(|| account_not_found(customer_id.to_string()))?;
        let rule = accounts::counting_of(&mut tx, &row).await?;
        let now = self.now();
        let (at, own, group, limit) = match as_of {
            Some(at) if at < now => {
                let (own, group) = accounts::exposure_at(&mut tx, customer_id, at).await?;
                let limit = accounts::limit_at(&mut tx, customer_id, at)
                    .await?
                    .unwrap_or_default();
                (at, own, group, limit)
            }
            _ => (
                now,
                row.own_exposure,
                row.group_exposure,
                row.credit_limit.clone(),
            ),
        };
        Ok(convert::exposure_view(
            customer_id,
            &row.currency_code,
            &row.segment,
            &limit,
            &rule,
            &own,
            &group,
            at,
        ))
    }
}
