//! Mail settings (`SPARKY_SMTP_URL`, `SPARKY_MAIL_FROM`) for `serve`, and `sparky mail-test`.

use std::process::ExitCode;

use anyhow::Context;
use sparky_db::doctor::{Finding, Level};
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

/// The mailer for password links: [`mailer`] and the public address the links start with.
/// A half-made setting is refused with what is missing, not found out when someone forgets a
/// password (`serve` stops; `doctor` reports it).
pub(crate) fn link_mailer(
    args: &MailArgs,
    public_url: Option<&str>,
) -> anyhow::Result<Option<Mailer>> {
    let mailer = mailer(args)?;
    if mailer.is_some() && public_url.is_none_or(|u| u.trim().is_empty()) {
        anyhow::bail!(
            "SPARKY_SMTP_URL is set but SPARKY_PUBLIC_URL is not: mailed password links start \
             with the server's public address (e.g. SPARKY_PUBLIC_URL=https://fit.example.com)"
        );
    }
    Ok(mailer)
}

/// `sparky doctor`'s look at the mail settings: complete, safe, and the server answers.
pub(crate) async fn doctor_finding(args: &MailArgs, public_url: Option<&str>) -> Finding {
    let finding = |level, message: String| Finding {
        check: "mail",
        level,
        message,
    };
    let mailer = match link_mailer(args, public_url) {
        Ok(Some(m)) => m,
        Ok(None) => {
            return finding(
                Level::Ok,
                "no mail server (SPARKY_SMTP_URL): people who forget their password ask an \
                 administrator for a link"
                    .into(),
            )
        }
        Err(e) => return finding(Level::Problem, format!("{e:#}")),
    };
    match mailer.check_connection().await {
        Err(e) => finding(
            Level::Problem,
            format!(
                "{} ({}): password links people ask for are not sent; `sparky mail-test \
                 you@example.com` sends a test message",
                e,
                mailer.server()
            ),
        ),
        Ok(()) => match mailer.warning() {
            Some(w) => finding(Level::Warning, w),
            None => finding(
                Level::Ok,
                format!("{} answers; password links can be mailed", mailer.server()),
            ),
        },
    }
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
