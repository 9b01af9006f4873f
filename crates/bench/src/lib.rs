//! What the bench binaries share: timing a number of calls spread over concurrent callers.
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};

/// Runs `f(client, i)` for i in 0..calls over `concurrency` callers; answers the latency
/// histogram (microseconds) and the wall time.
pub async fn timed<C, F, Fut>(
    calls: usize,
    concurrency: usize,
    client: &C,
    f: F,
) -> anyhow::Result<(Histogram<u64>, Duration)>
where
    C: Clone + Send + 'static,
    F: Fn(C, usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let f = f.clone();
        workers.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
            let mut i = worker;
            while i < calls {
                let t = Instant::now();
                f(client.clone(), i).await?;
                h.record(t.elapsed().as_micros().max(1) as u64)?;
                i += concurrency;
            }
            Ok::<_, anyhow::Error>(h)
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for w in workers {
        all.add(w.await??)?;
    }
    Ok((all, started.elapsed()))
}

/// The `q` quantile in milliseconds.
pub fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}
