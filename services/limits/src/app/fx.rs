//! Exchange rates.
use super::{Limits, decode_page_token, encode_page_token};
use crate::domain::Micros;
use crate::store::fx::{self, FxRate};
use credit_platform::clock::to_timestamp;
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_proto::limits as pb;
use rust_decimal::Decimal;

fn view(r: &FxRate) -> pb::FxRate {
    pb::FxRate {
        base_currency_code: r.base_currency.clone(),
        quote_currency_code: r.quote_currency.clone(),
        rate: r.rate.normalize().to_string(),
        effective_time: Some(to_timestamp(r.effective_at)),
        actor_subject: r.actor_subject.clone(),
    }
}

impl Limits {
    /// Records a rate.
    pub async fn set_fx_rate(
        &self,
        context: &RequestContext,
        request: &pb::SetFxRateRequest,
        base: &str,
        quote: &str,
        rate: Decimal,
        effective_at: Option<Micros>,
    ) -> Result<pb::FxRate, ApiError> {
        context.caller.scope.must_be_whole("an exchange rate")?;
        let mut m = begin_mutation!(self, context, "SetFxRate", request);
        let record = FxRate {
            base_currency: base.to_string(),
            quote_currency: quote.to_string(),
            rate,
            effective_at: effective_at.unwrap_or(m.now),
            actor_subject: context.caller.subject.clone(),
        };
        fx::upsert(&mut m.tx, &record).await?;
        let event = NewEvent {
            event_type: "credit.limits.fx_rate.set",
            entity_type: "fx_rate",
            entity_id: format!("{base}/{quote}@{}", record.effective_at),
            customer_id: String::new(),
            payload: Payload::of(&pb::FxRateSet {
                rate: Some(view(&record)),
            }),
        };
        outbox::append(&mut m.tx, context, m.now, event).await?;
        let answer = view(&record);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Rates, newest first.
    pub async fn list_fx_rates(
        &self,
        base: Option<&str>,
        quote: Option<&str>,
        page_size: i64,
        page_token: &str,
    ) -> Result<pb::ListFxRatesResponse, ApiError> {
        let position = decode_page_token(page_token)?;
        let offset = if position.is_empty() {
            0
        } else {
            position.parse::<i64>().map_err(|_| {
                FieldViolation::new("page_token", "not a token from a previous page")
            })?
        };
        let mut tx = self.read().await?;
        let rows = fx::list(&mut tx, base, quote, offset, page_size + 1).await?;
        let more = rows.len() as i64 > page_size;
        Ok(pb::ListFxRatesResponse {
            fx_rates: rows.iter().take(page_size as usize).map(view).collect(),
            next_page_token: if more {
                encode_page_token(&(offset + page_size).to_string())
            } else {
                String::new()
            },
        })
    }
}
