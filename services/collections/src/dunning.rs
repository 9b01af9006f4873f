//! Dunning: the scheduler's decisions (which step is due for whom, within the contact rules),
//! the messages they write — in the decision's transaction — and their delivery afterwards,
//! retried until the channel takes them; the "what happens next" preview; the versioned policy.
use crate::domain::dunning::{Channel, Consequence, due_step, upcoming};
use crate::domain::ledger::{digits_of, from_minor, to_minor};
use crate::domain::policy::{DEFAULT_POLICY, Policy};
use crate::letters::{self, Facts, Item};
use crate::mailer::Mailer;
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, SharedClock, date_of_day, day_of, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::ApiError;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent};
use credit_platform::policies;
use credit_proto::collections as pb;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::Notify;

/// Delivery attempts before a message is given up as FAILED.
const MAX_ATTEMPTS: i32 = 10;

/// An open invoice of one customer and currency.
#[derive(Debug, Clone)]
struct OpenItem {
    document_id: String,
    kind: String,
    issue_day: i64,
    due_day: i64,
    open: i64,
}

async fn open_items(
    conn: &mut AnyConnection,
    customer_id: &str,
    currency: &str,
) -> Result<Vec<OpenItem>, ApiError> {
    // What an open dispute holds is not dunned; an invoice wholly disputed is not listed, nor
    // one an active payment plan covers.
    sqlx::query(
        "SELECT d.document_id, d.kind, d.issue_day, d.due_day, \
         d.open_amount - CAST(COALESCE(x.disputed, 0) AS BIGINT) AS collectible \
         FROM documents d LEFT JOIN (SELECT invoice_id, SUM(amount) AS disputed FROM disputes \
         WHERE state = 'OPEN' GROUP BY invoice_id) x ON x.invoice_id = d.document_id \
         WHERE d.customer_id = $1 AND d.currency = $2 \
         AND d.kind IN ('INVOICE', 'FEE', 'INTEREST') \
         AND d.open_amount - CAST(COALESCE(x.disputed, 0) AS BIGINT) > 0 \
         AND NOT EXISTS (SELECT 1 FROM plan_invoices p WHERE p.invoice_id = d.document_id \
         AND p.active = 1) \
         ORDER BY d.due_day, d.document_id",
    )
    .bind(customer_id.to_string())
    .bind(currency.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(OpenItem {
            document_id: row.try_get(0)?,
            kind: row.try_get(1)?,
            issue_day: row.try_get(2)?,
            due_day: row.try_get(3)?,
            open: row.try_get(4)?,
        })
    })
    .collect()
}

/// Where a customer stands in one currency: the anchor and the last step done for it.
async fn state(
    conn: &mut AnyConnection,
    customer_id: &str,
    currency: &str,
) -> Result<Option<(String, usize, String)>, ApiError> {
    Ok(sqlx::query(
        "SELECT anchor_id, step_index, step_code FROM dunning_state \
         WHERE customer_id = $1 AND currency = $2",
    )
    .bind(customer_id.to_string())
    .bind(currency.to_string())
    .fetch_optional(conn)
    .await?
    .map(|row| -> sqlx::Result<_> {
        Ok((
            row.try_get::<String, _>(0)?,
            usize::try_from(row.try_get::<i64, _>(1)?).unwrap_or_default(),
            row.try_get::<String, _>(2)?,
        ))
    })
    .transpose()?)
}

/// Every (customer, currency) with open invoices, optionally of one customer.
async fn dunned(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> Result<Vec<(String, String)>, ApiError> {
    sqlx::query(
        "SELECT DISTINCT customer_id, currency FROM documents \
         WHERE kind IN ('INVOICE', 'FEE', 'INTEREST') AND open_amount > 0 \
         AND ($1 = '' OR customer_id = $1) ORDER BY customer_id, currency",
    )
    .bind(customer_id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
    .collect::<sqlx::Result<_>>()
    .map_err(ApiError::from)
}

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
    let contacts: i64 =
        sqlx::query("SELECT COUNT(*) FROM messages WHERE customer_id = $1 AND created_at > $2")
            .bind(customer_id.to_string())
            .bind(since)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
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

fn policy_event(version: i64, policy: &Policy, active: bool) -> NewEvent {
    NewEvent {
        event_type: if active {
            "credit.collections.dunning_policy.activated"
        } else {
            "credit.collections.dunning_policy.uploaded"
        },
        entity_type: "dunning_policy",
        entity_id: version.to_string(),
        customer_id: String::new(),
        payload: json!({"version": version, "name": policy.document.name}),
    }
}

fn wire_policy(stored: policies::PolicyVersion, active: bool) -> pb::DunningPolicy {
    pb::DunningPolicy {
        version: stored.version,
        name: stored.name,
        document_json: stored.document,
        active,
        uploaded_by: stored.uploaded_by,
        upload_time: Some(to_timestamp(stored.uploaded_at)),
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
            |version| policy_event(version, &policy, true),
        )
        .await
    }

    /// Stores a validated policy as the next version.
    pub async fn upload_policy(
        &self,
        context: &RequestContext,
        request: &pb::UploadDunningPolicyRequest,
    ) -> Result<pb::DunningPolicy, ApiError> {
        let policy = Policy::parse(&request.document_json).map_err(|problems| {
            ApiError::InvalidArgument(
                problems
                    .into_iter()
                    .map(|p| {
                        credit_platform::error::FieldViolation::new(
                            format!("document_json.{}", p.field),
                            p.message,
                        )
                    })
                    .collect(),
            )
        })?;
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
            request.activate,
            |version| policy_event(version, &policy, request.activate),
        )
        .await?;
        let answer = wire_policy(stored, request.activate);
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
        dunned(&mut conn, customer_id).await
    }

    /// Runs dunning for every customer (or one): each whose next step's day has come gets
    /// it, within the contact rules. Messages are delivered afterwards.
    pub async fn run(&self, customer_id: &str) -> Result<pb::DunningRun, ApiError> {
        let mut actions = Vec::new();
        for (customer, currency) in self.dunned(customer_id).await? {
            let action = mutation::with_retry(|| self.decide(&customer, &currency)).await?;
            actions.extend(action);
        }
        if actions.iter().any(|a| a.outcome == "SENT") {
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
        let (_, policy) = crate::policy::active_policy(&mut tx).await?;
        let profile = store::customer(&mut tx, customer_id)
            .await?
            .unwrap_or_default();
        let items = open_items(&mut tx, customer_id, currency).await?;
        let Some(anchor) = items.first().cloned() else {
            return Ok(None);
        };
        // The schedule runs from the oldest item still unpaid: when it changed (paid), the
        // steps start again from the new anchor.
        let done = state(&mut tx, customer_id, currency)
            .await?
            .filter(|(anchor_id, _, _)| *anchor_id == anchor.document_id)
            .map(|(_, index, _)| index);
        let strategy = policy.strategy(&profile.segment, &profile.risk_class);
        let Some(index) = due_step(&strategy.steps, anchor.due_day, today, done) else {
            return Ok(None);
        };
        let step = strategy.steps[index].clone();
        let covered: Vec<&OpenItem> = items
            .iter()
            .filter(|i| i.due_day + step.offset_days <= today)
            .collect();
        let amount: i64 = covered.iter().map(|i| i.open).sum();
        let digits = digits_of(currency);
        let action = |outcome: &str, detail: String, message_id: String| pb::DunningAction {
            customer_id: customer_id.to_string(),
            currency_code: currency.to_string(),
            step_code: step.code.clone(),
            outcome: outcome.into(),
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
            crate::promises::open_promise(&mut tx, customer_id, currency).await?
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
        let overdue: Vec<crate::charges::Overdue> = covered
            .iter()
            .filter(|i| i.kind == crate::domain::ledger::Kind::Invoice.name() && i.due_day < today)
            .map(|i| crate::charges::Overdue {
                invoice_id: &i.document_id,
                due_day: i.due_day,
                open: i.open,
            })
            .collect();
        let charged = crate::charges::book(
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
            crate::limitation::record_acts(
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
            sqlx::query(
                "INSERT INTO messages (message_id, customer_id, currency, step_code, channel, \
                 recipient, language, subject, body, state, attempts, last_error, created_at, \
                 sent_at) VALUES ($1, $2, $3, $4, 'EMAIL', $5, $6, $7, $8, 'PENDING', 0, '', $9, \
                 NULL)",
            )
            .bind(message_id.clone())
            .bind(customer_id.to_string())
            .bind(currency.to_string())
            .bind(step.code.clone())
            .bind(profile.email.trim().to_string())
            .bind(letter.language.clone())
            .bind(letter.subject.clone())
            .bind(letter.body.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO dunning_state (customer_id, currency, anchor_id, step_index, step_code, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (customer_id, currency) \
             DO UPDATE SET anchor_id = excluded.anchor_id, step_index = excluded.step_index, \
             step_code = excluded.step_code, updated_at = excluded.updated_at",
        )
        .bind(customer_id.to_string())
        .bind(currency.to_string())
        .bind(anchor.document_id.clone())
        .bind(index as i64)
        .bind(step.code.clone())
        .bind(now)
        .execute(&mut *tx)
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
                payload: json!({
                    "strategy": strategy.name,
                    "step_code": step.code,
                    "template": step.template,
                    "consequence": step.consequence,
                    "currency_code": currency,
                    "amount": from_minor(amount, digits),
                    "items": covered.iter().map(|i| &i.document_id).collect::<Vec<_>>(),
                    "charges": charged.iter().map(|c| &c.document_id).collect::<Vec<_>>(),
                    "anchor_document_id": anchor.document_id,
                    "message_id": message_id,
                }),
            },
        )
        .await?;
        if step.consequence == Consequence::CreditHold {
            let (_, amounts) = crate::overdue::overdue_since(&mut tx, customer_id, today).await?;
            crate::overdue::flag(
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

    /// Delivers waiting messages; answers how many went out.
    pub async fn deliver(&self) -> Result<usize, ApiError> {
        let pending: Vec<(String, String, String, String, i32)> = {
            let mut conn = self.db.pool.acquire().await?;
            sqlx::query(
                "SELECT message_id, recipient, subject, body, attempts FROM messages \
                 WHERE state = 'PENDING' ORDER BY created_at LIMIT 100",
            )
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                    row.try_get(4)?,
                ))
            })
            .collect::<sqlx::Result<_>>()?
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
        let row = sqlx::query(
            "UPDATE messages SET state = $2, attempts = attempts + 1, last_error = $3, \
             sent_at = CASE WHEN $2 = 'SENT' THEN $4 ELSE sent_at END \
             WHERE message_id = $1 RETURNING customer_id, step_code, recipient",
        )
        .bind(message_id.to_string())
        .bind(state.to_string())
        .bind(error.to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if state != "PENDING" {
            let customer_id: String = row.try_get(0)?;
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
                    payload: json!({
                        "step_code": row.try_get::<String, _>(1)?,
                        "channel": "EMAIL",
                        "error": error,
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
    pub async fn messages(&self, customer_id: &str) -> Result<Vec<pb::Message>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        sqlx::query(
            "SELECT message_id, customer_id, step_code, channel, recipient, language, subject, \
             body, state, attempts, last_error, created_at, sent_at, currency FROM messages \
             WHERE customer_id = $1 ORDER BY created_at DESC, message_id DESC LIMIT 1000",
        )
        .bind(customer_id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok(pb::Message {
                message_id: row.try_get(0)?,
                customer_id: row.try_get(1)?,
                step_code: row.try_get(2)?,
                channel: row.try_get(3)?,
                recipient: row.try_get(4)?,
                language: row.try_get(5)?,
                subject: row.try_get(6)?,
                body: row.try_get(7)?,
                state: row.try_get(8)?,
                attempts: row.try_get(9)?,
                last_error: row.try_get(10)?,
                create_time: Some(to_timestamp(row.try_get(11)?)),
                send_time: row.try_get::<Option<i64>, _>(12)?.map(to_timestamp),
                currency_code: row.try_get(13)?,
            })
        })
        .collect::<sqlx::Result<_>>()
        .map_err(ApiError::from)
    }

    /// What happens next to a customer, and when.
    pub async fn preview(&self, customer_id: &str) -> Result<pb::DunningPreview, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let (version, policy) = crate::policy::active_policy(&mut conn).await?;
        let profile = store::customer(&mut conn, customer_id)
            .await?
            .unwrap_or_default();
        let today = day_of(self.clock.now());
        let strategy = policy.strategy(&profile.segment, &profile.risk_class);
        let mut plans = Vec::new();
        for (_, currency) in dunned(&mut conn, customer_id).await? {
            let items = open_items(&mut conn, customer_id, &currency).await?;
            let Some(anchor) = items.first().cloned() else {
                continue;
            };
            let digits = digits_of(&currency);
            let last = state(&mut conn, customer_id, &currency)
                .await?
                .filter(|(anchor_id, _, _)| *anchor_id == anchor.document_id);
            let done = last.as_ref().map(|(_, index, _)| *index);
            plans.push(pb::DunningPlan {
                currency_code: currency.clone(),
                strategy: strategy.name.clone(),
                anchor_document_id: anchor.document_id.clone(),
                anchor_due_date: date_of_day(anchor.due_day),
                last_step_code: last.map(|(_, _, code)| code).unwrap_or_default(),
                open_amount: from_minor(items.iter().map(|i| i.open).sum(), digits),
                overdue_amount: from_minor(
                    items
                        .iter()
                        .filter(|i| i.due_day < today)
                        .map(|i| i.open)
                        .sum(),
                    digits,
                ),
                next_steps: upcoming(&strategy.steps, anchor.due_day, done)
                    .into_iter()
                    .map(|(index, day)| {
                        let step = &strategy.steps[index];
                        pb::PlannedStep {
                            step_code: step.code.clone(),
                            // A step whose day passed comes at the next run.
                            date: date_of_day(day.max(today)),
                            channel: serde_json::to_value(step.channel)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default(),
                            consequence: serde_json::to_value(step.consequence)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default(),
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
