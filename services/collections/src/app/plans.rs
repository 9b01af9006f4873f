//! Payment plans: instalments over chosen open invoices. While a plan is kept, dunning leaves
//! its invoices alone; what the invoices lose of their open amount since it was agreed is what
//! was paid, counted towards the earliest instalments first. A missed instalment (past its day
//! plus the grace days) breaches the plan — an event scoring's payment behaviour counts — and
//! dunning resumes; once nothing it covers is open, it is completed.
use crate::convert;
use crate::domain::ledger::positive_amount_in;
use crate::domain::plans::{
    Instalment, InstalmentState, PaymentPlan, PlanState, PlannedInstalment, Standing,
    check_schedule,
};
use crate::store;
use credit_platform::begin_mutation;
use credit_platform::calendar;
use credit_platform::clock::{Micros, SharedClock, day_of};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::Currency;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent, Payload};
use credit_platform::paging::PageRequest;
use credit_proto::collections as pb;
use credit_proto::wire;
use sqlx::AnyConnection;

/// Brings `plan` up to date on `today` from what its invoices still have open; answers how it
/// stands.
async fn refresh(
    conn: &mut AnyConnection,
    plan: &mut PaymentPlan,
    today: i64,
) -> Result<Standing, ApiError> {
    let open = store::plan_outstanding(conn, &plan.plan_id).await?;
    Ok(plan.review(open, today))
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
    for mut plan in active {
        let standing = refresh(conn, &mut plan, day_of(now)).await?;
        let event_type = match plan.end(&standing, now)? {
            None => continue,
            Some(PlanState::Breached) => "credit.collections.payment_plan.breached",
            Some(_) => "credit.collections.payment_plan.completed",
        };
        store::end_plan(&mut *conn, &plan).await?;
        outbox::append(
            conn,
            context,
            now,
            NewEvent {
                event_type,
                entity_type: "payment_plan",
                entity_id: plan.plan_id.clone(),
                customer_id: customer_id.to_string(),
                payload: Payload::of(&pb::PaymentPlanEnded {
                    state: wire::<pb::PaymentPlanState>(plan.state.name()),
                    total_amount: Some(convert::money(plan.total, &plan.currency)),
                    paid_amount: Some(convert::money(plan.paid, &plan.currency)),
                    breached_instalment_date: calendar::optional_date(plan.breached_day),
                    invoice_ids: plan.invoice_ids.clone(),
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
        let code = Currency::from_code(&currency)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored currency invalid")))?;
        let mut instalments = Vec::new();
        for (i, sent) in request.instalments.iter().enumerate() {
            let due_day = calendar::required_day(
                &format!("instalments[{i}].due_date"),
                sent.due_date.as_ref(),
            )?;
            let money = sent.amount.clone().unwrap_or_default();
            let amount = positive_amount_in(
                &money.amount,
                &money.currency_code,
                &code,
                &format!("instalments[{i}].amount"),
                "the invoices' currency",
            )
            .map_err(FieldViolation::from)?;
            instalments.push(Instalment { due_day, amount });
        }
        check_schedule(&instalments, total, today)
            .map_err(|(field, message)| FieldViolation::new(field, message))?;
        let mut plan = PaymentPlan {
            plan_id: uuid::Uuid::now_v7().to_string(),
            customer_id: request.customer_id.clone(),
            currency: currency.clone(),
            invoice_ids: request.invoice_ids.clone(),
            instalments: instalments
                .iter()
                .map(|i| PlannedInstalment {
                    due_day: i.due_day,
                    amount: i.amount,
                    paid: 0,
                    state: InstalmentState::Due,
                })
                .collect(),
            total,
            paid: 0,
            grace_days: request.grace_days,
            state: PlanState::Active,
            breached_day: None,
            note: request.note.trim().to_string(),
            created_by: context.caller.subject.clone(),
            created_at: m.now,
            ended_at: None,
        };
        store::insert_plan(&mut m.tx, &plan).await?;
        refresh(&mut m.tx, &mut plan, today).await?;
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
                payload: Payload::of(&pb::PaymentPlanCreated {
                    total_amount: Some(convert::money(plan.total, &currency)),
                    invoice_ids: plan.invoice_ids.clone(),
                    instalments: plan
                        .instalments
                        .iter()
                        .map(|i| pb::AgreedInstalment {
                            due_date: Some(calendar::date(i.due_day)),
                            amount: Some(convert::money(i.amount, &currency)),
                        })
                        .collect(),
                    grace_days: i64::from(plan.grace_days),
                }),
            },
        )
        .await?;
        let answer = convert::payment_plan(&plan);
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    /// A customer's plans, newest first; active ones brought up to date.
    pub async fn list(
        &self,
        customer_id: &str,
        page: &PageRequest,
    ) -> Result<pb::ListPaymentPlansResponse, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let today = day_of(self.clock.now());
        let mut rows = store::plans_of(&mut conn, customer_id, &page.after, page.fetch()).await?;
        let next_page_token = page.finish(&mut rows, |p| p.plan_id.clone());
        let mut payment_plans = Vec::new();
        for mut plan in rows {
            if plan.state == PlanState::Active {
                refresh(&mut conn, &mut plan, today).await?;
            }
            payment_plans.push(convert::payment_plan(&plan));
        }
        Ok(pb::ListPaymentPlansResponse {
            payment_plans,
            next_page_token,
        })
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
