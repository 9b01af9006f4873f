//! Aging and the collection metrics (DSO, CEI, ADD…) per group and currency, as of a day or
//! over a period, computed from the ledger as it stood.
use super::ledger::Ledger;
use crate::convert::money;
use crate::domain::aging::{Aging, Buckets};
use crate::domain::metrics::{Figures, ratios};
use crate::store;
use credit_platform::calendar;
use credit_platform::error::ApiError;
use credit_platform::scope::{self, DataScope};
use credit_proto::collections as pb;
use std::collections::{BTreeMap, HashMap};

/// The key `customer` falls under when grouping by `group_by` ("" for the portfolio).
pub(crate) fn group_key(
    profiles: &HashMap<String, store::Grouping>,
    group_by: pb::AgingGroup,
    customer: &str,
) -> String {
    let profile = profiles.get(customer);
    let field = |pick: fn(&store::Grouping) -> &String| {
        profile.map(|p| pick(p).clone()).unwrap_or_default()
    };
    match group_by {
        pb::AgingGroup::Customer => customer.to_string(),
        pb::AgingGroup::Group => Some(field(|p| &p.group_id))
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| customer.to_string()),
        pb::AgingGroup::Segment => field(|p| &p.segment),
        pb::AgingGroup::Region => field(|p| &p.region),
        pb::AgingGroup::Collector => field(|p| &p.collector),
        _ => String::new(),
    }
}

/// What the follow-ups of one group and currency add up to over a period.
#[derive(Debug, Clone, Copy, Default)]
struct FollowUps {
    disputed: i64,
    open_disputes: i64,
    promises_settled: i64,
    promises_kept: i64,
    written_off: i64,
    recovered: i64,
}

/// The follow-ups of a group and currency, which then has a metrics row even without sales.
fn follow_up<'a>(
    figures: &mut BTreeMap<(String, String), Figures>,
    follow_ups: &'a mut BTreeMap<(String, String), FollowUps>,
    key: String,
    currency: String,
) -> &'a mut FollowUps {
    figures.entry((key.clone(), currency.clone())).or_default();
    follow_ups.entry((key, currency)).or_default()
}

pub(crate) fn decimal_text(value: Option<rust_decimal::Decimal>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

impl Ledger {
    /// Aging as of `day`.
    pub async fn aging(
        &self,
        day: i64,
        buckets: Buckets,
        group_by: pb::AgingGroup,
        customer_id: &str,
        data_scope: &DataScope,
    ) -> Result<pb::Aging, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let visible = scope::visible_customers(&mut conn, data_scope).await?;
        let profiles = store::customer_groups(&mut conn).await?;
        let key = |customer: &str| group_key(&profiles, group_by, customer);
        let mut aging = Aging::new(buckets, day);
        for (customer, currency, due_day, open, count) in
            store::open_as_of(&mut conn, day, customer_id)
                .await?
                .into_iter()
                .filter(|row| visible.admits(&row.0))
        {
            aging.add_open(&key(&customer), &currency, due_day, open, count);
        }
        for (customer, currency, unapplied) in store::unapplied_as_of(&mut conn, day, customer_id)
            .await?
            .into_iter()
            .filter(|row| visible.admits(&row.0))
        {
            if unapplied != 0 {
                aging.add_unapplied(&key(&customer), &currency, unapplied);
            }
        }
        let labels = aging.labels();
        Ok(pb::Aging {
            as_of_date: Some(calendar::date(day)),
            rows: aging
                .lines
                .iter()
                .map(|((key, currency), line)| pb::AgingRow {
                    key: key.clone(),
                    currency_code: currency.clone(),
                    buckets: labels
                        .iter()
                        .enumerate()
                        .map(|(i, label)| pb::AgingBucket {
                            label: label.clone(),
                            amount: Some(money(line.amounts[i], currency)),
                            invoices: line.invoices[i],
                        })
                        .collect(),
                    total: Some(money(line.total(), currency)),
                    overdue: Some(money(line.overdue(), currency)),
                    unapplied: Some(money(line.unapplied, currency)),
                })
                .collect(),
        })
    }

    /// docs/domain.md's collection metrics from `start` to `end` (inclusive), per group and
    /// currency.
    pub async fn metrics(
        &self,
        start: i64,
        end: i64,
        group_by: pb::AgingGroup,
        customer_id: &str,
        data_scope: &DataScope,
    ) -> Result<pb::CollectionMetrics, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let visible = scope::visible_customers(&mut conn, data_scope).await?;
        let profiles = store::customer_groups(&mut conn).await?;
        let key = |customer: &str| group_key(&profiles, group_by, customer);
        let mut figures: BTreeMap<(String, String), Figures> = BTreeMap::new();
        for (customer, currency, sales) in store::credit_sales(&mut conn, start, end, customer_id)
            .await?
            .into_iter()
            .filter(|row| visible.admits(&row.0))
        {
            figures
                .entry((key(&customer), currency))
                .or_default()
                .credit_sales += sales;
        }
        for (customer, currency, due_day, open, _) in store::open_as_of(&mut conn, end, customer_id)
            .await?
            .into_iter()
            .filter(|row| visible.admits(&row.0))
        {
            let f = figures.entry((key(&customer), currency)).or_default();
            f.closing += open;
            if due_day >= end {
                f.closing_current += open;
            }
        }
        for (customer, currency, _, open, _) in store::open_as_of(&mut conn, start - 1, customer_id)
            .await?
            .into_iter()
            .filter(|row| visible.admits(&row.0))
        {
            figures
                .entry((key(&customer), currency))
                .or_default()
                .opening += open;
        }
        // Disputes, promises and write-offs, per the same groups.
        let mut follow_ups: BTreeMap<(String, String), FollowUps> = BTreeMap::new();
        for (customer, currency, amount, count) in
            store::disputes_open_at(&mut conn, end, customer_id)
                .await?
                .into_iter()
                .filter(|row| visible.admits(&row.0))
        {
            let f = follow_up(&mut figures, &mut follow_ups, key(&customer), currency);
            f.disputed += amount;
            f.open_disputes += count;
        }
        for (customer, currency, settled, kept) in
            store::promises_settled(&mut conn, start, end, customer_id)
                .await?
                .into_iter()
                .filter(|row| visible.admits(&row.0))
        {
            let f = follow_up(&mut figures, &mut follow_ups, key(&customer), currency);
            f.promises_settled += settled;
            f.promises_kept += kept;
        }
        for (customer, currency, amount) in store::written_off(&mut conn, start, end, customer_id)
            .await?
            .into_iter()
            .filter(|row| visible.admits(&row.0))
        {
            follow_up(&mut figures, &mut follow_ups, key(&customer), currency).written_off +=
                amount;
        }
        for (customer, currency, amount) in store::recovered(&mut conn, start, end, customer_id)
            .await?
            .into_iter()
            .filter(|row| visible.admits(&row.0))
        {
            follow_up(&mut figures, &mut follow_ups, key(&customer), currency).recovered += amount;
        }
        let days = end - start + 1;
        Ok(pb::CollectionMetrics {
            start_date: Some(calendar::date(start)),
            end_date: Some(calendar::date(end)),
            days: i32::try_from(days).unwrap_or(i32::MAX),
            rows: figures
                .into_iter()
                .map(|((key, currency), f)| {
                    let r = ratios(f, days);
                    let u = follow_ups
                        .get(&(key.clone(), currency.clone()))
                        .copied()
                        .unwrap_or_default();
                    let rate = crate::domain::metrics::rate;
                    pb::CollectionMetricsRow {
                        key,
                        currency_code: currency.clone(),
                        credit_sales: Some(money(f.credit_sales, &currency)),
                        opening_receivables: Some(money(f.opening, &currency)),
                        closing_receivables: Some(money(f.closing, &currency)),
                        closing_current_receivables: Some(money(f.closing_current, &currency)),
                        closing_overdue: Some(money(f.closing - f.closing_current, &currency)),
                        days_sales_outstanding: decimal_text(r.dso),
                        best_possible_dso: decimal_text(r.best_possible_dso),
                        average_days_delinquent: decimal_text(r.add),
                        collection_effectiveness_index: decimal_text(r.cei),
                        overdue_share: decimal_text(r.overdue_share),
                        disputed_amount: Some(money(u.disputed, &currency)),
                        open_disputes: u.open_disputes,
                        promises_settled: u.promises_settled,
                        promises_kept: u.promises_kept,
                        promise_kept_rate: decimal_text(rate(u.promises_kept, u.promises_settled)),
                        written_off: Some(money(u.written_off, &currency)),
                        write_off_share: decimal_text(rate(u.written_off, f.credit_sales)),
                        recovered: Some(money(u.recovered, &currency)),
                    }
                })
                .collect(),
        })
    }
}
