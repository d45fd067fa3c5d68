//! The SSRF guard: who may point the assistant at a private-network address.

use std::net::IpAddr;
use std::time::Duration;

use sparky_db::UserTx;

use super::{is_private, Assistant};
use crate::error::{AppError, AppResult};

/// The SSRF guard: refuses a URL whose host is (or resolves to) a private address unless the
/// caller is the administrator or `SPARKY_AI_ALLOW_PRIVATE` is set.
pub async fn guard_url(tx: &mut UserTx, a: &Assistant, url: &str) -> AppResult<()> {
    if a.instance.allow_private {
        return Ok(());
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|_| AppError::invalid("base_url", "is not a URL"))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| AppError::invalid("base_url", "has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let private = match host.parse::<IpAddr>() {
        Ok(ip) => is_private(ip),
        Err(_) => {
            let lower = host.to_ascii_lowercase();
            if lower == "localhost"
                || lower.ends_with(".localhost")
                || lower.ends_with(".local")
                || lower.ends_with(".internal")
                || !lower.contains('.')
            {
                true
            } else {
                let lookup = tokio::time::timeout(
                    Duration::from_secs(5),
                    tokio::net::lookup_host((lower.as_str(), port)),
                )
                .await;
                match lookup {
                    Ok(Ok(addrs)) => {
                        let addrs: Vec<_> = addrs.collect();
                        addrs.is_empty() || addrs.iter().any(|a| is_private(a.ip()))
                    }
                    // Unresolvable: refused for non-administrators (it could be internal).
                    _ => true,
                }
            }
        }
    };
    if !private {
        return Ok(());
    }
    if may_use_private(tx, a).await? {
        Ok(())
    } else {
        Err(AppError::invalid(
            "base_url",
            format!(
                "{host} is a private-network address (or cannot be resolved); only the administrator \
                 may point the assistant there (or the server sets SPARKY_AI_ALLOW_PRIVATE=1)"
            ),
        ))
    }
}

/// Whether the caller may point the assistant at private-network addresses: the
/// administrator, or everyone with `SPARKY_AI_ALLOW_PRIVATE`.
pub(super) async fn may_use_private(tx: &mut UserTx, a: &Assistant) -> AppResult<bool> {
    if a.instance.allow_private {
        return Ok(true);
    }
    Ok(tx
        .query_one(
            "SELECT coalesce((SELECT is_admin FROM users WHERE id = auth.uid()), false)",
            &[],
        )
        .await?
        .get(0))
}
