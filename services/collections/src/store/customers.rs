//! Customers: profile, segment, region, group and collector, as the ERP or a manager set them.
use credit_platform::clock::Micros;
use credit_proto::collections as pb;
use sqlx::{AnyConnection, Row};

/// The columns and joins of a [`pb::Customer`] as shown: with scoring's latest class and
/// probability and the collector in charge (its own, else its segment's).
macro_rules! customer_select {
    () => {
        "SELECT c.customer_id, c.name, c.segment, c.region, c.group_id, c.language, \
         c.time_zone, c.collector, c.updated_at, c.email, \
         COALESCE(r.risk_class, c.risk_class), COALESCE(r.probability_of_default, ''), \
         CASE WHEN c.collector <> '' THEN c.collector ELSE COALESCE(s.collector, '') END, \
         c.jurisdiction \
         FROM customers c LEFT JOIN customer_risk r ON r.customer_id = c.customer_id \
         LEFT JOIN segment_collectors s ON s.segment = c.segment"
    };
}

fn customer_from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<pb::Customer> {
    Ok(pb::Customer {
        customer_id: row.try_get(0)?,
        name: row.try_get(1)?,
        segment: row.try_get(2)?,
        region: row.try_get(3)?,
        group_id: row.try_get(4)?,
        language: row.try_get(5)?,
        time_zone: row.try_get(6)?,
        collector: row.try_get(7)?,
        update_time: Some(credit_platform::clock::to_timestamp(row.try_get(8)?)),
        email: row.try_get(9)?,
        risk_class: row.try_get(10)?,
        probability_of_default: row.try_get(11)?,
        collector_in_charge: row.try_get(12)?,
        jurisdiction: row.try_get(13)?,
    })
}

/// A customer profile as shown.
pub async fn customer(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Option<pb::Customer>> {
    sqlx::query(concat!(customer_select!(), " WHERE c.customer_id = $1"))
        .bind(customer_id.to_string())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(customer_from_row)
        .transpose()
}

/// Every customer profile as shown, by id.
pub async fn customers(
    conn: &mut AnyConnection,
) -> sqlx::Result<std::collections::HashMap<String, pb::Customer>> {
    sqlx::query(customer_select!())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| customer_from_row(row).map(|c| (c.customer_id.clone(), c)))
        .collect()
}

/// Writes a customer profile.
pub async fn put_customer(
    conn: &mut AnyConnection,
    c: &pb::Customer,
    at: Micros,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO customers (customer_id, name, segment, region, group_id, language, \
         time_zone, collector, updated_at, email, risk_class, jurisdiction) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name, \
         segment = excluded.segment, region = excluded.region, group_id = excluded.group_id, \
         language = excluded.language, time_zone = excluded.time_zone, \
         collector = CASE WHEN excluded.collector <> '' THEN excluded.collector \
         ELSE customers.collector END, updated_at = excluded.updated_at, \
         email = excluded.email, risk_class = excluded.risk_class, \
         jurisdiction = excluded.jurisdiction",
    )
    .bind(c.customer_id.clone())
    .bind(c.name.clone())
    .bind(c.segment.clone())
    .bind(c.region.clone())
    .bind(c.group_id.clone())
    .bind(c.language.clone())
    .bind(c.time_zone.clone())
    .bind(c.collector.clone())
    .bind(at)
    .bind(c.email.clone())
    .bind(c.risk_class.clone())
    .bind(c.jurisdiction.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// What aging and metrics group a customer by.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    pub segment: String,
    pub region: String,
    /// Top of its corporate group.
    pub group_id: String,
    /// Collector in charge (its own, else its segment's).
    pub collector: String,
}

/// Every customer's grouping.
pub async fn customer_groups(
    conn: &mut AnyConnection,
) -> sqlx::Result<std::collections::HashMap<String, Grouping>> {
    sqlx::query(
        "SELECT c.customer_id, c.segment, c.region, c.group_id, \
         CASE WHEN c.collector <> '' THEN c.collector ELSE COALESCE(s.collector, '') END \
         FROM customers c LEFT JOIN segment_collectors s ON s.segment = c.segment",
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            Grouping {
                segment: row.try_get(1)?,
                region: row.try_get(2)?,
                group_id: row.try_get(3)?,
                collector: row.try_get(4)?,
            },
        ))
    })
    .collect()
}
