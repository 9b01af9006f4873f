//! Leases: a background task that must run once across a service's replicas (a sweep, a
//! delivery queue, a feed follower, a signer) runs only in the replica holding its lease in
//! the service's own database (`task_leases`). The holder renews it every third of its time to
//! live; a holder that stops renewing — it died, hung or lost its database — loses it when it
//! lapses, and another replica takes the task over within one time to live. A replica that
//! shuts down gives its leases back, so a rolling restart hands work over at once.
//!
//! Lease time is the machines' UTC wall clock, not the service's (injectable, possibly frozen)
//! business clock: a lapse must happen in real time.
use crate::db::Db;
use std::time::Duration;

/// How long a lease lasts without renewal (the longest hand-over after a replica dies).
pub const DEFAULT_TIME_TO_LIVE: Duration = Duration::from_secs(15);

/// A new holder's name: the host (the Pod's name in a cluster), the process id and a random
/// tag, so a restarted process on the same host, or a second service runtime in one process,
/// is another holder.
pub fn new_holder_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".into());
    let tag = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}/{}/{}", std::process::id(), &tag[..8])
}

/// The lease of one task, as one holder sees it.
#[derive(Clone, Debug)]
pub struct Lease {
    db: Db,
    task: String,
    holder: String,
    time_to_live: Duration,
}

/// Now on the machines' clock (the system clock, whatever clock the service runs on).
fn micros_now() -> i64 {
    use crate::clock::Clock;
    crate::clock::SystemClock.now()
}

impl Lease {
    /// The lease of `task` for `holder`.
    pub fn new(db: Db, task: impl Into<String>, holder: impl Into<String>, ttl: Duration) -> Self {
        Self {
            db,
            task: task.into(),
            holder: holder.into(),
            time_to_live: ttl,
        }
    }

    /// How often the holder renews.
    pub fn renew_every(&self) -> Duration {
        self.time_to_live / 3
    }

    /// Takes the lease when it is free or lapsed, or renews it when this holder has it: true
    /// when this holder holds it for one more time to live. One statement, so two replicas
    /// asking at once cannot both win.
    pub async fn try_hold(&self) -> sqlx::Result<bool> {
        let now = micros_now();
        let until = now + self.time_to_live.as_micros() as i64;
        let held = sqlx::query(
            "INSERT INTO task_leases (task, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (task) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at \
             WHERE task_leases.holder = excluded.holder OR task_leases.expires_at <= $4",
        )
        .bind(self.task.clone())
        .bind(self.holder.clone())
        .bind(until)
        .bind(now)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(held == 1)
    }

    /// Gives the lease back (when this holder has it), so another replica need not wait for
    /// it to lapse.
    pub async fn give_back(&self) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM task_leases WHERE task = $1 AND holder = $2")
            .bind(self.task.clone())
            .bind(self.holder.clone())
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Who holds the lease now (None when free or lapsed).
    pub async fn holder(&self) -> sqlx::Result<Option<String>> {
        use sqlx::Row;
        sqlx::query("SELECT holder FROM task_leases WHERE task = $1 AND expires_at > $2")
            .bind(self.task.clone())
            .bind(micros_now())
            .fetch_optional(&self.db.pool)
            .await?
            .map(|row| row.try_get(0))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_and_another_takes_over_when_it_lapses_or_is_given_back() {
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
        let ttl = Duration::from_millis(300);
        let a = Lease::new(db.clone(), "sweep", "a", ttl);
        let b = Lease::new(db.clone(), "sweep", "b", ttl);
        assert!(a.try_hold().await.expect("a asks"), "free: a takes it");
        assert!(!b.try_hold().await.expect("b asks"), "held by a");
        assert!(a.try_hold().await.expect("a renews"), "a renews");
        assert_eq!(a.holder().await.expect("holder").as_deref(), Some("a"));
        let other = Lease::new(db.clone(), "delivery", "b", ttl);
        assert!(
            other.try_hold().await.expect("b asks"),
            "each task has its lease"
        );

        // a stops renewing: b gets it once it lapses, not before.
        tokio::time::sleep(ttl + Duration::from_millis(50)).await;
        assert!(b.try_hold().await.expect("b asks"), "lapsed: b takes over");
        assert!(!a.try_hold().await.expect("a asks"), "a lost it");

        // Given back: free at once.
        b.give_back().await.expect("give back");
        assert_eq!(a.holder().await.expect("holder"), None);
        assert!(
            a.try_hold().await.expect("a asks"),
            "given back: a takes it"
        );
        // Giving back what another holds changes nothing.
        b.give_back().await.expect("give back");
        assert_eq!(a.holder().await.expect("holder").as_deref(), Some("a"));
    }
}
