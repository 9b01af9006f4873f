//! Credit accounts: rows, the locked chain up a corporate group, exposure movements and their
//! history.
use super::{decode_json, json};
use crate::domain::Micros;
use crate::domain::exposure::{Counting, Exposure};
use crate::domain::limit::CreditLimit;
use credit_platform::customer_in_scope;
use credit_platform::db::Backend;
use credit_platform::scope::DataScope;
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// The columns of an [`AccountRow`], in one place for every query (SQL must be static text).
macro_rules! account_columns {
    () => {
        "customer_id, name, currency_code, segment, region, business_unit, parent_customer_id, \
         credit_limit, counting_bits, active_holds, own_exposure, group_exposure, created_at, updated_at"
    };
}

/// Deepest corporate group the service accepts (a guard against runaway chains).
pub const MAX_GROUP_DEPTH: usize = 8;

/// A stored credit account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRow {
    /// ERP customer id.
    pub customer_id: String,
    pub name: String,
    /// ISO 4217 code.
    pub currency_code: String,
    pub segment: String,
    pub region: String,
    /// Business unit.
    pub business_unit: String,
    /// Parent in the group.
    pub parent_customer_id: Option<String>,
    /// Limit as set.
    pub credit_limit: CreditLimit,
    /// Own counting rule, when set.
    pub counting_bits: Option<i64>,
    /// Number of active holds.
    pub active_holds: i64,
    /// Own exposure.
    pub own_exposure: Exposure,
    /// Own plus descendants' exposure.
    pub group_exposure: Exposure,
    pub created_at: Micros,
    /// Last changed.
    pub updated_at: Micros,
}

impl AccountRow {
    pub(crate) fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            customer_id: row.try_get("customer_id")?,
            name: row.try_get("name")?,
            currency_code: row.try_get("currency_code")?,
            segment: row.try_get("segment")?,
            region: row.try_get("region")?,
            business_unit: row.try_get("business_unit")?,
            parent_customer_id: row.try_get("parent_customer_id")?,
            credit_limit: decode_json(&row.try_get::<String, _>("credit_limit")?)?,
            counting_bits: row.try_get("counting_bits")?,
            active_holds: row.try_get("active_holds")?,
            own_exposure: decode_json(&row.try_get::<String, _>("own_exposure")?)?,
            group_exposure: decode_json(&row.try_get::<String, _>("group_exposure")?)?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// Inserts a new account (no limit, no exposure).
pub async fn insert(conn: &mut AnyConnection, account: &AccountRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO credit_accounts (customer_id, name, currency_code, segment, region, business_unit, \
         parent_customer_id, credit_limit, counting_bits, active_holds, own_exposure, group_exposure, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(account.customer_id.clone())
    .bind(account.name.clone())
    .bind(account.currency_code.clone())
    .bind(account.segment.clone())
    .bind(account.region.clone())
    .bind(account.business_unit.clone())
    .bind(account.parent_customer_id.clone())
    .bind(json(&account.credit_limit))
    .bind(account.counting_bits)
    .bind(account.active_holds)
    .bind(json(&account.own_exposure))
    .bind(json(&account.group_exposure))
    .bind(account.created_at)
    .bind(account.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the descriptive fields, limit, counting rule and hold count of `account`.
pub async fn update_settings(conn: &mut AnyConnection, account: &AccountRow) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credit_accounts SET name = $2, segment = $3, region = $4, business_unit = $5, \
         parent_customer_id = $6, credit_limit = $7, counting_bits = $8, active_holds = $9, updated_at = $10 \
         WHERE customer_id = $1",
    )
    .bind(account.customer_id.clone())
    .bind(account.name.clone())
    .bind(account.segment.clone())
    .bind(account.region.clone())
    .bind(account.business_unit.clone())
    .bind(account.parent_customer_id.clone())
    .bind(json(&account.credit_limit))
    .bind(account.counting_bits)
    .bind(account.active_holds)
    .bind(account.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the account's group exposure (what its descendants' documents and reservations add).
pub async fn update_group_exposure(
    conn: &mut AnyConnection,
    account: &AccountRow,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credit_accounts SET group_exposure = $2, updated_at = $3 WHERE customer_id = $1",
    )
    .bind(account.customer_id.clone())
    .bind(json(&account.group_exposure))
    .bind(account.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads one account without locking.
pub async fn get(conn: &mut AnyConnection, customer_id: &str) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        " FROM credit_accounts WHERE customer_id = $1"
    ))
    .bind(customer_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(AccountRow::from_row)
    .transpose()
}

async fn get_for_update(
    conn: &mut AnyConnection,
    backend: Backend,
    customer_id: &str,
) -> sqlx::Result<Option<AccountRow>> {
    let sql = match backend {
        Backend::Postgres => {
            concat!(
                "SELECT ",
                account_columns!(),
                " FROM credit_accounts WHERE customer_id = $1 FOR UPDATE"
            )
        }
        // SQLite has one writer: the transaction already excludes every other.
        Backend::Sqlite => {
            concat!(
                "SELECT ",
                account_columns!(),
                " FROM credit_accounts WHERE customer_id = $1"
            )
        }
    };
    sqlx::query(sql)
        .bind(customer_id.to_string())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(AccountRow::from_row)
        .transpose()
}

/// Locks the account and every account above it, from the account up (leaf-to-root is one
/// order shared by every transaction, so two chains of one group cannot deadlock), and returns
/// them in that order. `None` when the account does not exist.
pub async fn lock_chain(
    conn: &mut AnyConnection,
    backend: Backend,
    customer_id: &str,
) -> sqlx::Result<Option<Vec<AccountRow>>> {
    let Some(first) = get_for_update(conn, backend, customer_id).await? else {
        return Ok(None);
    };
    let mut chain = vec![first];
    while let Some(parent) = chain.last().and_then(|a| a.parent_customer_id.clone()) {
        if chain.len() >= MAX_GROUP_DEPTH {
            break;
        }
        match get_for_update(conn, backend, &parent).await? {
            Some(row) => chain.push(row),
            None => break,
        }
    }
    Ok(Some(chain))
}

/// The locked accounts of a batch of checks and each checked account's chain.
#[derive(Debug, Default)]
pub struct Chains {
    /// Every locked account, once (a parent shared by several members is one row).
    pub rows: HashMap<String, AccountRow>,
    /// Each found account's chain of ids, from the account up.
    pub chains: HashMap<String, Vec<String>>,
}

impl Chains {
    /// The rows of `customer_id`'s chain, from the account up, as they are now.
    pub fn chain(&self, customer_id: &str) -> Option<Vec<AccountRow>> {
        self.chains
            .get(customer_id)?
            .iter()
            .map(|id| self.rows.get(id).cloned())
            .collect()
    }

    /// Writes back a chain changed in memory.
    pub fn put(&mut self, chain: Vec<AccountRow>) {
        for row in chain {
            self.rows.insert(row.customer_id.clone(), row);
        }
    }
}

/// Locks the chains of `customers` (those that exist) in one order every transaction shares:
/// deepest first (a chain's own leaf-to-root order, as [`lock_chain`] takes it), then by id —
/// so neither two batches nor a batch and a single chain can deadlock. The chains are found
/// without locks first and checked again once locked: `None` when an account was moved in its
/// group meanwhile (run again).
pub async fn lock_chains(
    conn: &mut AnyConnection,
    backend: Backend,
    customers: &[String],
) -> sqlx::Result<Option<Chains>> {
    // Level by level up the groups: one statement per level for the whole batch.
    let mut rows: HashMap<String, AccountRow> = HashMap::new();
    let mut wanted: Vec<String> = customers.to_vec();
    wanted.sort();
    wanted.dedup();
    for _ in 0..MAX_GROUP_DEPTH {
        if wanted.is_empty() {
            break;
        }
        let found = get_many(conn, &wanted, None).await?;
        wanted = found
            .iter()
            .filter_map(|row| row.parent_customer_id.clone())
            .filter(|parent| !rows.contains_key(parent))
            .collect();
        wanted.sort();
        wanted.dedup();
        for row in found {
            rows.insert(row.customer_id.clone(), row);
        }
    }
    let mut chains = HashMap::new();
    for customer in customers {
        if chains.contains_key(customer) || !rows.contains_key(customer) {
            continue;
        }
        let mut chain = vec![customer.clone()];
        while chain.len() < MAX_GROUP_DEPTH {
            let parent = rows
                .get(chain.last().expect("non-empty"))
                .and_then(|row| row.parent_customer_id.clone());
            match parent {
                Some(parent) if rows.contains_key(&parent) => chain.push(parent),
                _ => break,
            }
        }
        chains.insert(customer.clone(), chain);
    }
    if backend == Backend::Sqlite {
        // One writer: the transaction already excludes every other, and what was read holds.
        return Ok(Some(Chains { rows, chains }));
    }
    // An account's depth is its distance from the root of its chain.
    let mut depth: HashMap<&str, usize> = HashMap::new();
    for chain in chains.values() {
        for (i, id) in chain.iter().enumerate() {
            depth.insert(id, chain.len() - 1 - i);
        }
    }
    let mut order: Vec<&str> = depth.keys().copied().collect();
    order.sort_by(|a, b| depth[b].cmp(&depth[a]).then(a.cmp(b)));
    let order: Vec<String> = order.into_iter().map(str::to_string).collect();
    let locked = get_many(conn, &order, Some(backend)).await?;
    let unchanged = locked.len() == order.len()
        && locked.iter().all(|row| {
            rows.get(&row.customer_id).map(|r| &r.parent_customer_id)
                == Some(&row.parent_customer_id)
        });
    if !unchanged {
        return Ok(None);
    }
    let rows = locked
        .into_iter()
        .map(|row| (row.customer_id.clone(), row))
        .collect();
    Ok(Some(Chains { rows, chains }))
}

/// The accounts `ids`; locked in the order given when `lock` names PostgreSQL.
async fn get_many(
    conn: &mut AnyConnection,
    ids: &[String],
    lock: Option<Backend>,
) -> sqlx::Result<Vec<AccountRow>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let chunk = credit_platform::db::padded_list(chunk);
        let list = credit_platform::db::placeholders(chunk.len(), 1);
        let sql = match lock {
            // Rows are locked as the sort hands them up, so in the order of `ids`.
            Some(Backend::Postgres) => {
                let order = (0..chunk.len())
                    .map(|i| format!("WHEN ${} THEN {i}", i + 1))
                    .collect::<Vec<_>>()
                    .join(" ");
                format!(
                    concat!(
                        "SELECT ",
                        account_columns!(),
                        " FROM credit_accounts WHERE customer_id IN ({}) \
                         ORDER BY CASE customer_id {} END FOR UPDATE"
                    ),
                    list, order
                )
            }
            _ => format!(
                concat!(
                    "SELECT ",
                    account_columns!(),
                    " FROM credit_accounts WHERE customer_id IN ({})"
                ),
                list
            ),
        };
        // Safe: constant text and numbered placeholders; values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in &chunk {
            query = query.bind(id.clone());
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.push(AccountRow::from_row(&row)?);
        }
    }
    Ok(found)
}

/// The counting rules of `segments`, by segment (segments without one are left out).
pub async fn segments_counting_bits(
    conn: &mut AnyConnection,
    segments: &[String],
) -> sqlx::Result<HashMap<String, i64>> {
    let mut bits = HashMap::new();
    for chunk in segments.chunks(CHUNK) {
        let chunk = credit_platform::db::padded_list(chunk);
        let sql = format!(
            "SELECT segment, counting_bits FROM segment_counting WHERE segment IN ({})",
            credit_platform::db::placeholders(chunk.len(), 1)
        );
        // Safe: constant text and numbered placeholders; values are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for segment in &chunk {
            query = query.bind(segment.clone());
        }
        for row in query.fetch_all(&mut *conn).await? {
            bits.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    Ok(bits)
}

/// The counting rule of a segment, when one is set.
pub async fn segment_counting_bits(
    conn: &mut AnyConnection,
    segment: &str,
) -> sqlx::Result<Option<i64>> {
    if segment.is_empty() {
        return Ok(None);
    }
    sqlx::query("SELECT counting_bits FROM segment_counting WHERE segment = $1")
        .bind(segment.to_string())
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get(0))
        .transpose()
}

/// The counting rule in force for `account`.
pub async fn counting_of(conn: &mut AnyConnection, account: &AccountRow) -> sqlx::Result<Counting> {
    let segment_bits = match account.counting_bits {
        Some(_) => None,
        None => segment_counting_bits(conn, &account.segment).await?,
    };
    Ok(Counting::resolve(account.counting_bits, segment_bits))
}

/// Stores a segment's counting rule.
pub async fn upsert_segment_counting(
    conn: &mut AnyConnection,
    segment: &str,
    bits: i64,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO segment_counting (segment, counting_bits, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (segment) DO UPDATE SET counting_bits = excluded.counting_bits, updated_at = excluded.updated_at",
    )
    .bind(segment.to_string())
    .bind(bits)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves exposure: `delta` (signed, by category) is added to the first account's own exposure
/// and to the group exposure of every account in the locked `chain`; each changed account gets
/// a history row so its exposure at any past moment can be answered.
pub async fn move_exposure(
    conn: &mut AnyConnection,
    chain: &mut [AccountRow],
    delta: &Exposure,
    at: Micros,
    cause: &str,
) -> sqlx::Result<()> {
    if *delta == Exposure::default() {
        return Ok(());
    }
    add_exposure(chain, delta, at);
    write_exposures(conn, chain.iter(), at, cause).await
}

/// Adds `delta` in memory: to the first account's own exposure and to the group exposure of
/// every account of `chain` (written by [`write_exposures`]).
pub fn add_exposure(chain: &mut [AccountRow], delta: &Exposure, at: Micros) {
    for (depth, account) in chain.iter_mut().enumerate() {
        if depth == 0 {
            account.own_exposure.add_all(delta, Decimal::ONE);
        }
        account.group_exposure.add_all(delta, Decimal::ONE);
        account.updated_at = at;
    }
}

/// Rows per statement of the batched writes (at most four parameters a row).
const CHUNK: usize = 200;

/// Writes the own and group exposure of locked `accounts` and appends each one's history
/// row: two statements per two hundred accounts.
pub async fn write_exposures<'a>(
    conn: &mut AnyConnection,
    accounts: impl Iterator<Item = &'a AccountRow>,
    at: Micros,
    cause: &str,
) -> sqlx::Result<()> {
    let accounts: Vec<&AccountRow> = accounts.collect();
    // Two exposures of JSON and the placeholders: about a kilobyte an account (see `db::runs`).
    let size = |_: &&AccountRow| 1024;
    for chunk in
        credit_platform::db::runs(&accounts, CHUNK, credit_platform::db::STATEMENT_BYTES, size)
    {
        // One UPDATE for all: CASE picks each row's values ($1 is the time, then three
        // parameters per account: id, own, group).
        let cases = |column: usize| {
            (0..chunk.len())
                .map(|i| format!("WHEN ${} THEN ${}", 2 + i * 3, 2 + i * 3 + column))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let ids = (0..chunk.len())
            .map(|i| format!("${}", 2 + i * 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE credit_accounts SET own_exposure = CASE customer_id {} END, \
             group_exposure = CASE customer_id {} END, updated_at = $1 WHERE customer_id IN ({ids})",
            cases(1),
            cases(2)
        );
        // Safe: constant text and numbered placeholders; values are bound.
        let mut update = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at);
        for account in chunk {
            update = update
                .bind(account.customer_id.clone())
                .bind(json(&account.own_exposure))
                .bind(json(&account.group_exposure));
        }
        update.execute(&mut *conn).await?;
        let sql = format!(
            "INSERT INTO exposure_history (customer_id, recorded_at, own_exposure, group_exposure, \
             cause) VALUES {}",
            credit_platform::db::value_rows(chunk.len(), 5, 1)
        );
        let mut history = sqlx::query(sqlx::AssertSqlSafe(sql));
        for account in chunk {
            history = history
                .bind(account.customer_id.clone())
                .bind(at)
                .bind(json(&account.own_exposure))
                .bind(json(&account.group_exposure))
                .bind(cause.to_string());
        }
        history.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Appends the account's current exposure to its history.
pub async fn record_history(
    conn: &mut AnyConnection,
    account: &AccountRow,
    at: Micros,
    cause: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO exposure_history (customer_id, recorded_at, own_exposure, group_exposure, cause) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account.customer_id.clone())
    .bind(at)
    .bind(json(&account.own_exposure))
    .bind(json(&account.group_exposure))
    .bind(cause.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// The account's (own, group) exposure as it was at `at`: zero before its first movement.
pub async fn exposure_at(
    conn: &mut AnyConnection,
    customer_id: &str,
    at: Micros,
) -> sqlx::Result<(Exposure, Exposure)> {
    let row = sqlx::query(
        "SELECT own_exposure, group_exposure FROM exposure_history \
         WHERE customer_id = $1 AND recorded_at <= $2 ORDER BY recorded_at DESC, id DESC LIMIT 1",
    )
    .bind(customer_id.to_string())
    .bind(at)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => Ok((
            decode_json(&row.try_get::<String, _>(0)?)?,
            decode_json(&row.try_get::<String, _>(1)?)?,
        )),
        None => Ok((Exposure::default(), Exposure::default())),
    }
}

/// The limit as it was at `at`, from the change history (None before the first change).
pub async fn limit_at(
    conn: &mut AnyConnection,
    customer_id: &str,
    at: Micros,
) -> sqlx::Result<Option<CreditLimit>> {
    sqlx::query(
        "SELECT after_limit FROM credit_limit_changes WHERE customer_id = $1 AND changed_at <= $2 \
         ORDER BY changed_at DESC, id DESC LIMIT 1",
    )
    .bind(customer_id.to_string())
    .bind(at)
    .fetch_optional(conn)
    .await?
    .map(|row| decode_json(&row.try_get::<String, _>(0)?))
    .transpose()
}

/// Records a limit change.
pub async fn insert_limit_change(
    conn: &mut AnyConnection,
    change: &LimitChange,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO credit_limit_changes (change_id, customer_id, before_limit, after_limit, actor_subject, reason, changed_at, approved_by, approval_reference) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(change.change_id.clone())
    .bind(change.customer_id.clone())
    .bind(json(&change.before))
    .bind(json(&change.after))
    .bind(change.actor_subject.clone())
    .bind(change.reason.clone())
    .bind(change.changed_at)
    .bind(json(&change.approved_by))
    .bind(change.approval_reference.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// One change of a limit.
#[derive(Debug, Clone)]
pub struct LimitChange {
    pub change_id: String,
    pub customer_id: String,
    pub before: CreditLimit,
    pub after: CreditLimit,
    /// Who changed it (token subject).
    pub actor_subject: String,
    /// The reason given with the change.
    pub reason: String,
    /// When it took effect.
    pub changed_at: Micros,
    /// Who approved it, as the applications service verified them.
    pub approved_by: Vec<String>,
    /// The approval's reference (the application id).
    pub approval_reference: String,
}

/// A page of an account's limit changes, newest first, before the change with row id
/// `before_id` (exclusive) when given. Returns the changes and each one's row id.
pub async fn list_limit_changes(
    conn: &mut AnyConnection,
    customer_id: &str,
    before_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<(i64, LimitChange)>> {
    sqlx::query(
        "SELECT id, change_id, customer_id, before_limit, after_limit, actor_subject, reason, changed_at, approved_by, approval_reference \
         FROM credit_limit_changes WHERE customer_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(customer_id.to_string())
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("id")?,
            LimitChange {
                change_id: row.try_get("change_id")?,
                customer_id: row.try_get("customer_id")?,
                before: decode_json(&row.try_get::<String, _>("before_limit")?)?,
                after: decode_json(&row.try_get::<String, _>("after_limit")?)?,
                actor_subject: row.try_get("actor_subject")?,
                reason: row.try_get("reason")?,
                changed_at: row.try_get("changed_at")?,
                approved_by: decode_json(&row.try_get::<String, _>("approved_by")?)?,
                approval_reference: row.try_get("approval_reference")?,
            },
        ))
    })
    .collect()
}

/// Filters of the account list.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Segment, when set.
    pub segment: Option<String>,
    /// Region, when set.
    pub region: Option<String>,
    /// Direct children of, when set.
    pub parent_customer_id: Option<String>,
    /// On hold or not, when set.
    pub on_hold: Option<bool>,
    /// The caller's data scope.
    pub scope: DataScope,
}

/// Accounts after `after_customer_id` in id order, matching `filter`, at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &AccountFilter,
    after_customer_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<AccountRow>> {
    // One static statement with optional filters: sqlx's QueryBuilder writes '?' placeholders
    // for the Any driver, which PostgreSQL does not accept.
    let on_hold = filter.on_hold.map_or(-1, i32::from);
    sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        " FROM credit_accounts WHERE customer_id > $1 \
         AND ($2 = '' OR segment = $2) AND ($3 = '' OR region = $3) \
         AND ($4 = '' OR parent_customer_id = $4) \
         AND ($5 = -1 OR (CASE WHEN active_holds > 0 THEN 1 ELSE 0 END) = $5) AND ",
        customer_in_scope!("customer_id", "$7", "$8"),
        " ORDER BY customer_id LIMIT $6"
    ))
    .bind(after_customer_id.to_string())
    .bind(filter.segment.clone().unwrap_or_default())
    .bind(filter.region.clone().unwrap_or_default())
    .bind(filter.parent_customer_id.clone().unwrap_or_default())
    .bind(on_hold)
    .bind(limit)
    .bind(filter.scope.region_filter())
    .bind(filter.scope.business_unit_filter())
    .fetch_all(conn)
    .await?
    .iter()
    .map(AccountRow::from_row)
    .collect()
}
