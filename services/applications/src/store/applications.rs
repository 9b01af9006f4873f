//! Applications: the searchable columns, sealed sensitive fields, and the application itself.
use crate::domain::application::Application;
use crate::domain::state::State;
use credit_platform::clock::Micros;
use credit_platform::customer_in_scope;
use credit_platform::records::{decode, encode};
use credit_platform::scope::DataScope;
use sqlx::{AnyConnection, Row};

/// An application as stored: the encoded application with sensitive fields masked, the sealed
/// clear values, and the columns queries need.
#[derive(Debug, Clone)]
pub struct StoredApplication {
    pub application_id: String,
    /// The customer.
    pub customer_id: String,
    pub state: State,
    /// Keyed fingerprint of the tax id ('' when none).
    pub tax_fingerprint: String,
    /// ",role,role," of the current step.
    pub awaiting_roles: String,
    /// When the current step is due (0: none, or its overdue alarm was raised).
    pub due_at: Micros,
    /// When the approved customer is due for review (0: not scheduled, or a case is open).
    pub review_at: Micros,
    /// For the duplicate message.
    pub legal_name: String,
    /// The application's record, sensitive fields masked (stored as JSON).
    pub body: Application,
    /// The sealed JSON of its sensitive fields in clear (`domain::application::Sensitive`).
    pub sensitive: String,
    pub created_by: String,
    pub created_at: Micros,
    /// Last change.
    pub updated_at: Micros,
}

/// The columns of a [`StoredApplication`], in one place for every query (SQL must be static
/// text).
macro_rules! columns {
    () => {
        "application_id, customer_id, state, tax_fingerprint, awaiting_roles, legal_name, body, \
         sensitive, created_by, created_at, updated_at, due_at, review_at"
    };
}

fn from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<StoredApplication> {
    let state: String = row.try_get("state")?;
    Ok(StoredApplication {
        application_id: row.try_get("application_id")?,
        customer_id: row.try_get("customer_id")?,
        state: State::from_name(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown state {state}").into()))?,
        tax_fingerprint: row.try_get("tax_fingerprint")?,
        awaiting_roles: row.try_get("awaiting_roles")?,
        due_at: row.try_get("due_at")?,
        review_at: row.try_get("review_at")?,
        legal_name: row.try_get("legal_name")?,
        body: decode(row.try_get("body")?)?,
        sensitive: row.try_get("sensitive")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts a new application (a unique violation: another open one has the tax id).
pub async fn insert(conn: &mut AnyConnection, a: &StoredApplication) -> sqlx::Result<()> {
    sqlx::query(concat!(
        "INSERT INTO applications (",
        columns!(),
        ", open) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(a.application_id.clone())
    .bind(a.customer_id.clone())
    .bind(a.state.name())
    .bind(a.tax_fingerprint.clone())
    .bind(a.awaiting_roles.clone())
    .bind(a.legal_name.clone())
    .bind(encode(&a.body))
    .bind(a.sensitive.clone())
    .bind(a.created_by.clone())
    .bind(a.created_at)
    .bind(a.updated_at)
    .bind(a.due_at)
    .bind(a.review_at)
    .bind(i32::from(a.state.is_open()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes an application's new content and state.
pub async fn update(conn: &mut AnyConnection, a: &StoredApplication) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE applications SET customer_id = $2, state = $3, tax_fingerprint = $4, \
         awaiting_roles = $5, legal_name = $6, body = $7, sensitive = $8, updated_at = $9, \
         open = $10, due_at = $11, review_at = $12 WHERE application_id = $1",
    )
    .bind(a.application_id.clone())
    .bind(a.customer_id.clone())
    .bind(a.state.name())
    .bind(a.tax_fingerprint.clone())
    .bind(a.awaiting_roles.clone())
    .bind(a.legal_name.clone())
    .bind(encode(&a.body))
    .bind(a.sensitive.clone())
    .bind(a.updated_at)
    .bind(i32::from(a.state.is_open()))
    .bind(a.due_at)
    .bind(a.review_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Applications in review whose current step was due by `now`, oldest due first.
pub async fn overdue(
    conn: &mut AnyConnection,
    now: Micros,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query(
        "SELECT application_id FROM applications WHERE due_at > 0 AND due_at <= $1 \
         AND state = 'IN_REVIEW' ORDER BY due_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| row.try_get(0))
    .collect()
}

/// Approved applications whose review fell due by `now`, earliest first.
pub async fn due_reviews(
    conn: &mut AnyConnection,
    now: Micros,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query(
        "SELECT application_id FROM applications WHERE review_at > 0 AND review_at <= $1 \
         AND state = 'APPROVED' ORDER BY review_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| row.try_get(0))
    .collect()
}

/// Every application that left the draft state at least once (masked).
pub async fn submitted(
    conn: &mut AnyConnection,
    scope: &DataScope,
) -> sqlx::Result<Vec<Application>> {
    credit_platform::records::many(
        conn,
        concat!(
            "SELECT body FROM applications WHERE state <> 'DRAFT' AND ",
            customer_in_scope!("customer_id", "$1", "$2")
        ),
        &[&scope.region_filter(), &scope.business_unit_filter()],
        None,
    )
    .await
}

/// One application.
pub async fn get(
    conn: &mut AnyConnection,
    application_id: &str,
) -> sqlx::Result<Option<StoredApplication>> {
    sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM applications WHERE application_id = $1"
    ))
    .bind(application_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Another open application with one of `fingerprints`: its id and legal name.
pub async fn open_with_tax_id(
    conn: &mut AnyConnection,
    fingerprints: &[String],
    except: &str,
) -> sqlx::Result<Option<String>> {
    for fingerprint in fingerprints.iter().filter(|f| !f.is_empty()) {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT application_id FROM applications \
             WHERE tax_fingerprint = $1 AND open = 1 AND application_id <> $2",
        )
        .bind(fingerprint.clone())
        .bind(except.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        if id.is_some() {
            return Ok(id);
        }
    }
    Ok(None)
}

/// The customer's latest approved application.
pub async fn latest_approved(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> sqlx::Result<Option<StoredApplication>> {
    sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM applications WHERE customer_id = $1 AND state = 'APPROVED' \
         ORDER BY application_id DESC LIMIT 1"
    ))
    .bind(customer_id.to_string())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Takes the customer's other applications off the review schedule (a newer approval carries
/// the next review).
pub async fn unschedule_other_reviews(
    conn: &mut AnyConnection,
    customer_id: &str,
    except: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE applications SET review_at = 0 \
         WHERE customer_id = $1 AND application_id <> $2 AND review_at > 0",
    )
    .bind(customer_id.to_string())
    .bind(except.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// What ListApplications filters on.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this state.
    pub state: Option<State>,
    /// Only this customer.
    pub customer_id: Option<String>,
    /// Only those whose current step this role acts on.
    pub awaiting_role: Option<String>,
    /// Only customers inside this data scope.
    pub scope: DataScope,
}

/// Applications before `before` (ids are UUID v7: newest first), filtered.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    before: &str,
    limit: i64,
) -> sqlx::Result<Vec<StoredApplication>> {
    sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM applications WHERE ($1 = '' OR application_id < $1) \
         AND ($2 = '' OR state = $2) AND ($3 = '' OR customer_id = $3) \
         AND ($4 = '' OR awaiting_roles LIKE $4) AND ",
        customer_in_scope!("customer_id", "$6", "$7"),
        " ORDER BY application_id DESC LIMIT $5"
    ))
    .bind(before.to_string())
    .bind(filter.state.map(State::name).unwrap_or_default())
    .bind(filter.customer_id.clone().unwrap_or_default())
    .bind(
        filter
            .awaiting_role
            .as_ref()
            .map(|r| format!("%,{r},%"))
            .unwrap_or_default(),
    )
    .bind(limit)
    .bind(filter.scope.region_filter())
    .bind(filter.scope.business_unit_filter())
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}
