//! Dunning: the scheduler's decisions (which step is due for whom, within the contact rules),
//! the messages they write — in the decision's transaction — and their delivery afterwards,
//! retried until the channel takes them; the "what happens next" preview; the versioned policy.
use crate::convert;
use crate::convert::money;
use crate::domain::dunning::{Channel, Consequence, due_step, upcoming};
use crate::domain::ledger::{digits_of, from_minor, to_minor};
use crate::domain::policy::{DEFAULT_POLICY, Policy};
use crate::letters::{self, Facts, Item};
use crate::mailer::Mailer;
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::calendar;
use credit_platform::clock::{Micros, SharedClock, date_of_day, day_of, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::ApiError;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_platform::policies;
use credit_platform::scope::{self, DataScope};
use credit_proto::collections as pb;
use credit_proto::wire;
use rust_decimal::Decimal;
use sqlx::AnyConnection;
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::Notify;

/// Delivery attempts before a message is given up as FAILED.
const MAX_ATTEMPTS: i32 = 10;

/// Counter: dunning message delivery attempts by `outcome` (`sent`, `pending`: will be retried,
/// `failed`: given up); a rising failure share means the relay or the addresses are wrong.
pub const DELIVERIES_TOTAL: &str = "collections_dunning_deliveries_total";

/// Why an e-mail cannot go out now, when it cannot: no address (`NO_ADDRESS`), the contact
/// limit or the customer's quiet hours (`DEFERRED`, tried again at the next run).
async fn may_write(
    tx: &mut AnyConnection,
    policy: &Policy,
    profile: &pb::Customer,
    customer_id: &str,
    now: Micros,
) -> Result<Option<(&'static str, String)>, ApiError> {
    if profile.email.trim().is_empty() {
        return Ok(Some((
            "NO_ADDRESS",
            "the customer has no dunning e-mail address (PutCustomer)".into(),
        )));
    }
    let rules = &policy.document.contact;
    let since = now - i64::from(rules.period_days) * credit_platform::clock::MICROS_PER_DAY;
    let contacts = store::messages_since(&mut *tx, customer_id, since).await?;
    if contacts >= i64::from(rules.max_contacts) {
        return Ok(Some((
            "DEFERRED",
            format!(
                "{contacts} contacts in the last {} days (at most {})",
                rules.period_days, rules.max_contacts
            ),
        )));
    }
    let zone = if profile.time_zone.is_empty() {
        "UTC"
    } else {
        profile.time_zone.as_str()
    };
    if policy.is_quiet(local_minute(now, zone)) {
        return Ok(Some(("DEFERRED", format!("quiet hours in {zone}"))));
    }
    Ok(None)
}

/// The minute of the day in `time_zone` (UTC when unknown).
fn local_minute(now: Micros, time_zone: &str) -> u32 {
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_microsecond(now)
        .map(|t| {
            let local = t.to_zoned(tz);
            u32::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute()))
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// Whether `name` is an IANA time zone this service knows.
pub fn known_time_zone(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

fn policy_event(version: i64, name: &str, active: bool) -> NewEvent {
    let event_type = if active {
        "credit.collections.dunning_policy.activated"
    } else {
        "credit.collections.dunning_policy.uploaded"
    };
    policies::version_event(event_type, "dunning_policy", version, name)
}

fn wire_policy(stored: policies::PolicyVersion, active: bool) -> pb::DunningPolicy {
    pb::DunningPolicy {
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

/// The dunning use cases.
#[derive(Clone)]
pub struct Dunning {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
    mailer: Mailer,
    /// Wakes delivery after a run wrote messages.
    wake: Arc<Notify>,
}

impl Dunning {
    /// Dunning over `db`, sending through `mailer`.
    pub fn new(db: Db, clock: SharedClock, signals: FeedSignals, mailer: Mailer) -> Self {
        // Every outcome's series exists from the start, so the failure ratio sees zeros.
        for outcome in ["sent", "pending", "failed"] {
            metrics::counter!(DELIVERIES_TOTAL, "outcome" => outcome).increment(0);
        }
        Self {
            db,
            clock,
            signals,
            mailer,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Installs the default policy as version 1 on first start.
    pub async fn bootstrap_policy(&self) -> Result<(), ApiError> {
        let policy = Policy::parse(DEFAULT_POLICY).map_err(|p| {
            ApiError::Internal(anyhow::anyhow!("default dunning policy invalid: {p:?}"))
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
    /// manager approves it.
    pub async fn upload_policy(
        &self,
        context: &RequestContext,
        request: &pb::UploadDunningPolicyRequest,
    ) -> Result<pb::DunningPolicy, ApiError> {
        let policy = Policy::parse(&request.document_json).map_err(|problems| {
            credit_platform::transition::invalid_document(problems, "document_json")
        })?;
        if request.activate {
            return Err(policies::activation_needs_approval("ApproveDunningPolicy"));
        }
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "UploadDunningPolicy",
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
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// Puts a proposed version in force on a second manager's approval.
    pub async fn approve_policy(
        &self,
        context: &RequestContext,
        request: &pb::ApproveDunningPolicyRequest,
    ) -> Result<pb::DunningPolicy, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "ApproveDunningPolicy",
            request
        );
        let stored = policies::approve(
            &mut m.tx,
            context,
            m.now,
            request.version,
            "dunning policy",
            |version, name| policy_event(version, name, true),
        )
        .await?;
        let answer = wire_policy(stored, true);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// The active policy, or one version.
    pub async fn get_policy(&self, version: i64) -> Result<pb::DunningPolicy, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let (stored, active) = policies::resolve(&mut conn, version, "dunning policy").await?;
        Ok(wire_policy(stored, active))
    }

    /// Every (customer, currency) with open invoices, optionally of one customer.
    async fn dunned(&self, customer_id: &str) -> Result<Vec<(String, String)>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        Ok(store::dunned_accounts(&mut conn, customer_id).await?)
    }

    /// Runs dunning for every customer (or one): each whose next step's day has come gets
    /// it, within the contact rules. Messages are delivered afterwards.
    pub async fn run(
        &self,
        data_scope: &DataScope,
        customer_id: &str,
    ) -> Result<pb::DunningRun, ApiError> {
        let visible = {
            let mut conn = self.db.pool.acquire().await?;
            scope::visible_customers(&mut conn, data_scope).await?
        };
        let mut actions = Vec::new();
        for (customer, currency) in self.dunned(customer_id).await? {
            if !visible.admits(&customer) {
                continue;
            }
            let action = mutation::with_retry(|| self.decide(&customer, &currency)).await?;
            actions.extend(action);
        }
        if actions
            .iter()
            .any(|a| a.outcome == pb::DunningOutcome::Sent as i32)
        {
            self.wake.notify_one();
        }
        Ok(pb::DunningRun { actions })
    }

    /// One customer and currency, in one transaction: the step due, if any, and its message.
    async fn decide(
        &self,
        customer_id: &str,
        currency: &str,
    ) -> Result<Option<pb::DunningAction>, ApiError> {
        let mut tx = self.db.begin_write().await?;
        let now = self.clock.now();
        let today = day_of(now);
        let (_, policy) = crate::app::policy::active_policy(&mut tx).await?;
        let profile = store::customer(&mut tx, customer_id)
            .await?
            .unwrap_or_default();
        let items = store::open_items(&mut tx, customer_id, currency).await?;
        let Some(anchor) = items.first().cloned() else {
            return Ok(None);
        };
        // The schedule runs from the oldest item still unpaid: when it changed (paid), the
        // steps start again from the new anchor.
        let done = store::dunning_state(&mut tx, customer_id, currency)
            .await?
            .filter(|(anchor_id, _, _)| *anchor_id == anchor.document_id)
            .map(|(_, index, _)| index);
        let strategy = policy.strategy(&profile.segment, &profile.risk_class);
        let Some(index) = due_step(&strategy.steps, anchor.due_day, today, done) else {
            return Ok(None);
        };
        let step = strategy.steps[index].clone();
        let covered: Vec<&store::OpenItem> = items
            .iter()
            .filter(|i| i.due_day + step.offset_days <= today)
            .collect();
        let amount: i64 = covered.iter().map(|i| i.open).sum();
        let digits = digits_of(currency);
        let action = |outcome: &str, detail: String, message_id: String| pb::DunningAction {
            customer_id: customer_id.to_string(),
            currency_code: currency.to_string(),
            step_code: step.code.clone(),
            outcome: convert::wire::<pb::DunningOutcome>(outcome),
            detail,
            message_id,
        };
        let minimum = step
            .min_amount
            .get(currency)
            .and_then(|m| Decimal::from_str(m).ok())
            .and_then(|m| {
                credit_platform::money::Currency::from_code(currency).and_then(|c| to_minor(m, &c))
            })
            .unwrap_or(0);
        if amount < minimum {
            return Ok(Some(action(
                "BELOW_MINIMUM",
                format!(
                    "{} {currency} is under the step's minimum of {}",
                    from_minor(amount, digits),
                    from_minor(minimum, digits)
                ),
                String::new(),
            )));
        }
        if let Some((promised, by)) =
            crate::app::promises::open_promise(&mut tx, customer_id, currency).await?
        {
            return Ok(Some(action(
                "DEFERRED",
                format!(
                    "a promise to pay {} {currency} by {} is open",
                    from_minor(promised, digits),
                    date_of_day(by)
                ),
                String::new(),
            )));
        }
        if step.channel == Channel::Email
            && let Some((outcome, detail)) =
                may_write(&mut tx, &policy, &profile, customer_id, now).await?
        {
            return Ok(Some(action(outcome, detail, String::new())));
        }
        // The step is taken: its fee and interest first, so the letter lists them.
        let context = RequestContext::system("dunning");
        let overdue: Vec<crate::app::charges::Overdue> = covered
            .iter()
            .filter(|i| i.kind == crate::domain::ledger::Kind::Invoice.name() && i.due_day < today)
            .map(|i| crate::app::charges::Overdue {
                invoice_id: &i.document_id,
                due_day: i.due_day,
                open: i.open,
            })
            .collect();
        let charged = crate::app::charges::book(
            &mut tx,
            &context,
            now,
            customer_id,
            currency,
            &step,
            &overdue,
        )
        .await?;
        let mut items: Vec<Item> = covered
            .iter()
            .map(|i| Item {
                invoice: i.document_id.clone(),
                issued: date_of_day(i.issue_day),
                due: date_of_day(i.due_day),
                open: from_minor(i.open, digits),
            })
            .collect();
        items.extend(charged.iter().map(|c| Item {
            invoice: c.document_id.clone(),
            issued: date_of_day(today),
            due: date_of_day(today),
            open: from_minor(c.amount, digits),
        }));
        let amount = amount + charged.iter().map(|c| c.amount).sum::<i64>();
        // A final notice or a hand-over letter is a formal notice: in some jurisdictions it
        // starts the limitation period again.
        if matches!(step.template.as_str(), "FINAL_NOTICE" | "LEGAL_HANDOVER") {
            let ids: Vec<String> = covered.iter().map(|i| i.document_id.clone()).collect();
            crate::app::limitation::record_acts(
                &mut tx,
                customer_id,
                &ids,
                crate::domain::limitation::Act::FormalNotice,
                today,
                "system:dunning",
                &step.code,
                now,
            )
            .await?;
        }
        let mut message_id = String::new();
        if step.channel == Channel::Email {
            let letter = letters::render(
                &step.template,
                &profile.language,
                &Facts {
                    company: if profile.name.is_empty() {
                        customer_id.to_string()
                    } else {
                        profile.name.clone()
                    },
                    customer_id: customer_id.to_string(),
                    currency: currency.to_string(),
                    items,
                    total: from_minor(amount, digits),
                    days_past_due: today - anchor.due_day,
                },
            );
            message_id = uuid::Uuid::now_v7().to_string();
            store::insert_message(
                &mut tx,
                store::NewMessage {
                    message_id: &message_id,
                    customer_id,
                    currency,
                    step_code: &step.code,
                    recipient: profile.email.trim(),
                    language: &letter.language,
                    subject: &letter.subject,
                    body: &letter.body,
                    created_at: now,
                },
            )
            .await?;
        }
        store::save_dunning_state(
            &mut tx,
            (customer_id, currency),
            &anchor.document_id,
            (index, &step.code),
            now,
        )
        .await?;
        outbox::append(
            &mut tx,
            &context,
            now,
            NewEvent {
                event_type: "credit.collections.dunning.step_taken",
                entity_type: "customer",
                entity_id: customer_id.to_string(),
                customer_id: customer_id.to_string(),
                payload: Payload::of(&pb::DunningStepTaken {
                    strategy: strategy.name.clone(),
                    step_code: step.code.clone(),
                    template: step.template.clone(),
                    consequence: wire::<pb::Consequence>(step.consequence.name()),
                    amount: Some(convert::money(amount, currency)),
                    items: covered.iter().map(|i| i.document_id.clone()).collect(),
                    charges: charged.iter().map(|c| c.document_id.clone()).collect(),
                    anchor_document_id: anchor.document_id.clone(),
                    message_id: message_id.clone(),
                }),
            },
        )
        .await?;
        if step.consequence == Consequence::CreditHold {
            let (_, amounts) =
                crate::app::overdue::overdue_since(&mut tx, customer_id, today).await?;
            crate::app::overdue::flag(
                &mut tx,
                &context,
                now,
                customer_id,
                today - anchor.due_day,
                &amounts,
                &step.code,
            )
            .await?;
        }
        tx.commit().await?;
        self.signals.notify_committed();
        metrics::counter!("collections_dunning_steps_total", "step" => step.code.clone())
            .increment(1);
        Ok(Some(action(
            "SENT",
            format!(
                "{} of {} {currency}",
                step.template,
                from_minor(amount, digits)
            ),
            message_id,
        )))
    }

    /// Delivers waiting messages; answers how many went out (counted in [`DELIVERIES_TOTAL`]).
    pub async fn deliver(&self) -> Result<usize, ApiError> {
        let pending = {
            let mut conn = self.db.pool.acquire().await?;
            store::pending_messages(&mut conn, 100).await?
        };
        let mut sent = 0;
        for (message_id, recipient, subject, body, attempts) in pending {
            let outcome = self.mailer.send(&recipient, &subject, &body).await;
            let (state, error) = match &outcome {
                Ok(()) => ("SENT", String::new()),
                Err(e) if attempts + 1 >= MAX_ATTEMPTS => ("FAILED", e.clone()),
                Err(e) => ("PENDING", e.clone()),
            };
            if outcome.is_ok() {
                sent += 1;
            }
            metrics::counter!(DELIVERIES_TOTAL, "outcome" => state.to_ascii_lowercase())
                .increment(1);
            mutation::with_retry(|| self.record_delivery(&message_id, state, &error)).await?;
        }
        Ok(sent)
    }

    async fn record_delivery(
        &self,
        message_id: &str,
        state: &str,
        error: &str,
    ) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await?;
        let now = self.clock.now();
        let (customer_id, step_code) =
            store::record_delivery(&mut tx, message_id, state, error, now).await?;
        if state != "PENDING" {
            outbox::append(
                &mut tx,
                &RequestContext::system("dunning-delivery"),
                now,
                NewEvent {
                    event_type: if state == "SENT" {
                        "credit.collections.message.sent"
                    } else {
                        "credit.collections.message.failed"
                    },
                    entity_type: "message",
                    entity_id: message_id.to_string(),
                    customer_id,
                    payload: Payload::of(&pb::MessageDelivered {
                        step_code,
                        channel: pb::Channel::Email.into(),
                        error: error.to_string(),
                    }),
                },
            )
            .await?;
        }
        tx.commit().await?;
        self.signals.notify_committed();
        Ok(())
    }

    /// Waits until a run wrote messages or `every` passed.
    pub async fn wait_for_work(&self, every: std::time::Duration) {
        tokio::select! {
            _ = self.wake.notified() => {}
            _ = tokio::time::sleep(every) => {}
        }
    }

    /// A customer's messages, newest first.
    pub async fn messages(
        &self,
        customer_id: &str,
        page: &PageRequest,
    ) -> Result<pb::ListMessagesResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let mut messages =
            store::messages_of(&mut conn, customer_id, &page.after, page.fetch()).await?;
        let next_page_token = page.finish(&mut messages, |m| m.message_id.clone());
        Ok(pb::ListMessagesResponse {
            messages: messages.into_iter().map(convert::message).collect(),
            next_page_token,
        })
    }

    /// What happens next to a customer, and when.
    pub async fn preview(&self, customer_id: &str) -> Result<pb::DunningPreview, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let (version, policy) = crate::app::policy::active_policy(&mut conn).await?;
        let profile = store::customer(&mut conn, customer_id)
            .await?
            .unwrap_or_default();
        let today = day_of(self.clock.now());
        let strategy = policy.strategy(&profile.segment, &profile.risk_class);
        let mut plans = Vec::new();
        for (_, currency) in store::dunned_accounts(&mut conn, customer_id).await? {
            let items = store::open_items(&mut conn, customer_id, &currency).await?;
            let Some(anchor) = items.first().cloned() else {
                continue;
            };
            let last = store::dunning_state(&mut conn, customer_id, &currency)
                .await?
                .filter(|(anchor_id, _, _)| *anchor_id == anchor.document_id);
            let done = last.as_ref().map(|(_, index, _)| *index);
            plans.push(pb::DunningPlan {
                currency_code: currency.clone(),
                strategy: strategy.name.clone(),
                anchor_document_id: anchor.document_id.clone(),
                anchor_due_date: Some(calendar::date(anchor.due_day)),
                last_step_code: last.map(|(_, _, code)| code).unwrap_or_default(),
                open_amount: Some(money(items.iter().map(|i| i.open).sum(), &currency)),
                overdue_amount: Some(money(
                    items
                        .iter()
                        .filter(|i| i.due_day < today)
                        .map(|i| i.open)
                        .sum(),
                    &currency,
                )),
                next_steps: upcoming(&strategy.steps, anchor.due_day, done)
                    .into_iter()
                    .map(|(index, day)| {
                        let step = &strategy.steps[index];
                        pb::PlannedStep {
                            step_code: step.code.clone(),
                            // A step whose day passed comes at the next run.
                            date: Some(calendar::date(day.max(today))),
                            channel: convert::wire::<pb::Channel>(step.channel.name()),
                            consequence: convert::wire::<pb::Consequence>(step.consequence.name()),
                        }
                    })
                    .collect(),
            });
        }
        Ok(pb::DunningPreview {
            customer_id: customer_id.to_string(),
            plans,
            policy_version: version,
        })
    }
}
