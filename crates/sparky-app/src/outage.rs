//! Logging a database outage without flooding the log: every request fails the same way while
//! the database is down (hundreds a second under load), so the log says so once, then once per
//! interval with the number of failures since.

use std::fmt::Display;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const INTERVAL: Duration = Duration::from_secs(10);

static REPORTER: Mutex<Reporter> = Mutex::new(Reporter::new(INTERVAL));

/// A request failed because the database could not be reached.
pub fn database_unavailable(detail: &dyn Display) {
    let report = match REPORTER.lock() {
        Ok(mut r) => r.failure(Instant::now()),
        Err(_) => Some(Report {
            failures: 1,
            since: None,
        }),
    };
    match report {
        Some(Report {
            failures,
            since: Some(since),
        }) => tracing::warn!(
            failures,
            seconds = since.as_secs(),
            "database unavailable: {failures} requests failed in the last {} s; latest: {detail}",
            since.as_secs()
        ),
        Some(Report { since: None, .. }) => tracing::warn!("database unavailable: {detail}"),
        None => {}
    }
}

/// What to log now.
#[derive(Debug, PartialEq, Eq)]
struct Report {
    /// Failures since the previous line, this one included.
    failures: u64,
    /// Time since the previous line; `None` for the first failure after a quiet interval.
    since: Option<Duration>,
}

struct Reporter {
    interval: Duration,
    last_line: Option<Instant>,
    /// Failures not yet reported.
    pending: u64,
}

impl Reporter {
    const fn new(interval: Duration) -> Reporter {
        Reporter {
            interval,
            last_line: None,
            pending: 0,
        }
    }

    fn failure(&mut self, now: Instant) -> Option<Report> {
        self.pending += 1;
        let since = match self.last_line {
            Some(last) if now.duration_since(last) < self.interval => return None,
            Some(last) => now.duration_since(last),
            None => {
                self.last_line = Some(now);
                self.pending = 0;
                return Some(Report {
                    failures: 1,
                    since: None,
                });
            }
        };
        let failures = std::mem::take(&mut self.pending);
        self.last_line = Some(now);
        // Only this failure since a line long ago: a new outage, not the same one.
        if failures == 1 {
            return Some(Report {
                failures,
                since: None,
            });
        }
        Some(Report {
            failures,
            since: Some(since),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_count() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut r = Reporter::new(Duration::from_secs(10));
        assert_eq!(
            r.failure(at(0)),
            Some(Report {
                failures: 1,
                since: None
            })
        );
        // 500 more failures within the interval: silent.
        for i in 1..=500 {
            assert_eq!(r.failure(at(i * 10)), None);
        }
        // The first failure after the interval reports all of them.
        assert_eq!(
            r.failure(at(10_000)),
            Some(Report {
                failures: 501,
                since: Some(Duration::from_secs(10))
            })
        );
        assert_eq!(r.failure(at(12_000)), None);
        assert_eq!(
            r.failure(at(25_000)),
            Some(Report {
                failures: 2,
                since: Some(Duration::from_secs(15))
            })
        );
        // Quiet for a long time, then a single failure: reported as new.
        assert_eq!(
            r.failure(at(100_000)),
            Some(Report {
                failures: 1,
                since: None
            })
        );
    }
}
