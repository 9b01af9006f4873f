//! The services applications calls, over gRPC with its own token: scoring (assess an
//! applicant at submission) and limits (open the account and set the approved limit).
use crate::domain::state::Kind;
use crate::store::LimitInstruction;
use credit_platform::auth::{BearerToken, ServiceToken};
use credit_platform::client::peer_failure;
use credit_platform::deadline::Outbound;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::retry::Retries;
use credit_proto::applications as pb;
use credit_proto::limits as lpb;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::scoring as spb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::time::Duration;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use uuid::Uuid;

const TOKEN_SETTING: &str =
    "APPLICATIONS_SERVICE_TOKEN_FILE (it needs the credit.analyst and credit.manager roles)";

/// A peer service: its address, channel and the token presented to it.
#[derive(Clone)]
pub struct Peer {
    name: &'static str,
    url: String,
    channel: Channel,
    token: ServiceToken,
    retries: Retries,
}

impl Peer {
    /// The peer `name` at `url` (connected on first use).
    pub fn new(name: &'static str, url: &str, token: ServiceToken) -> anyhow::Result<Self> {
        Ok(Self {
            name,
            url: url.to_string(),
            channel: credit_platform::client::channel(url, Duration::from_secs(2))?,
            token,
            retries: Retries::default(),
        })
    }

    /// Where it answers (its event feed too).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The token presented to it.
    pub fn token(&self) -> ServiceToken {
        self.token.clone()
    }

    /// How calls to it go out: its token, the caller's remaining deadline, the trace context.
    fn auth(&self) -> Result<Outbound, ApiError> {
        Ok(Outbound::new(BearerToken(Some(
            self.token.current().map_err(ApiError::Internal)?,
        ))))
    }

    fn failure(&self, status: &tonic::Status) -> ApiError {
        peer_failure(self.name, &self.url, TOKEN_SETTING, status)
    }

    /// Makes a call through `client` — every call applications makes is idempotent, a read or
    /// a change with a request id — again when its answer says nothing was done ([`Retries`]).
    async fn call<C, Req, Res, F, Fut>(
        &self,
        client: C,
        request: Req,
        call: F,
    ) -> Result<Res, tonic::Status>
    where
        C: Clone,
        Req: Clone,
        F: Fn(C, Req) -> Fut + Clone,
        Fut: std::future::Future<Output = Result<Res, tonic::Status>>,
    {
        self.retries
            .call(request, move |request| call(client.clone(), request))
            .await
    }
}

/// A request id derived from the caller's: a retried submission asks scoring the same
/// questions with the same ids, so scoring answers as the first time.
pub(crate) fn derived(request_id: &str, purpose: &str) -> String {
    let base = Uuid::parse_str(request_id).unwrap_or(Uuid::NAMESPACE_OID);
    Uuid::new_v5(&base, purpose.as_bytes()).to_string()
}

/// Scoring's field errors under the application's names: "statement.revenue" of the i-th
/// statement becomes "application.financial_statements[i].revenue".
fn relabel(status: &tonic::Status, prefix: &str, strip: &str) -> Option<ApiError> {
    if status.code() != Code::InvalidArgument {
        return None;
    }
    let violations = status.get_details_bad_request()?.field_violations;
    Some(ApiError::InvalidArgument(
        violations
            .into_iter()
            .map(|v| {
                let field = v.field.strip_prefix(strip).unwrap_or(&v.field);
                FieldViolation::new(format!("{prefix}{field}"), v.description)
            })
            .collect(),
    ))
}

/// Scoring, seen from applications.
#[derive(Clone)]
pub struct ScoringPeer(pub Peer);

impl ScoringPeer {
    fn client(
        &self,
    ) -> Result<ScoringServiceClient<InterceptedService<Channel, Outbound>>, ApiError> {
        Ok(ScoringServiceClient::with_interceptor(
            self.0.channel.clone(),
            self.0.auth()?,
        ))
    }

    /// Hands the application's statements and references to scoring and scores the customer
    /// for the amount asked.
    pub async fn assess(
        &self,
        app: &pb::Application,
        request_id: &str,
    ) -> Result<spb::Score, ApiError> {
        let client = self.client()?;
        // A limit change scores the customer on what scoring knows now (maybe newer than the
        // statements copied from the approved application).
        let change = crate::convert::kind_of(app).is_change();
        for (i, statement) in app
            .financial_statements
            .iter()
            .enumerate()
            .filter(|_| !change)
        {
            self.0
                .call(
                    client.clone(),
                    spb::PutFinancialStatementRequest {
                        customer_id: app.customer_id.clone(),
                        statement: Some(statement.clone()),
                        request_id: derived(request_id, &format!("statement-{i}")),
                    },
                    |mut c, r| async move { c.put_financial_statement(r).await },
                )
                .await
                .map_err(|s| {
                    relabel(
                        &s,
                        &format!("application.financial_statements[{i}]."),
                        "statement.",
                    )
                    .unwrap_or_else(|| self.0.failure(&s))
                })?;
        }
        let applicant = app.applicant.clone().unwrap_or_default();
        if !change && !applicant.trade_references.is_empty() {
            self.0
                .call(
                    client.clone(),
                    spb::PutReferencesRequest {
                        customer_id: app.customer_id.clone(),
                        references: applicant.trade_references.clone(),
                        request_id: derived(request_id, "references"),
                    },
                    |mut c, r| async move { c.put_references(r).await },
                )
                .await
                .map_err(|s| {
                    relabel(&s, "application.applicant.trade_references", "references")
                        .unwrap_or_else(|| self.0.failure(&s))
                })?;
        }
        let requested = app
            .credit_request
            .as_ref()
            .and_then(|r| r.requested_limit.clone());
        self.0
            .call(
                client.clone(),
                spb::ScoreCustomerRequest {
                    customer_id: app.customer_id.clone(),
                    requested_amount: requested,
                    request_id: derived(request_id, "score"),
                },
                |mut c, r| async move { c.score_customer(r).await },
            )
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| match s.code() {
                // Scoring refuses (for example) a customer its policy cannot score without a
                // statement: the application is what has to change.
                Code::FailedPrecondition | Code::NotFound => ApiError::StateConflict(format!(
                    "scoring could not score the applicant: {}",
                    s.message()
                )),
                _ => self.0.failure(&s),
            })
    }
}

/// How delivering an instruction went.
#[derive(Debug)]
pub enum Delivery {
    /// Limits holds the limit.
    Done,
    /// Limits could not be reached or was busy: try again.
    Retry(String),
    /// Limits refused for good (another currency, a bad parent…): people must look.
    Refused(String),
}

type LimitsClient = LimitsServiceClient<InterceptedService<Channel, Outbound>>;

/// Limits, seen from applications.
#[derive(Clone)]
pub struct LimitsPeer(pub Peer);

impl LimitsPeer {
    fn classify(&self, status: &tonic::Status) -> Delivery {
        match status.code() {
            Code::Unavailable
            | Code::DeadlineExceeded
            | Code::ResourceExhausted
            | Code::Aborted
            | Code::Cancelled
            | Code::Unknown
            | Code::Internal => Delivery::Retry(self.0.failure(status).to_string()),
            _ => Delivery::Refused(format!("{:?}: {}", status.code(), status.message())),
        }
    }

    /// Opens the account when it does not exist and sets the limit. Both calls carry request
    /// ids derived from the instruction, so a retry after a lost answer changes nothing twice.
    pub async fn deliver(&self, i: &LimitInstruction) -> Delivery {
        let auth = match self.0.auth() {
            Ok(auth) => auth,
            Err(e) => return Delivery::Retry(e.to_string()),
        };
        let client = LimitsServiceClient::with_interceptor(self.0.channel.clone(), auth);
        // A change applies to the account the approval changes; new credit opens it first.
        if !i.kind.is_change() {
            let opened = self
                .0
                .call(
                    client.clone(),
                    lpb::CreateCreditAccountRequest {
                        credit_account: Some(lpb::CreditAccount {
                            customer_id: i.customer_id.clone(),
                            name: i.name.clone(),
                            currency_code: i.currency_code.clone(),
                            segment: i.segment.clone(),
                            region: i.region.clone(),
                            business_unit: i.business_unit.clone(),
                            parent_customer_id: i.parent_customer_id.clone(),
                            ..Default::default()
                        }),
                        request_id: derived(&i.instruction_id, "account"),
                    },
                    |mut c, r| async move { c.create_credit_account(r).await },
                )
                .await;
            match opened {
                Ok(_) => {}
                // An account opened by the ERP (or by an earlier application).
                Err(s) if s.code() == Code::AlreadyExists => {}
                Err(s) => return self.classify(&s),
            }
        }
        let limit = match i.kind {
            Kind::NewCredit => lpb::CreditLimit {
                mode: lpb::LimitMode::Amount as i32,
                amount: Some(money(&i.amount, &i.currency_code)),
                ..Default::default()
            },
            // A change keeps what it does not change (tolerance, validity, a temporary amount).
            kind => {
                let current = match self
                    .0
                    .call(
                        client.clone(),
                        lpb::GetCreditAccountRequest {
                            customer_id: i.customer_id.clone(),
                        },
                        |mut c, r| async move { c.get_credit_account(r).await },
                    )
                    .await
                {
                    Ok(account) => account.into_inner().credit_limit.unwrap_or_default(),
                    Err(s) => return self.classify(&s),
                };
                match changed_limit(current, kind, i) {
                    Ok(limit) => limit,
                    Err(refusal) => return Delivery::Refused(refusal),
                }
            }
        };
        let set = self
            .0
            .call(
                client,
                lpb::SetCreditLimitRequest {
                    customer_id: i.customer_id.clone(),
                    credit_limit: Some(limit),
                    reason: i.reason.clone(),
                    request_id: derived(&i.instruction_id, "limit"),
                    approved_by: if i.approved_by.is_empty() {
                        // Queued before approvers were carried: the reason names the decider.
                        vec!["system".into()]
                    } else {
                        i.approved_by.clone()
                    },
                    approval_reference: i.application_id.clone(),
                },
                |mut c, r| async move { c.set_credit_limit(r).await },
            )
            .await;
        match set {
            Ok(_) => Delivery::Done,
            Err(s) => self.classify(&s),
        }
    }

    fn client(&self) -> Result<LimitsClient, ApiError> {
        Ok(LimitsServiceClient::with_interceptor(
            self.0.channel.clone(),
            self.0.auth()?,
        ))
    }

    /// The customer's account in limits now (None when limits has none).
    pub async fn account(&self, customer_id: &str) -> Result<Option<lpb::CreditAccount>, ApiError> {
        let request = lpb::GetCreditAccountRequest {
            customer_id: customer_id.to_string(),
        };
        let get = |mut c: LimitsClient, r| async move { c.get_credit_account(r).await };
        match self.0.call(self.client()?, request, get).await {
            Ok(account) => Ok(Some(account.into_inner())),
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(self.0.failure(&s)),
        }
    }

    /// A stored credit decision.
    pub async fn decision(&self, decision_id: &str) -> Result<lpb::CreditDecision, ApiError> {
        let request = lpb::GetCreditDecisionRequest {
            decision_id: decision_id.to_string(),
        };
        let get = |mut c: LimitsClient, r| async move { c.get_credit_decision(r).await };
        self.0
            .call(self.client()?, request, get)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| match s.code() {
                Code::NotFound => ApiError::NotFound {
                    kind: "credit decision",
                    id: decision_id.to_string(),
                },
                _ => self.0.failure(&s),
            })
    }

    /// Checks an order (with a person's release, when given); idempotent by `request_id`.
    pub async fn check(
        &self,
        request: lpb::CheckCreditRequest,
    ) -> Result<lpb::CheckCreditResponse, ApiError> {
        let check = |mut c: LimitsClient, r| async move { c.check_credit(r).await };
        self.0
            .call(self.client()?, request, check)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| match s.code() {
                Code::FailedPrecondition | Code::NotFound | Code::InvalidArgument => {
                    ApiError::StateConflict(format!("limits refused the check: {}", s.message()))
                }
                _ => self.0.failure(&s),
            })
    }
}

fn money(amount: &str, currency_code: &str) -> credit_proto::types::Money {
    credit_proto::types::Money {
        amount: amount.to_string(),
        currency_code: currency_code.to_string(),
    }
}

/// The limit after an approved change of `current`; why not, when it cannot be applied.
fn changed_limit(
    mut current: lpb::CreditLimit,
    kind: Kind,
    i: &LimitInstruction,
) -> Result<lpb::CreditLimit, String> {
    let permanent = current
        .amount
        .as_ref()
        .filter(|_| current.mode == lpb::LimitMode::Amount as i32)
        .and_then(|m| Decimal::from_str(&m.amount).ok());
    let approved = Decimal::from_str(&i.amount).map_err(|e| format!("approved amount: {e}"))?;
    match kind {
        Kind::TemporaryIncrease => {
            let Some(permanent) = permanent else {
                return Err("a temporary increase needs a permanent amount limit".into());
            };
            let extra = approved - permanent;
            if extra <= Decimal::ZERO {
                return Err(format!(
                    "the permanent limit ({permanent}) already reaches the approved {approved}"
                ));
            }
            let valid_to = i
                .temporary_end
                .ok_or("a temporary increase without an end")?;
            current.temporary_limit = Some(lpb::TemporaryLimit {
                amount: Some(money(&extra.to_string(), &i.currency_code)),
                valid_from: None,
                valid_to: Some(credit_platform::clock::to_timestamp(valid_to)),
            });
        }
        _ => {
            current.mode = lpb::LimitMode::Amount as i32;
            current.amount = Some(money(&i.amount, &i.currency_code));
        }
    }
    Ok(current)
}
