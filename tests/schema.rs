//! One schema on both databases (issue 13): every service's PostgreSQL and SQLite migrations
//! (with the platform's, which every service runs first) produce the same tables with the same columns and the same NOT NULL constraints, so code
//! tested on one backend does not meet a different table on the other.
//!
//! Needs PostgreSQL: it runs in the PostgreSQL pass (`TEST_DATABASE_URL` set, as `.ci/run` does)
//! and says so when skipped.
use credit_platform::db::Db;
use credit_platform::runtime::ServiceSpec;
use credit_platform::testing::TestDatabase;
use sqlx::Row;
use std::collections::BTreeSet;

/// (table, column, NOT NULL)
type Shape = BTreeSet<(String, String, bool)>;

async fn sqlite_shape(db: &Db) -> Shape {
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_%' ESCAPE '\\'",
    )
    .fetch_all(&db.pool)
    .await
    .expect("tables")
    .iter()
    .map(|row| row.get::<String, _>(0))
    .collect();
    let mut shape = Shape::new();
    for table in tables {
        let columns = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')"
        )))
        .fetch_all(&db.pool)
        .await
        .expect("columns");
        for column in columns {
            // A primary-key column is NOT NULL on PostgreSQL whatever SQLite's pragma says.
            let not_null = column.get::<i64, _>(1) == 1 || column.get::<i64, _>(2) > 0;
            shape.insert((table.clone(), column.get::<String, _>(0), not_null));
        }
    }
    shape
}

async fn postgres_shape(db: &Db) -> Shape {
    sqlx::query(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%' ESCAPE '\\'",
    )
    .fetch_all(&db.pool)
    .await
    .expect("columns")
    .iter()
    .map(|row| {
        (
            row.get::<String, _>(0),
            row.get::<String, _>(1),
            row.get::<String, _>(2) == "NO",
        )
    })
    .collect()
}

#[tokio::test]
async fn every_service_has_the_same_tables_and_columns_on_postgresql_and_sqlite() {
    let Some(postgres_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        eprintln!("skipped: needs PostgreSQL (set TEST_DATABASE_URL; .ci/run does)");
        return;
    };
    let specs: [ServiceSpec; 5] = [
        credit_limits::SPEC,
        credit_scoring::SPEC,
        credit_applications::SPEC,
        credit_collections::SPEC,
        credit_audit::SPEC,
    ];
    let mut differences = Vec::new();
    for spec in specs {
        let sqlite_database = TestDatabase::create_on(None).await.expect("sqlite");
        let postgres_database = TestDatabase::create_on(Some(&postgres_url))
            .await
            .expect("postgres");
        let sqlite = Db::connect(&sqlite_database.config).await.expect("sqlite");
        let postgres = Db::connect(&postgres_database.config)
            .await
            .expect("postgres");
        sqlite
            .migrate(spec.postgres_migrations, spec.sqlite_migrations)
            .await
            .expect("sqlite migrations");
        postgres
            .migrate(spec.postgres_migrations, spec.sqlite_migrations)
            .await
            .expect("postgres migrations");
        let (on_sqlite, on_postgres) =
            (sqlite_shape(&sqlite).await, postgres_shape(&postgres).await);
        assert!(!on_sqlite.is_empty(), "{}: no tables on SQLite", spec.name);
        for only in on_sqlite.difference(&on_postgres) {
            differences.push(format!("{}: only on SQLite {only:?}", spec.name));
        }
        for only in on_postgres.difference(&on_sqlite) {
            differences.push(format!("{}: only on PostgreSQL {only:?}", spec.name));
        }
        sqlite.pool.close().await;
        postgres.pool.close().await;
    }
    assert!(
        differences.is_empty(),
        "the schemas differ (table, column, NOT NULL):\n{}",
        differences.join("\n")
    );
}
