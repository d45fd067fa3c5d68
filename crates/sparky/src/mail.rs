//! Mail settings (`SPARKY_SMTP_URL`, `SPARKY_MAIL_FROM`) for `serve`, and `sparky mail-test`.

use std::process::ExitCode;

use anyhow::Context;
use sparky_providers::mail::Mailer;

use crate::cli::MailArgs;

/// The mailer of the settings, None when no SMTP server is set; a sender missing or either
/// setting malformed is an error naming it.
pub(crate) fn mailer(args: &MailArgs) -> anyhow::Result<Option<Mailer>> {
    let Some(url) = args.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    let from = args
        .mail_from
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .context(
            "SPARKY_SMTP_URL is set but SPARKY_MAIL_FROM is not: set the sender, e.g. \
             SPARKY_MAIL_FROM=\"Sparky <sparky@example.com>\"",
        )?;
    Ok(Some(Mailer::new(url, from)?))
}

/// `sparky mail-test TO`: one message through the configured server, or the reason it failed.
pub(crate) async fn mail_test(to: &str, args: &MailArgs) -> anyhow::Result<ExitCode> {
    let mailer = mailer(args)?.context(
        "SPARKY_SMTP_URL is not set: there is no mail server to test (see the README, Configuration)",
    )?;
    if let Some(warning) = mailer.warning() {
        eprintln!("warning: {warning}");
    }
    mailer
        .send(
            to,
            None,
            "Sparky test message",
            "This message was sent by `sparky mail-test`: Sparky's mail settings work, so \
             people who forget their password can ask for a password link on the sign-in page.\n"
                .to_string(),
        )
        .await?;
    eprintln!("sent to {} through {}", to.trim(), mailer.server());
    Ok(ExitCode::SUCCESS)
}
