//! Test support: a fresh, isolated database per test. SQLite in a temporary directory by default;
//! a new PostgreSQL database when `TEST_DATABASE_URL` is set (dropped when the guard goes).
use crate::db::DatabaseConfig;
use sqlx::Connection;

/// A database that exists for one test.
pub struct TestDatabase {
    /// Settings that connect to it.
    pub config: DatabaseConfig,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates an empty database: PostgreSQL when `TEST_DATABASE_URL` is set, else SQLite.
    pub async fn create() -> anyhow::Result<Self> {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty());
        Self::create_on(admin_url.as_deref()).await
    }

    /// Creates an empty database inside the PostgreSQL server of `admin_url`, or a SQLite file in
    /// a temporary directory when `None`.
    pub async fn create_on(admin_url: Option<&str>) -> anyhow::Result<Self> {
        match admin_url {
            Some(admin_url) => {
                let admin_url = admin_url.to_string();
                sqlx::any::install_default_drivers();
                let name = format!("credit_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::AnyConnection::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                let url = replace_database(&admin_url, &name);
                Ok(Self {
                    config: DatabaseConfig::new(url),
                    _dir: None,
                    postgres: Some((admin_url, name)),
                })
            }
            None => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Ok(Self {
                    config: DatabaseConfig::new(url),
                    _dir: Some(dir),
                    postgres: None,
                })
            }
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block: use a thread of our own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut admin) = sqlx::AnyConnection::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let root = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{database}?{query}"),
        None => format!("{root}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            super::replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::replace_database("postgres://h/db?sslmode=disable", "y"),
            "postgres://h/y?sslmode=disable"
        );
        assert_eq!(
            super::replace_database("postgres://h", "z"),
            "postgres://h/z"
        );
    }
}
