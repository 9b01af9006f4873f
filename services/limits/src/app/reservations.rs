//! Reservation draw-down, release and expiry. A reservation resolves (captured, released,
//! expired) at most once; amounts only move between exposure categories, never above what was
//! reserved.
use super::{Limits, account_not_found};
use crate::convert;
use crate::domain::exposure::{Category, Exposure};
use crate::store::accounts::{self, AccountRow};
use crate::store::documents::{self, ExposureDocument};
use crate::store::reservations::{self, Reservation, ReservationState};
use credit_platform::clock::Micros;
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::Money;
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_proto::limits as pb;
use rust_decimal::Decimal;
use sqlx::AnyConnection;

/// A reservation event: `change` says what moved (`reservation` is filled in here).
fn reservation_event(
    event_type: &'static str,
    r: &Reservation,
    currency: &str,
    change: pb::ReservationChanged,
) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: "reservation",
        entity_id: r.reservation_id.clone(),
        customer_id: r.customer_id.clone(),
        payload: Payload::of(&pb::ReservationChanged {
            reservation: Some(convert::reservation(r, currency)),
            ..change
        }),
    }
}

/// The event of a reservation that expired.
pub(crate) fn expired_event(r: &Reservation, currency: &str) -> NewEvent {
    reservation_event(
        "credit.limits.reservation.expired",
        r,
        currency,
        pb::ReservationChanged::default(),
    )
}

/// What a draw-down of `amount` moved.
fn moved(amount: Decimal, currency: &str) -> pb::ReservationChanged {
    pb::ReservationChanged {
        moved_amount: Some(convert::money(amount, currency)),
        ..Default::default()
    }
}

/// Which draw-down.
enum DrawDown<'a> {
    Ship(Decimal),
    Invoice {
        amount: Decimal,
        document_id: &'a str,
        due_at: Option<Micros>,
    },
    Release {
        reason: &'a str,
    },
}

impl Limits {
    /// One reservation.
    pub async fn get_reservation(&self, reservation_id: &str) -> Result<pb::Reservation, ApiError> {
        let mut tx = self.read().await?;
        let r = reservations::get(&mut tx, reservation_id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                kind: "reservation",
                id: reservation_id.to_string(),
            })?;
        let account = accounts::get(&mut tx, &r.customer_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("reservation {reservation_id} without account"))?;
        Ok(convert::reservation(&r, &account.currency_code))
    }

    /// Moves `amount` from reserved to delivered-not-invoiced.
    pub async fn ship_reservation(
        &self,
        context: &RequestContext,
        request: &pb::ShipReservationRequest,
        amount: Money,
    ) -> Result<pb::Reservation, ApiError> {
        self.draw_down(
            context,
            "ShipReservation",
            request,
            &request.reservation_id,
            Some(amount),
            DrawDown::Ship(amount.amount),
        )
        .await
    }

    /// The open reservation of a sales order, with its account's currency.
    pub async fn open_reservation_of_order(
        &self,
        customer_id: &str,
        order_id: &str,
    ) -> Result<Option<(String, String)>, ApiError> {
        let mut tx = self.read().await?;
        let Some(account) = accounts::get(&mut tx, customer_id).await? else {
            return Err(account_not_found(customer_id));
        };
        Ok(reservations::open_for_order(&mut tx, customer_id, order_id)
            .await?
            .map(|r| (r.reservation_id, account.currency_code)))
    }

    /// Moves `amount` (delivered first, then reserved) into open receivables under `document_id`.
    pub async fn invoice_reservation(
        &self,
        context: &RequestContext,
        request: &pb::InvoiceReservationRequest,
        amount: Money,
        due_at: Option<Micros>,
    ) -> Result<pb::Reservation, ApiError> {
        let draw = DrawDown::Invoice {
            amount: amount.amount,
            document_id: &request.document_id,
            due_at,
        };
        self.draw_down(
            context,
            "InvoiceReservation",
            request,
            &request.reservation_id,
            Some(amount),
            draw,
        )
        .await
    }

    /// Releases what is still reserved.
    pub async fn release_reservation(
        &self,
        context: &RequestContext,
        request: &pb::ReleaseReservationRequest,
    ) -> Result<pb::Reservation, ApiError> {
        let draw = DrawDown::Release {
            reason: &request.reason,
        };
        self.draw_down(
            context,
            "ReleaseReservation",
            request,
            &request.reservation_id,
            None,
            draw,
        )
        .await
    }

    async fn draw_down<R: prost::Message>(
        &self,
        context: &RequestContext,
        method: &'static str,
        request: &R,
        reservation_id: &str,
        amount: Option<Money>,
        draw: DrawDown<'_>,
    ) -> Result<pb::Reservation, ApiError> {
        let mut m = begin_mutation!(self, context, method, request);
        let now = m.now;
        let customer_id = reservations::get(&mut m.tx, reservation_id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                kind: "reservation",
                id: reservation_id.to_string(),
            })?
            .customer_id;
        let mut chain = accounts::lock_chain(&mut m.tx, self.backend(), &customer_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("reservation {reservation_id} without account"))?;
        super::in_scope(&context.caller.scope, &chain[0])?;
        self.expire_due(&mut m.tx, &mut chain, now).await?;
        // Read again under the chain lock: the state may have changed meanwhile.
        let mut r = reservations::get_for_update(&mut m.tx, self.backend(), reservation_id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                kind: "reservation",
                id: reservation_id.to_string(),
            })?;
        let currency = chain[0].currency_code.clone();
        if let Some(amount) = amount
            && amount.currency.code() != currency
        {
            return Err(FieldViolation::new(
                "amount.currency_code",
                format!("reservation amounts are in the account currency {currency}"),
            )
            .into());
        }
        let mut delta = Exposure::default();
        let event = match draw {
            DrawDown::Ship(x) => {
                require_open(&r)?;
                if x > r.open_amount {
                    return Err(over_amount("amount.amount", x, "open", r.open_amount));
                }
                r.open_amount -= x;
                r.delivered_amount += x;
                delta.add(Category::ReservedOrders, -x);
                delta.add(Category::DeliveredNotInvoiced, x);
                reservation_event(
                    "credit.limits.reservation.shipped",
                    &r,
                    &currency,
                    moved(x, &currency),
                )
            }
            DrawDown::Invoice {
                amount: x,
                document_id,
                due_at,
            } => {
                // After a release or expiry, goods already shipped can still be invoiced.
                let invoiceable = match r.state {
                    ReservationState::Open => r.delivered_amount + r.open_amount,
                    ReservationState::Released | ReservationState::Expired => r.delivered_amount,
                    ReservationState::Captured => Decimal::ZERO,
                };
                if r.state == ReservationState::Captured {
                    return Err(ApiError::StateConflict(format!(
                        "reservation {reservation_id} is already captured"
                    )));
                }
                if x > invoiceable {
                    return Err(over_amount(
                        "amount.amount",
                        x,
                        "delivered plus open",
                        invoiceable,
                    ));
                }
                let from_delivered = x.min(r.delivered_amount);
                let from_open = x - from_delivered;
                r.delivered_amount -= from_delivered;
                r.open_amount -= from_open;
                r.invoiced_amount += x;
                delta.add(Category::DeliveredNotInvoiced, -from_delivered);
                delta.add(Category::ReservedOrders, -from_open);
                // When the ERP already posted this invoice, the receivable is counted already.
                let posted = documents::get(
                    &mut m.tx,
                    &customer_id,
                    Category::OpenReceivables,
                    document_id,
                )
                .await?;
                if posted.is_none() {
                    documents::upsert(
                        &mut m.tx,
                        &ExposureDocument {
                            customer_id: customer_id.clone(),
                            category: Category::OpenReceivables,
                            document_id: document_id.to_string(),
                            open_amount: x,
                            posted_amount: x,
                            posted_currency: currency.clone(),
                            fx_rate: None,
                            fx_effective_at: None,
                            due_at,
                            updated_at: now,
                        },
                    )
                    .await?;
                    delta.add(Category::OpenReceivables, x);
                }
                if r.state == ReservationState::Open
                    && r.open_amount.is_zero()
                    && r.delivered_amount.is_zero()
                {
                    r.state = ReservationState::Captured;
                }
                reservation_event(
                    "credit.limits.reservation.invoiced",
                    &r,
                    &currency,
                    pb::ReservationChanged {
                        document_id: document_id.to_string(),
                        ..moved(x, &currency)
                    },
                )
            }
            DrawDown::Release { reason } => {
                require_open(&r)?;
                delta.add(Category::ReservedOrders, -r.open_amount);
                r.open_amount = Decimal::ZERO;
                r.state = ReservationState::Released;
                reservation_event(
                    "credit.limits.reservation.released",
                    &r,
                    &currency,
                    pb::ReservationChanged {
                        reason: reason.to_string(),
                        ..Default::default()
                    },
                )
            }
        };
        r.updated_at = now;
        reservations::update(&mut m.tx, &r).await?;
        accounts::move_exposure(&mut m.tx, &mut chain, &delta, now, method).await?;
        outbox::append(&mut m.tx, context, now, event).await?;
        let answer = convert::reservation(&r, &currency);
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Expires the chain's first account's reservations that are due, inside the caller's
    /// transaction (the chain is locked).
    pub(crate) async fn expire_due(
        &self,
        conn: &mut AnyConnection,
        chain: &mut [AccountRow],
        now: Micros,
    ) -> Result<usize, ApiError> {
        let due = reservations::expired_of_account(conn, &chain[0].customer_id, now).await?;
        let currency = chain[0].currency_code.clone();
        let context = RequestContext::system("reservation-expiry");
        for mut r in due.iter().cloned() {
            let mut delta = Exposure::default();
            delta.add(Category::ReservedOrders, -r.open_amount);
            r.open_amount = Decimal::ZERO;
            r.state = ReservationState::Expired;
            r.updated_at = now;
            reservations::update(conn, &r).await?;
            accounts::move_exposure(conn, chain, &delta, now, "reservation_expired").await?;
            outbox::append(conn, &context, now, expired_event(&r, &currency)).await?;
        }
        Ok(due.len())
    }

    /// Expires every due reservation; returns how many. Run periodically by the service.
    pub async fn sweep_expired(&self) -> Result<usize, ApiError> {
        let now = self.now();
        let customers = {
            let mut tx = self.read().await?;
            reservations::accounts_with_expired(&mut tx, now, 500).await?
        };
        let mut expired = 0;
        for customer_id in customers {
            let mut tx = self.begin_write().await?;
            if let Some(mut chain) =
                accounts::lock_chain(&mut tx, self.backend(), &customer_id).await?
            {
                expired += self.expire_due(&mut tx, &mut chain, now).await?;
            }
            tx.commit().await?;
        }
        if expired > 0 {
            self.signals.notify_committed();
        }
        Ok(expired)
    }
}

fn require_open(r: &Reservation) -> Result<(), ApiError> {
    if r.state == ReservationState::Open {
        Ok(())
    } else {
        Err(ApiError::StateConflict(format!(
            "reservation {} is {} and can no longer change",
            r.reservation_id,
            r.state.as_str().to_lowercase()
        )))
    }
}

fn over_amount(field: &str, asked: Decimal, what: &str, available: Decimal) -> ApiError {
    FieldViolation::new(
        field,
        format!(
            "{} is more than the {what} amount {}",
            asked.normalize(),
            available.normalize()
        ),
    )
    .into()
}
