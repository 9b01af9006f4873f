//! Payment plans: instalments over chosen open invoices. While a plan is kept, dunning leaves
//! its invoices alone; what the invoices lose of their open amount since it was agreed is what
//! was paid, counted towards the earliest instalments first. A missed instalment (past its day
//! plus the grace days) breaches the plan — an event scoring's payment behaviour counts — and
//! dunning resumes; once nothing it covers is open, it is completed.
use crate::domain::ledger::{digits_of, from_minor, positive_minor};
use crate::domain::plans::{Instalment, Standing, check_schedule, standing};
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, SharedClock, date_of_day, day_of, parse_date, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::Currency;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent};
use credit_proto::collections as pb;
use serde_json::json;
use sqlx::AnyConnection;

/// The instalments of a stored plan in minor units.
fn schedule(plan: &pb::PaymentPlan) -> Result<Vec<Instalment>, ApiError> {
    let currency = Currency::from_code(&plan.currency_code)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored currency invalid")))?;
    plan.instalments
        .iter()
        .map(|i| {
            Ok(Instalment {
                due_day: parse_date(&i.due_date).ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("stored instalment date invalid"))
                })?,
                amount: positive_minor(&i.amount, &currency, "amount").map_err(|p| {
                    ApiError::Internal(anyhow::anyhow!("stored instalment: {}", p.message))
                })?,
            })
        })
        .collect()
}

/// Brings `plan` up to date on `today` (paid amounts, instalment states); answers how it
/// stands.
async fn refresh(
    conn: &mut AnyConnection,
    plan: &mut pb::PaymentPlan,
    total: i64,
    today: i64,
) -> Result<Standing, ApiError> {
    let grace_days = i64::from(plan.grace_days);
    let open = store::plan_outstanding(conn, &plan.plan_id).await?;
    let paid = total - open;
    let digits = digits_of(&plan.currency_code);
    let (now, each) = standing(&schedule(plan)?, paid, open, today, grace_days);
    plan.paid_amount = from_minor(paid.max(0), digits);
    for (instalment, s) in plan.instalments.iter_mut().zip(each) {
        instalment.paid_amount = from_minor(s.paid, digits);
        instalment.state = s.state.into();
    }
    Ok(now)
}

/// Reviews the customer's active plans on `now`'s day: completed or breached ones end, each
/// said on the feed (in the caller's transaction). Answers how many ended.
pub async fn review(
    conn: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    customer_id: &str,
) -> Result<usize, ApiError> {
    let active = store::active_plans(&mut *conn, customer_id).await?;
    let mut ended = 0;
    for store::StoredPlan { total, mut plan } in active {
        let standing = refresh(conn, &mut plan, total, day_of(now)).await?;
        let event_type = match standing {
            Standing::Active => continue,
            Standing::Completed => {
                plan.state = "COMPLETED".into();
                "credit.collections.payment_plan.completed"
            }
            Standing::Breached(day) => {
                plan.state = "BREACHED".into();
                plan.breached_instalment_date = date_of_day(day);
                "credit.collections.payment_plan.breached"
            }
        };
        plan.end_time = Some(to_timestamp(now));
        store::end_plan(&mut *conn, &plan, now).await?;
        outbox::append(
            conn,
            context,
            now,
            NewEvent {
                event_type,
                entity_type: "payment_plan",
                entity_id: plan.plan_id.clone(),
                customer_id: customer_id.to_string(),
                payload: json!({
                    "currency_code": plan.currency_code,
                    "total_amount": plan.total_amount,
                    "paid_amount": plan.paid_amount,
                    "breached_instalment_date": plan.breached_instalment_date,
                    "invoice_ids": plan.invoice_ids,
                }),
            },
        )
        .await?;
        ended += 1;
    }
    if ended > 0 {
        crate::app::behaviour::review(conn, context, now, customer_id).await?;
    }
    Ok(ended)
}

/// The payment plan use cases.
#[derive(Clone)]
pub struct Plans {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
}

impl Plans {
    /// Plans over `db`.
    pub fn new(db: Db, clock: SharedClock, signals: FeedSignals) -> Self {
        Self { db, clock, signals }
    }

    /// Agrees a plan.
    pub async fn create(
        &self,
        context: &RequestContext,
        request: &pb::CreatePaymentPlanRequest,
    ) -> Result<pb::PaymentPlan, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "CreatePaymentPlan",
            request
        );
        let today = day_of(m.now);
        let mut currency: Option<String> = None;
        let mut total = 0;
        for (i, invoice_id) in request.invoice_ids.iter().enumerate() {
            let field = format!("invoice_ids[{i}]");
            let invoice = store::document(&mut m.tx, invoice_id)
                .await?
                .filter(|d| d.kind.is_receivable() && d.customer_id == request.customer_id)
                .ok_or_else(|| {
                    ApiError::from(FieldViolation::new(
                        &field,
                        format!("no invoice {invoice_id} of {}", request.customer_id),
                    ))
                })?;
            if invoice.open_amount <= 0 {
                return Err(FieldViolation::new(&field, "nothing open on it").into());
            }
            if currency.get_or_insert(invoice.currency.clone()) != &invoice.currency {
                return Err(FieldViolation::new(&field, "the invoices share one currency").into());
            }
            let planned = store::active_plan_of_invoice(&mut m.tx, invoice_id).await?;
            if let Some(plan_id) = planned {
                return Err(ApiError::StateConflict(format!(
                    "{invoice_id} is already in active payment plan {plan_id}"
                )));
            }
            total += invoice.open_amount;
        }
        let currency = currency.unwrap_or_default();
        let digits = digits_of(&currency);
        let code = Currency::from_code(&currency)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored currency invalid")))?;
        let mut instalments = Vec::new();
        for (i, sent) in request.instalments.iter().enumerate() {
            let due_day = parse_date(&sent.due_date).ok_or_else(|| {
                ApiError::from(FieldViolation::new(
                    format!("instalments[{i}].due_date"),
                    "a date YYYY-MM-DD",
                ))
            })?;
            let amount = positive_minor(&sent.amount, &code, &format!("instalments[{i}].amount"))
                .map_err(|p| FieldViolation::new(p.field, p.message))?;
            instalments.push(Instalment { due_day, amount });
        }
        check_schedule(&instalments, total, today)
            .map_err(|(field, message)| FieldViolation::new(field, message))?;
        let mut plan = pb::PaymentPlan {
            plan_id: uuid::Uuid::now_v7().to_string(),
            customer_id: request.customer_id.clone(),
            currency_code: currency.clone(),
            invoice_ids: request.invoice_ids.clone(),
            instalments: instalments
                .iter()
                .map(|i| pb::Instalment {
                    due_date: date_of_day(i.due_day),
                    amount: from_minor(i.amount, digits),
                    ..Default::default()
                })
                .collect(),
            total_amount: from_minor(total, digits),
            grace_days: request.grace_days,
            state: "ACTIVE".into(),
            note: request.note.trim().to_string(),
            created_by: context.caller.subject.clone(),
            create_time: Some(to_timestamp(m.now)),
            ..Default::default()
        };
        store::insert_plan(&mut m.tx, &plan, &currency, total, m.now).await?;
        refresh(&mut m.tx, &mut plan, total, today).await?;
        store::save_plan_body(&mut m.tx, &plan).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.collections.payment_plan.created",
                entity_type: "payment_plan",
                entity_id: plan.plan_id.clone(),
                customer_id: plan.customer_id.clone(),
                payload: json!({
                    "currency_code": currency,
                    "total_amount": plan.total_amount,
                    "invoice_ids": plan.invoice_ids,
                    "instalments": plan.instalments.iter()
                        .map(|i| json!({"due_date": i.due_date, "amount": i.amount}))
                        .collect::<Vec<_>>(),
                    "grace_days": plan.grace_days,
                }),
            },
        )
        .await?;
        mutation::finish(&self.signals, m, &plan).await?;
        Ok(plan)
    }

    /// A customer's plans, newest first; active ones brought up to date.
    pub async fn list(&self, customer_id: &str) -> Result<Vec<pb::PaymentPlan>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let today = day_of(self.clock.now());
        let rows = store::plans_of(&mut conn, customer_id).await?;
        let mut plans = Vec::new();
        for store::StoredPlan { total, mut plan } in rows {
            if plan.state == "ACTIVE" {
                refresh(&mut conn, &mut plan, total, today).await?;
            }
            plans.push(plan);
        }
        Ok(plans)
    }

    /// Reviews every active plan; answers how many ended.
    pub async fn sweep(&self) -> Result<usize, ApiError> {
        crate::app::sweeps::review_customers(
            &self.db,
            &self.clock,
            &self.signals,
            |conn| Box::pin(store::customers_with_active_plans(conn)),
            "payment-plans",
            |tx, context, now, customer| Box::pin(review(tx, context, now, customer)),
        )
        .await
    }
}
