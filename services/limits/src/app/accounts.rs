//! Credit accounts and their limits.
use super::{Limits, account_not_found, decode_page_token, encode_page_token};
use crate::convert;
use crate::domain::exposure::Exposure;
use crate::domain::limit::CreditLimit;
use crate::store::accounts::{self, AccountFilter, AccountRow, LimitChange, MAX_GROUP_DEPTH};
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::money::Currency;
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_platform::scope::{self, CustomerScope, DataScope};
use credit_proto::limits as pb;
use rust_decimal::Decimal;

/// A validated new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// ERP id.
    pub customer_id: String,
    pub name: String,
    pub currency: Currency,
    pub segment: String,
    pub region: String,
    /// Business unit.
    pub business_unit: String,
    /// Parent, when in a group.
    pub parent_customer_id: Option<String>,
}

/// Validated changes to an account's descriptive fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    /// New name.
    pub name: Option<String>,
    /// New segment.
    pub segment: Option<String>,
    /// New region.
    pub region: Option<String>,
    /// New business unit.
    pub business_unit: Option<String>,
    /// New parent (`Some(None)` leaves the group).
    pub parent_customer_id: Option<Option<String>>,
}

/// A validated account list query.
#[derive(Debug, Clone, Default)]
pub struct AccountQuery {
    /// Store filters.
    pub filter: AccountFilter,
    /// Minimum utilisation, when set.
    pub min_utilisation: Option<Decimal>,
    /// Page size.
    pub page_size: i64,
    /// Page token.
    pub page_token: String,
}

/// The account, when it exists and `scope` sees it (NOT_FOUND otherwise, alike).
pub(crate) async fn visible(
    conn: &mut sqlx::AnyConnection,
    scope: &DataScope,
    customer_id: &str,
) -> Result<AccountRow, ApiError> {
    accounts::get(conn, customer_id)
        .await?
        .filter(|row| scope.admits(&row.region, &row.business_unit))
        .ok_or_else(|| account_not_found(customer_id.to_string()))
}

/// The account's place in the organisation, which data scopes filter by.
fn place_of(row: &AccountRow) -> CustomerScope {
    CustomerScope {
        region: row.region.clone(),
        business_unit: row.business_unit.clone(),
    }
}

fn account_event(event_type: &'static str, row: &AccountRow) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: "credit_account",
        entity_id: row.customer_id.clone(),
        customer_id: row.customer_id.clone(),
        payload: Payload::of(&pb::CreditAccountChanged {
            customer_id: row.customer_id.clone(),
            name: row.name.clone(),
            currency_code: row.currency_code.clone(),
            segment: row.segment.clone(),
            region: row.region.clone(),
            business_unit: row.business_unit.clone(),
            parent_customer_id: row.parent_customer_id.clone().unwrap_or_default(),
        }),
    }
}

impl Limits {
    /// The wire form of an account with its exposure now.
    pub(crate) async fn account_view(
        &self,
        conn: &mut sqlx::AnyConnection,
        row: &AccountRow,
    ) -> Result<pb::CreditAccount, ApiError> {
        let rule = accounts::counting_of(conn, row).await?;
        Ok(convert::account(row, &rule, self.now()))
    }

    /// Opens an account.
    pub async fn create_account(
        &self,
        context: &RequestContext,
        request: &pb::CreateCreditAccountRequest,
        new: NewAccount,
    ) -> Result<pb::CreditAccount, ApiError> {
        context
            .caller
            .scope
            .must_admit(&new.customer_id, &new.region, &new.business_unit)?;
        let mut m = begin_mutation!(self, context, "CreateCreditAccount", request);
        if accounts::get(&mut m.tx, &new.customer_id).await?.is_some() {
            return Err(ApiError::AlreadyExists {
                kind: "credit account",
                id: new.customer_id,
            });
        }
        if let Some(parent_id) = &new.parent_customer_id {
            let chain = accounts::lock_chain(&mut m.tx, self.backend(), parent_id)
                .await?
                .ok_or_else(|| {
                    FieldViolation::new(
                        "credit_account.parent_customer_id",
                        format!("no credit account '{parent_id}'"),
                    )
                })?;
            check_group_fits(&chain, new.currency.code(), 0)?;
        }
        let row = AccountRow {
            customer_id: new.customer_id,
            name: new.name,
            currency_code: new.currency.code().to_string(),
            segment: new.segment,
            region: new.region,
            business_unit: new.business_unit,
            parent_customer_id: new.parent_customer_id,
            credit_limit: CreditLimit::default(),
            counting_bits: None,
            active_holds: 0,
            own_exposure: Exposure::default(),
            group_exposure: Exposure::default(),
            created_at: m.now,
            updated_at: m.now,
        };
        accounts::insert(&mut m.tx, &row).await?;
        scope::record(&mut m.tx, &row.customer_id, &place_of(&row), m.now).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            account_event("credit.limits.credit_account.created", &row),
        )
        .await?;
        let answer = self.account_view(&mut m.tx, &row).await?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Changes descriptive fields, moving the account's group exposure when its parent changes.
    pub async fn update_account(
        &self,
        context: &RequestContext,
        request: &pb::UpdateCreditAccountRequest,
        customer_id: &str,
        changes: AccountChanges,
    ) -> Result<pb::CreditAccount, ApiError> {
        let mut m = begin_mutation!(self, context, "UpdateCreditAccount", request);
        let backend = self.backend();
        let mut old_chain = self
            .locked_chain(&mut m.tx, &context.caller.scope, customer_id)
            .await?;
        let mut row = old_chain[0].clone();
        if let Some(name) = changes.name {
            row.name = name;
        }
        if let Some(segment) = changes.segment {
            row.segment = segment;
        }
        if let Some(region) = changes.region {
            row.region = region;
        }
        if let Some(business_unit) = changes.business_unit {
            row.business_unit = business_unit;
        }
        // Moved out of the caller's scope, it would be lost to them: only a wider scope moves it.
        super::in_scope(&context.caller.scope, &row)?;
        row.updated_at = m.now;
        if let Some(new_parent) = changes.parent_customer_id
            && new_parent != row.parent_customer_id
        {
            // Take the subtree's exposure out of the old ancestors...
            let subtree = row.group_exposure;
            let mut negated = Exposure::default();
            negated.add_all(&subtree, -Decimal::ONE);
            for ancestor in old_chain.iter_mut().skip(1) {
                ancestor.group_exposure.add_all(&negated, Decimal::ONE);
                self.write_group_exposure(&mut m.tx, ancestor, m.now)
                    .await?;
            }
            // ...and put it into the new ones.
            if let Some(parent_id) = &new_parent {
                let mut new_chain = accounts::lock_chain(&mut m.tx, backend, parent_id)
                    .await?
                    .ok_or_else(|| {
                        FieldViolation::new(
                            "credit_account.parent_customer_id",
                            format!("no credit account '{parent_id}'"),
                        )
                    })?;
                if new_chain.iter().any(|a| a.customer_id == row.customer_id) {
                    return Err(ApiError::RuleViolation {
                        reason: "GROUP_CYCLE",
                        message: format!(
                            "'{parent_id}' is inside the group of '{}'",
                            row.customer_id
                        ),
                    });
                }
                let height = self.subtree_height(&mut m.tx, &row.customer_id).await?;
                check_group_fits(&new_chain, &row.currency_code, height)?;
                for ancestor in new_chain.iter_mut() {
                    ancestor.group_exposure.add_all(&subtree, Decimal::ONE);
                    self.write_group_exposure(&mut m.tx, ancestor, m.now)
                        .await?;
                }
            }
            row.parent_customer_id = new_parent;
        }
        accounts::update_settings(&mut m.tx, &row).await?;
        scope::record(&mut m.tx, &row.customer_id, &place_of(&row), m.now).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            account_event("credit.limits.credit_account.updated", &row),
        )
        .await?;
        let answer = self.account_view(&mut m.tx, &row).await?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    async fn write_group_exposure(
        &self,
        conn: &mut sqlx::AnyConnection,
        account: &mut AccountRow,
        at: i64,
    ) -> Result<(), ApiError> {
        account.updated_at = at;
        accounts::update_group_exposure(conn, account).await?;
        accounts::record_history(conn, account, at, "group_changed").await?;
        Ok(())
    }

    /// Levels below `customer_id` (0 for an account without children).
    async fn subtree_height(
        &self,
        conn: &mut sqlx::AnyConnection,
        customer_id: &str,
    ) -> Result<usize, ApiError> {
        let mut frontier = vec![customer_id.to_string()];
        let mut height = 0;
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for parent in &frontier {
                let filter = AccountFilter {
                    parent_customer_id: Some(parent.clone()),
                    ..AccountFilter::default()
                };
                next.extend(
                    accounts::list(conn, &filter, "", 10_000)
                        .await?
                        .into_iter()
                        .map(|a| a.customer_id),
                );
            }
            if next.is_empty() {
                break;
            }
            height += 1;
            if height > MAX_GROUP_DEPTH {
                break;
            }
            frontier = next;
        }
        Ok(height)
    }

    /// One account, when `scope` sees it.
    pub async fn get_account(
        &self,
        scope: &DataScope,
        customer_id: &str,
    ) -> Result<pb::CreditAccount, ApiError> {
        let mut tx = self.read().await?;
        let row = visible(&mut tx, scope, customer_id).await?;
        self.account_view(&mut tx, &row).await
    }

    /// A page of accounts.
    pub async fn list_accounts(
        &self,
        query: AccountQuery,
    ) -> Result<pb::ListCreditAccountsResponse, ApiError> {
        let mut tx = self.read().await?;
        let mut after = decode_page_token(&query.page_token)?;
        let mut page = Vec::new();
        let fetch = query.page_size * 2;
        // Utilisation depends on time (temporary limits expire), so it is filtered here, reading
        // on until the page is full or the accounts run out.
        loop {
            let batch = accounts::list(&mut tx, &query.filter, &after, fetch).await?;
            let exhausted = (batch.len() as i64) < fetch;
            for row in batch {
                after = row.customer_id.clone();
                let view = self.account_view(&mut tx, &row).await?;
                let keep = query.min_utilisation.is_none_or(|min| {
                    view.exposure
                        .as_ref()
                        .and_then(|e| e.utilisation.parse::<Decimal>().ok())
                        .is_some_and(|u| u >= min)
                });
                if keep {
                    page.push(view);
                    if page.len() as i64 == query.page_size {
                        return Ok(pb::ListCreditAccountsResponse {
                            credit_accounts: page,
                            next_page_token: encode_page_token(&after),
                        });
                    }
                }
            }
            if exhausted {
                return Ok(pb::ListCreditAccountsResponse {
                    credit_accounts: page,
                    next_page_token: String::new(),
                });
            }
        }
    }

    /// Sets an account's limit, recording the change.
    pub async fn set_limit(
        &self,
        context: &RequestContext,
        request: &pb::SetCreditLimitRequest,
        customer_id: &str,
        limit: CreditLimit,
        currency_of_amounts: Option<&str>,
    ) -> Result<pb::CreditAccount, ApiError> {
        let mut m = begin_mutation!(self, context, "SetCreditLimit", request);
        let chain = self
            .locked_chain(&mut m.tx, &context.caller.scope, customer_id)
            .await?;
        let mut row = chain[0].clone();
        if let Some(code) = currency_of_amounts
            && code != row.currency_code
        {
            return Err(FieldViolation::new(
                "credit_limit.amount.currency_code",
                format!("limits are in the account currency {}", row.currency_code),
            )
            .into());
        }
        let change = LimitChange {
            change_id: uuid::Uuid::now_v7().to_string(),
            customer_id: row.customer_id.clone(),
            before: row.credit_limit.clone(),
            after: limit.clone(),
            actor_subject: context.caller.subject.clone(),
            reason: request.reason.clone(),
            changed_at: m.now,
            approved_by: request.approved_by.clone(),
            approval_reference: request.approval_reference.clone(),
        };
        row.credit_limit = limit;
        row.updated_at = m.now;
        accounts::update_settings(&mut m.tx, &row).await?;
        accounts::insert_limit_change(&mut m.tx, &change).await?;
        let event = NewEvent {
            event_type: "credit.limits.credit_limit.changed",
            entity_type: "credit_account",
            entity_id: row.customer_id.clone(),
            customer_id: row.customer_id.clone(),
            payload: Payload::of(&pb::CreditLimitChanged {
                change_id: change.change_id.clone(),
                before: Some(convert::credit_limit(&change.before, &row.currency_code)),
                after: Some(convert::credit_limit(&change.after, &row.currency_code)),
                reason: change.reason.clone(),
                approved_by: change.approved_by.clone(),
                approval_reference: change.approval_reference.clone(),
            }),
        };
        outbox::append(&mut m.tx, context, m.now, event).await?;
        let answer = self.account_view(&mut m.tx, &row).await?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// A page of limit changes, newest first.
    pub async fn list_limit_changes(
        &self,
        customer_id: &str,
        scope: &DataScope,
        page_size: i64,
        page_token: &str,
    ) -> Result<pb::ListCreditLimitChangesResponse, ApiError> {
        let mut tx = self.read().await?;
        let account = visible(&mut tx, scope, customer_id).await?;
        let position = decode_page_token(page_token)?;
        let before_id = if position.is_empty() {
            None
        } else {
            Some(position.parse::<i64>().map_err(|_| {
                FieldViolation::new("page_token", "not a token from a previous page")
            })?)
        };
        let rows =
            accounts::list_limit_changes(&mut tx, customer_id, before_id, page_size + 1).await?;
        let more = rows.len() as i64 > page_size;
        let rows: Vec<_> = rows.into_iter().take(page_size as usize).collect();
        let next_page_token = match (more, rows.last()) {
            (true, Some((id, _))) => encode_page_token(&id.to_string()),
            _ => String::new(),
        };
        let currency = account.currency_code.as_str();
        Ok(pb::ListCreditLimitChangesResponse {
            credit_limit_changes: rows
                .into_iter()
                .map(|(_, c)| pb::CreditLimitChange {
                    change_id: c.change_id,
                    customer_id: c.customer_id,
                    before: Some(convert::credit_limit(&c.before, currency)),
                    after: Some(convert::credit_limit(&c.after, currency)),
                    actor_subject: c.actor_subject,
                    reason: c.reason,
                    change_time: Some(credit_platform::clock::to_timestamp(c.changed_at)),
                    approved_by: c.approved_by,
                    approval_reference: c.approval_reference,
                })
                .collect(),
            next_page_token,
        })
    }
}

/// A group shares one currency (its exposure is summed) and has a bounded depth.
fn check_group_fits(
    parent_chain: &[AccountRow],
    currency: &str,
    subtree_height: usize,
) -> Result<(), ApiError> {
    if let Some(parent) = parent_chain.first()
        && parent.currency_code != currency
    {
        return Err(ApiError::RuleViolation {
            reason: "GROUP_CURRENCY_MISMATCH",
            message: format!(
                "a corporate group shares one currency: '{}' is in {}, not {currency}",
                parent.customer_id, parent.currency_code
            ),
        });
    }
    if parent_chain.len() + 1 + subtree_height > MAX_GROUP_DEPTH {
        return Err(ApiError::RuleViolation {
            reason: "GROUP_TOO_DEEP",
            message: format!("a corporate group has at most {MAX_GROUP_DEPTH} levels"),
        });
    }
    Ok(())
}
