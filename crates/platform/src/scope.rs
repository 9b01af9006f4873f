//! Data scopes. Credit teams are organised by region and business unit, and a token may limit
//! its holder to some of each (claims `regions` and `business_units`): a regional analyst sees
//! only the customers of the region, and cannot act on others. A token without the claims sees
//! the whole portfolio; a claim that is present but empty sees nothing.
//!
//! A customer's region and business unit are master data, kept by limits on the credit account.
//! Every service holds a copy in `customer_scopes` (limits writes it with the account; the
//! others follow limits' feed with [`MasterDataFollower`]) and checks callers against it: a
//! read of one customer outside the scope answers as if the customer did not exist, a change
//! is refused with PERMISSION_DENIED (`OUT_OF_SCOPE`), and lists, feeds and portfolio metrics
//! leave such customers out ([`customer_in_scope!`]). A customer with no master data yet is
//! outside every limited scope: what nobody has placed in a region is not a region's to see.
use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::ApiError;
use crate::follow::{Consumed, EventHandler, Handled};
use credit_proto::event::Event;
use credit_proto::limits as lpb;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeSet;

/// The most values a token's `regions` or `business_units` claim may hold.
pub const MAX_SCOPE_VALUES: usize = 100;
/// The longest region or business unit a claim may name (the accounts' own bound).
pub const MAX_SCOPE_VALUE_CHARS: usize = 64;
/// Separates the values of a scope bound into SQL (a control character: no region has one).
const SEPARATOR: char = '\u{1f}';

/// The limits of one caller's view of the portfolio.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataScope {
    regions: Option<BTreeSet<String>>,
    business_units: Option<BTreeSet<String>>,
}

impl DataScope {
    /// The whole portfolio (a token without scope claims, a service's own work).
    pub fn all() -> Self {
        Self::default()
    }

    /// The scope a token's claims name, or why the claims are not acceptable.
    pub fn from_claims(
        regions: Option<Vec<String>>,
        business_units: Option<Vec<String>>,
    ) -> Result<Self, String> {
        Ok(Self {
            regions: regions.map(|v| values("regions", v)).transpose()?,
            business_units: business_units
                .map(|v| values("business_units", v))
                .transpose()?,
        })
    }

    /// Whether the scope is the whole portfolio.
    pub fn is_all(&self) -> bool {
        self.regions.is_none() && self.business_units.is_none()
    }

    /// Whether a customer of `region` and `business_unit` is inside.
    pub fn admits(&self, region: &str, business_unit: &str) -> bool {
        let within = |limit: &Option<BTreeSet<String>>, value: &str| {
            limit.as_ref().is_none_or(|set| set.contains(value))
        };
        within(&self.regions, region) && within(&self.business_units, business_unit)
    }

    /// The regions bound into [`customer_in_scope!`]: "" for every region.
    pub fn region_filter(&self) -> String {
        filter(&self.regions)
    }

    /// The business units bound into [`customer_in_scope!`]: "" for every business unit.
    pub fn business_unit_filter(&self) -> String {
        filter(&self.business_units)
    }

    /// Refuses a change to `customer_id`, of `region` and `business_unit`, outside the scope
    /// (PERMISSION_DENIED, `OUT_OF_SCOPE`).
    pub fn must_admit(
        &self,
        customer_id: &str,
        region: &str,
        business_unit: &str,
    ) -> Result<(), ApiError> {
        if self.admits(region, business_unit) {
            return Ok(());
        }
        Err(out_of_scope(customer_id))
    }

    /// Refuses a change to what applies to every customer (a policy, a rate, a global rule)
    /// by a caller limited to part of the portfolio.
    pub fn must_be_whole(&self, what: &str) -> Result<(), ApiError> {
        if self.is_all() {
            return Ok(());
        }
        Err(ApiError::OutOfScope(format!(
            "{what} applies to every region and business unit: a token limited to some \
             cannot change it"
        )))
    }
}

fn values(claim: &str, values: Vec<String>) -> Result<BTreeSet<String>, String> {
    if values.len() > MAX_SCOPE_VALUES {
        return Err(format!("{claim} names more than {MAX_SCOPE_VALUES} values"));
    }
    for value in &values {
        if value.is_empty()
            || value.chars().count() > MAX_SCOPE_VALUE_CHARS
            || value.chars().any(char::is_control)
        {
            return Err(format!(
                "{claim} holds a value that is empty, longer than {MAX_SCOPE_VALUE_CHARS} \
                 characters or has control characters"
            ));
        }
    }
    Ok(values.into_iter().collect())
}

fn filter(limit: &Option<BTreeSet<String>>) -> String {
    match limit {
        None => String::new(),
        // Each value between separators, so "EU" never matches inside "EU-WEST"; an empty set
        // binds a lone separator, which no value matches.
        Some(set) => {
            let mut bound = SEPARATOR.to_string();
            for value in set {
                bound.push_str(value);
                bound.push(SEPARATOR);
            }
            bound
        }
    }
}

/// A SQL condition that holds when the customer in `$column` is inside the scope bound as
/// `$regions` and `$business_units` (the placeholders of [`DataScope::region_filter`] and
/// [`DataScope::business_unit_filter`]). It expands to a string literal, for `concat!` into a
/// static query. (`instr` is SQLite's; the platform's PostgreSQL migrations define it.)
#[macro_export]
macro_rules! customer_in_scope {
    ($column:literal, $regions:literal, $business_units:literal) => {
        concat!(
            "((",
            $regions,
            " = '' AND ",
            $business_units,
            " = '') OR ",
            $column,
            " IN (SELECT s.customer_id FROM customer_scopes s WHERE (",
            $regions,
            " = '' OR instr(",
            $regions,
            ", '\u{1f}' || s.region || '\u{1f}') > 0) AND (",
            $business_units,
            " = '' OR instr(",
            $business_units,
            ", '\u{1f}' || s.business_unit || '\u{1f}') > 0)))"
        )
    };
}

/// A customer's place in the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerScope {
    /// Sales region.
    pub region: String,
    /// Business unit.
    pub business_unit: String,
}

/// Records a customer's region and business unit (limits with the account; the others from
/// its feed).
pub async fn record(
    conn: &mut AnyConnection,
    customer_id: &str,
    place: &CustomerScope,
    now: i64,
) -> Result<(), ApiError> {
    const REPLACING: &str = "INSERT INTO customer_scopes (customer_id, region, business_unit, \
         updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id) DO UPDATE SET \
         region = $2, business_unit = $3, updated_at = $4";
    insert_place(conn, REPLACING, customer_id, place, now).await
}

/// Places a customer nobody has placed yet (applications, for a new applicant: its intake
/// places it until limits opens its account and master data replaces the place).
pub async fn place_if_unknown(
    conn: &mut AnyConnection,
    customer_id: &str,
    place: &CustomerScope,
    now: i64,
) -> Result<(), ApiError> {
    const KEEPING: &str = "INSERT INTO customer_scopes (customer_id, region, business_unit, \
         updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id) DO NOTHING";
    insert_place(conn, KEEPING, customer_id, place, now).await
}

async fn insert_place(
    conn: &mut AnyConnection,
    sql: &'static str,
    customer_id: &str,
    place: &CustomerScope,
    now: i64,
) -> Result<(), ApiError> {
    sqlx::query(sql)
        .bind(customer_id.to_string())
        .bind(place.region.clone())
        .bind(place.business_unit.clone())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The customer's region and business unit, when known.
pub async fn of_customer(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> Result<Option<CustomerScope>, ApiError> {
    let row =
        sqlx::query("SELECT region, business_unit FROM customer_scopes WHERE customer_id = $1")
            .bind(customer_id.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(match row {
        Some(row) => Some(CustomerScope {
            region: row.try_get(0)?,
            business_unit: row.try_get(1)?,
        }),
        None => None,
    })
}

/// Whether `scope` sees the customer (a read of one customer's record answers NOT_FOUND when
/// not, as if it did not exist).
pub async fn sees(
    conn: &mut AnyConnection,
    scope: &DataScope,
    customer_id: &str,
) -> Result<bool, ApiError> {
    if scope.is_all() {
        return Ok(true);
    }
    Ok(of_customer(conn, customer_id)
        .await?
        .is_some_and(|place| scope.admits(&place.region, &place.business_unit)))
}

/// Refuses a change to a customer outside `scope` (PERMISSION_DENIED, `OUT_OF_SCOPE`).
pub async fn may_change(
    conn: &mut AnyConnection,
    scope: &DataScope,
    customer_id: &str,
) -> Result<(), ApiError> {
    if sees(conn, scope, customer_id).await? {
        return Ok(());
    }
    Err(out_of_scope(customer_id))
}

fn out_of_scope(customer_id: &str) -> ApiError {
    ApiError::OutOfScope(format!("customer {customer_id} is outside your data scope"))
}

/// Answers `hidden` (the NOT_FOUND of what was asked for) when `customer_id` is outside
/// `scope`: a read of another scope's customer looks like a read of nothing.
pub async fn must_see(
    db: &Db,
    scope: &DataScope,
    customer_id: &str,
    hidden: impl FnOnce() -> ApiError,
) -> Result<(), ApiError> {
    if scope.is_all() {
        return Ok(());
    }
    let mut conn = db.pool.acquire().await?;
    if sees(&mut conn, scope, customer_id).await? {
        return Ok(());
    }
    Err(hidden())
}

/// [`may_change`] on a connection of `db`, for a change whose use case does not read the
/// customer's master data itself.
pub async fn must_change(db: &Db, scope: &DataScope, customer_id: &str) -> Result<(), ApiError> {
    if scope.is_all() {
        return Ok(());
    }
    let mut conn = db.pool.acquire().await?;
    may_change(&mut conn, scope, customer_id).await
}

/// The customers a scope sees, for reports computed over the whole portfolio.
#[derive(Debug, Clone)]
pub struct Visible(Option<std::collections::HashSet<String>>);

impl Visible {
    /// Whether `customer_id` is among them.
    pub fn admits(&self, customer_id: &str) -> bool {
        self.0.as_ref().is_none_or(|set| set.contains(customer_id))
    }
}

/// The customers `scope` sees (every one, without reading, for an unlimited scope).
pub async fn visible_customers(
    conn: &mut AnyConnection,
    scope: &DataScope,
) -> Result<Visible, ApiError> {
    if scope.is_all() {
        return Ok(Visible(None));
    }
    let rows = sqlx::query(concat!(
        "SELECT customer_id FROM customer_scopes WHERE ",
        customer_in_scope!("customer_id", "$1", "$2")
    ))
    .bind(scope.region_filter())
    .bind(scope.business_unit_filter())
    .fetch_all(conn)
    .await?;
    let customers = rows
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    Ok(Visible(Some(customers)))
}

/// Whether a feed event is for the scope: events of a customer outside it are left out;
/// events of no customer (a policy approved) are not customer data and pass.
pub async fn sees_event(db: &Db, scope: &DataScope, event: &Event) -> Result<bool, ApiError> {
    if scope.is_all() || event.customer_id.is_empty() {
        return Ok(true);
    }
    let mut conn = db.pool.acquire().await?;
    sees(&mut conn, scope, &event.customer_id).await
}

/// The events of limits' feed that carry a customer's master data.
pub const ACCOUNT_EVENTS: [&str; 2] = [
    "credit.limits.credit_account.created",
    "credit.limits.credit_account.updated",
];

/// Keeps `customer_scopes` current from limits' feed, in the services other than limits.
pub struct MasterDataFollower {
    db: Db,
    clock: SharedClock,
}

impl MasterDataFollower {
    /// The follower writing into `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

impl EventHandler for MasterDataFollower {
    async fn handle(&self, event: Event, consumed: Consumed) -> Result<Handled, ApiError> {
        let Some(place) = placed_by(&event)? else {
            return Ok(Handled::Ignored);
        };
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        if !consumed.record(&mut tx, now).await? {
            return Ok(Handled::Recorded);
        }
        record(&mut tx, &event.customer_id, &place, now).await?;
        tx.commit().await?;
        Ok(Handled::Recorded)
    }
}

/// The customer's place an event of limits' feed gives (its account opened or changed); None
/// for any other event.
pub fn placed_by(event: &Event) -> Result<Option<CustomerScope>, ApiError> {
    if !ACCOUNT_EVENTS.contains(&event.event_type.as_str()) || event.customer_id.is_empty() {
        return Ok(None);
    }
    let changed =
        crate::follow::contract(event, |account: serde_json::Value| account_of(&account))?;
    Ok(Some(CustomerScope {
        region: changed.region,
        business_unit: changed.business_unit,
    }))
}

fn account_of(json: &serde_json::Value) -> lpb::CreditAccountChanged {
    // Written by limits' serializer (field names) or rendered as proto JSON (lowerCamelCase).
    let text = |fields: &[&str]| {
        fields
            .iter()
            .find_map(|field| json.get(*field).and_then(serde_json::Value::as_str))
            .unwrap_or_default()
            .to_string()
    };
    lpb::CreditAccountChanged {
        customer_id: text(&["customer_id", "customerId"]),
        region: text(&["region"]),
        business_unit: text(&["business_unit", "businessUnit"]),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(regions: &[&str], units: Option<&[&str]>) -> DataScope {
        DataScope::from_claims(
            Some(regions.iter().map(|r| r.to_string()).collect()),
            units.map(|u| u.iter().map(|r| r.to_string()).collect()),
        )
        .expect("valid claims")
    }

    #[test]
    fn a_scope_admits_only_its_regions_and_business_units() {
        assert!(DataScope::all().admits("EU", "steel"));
        let eu = limited(&["EU"], None);
        assert!(eu.admits("EU", "steel"));
        assert!(!eu.admits("EU-WEST", "steel"));
        assert!(!eu.admits("eu", "steel"), "codes compare exactly");
        let eu_steel = limited(&["EU", "UK"], Some(&["steel"]));
        assert!(eu_steel.admits("UK", "steel"));
        assert!(!eu_steel.admits("UK", "paper"));
        let nothing = limited(&[], None);
        assert!(!nothing.admits("EU", "steel"));
        assert!(!nothing.is_all());
    }

    #[test]
    fn claims_are_bounded() {
        let many = (0..=MAX_SCOPE_VALUES).map(|i| format!("R{i}")).collect();
        assert!(DataScope::from_claims(Some(many), None).is_err());
        assert!(DataScope::from_claims(None, Some(vec![String::new()])).is_err());
        assert!(DataScope::from_claims(Some(vec!["E\u{1f}U".into()]), None).is_err());
        assert!(DataScope::from_claims(Some(vec!["x".repeat(65)]), None).is_err());
    }

    #[test]
    fn an_account_event_places_its_customer_typed_or_in_either_json_naming() {
        let expected = Some(CustomerScope {
            region: "EU".into(),
            business_unit: "steel".into(),
        });
        let event = |payload_json: &str, payload: Option<prost_types::Any>| Event {
            event_type: ACCOUNT_EVENTS[1].into(),
            customer_id: "C-1".into(),
            payload_json: payload_json.into(),
            payload,
            ..Default::default()
        };
        for json in [
            r#"{"customer_id":"C-1","region":"EU","business_unit":"steel"}"#,
            r#"{"customerId":"C-1","region":"EU","businessUnit":"steel"}"#,
        ] {
            assert_eq!(placed_by(&event(json, None)).expect("json"), expected);
        }
        let typed = prost_types::Any::from_msg(&lpb::CreditAccountChanged {
            customer_id: "C-1".into(),
            region: "EU".into(),
            business_unit: "steel".into(),
            ..Default::default()
        })
        .expect("any");
        assert_eq!(placed_by(&event("", Some(typed))).expect("typed"), expected);
        let other = Event {
            event_type: "credit.limits.credit_limit.changed".into(),
            customer_id: "C-1".into(),
            ..Default::default()
        };
        assert_eq!(placed_by(&other).expect("ignored"), None);
    }

    #[test]
    fn filters_separate_every_value() {
        assert_eq!(DataScope::all().region_filter(), "");
        assert_eq!(
            limited(&["UK", "EU"], None).region_filter(),
            "\u{1f}EU\u{1f}UK\u{1f}"
        );
        assert_eq!(limited(&[], None).region_filter(), "\u{1f}");
        assert_eq!(limited(&["EU"], None).business_unit_filter(), "");
    }

    /// The customers a scope sees, by the SQL filter, on the test database (SQLite, or
    /// PostgreSQL when `TEST_DATABASE_URL` is set).
    async fn listed(conn: &mut AnyConnection, scope: &DataScope) -> Vec<String> {
        sqlx::query(concat!(
            "SELECT customer_id FROM customer_scopes WHERE ",
            customer_in_scope!("customer_id", "$1", "$2"),
            " ORDER BY customer_id"
        ))
        .bind(scope.region_filter())
        .bind(scope.business_unit_filter())
        .fetch_all(conn)
        .await
        .expect("query")
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect()
    }

    #[tokio::test]
    async fn the_sql_filter_and_the_checks_agree_on_both_databases() {
        let database = crate::testing::TestDatabase::create()
            .await
            .expect("database");
        let db = Db::connect(&database.config).await.expect("connect");
        db.migrate(
            &sqlx::migrate::Migrator::DEFAULT,
            &sqlx::migrate::Migrator::DEFAULT,
        )
        .await
        .expect("migrate");
        let mut conn = db.pool.acquire().await.expect("connection");
        for (customer, region, unit) in [
            ("C-1", "EU", "steel"),
            ("C-2", "EU-WEST", "steel"),
            ("C-3", "US", "paper"),
            ("C-4", "EU", "paper"),
        ] {
            let place = CustomerScope {
                region: region.into(),
                business_unit: unit.into(),
            };
            record(&mut conn, customer, &place, 1)
                .await
                .expect("record");
        }
        // A move to another region replaces the old one.
        let moved = CustomerScope {
            region: "US".into(),
            business_unit: "steel".into(),
        };
        record(&mut conn, "C-5", &moved, 1).await.expect("record");
        let cases = [
            (DataScope::all(), vec!["C-1", "C-2", "C-3", "C-4", "C-5"]),
            (limited(&["EU"], None), vec!["C-1", "C-4"]),
            (limited(&["EU", "US"], Some(&["steel"])), vec!["C-1", "C-5"]),
            (
                DataScope::from_claims(None, Some(vec!["paper".into()])).expect("claims"),
                vec!["C-3", "C-4"],
            ),
            (limited(&[], None), vec![]),
        ];
        for (scope, expected) in cases {
            assert_eq!(listed(&mut conn, &scope).await, expected, "{scope:?}");
            for customer in ["C-1", "C-2", "C-3", "C-4", "C-5", "C-unknown"] {
                let seen = sees(&mut conn, &scope, customer).await.expect("sees");
                let listed = expected.contains(&customer);
                assert_eq!(seen, listed || scope.is_all(), "{customer} for {scope:?}");
                let change = may_change(&mut conn, &scope, customer).await;
                assert_eq!(change.is_ok(), seen);
                if let Err(refusal) = change {
                    let status = tonic::Status::from(refusal);
                    assert_eq!(status.code(), tonic::Code::PermissionDenied);
                }
            }
        }
    }
}
