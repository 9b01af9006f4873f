//! PostgreSQL over TLS (issue 16): when `TEST_DATABASE_URL` asks for it (CI turns TLS on in the
//! local server and gives `sslmode=verify-full` with its CA, see .ci/postgres-tls), the
//! services' pools talk to PostgreSQL encrypted and verify the server; `sslmode=require` works
//! too; and a server certificate from another CA is refused. `TEST_DATABASE_TLS=required`
//! (CI sets it) makes a plaintext URL a failure instead of a skip.
use credit_platform::db::{DatabaseConfig, Db};
use credit_platform::testing::TestDatabase;

async fn encrypted(url: &str) -> anyhow::Result<bool> {
    let db = Db::connect(&DatabaseConfig::new(url.to_string())).await?;
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&db.pool)
        .await?;
    Ok(ssl)
}

/// `url` with its sslmode and sslrootcert replaced by `params`.
fn with_tls(url: &str, params: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("sslmode=") && !p.starts_with("sslrootcert="))
        .collect();
    kept.push(params);
    format!("{base}?{}", kept.join("&"))
}

#[tokio::test]
async fn the_pool_talks_to_postgresql_over_verified_tls_when_the_url_asks() {
    let Some(admin) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    let required = std::env::var("TEST_DATABASE_TLS").is_ok_and(|v| v == "required");
    if !admin.contains("sslmode=verify-full") {
        assert!(
            !required,
            "TEST_DATABASE_TLS=required but TEST_DATABASE_URL does not ask for verify-full"
        );
        eprintln!("TEST_DATABASE_URL asks for no verified TLS: nothing to check");
        return;
    }
    let db = TestDatabase::create().await.expect("database");
    let url = {
        use credit_platform::secret::ExposeSecret;
        db.config.database_url.expose_secret().to_string()
    };
    assert!(
        encrypted(&url).await.expect("verify-full connects"),
        "verify-full"
    );
    assert!(
        encrypted(&with_tls(&url, "sslmode=require"))
            .await
            .expect("require connects"),
        "require"
    );
    // Public CAs did not sign this server's certificate: verification fails.
    let public = "/etc/ssl/certs/ca-certificates.crt";
    if std::path::Path::new(public).exists() {
        let other = with_tls(&url, &format!("sslmode=verify-full&sslrootcert={public}"));
        assert!(
            encrypted(&other).await.is_err(),
            "a server certificate from another CA is refused"
        );
    }
}
