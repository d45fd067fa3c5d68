//! Password links by e-mail: the message, and sending it after the request has been answered
//! (so an answer's timing tells nothing, and a slow mail server delays nobody). Used by
//! "Forgot your password?" (the person asks) and by Settings → Accounts and the admin API (an
//! administrator sends one).

use chrono::{DateTime, Utc};
use sparky_app::accounts::password_links;
use sparky_app::{AppError, AppResult};
use sparky_db::UserTx;
use sparky_providers::mail::Mailer;

use crate::i18n::Messages;
use crate::AppState;

/// The mailer and the public address links start with, when this server can mail links:
/// never the address a request claims in its Host header, which anyone can set.
pub fn ready(state: &AppState) -> Option<(Mailer, String)> {
    Some((
        state.config.mail.clone()?,
        state.config.public_origin.clone()?,
    ))
}

/// What this server needs to mail links, for the error that says it cannot.
pub fn not_configured() -> AppError {
    AppError::NotConfigured(
        "this server does not send e-mail (it needs SPARKY_SMTP_URL, SPARKY_MAIL_FROM and \
         SPARKY_PUBLIC_URL): ask its administrator for a password link",
    )
}

/// Who made the link a message carries.
pub enum Maker {
    /// Someone who knew the address asked for it (perhaps not its owner).
    Asked,
    /// An administrator of the server.
    Administrator,
}

/// One link to mail: where to, and what the message says about it.
pub struct LinkMail {
    pub email: String,
    pub full_name: Option<String>,
    pub url: String,
    pub expires_at: DateTime<Utc>,
    /// The account's timezone (IANA name), for "until when".
    pub timezone: String,
}

impl LinkMail {
    /// The link a live `token` is, read back from the database as anyone holding it could:
    /// the account's address, name and timezone come with it.
    pub async fn of_token(tx: &mut UserTx, url: &str) -> AppResult<LinkMail> {
        let token = url
            .rsplit_once("token=")
            .map(|(_, t)| t)
            .ok_or_else(|| AppError::internal("a password link without its token"))?;
        let account = password_links::find(tx, token).await?;
        Ok(LinkMail {
            email: account.email,
            full_name: account.full_name,
            url: url.to_string(),
            expires_at: account.expires_at,
            timezone: account.timezone,
        })
    }
}

/// The subject and plain-text body of the message carrying `link`.
pub fn compose(t: Messages, origin: &str, link: &LinkMail, maker: Maker) -> (String, String) {
    // A message is read anywhere: the time says its zone.
    let until = format!(
        "{} ({})",
        super::forms::when(&t, link.expires_at, &link.timezone),
        link.timezone
    );
    let greeting = match link.full_name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(name) => t.fill("mail.link_greeting_name", &[("name", name)]),
        None => t.get("mail.link_greeting").to_string(),
    };
    let why = match maker {
        Maker::Asked => "mail.link_asked",
        Maker::Administrator => "mail.link_made",
    };
    let mut parts = vec![
        greeting,
        t.fill(why, &[("email", link.email.as_str()), ("server", origin)]),
        link.url.clone(),
        t.fill("mail.link_until", &[("when", until.as_str())]),
    ];
    if let Maker::Asked = maker {
        parts.push(t.get("mail.link_not_you").to_string());
    }
    (
        t.get("mail.link_subject").to_string(),
        parts.join("\n\n") + "\n",
    )
}

/// Sends `link` now (in English), for callers that wait to report the outcome (the CLI).
pub async fn send_now(
    mailer: &Mailer,
    origin: &str,
    link: &LinkMail,
    maker: Maker,
) -> Result<(), sparky_providers::mail::MailError> {
    let (subject, body) = compose(Messages::default(), origin, link, maker);
    mailer
        .send(&link.email, link.full_name.as_deref(), &subject, body)
        .await
}

/// Sends `link` in the background (a stopping server waits for it); a failure is logged
/// (never shown to whoever asked).
pub fn send_later(mailer: Mailer, t: Messages, origin: &str, link: LinkMail, maker: Maker) {
    let (subject, body) = compose(t, origin, &link, maker);
    let sender = mailer.clone();
    sender.in_background(async move {
        let name = link.full_name.as_deref();
        match mailer.send(&link.email, name, &subject, body).await {
            Ok(()) => tracing::info!(server = mailer.server(), "password link mailed"),
            Err(e) => tracing::warn!(
                server = mailer.server(),
                "a password link could not be mailed: {e}"
            ),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(name: Option<&str>) -> LinkMail {
        LinkMail {
            email: "ann@example.com".into(),
            full_name: name.map(str::to_string),
            url: "https://fit.example.com/set-password?token=s3cr3t".into(),
            expires_at: chrono::Utc::now(),
            timezone: "Europe/Berlin".into(),
        }
    }

    #[test]
    fn the_message_carries_the_link_and_says_who_made_it() {
        let origin = "https://fit.example.com";
        let t = Messages::default();
        let (subject, body) = compose(t, origin, &link(Some("Ann")), Maker::Asked);
        assert_eq!(subject, "Your Sparky password link");
        assert!(body.starts_with("Hello Ann,"), "{body}");
        assert!(body.contains("\n\nhttps://fit.example.com/set-password?token=s3cr3t\n\n"));
        assert!(body.contains("asked for a link"), "{body}");
        assert!(body.contains(" (Europe/Berlin), "), "{body}");
        assert!(body.contains("ignore this message"), "{body}");
        let (_, body) = compose(t, origin, &link(Some(" ")), Maker::Administrator);
        assert!(body.starts_with("Hello,"), "{body}");
        assert!(
            body.contains("An administrator of https://fit.example.com"),
            "{body}"
        );
        assert!(!body.contains("ignore this message"), "{body}");
    }
}
