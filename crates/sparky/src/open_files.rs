//! The open-files limit of `sparky serve`. Every client connection, pooled database connection
//! and file being read is a file descriptor, and the usual soft limit (1024) lets a few hundred
//! idle keep-alive connections make the server refuse everyone else, including its own new
//! database connections. The hard limit is the administrator's; the soft one is ours to raise.

use nix::sys::resource::{getrlimit, setrlimit, Resource, RLIM_INFINITY};

/// Linux's default ceiling for one process (`fs.nr_open`): a hard limit of "unlimited" cannot
/// be set as the soft limit, this can.
const NR_OPEN_DEFAULT: u64 = 1 << 20;

/// Below this, the server warns: a busy household plus a reverse proxy fit, a flood does not.
const WARN_BELOW: u64 = 4096;

/// Raises the soft limit on open files to the hard limit; warns when even that is low, saying
/// how to raise it.
pub fn raise_limit() {
    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(e) => {
            tracing::warn!("cannot read the open-files limit: {e}");
            return;
        }
    };
    let target = if hard == RLIM_INFINITY {
        NR_OPEN_DEFAULT
    } else {
        hard
    };
    let mut limit = soft;
    if soft < target {
        match setrlimit(Resource::RLIMIT_NOFILE, target, hard) {
            Ok(()) => {
                tracing::debug!(from = soft, to = target, "raised the open-files limit");
                limit = target;
            }
            Err(e) => tracing::warn!(soft, hard, "cannot raise the open-files limit: {e}"),
        }
    }
    if limit < WARN_BELOW {
        tracing::warn!(
            "only {limit} open files are allowed, so only a few hundred clients can be \
             connected at once; raise the hard limit (ulimit -Hn, or LimitNOFILE= in the \
             systemd unit)"
        );
    }
}
