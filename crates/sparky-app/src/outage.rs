//! During a database outage every request fails the same way; the log says so once per
//! interval with a count instead of once per request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often an ongoing outage is reported.
const INTERVAL: Duration = Duration::from_secs(10);

static SUPPRESSED: AtomicU64 = AtomicU64::new(0);
static LAST: Mutex<Option<Instant>> = Mutex::new(None);

/// Records one request that failed because the database is unavailable, logging the first
/// and then at most one line per interval with how many failed since.
pub fn database_unavailable(error: &dyn std::fmt::Display) {
    let now = Instant::now();
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    match *last {
        Some(at) if now.duration_since(at) < INTERVAL => {
            SUPPRESSED.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            let since = SUPPRESSED.swap(0, Ordering::Relaxed);
            if since > 0 {
                tracing::warn!(
                    failed_requests = since + 1,
                    "database still unavailable: {error}"
                );
            } else {
                tracing::warn!("database unavailable: {error}");
            }
            *last = Some(now);
        }
    }
}
