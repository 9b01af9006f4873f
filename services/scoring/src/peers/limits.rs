//! Exposure as the limits service knows it, read over gRPC: every credit account with its
//! exposure now, and the exchange rates to bring them into one currency.
use credit_platform::auth::{BearerToken, ServiceToken};
use credit_platform::clock::{Micros, from_timestamp};
use credit_platform::deadline::Outbound;
use credit_platform::error::ApiError;
use credit_platform::money::parse_decimal;
use credit_proto::limits as lpb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use tonic::transport::Channel;

type LimitsClient =
    LimitsServiceClient<tonic::service::interceptor::InterceptedService<Channel, Outbound>>;

/// Accounts and rates are read in pages of this many.
const PAGE: i32 = 1000;

/// One credit account and its exposure.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// The customer.
    pub customer_id: String,
    /// The account currency.
    pub currency_code: String,
    /// The account's own exposure, every category (counted or shown only): what is owed or
    /// committed is what a default loses, whatever counts against the limit.
    pub exposure: Decimal,
    /// Sales region.
    pub region: String,
    /// Customer segment.
    pub segment: String,
    /// Business unit.
    pub business_unit: String,
}

/// A rate as recorded in limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Units of quote per unit of base.
    pub rate: Decimal,
    /// From when it is in force.
    pub effective_at: Micros,
}

/// Every rate by (base, quote), in force or not yet.
#[derive(Debug, Clone, Default)]
pub struct Rates(BTreeMap<(String, String), Vec<Rate>>);

impl Rates {
    /// The rate from `base` to `quote` in force at `at`, as limits converts: the pair's latest
    /// rate effective by then, or else the inverse of the reverse pair's.
    pub fn in_force(&self, base: &str, quote: &str, at: Micros) -> Option<Rate> {
        let latest = |from: &str, to: &str| {
            self.0
                .get(&(from.to_string(), to.to_string()))?
                .iter()
                .filter(|r| r.effective_at <= at)
                .max_by_key(|r| r.effective_at)
                .copied()
        };
        latest(base, quote).or_else(|| {
            latest(quote, base)
                .filter(|r| !r.rate.is_zero())
                .map(|r| Rate {
                    rate: Decimal::ONE / r.rate,
                    effective_at: r.effective_at,
                })
        })
    }

    fn insert(&mut self, base: String, quote: String, rate: Rate) {
        self.0.entry((base, quote)).or_default().push(rate);
    }
}

/// Reads from limits with the service's own token.
#[derive(Clone)]
pub struct LimitsReader {
    channel: Channel,
    url: String,
    token: ServiceToken,
    retries: credit_platform::retry::Retries,
}

impl LimitsReader {
    /// A reader of the limits service at `url` (connected on first use).
    pub fn new(url: &str, token: ServiceToken) -> anyhow::Result<Self> {
        Ok(Self {
            channel: credit_platform::client::channel(url, std::time::Duration::from_secs(2))?,
            url: url.to_string(),
            token,
            retries: credit_platform::retry::Retries::default(),
        })
    }

    fn client(
        &self,
    ) -> Result<
        LimitsServiceClient<tonic::service::interceptor::InterceptedService<Channel, Outbound>>,
        ApiError,
    > {
        let token = self.token.current().map_err(ApiError::Internal)?;
        Ok(LimitsServiceClient::with_interceptor(
            self.channel.clone(),
            Outbound::new(BearerToken(Some(token))),
        )
        .max_decoding_message_size(credit_platform::server::MAX_MESSAGE_BYTES))
    }

    fn failure(&self, status: tonic::Status) -> ApiError {
        credit_platform::client::peer_failure(
            "limits",
            &self.url,
            "SCORING_SERVICE_TOKEN_FILE (it needs the credit.viewer role)",
            &status,
        )
    }

    /// Every item of a paged list: `fetch` reads the page at a token and answers its items
    /// and the next token (empty on the last page).
    async fn every_page<T, Fut>(
        &self,
        fetch: impl Fn(LimitsClient, String) -> Fut,
    ) -> Result<Vec<T>, ApiError>
    where
        Fut: Future<Output = Result<(Vec<T>, String), tonic::Status>>,
    {
        let client = self.client()?;
        let mut items = Vec::new();
        let mut page_token = String::new();
        loop {
            // Reads: retried when limits did nothing (a replica going away, load shed).
            let (page, next) = self
                .retries
                .call(page_token, |token| fetch(client.clone(), token))
                .await
                .map_err(|s| self.failure(s))?;
            items.extend(page);
            if next.is_empty() {
                return Ok(items);
            }
            page_token = next;
        }
    }

    /// Every credit account with its exposure now.
    pub async fn accounts(&self) -> Result<Vec<Account>, ApiError> {
        let accounts = self
            .every_page(|mut client, page_token| async move {
                let page = client
                    .list_credit_accounts(lpb::ListCreditAccountsRequest {
                        page_size: PAGE,
                        page_token,
                        ..Default::default()
                    })
                    .await?
                    .into_inner();
                Ok((page.credit_accounts, page.next_page_token))
            })
            .await?;
        accounts.into_iter().map(account_from).collect()
    }

    /// Every exchange rate recorded in limits.
    pub async fn rates(&self) -> Result<Rates, ApiError> {
        let recorded = self
            .every_page(|mut client, page_token| async move {
                let page = client
                    .list_fx_rates(lpb::ListFxRatesRequest {
                        page_size: PAGE,
                        page_token,
                        ..Default::default()
                    })
                    .await?
                    .into_inner();
                Ok((page.fx_rates, page.next_page_token))
            })
            .await?;
        let mut rates = Rates::default();
        for r in recorded {
            let rate = Rate {
                rate: wire_decimal(&r.rate, "fx_rate.rate")?,
                effective_at: r
                    .effective_time
                    .as_ref()
                    .and_then(from_timestamp)
                    .unwrap_or_default(),
            };
            rates.insert(r.base_currency_code, r.quote_currency_code, rate);
        }
        Ok(rates)
    }
}

/// A decimal limits sent; a bad one is limits' bug, not the caller's.
fn wire_decimal(text: &str, field: &str) -> Result<Decimal, ApiError> {
    parse_decimal(text, field)
        .map_err(|v| ApiError::Internal(anyhow::anyhow!("limits answered a bad {field}: {v:?}")))
}

fn account_from(account: lpb::CreditAccount) -> Result<Account, ApiError> {
    let exposure = match account
        .exposure
        .as_ref()
        .and_then(|e| e.own.as_ref())
        .and_then(|own| own.total.as_ref())
    {
        Some(total) => wire_decimal(&total.amount, "exposure.own.total")?,
        None => Decimal::ZERO,
    };
    Ok(Account {
        customer_id: account.customer_id,
        currency_code: account.currency_code,
        exposure,
        region: account.region,
        segment: account.segment,
        business_unit: account.business_unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_rate_in_force_is_the_pairs_latest_or_the_inverse_of_the_reverse() {
        let mut rates = Rates::default();
        let rate = |rate, effective_at| Rate { rate, effective_at };
        rates.insert("USD".into(), "EUR".into(), rate(dec!(0.90), 10));
        rates.insert("USD".into(), "EUR".into(), rate(dec!(0.92), 20));
        rates.insert("USD".into(), "EUR".into(), rate(dec!(0.99), 30));
        rates.insert("EUR".into(), "GBP".into(), rate(dec!(0.8), 5));
        assert_eq!(rates.in_force("USD", "EUR", 25), Some(rate(dec!(0.92), 20)));
        assert_eq!(
            rates.in_force("USD", "EUR", 5),
            None,
            "nothing in force yet"
        );
        assert_eq!(rates.in_force("GBP", "EUR", 25), Some(rate(dec!(1.25), 5)));
        assert_eq!(rates.in_force("CHF", "EUR", 25), None);
    }
}
