//! E-mail through the SMTP server of `SPARKY_SMTP_URL` (lettre's transport URL:
//! `smtps://user:password@mail.example.com` for TLS from the start, `smtp://…:587?tls=required`
//! for STARTTLS, `smtp://localhost:25` for a local relay without TLS) from `SPARKY_MAIL_FROM`.
//! Sparky sends one kind of message: a password link someone asked for on the sign-in page.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};

/// How long one message may take, connection included.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(
        "SPARKY_SMTP_URL is not an SMTP address like smtps://user:password@mail.example.com ({0})"
    )]
    BadUrl(String),
    #[error("SPARKY_MAIL_FROM {0:?} is not an address like \"Sparky <sparky@example.com>\"")]
    BadFrom(String),
    #[error("{0:?} is not an e-mail address a message can go to")]
    BadRecipient(String),
    #[error("the mail server did not take the message: {0}")]
    Send(String),
    #[error("the mail server could not be reached: {0}")]
    Connect(String),
}

/// A configured SMTP server and sender. Cheap to clone (the transport is shared).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The server's address without credentials, for logs and `doctor`.
    server: String,
    /// The URL asks for TLS (`tls=required` or `tls=opportunistic`).
    tls_param: bool,
    /// Messages going out in the background (see [`Mailer::in_background`]), shared by clones.
    in_flight: Arc<tokio::sync::watch::Sender<usize>>,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// The mailer of `SPARKY_SMTP_URL` and `SPARKY_MAIL_FROM`; nothing is connected yet.
    pub fn new(url: &str, from: &str) -> Result<Mailer, MailError> {
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|_| MailError::BadFrom(from.to_string()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|e| MailError::BadUrl(e.to_string()))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let query = url.split_once('?').map_or("", |(_, q)| q);
        Ok(Mailer {
            transport,
            from,
            server: without_credentials(url.trim()),
            tls_param: query.split('&').any(|p| p.starts_with("tls=")),
            in_flight: Arc::new(tokio::sync::watch::Sender::new(0)),
        })
    }

    /// Runs `sending` (a message going out) in the background, counted until it ends, so that
    /// a server stopping waits for it ([`Mailer::finish`]) instead of cutting it off.
    pub fn in_background(&self, sending: impl Future<Output = ()> + Send + 'static) {
        self.in_flight.send_modify(|n| *n += 1);
        let in_flight = self.in_flight.clone();
        tokio::spawn(async move {
            // Counted down even if the task is cancelled or panics.
            struct Done(Arc<tokio::sync::watch::Sender<usize>>);
            impl Drop for Done {
                fn drop(&mut self) {
                    self.0.send_modify(|n| *n = n.saturating_sub(1));
                }
            }
            let _done = Done(in_flight);
            sending.await;
        });
    }

    /// Waits until no message is going out in the background, at most `within`; the number
    /// still going out then (0: all done).
    pub async fn finish(&self, within: Duration) -> usize {
        let mut count = self.in_flight.subscribe();
        let _ = tokio::time::timeout(within, count.wait_for(|n| *n == 0)).await;
        let left = *count.borrow();
        left
    }

    /// `scheme://host:port` of the server (never its user name or password).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Why these settings may be unsafe: `smtp://` without `tls=` to another machine sends
    /// the messages (their password links) and any SMTP password unencrypted.
    pub fn warning(&self) -> Option<String> {
        let (scheme, host) = self.server.split_once("://")?;
        let host = host
            .rsplit_once(':')
            .map_or(host, |(h, _)| h)
            .trim_matches(['[', ']']);
        let local = matches!(host, "localhost" | "127.0.0.1" | "::1");
        (scheme == "smtp" && !self.tls_param && !local).then(|| {
            format!(
                "SPARKY_SMTP_URL {} has no TLS: password links (and any SMTP password) cross \
                 the network unencrypted; use smtps:// or add ?tls=required",
                self.server
            )
        })
    }

    /// Connects, greets the server (TLS and login as the URL says) and leaves, sending
    /// nothing: what `sparky doctor` checks.
    pub async fn check_connection(&self) -> Result<(), MailError> {
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.test_connection()).await {
            Err(_) => Err(MailError::Connect(format!(
                "no answer within {} s",
                SEND_TIMEOUT.as_secs()
            ))),
            Ok(Err(e)) => Err(MailError::Connect(e.to_string())),
            Ok(Ok(false)) => Err(MailError::Connect("it did not answer NOOP".into())),
            Ok(Ok(true)) => Ok(()),
        }
    }

    /// Sends a plain-text message to `to` (with `name` as the recipient's name, if any).
    pub async fn send(
        &self,
        to: &str,
        name: Option<&str>,
        subject: &str,
        body: String,
    ) -> Result<(), MailError> {
        let address = to
            .trim()
            .parse()
            .map_err(|_| MailError::BadRecipient(to.to_string()))?;
        let to = Mailbox::new(
            name.filter(|n| !n.trim().is_empty()).map(str::to_string),
            address,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            // A Message-ID (random, at this host's name): mail without one is often filed as spam.
            .message_id(None)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Send(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }
}

/// `scheme://host[:port]` of an SMTP URL, dropping any `user:password@` and query.
fn without_credentials(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparky_testkit::fake_smtp::FakeSmtp;

    /// A stopping server waits for messages still going out, up to its limit.
    #[tokio::test]
    async fn finish_waits_for_messages_going_out() {
        let m = Mailer::new("smtp://localhost:25", "s@example.com").unwrap();
        assert_eq!(m.finish(Duration::from_millis(10)).await, 0);
        let sent = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = sent.clone();
        // A clone (as the web state holds) counts into the same total.
        m.clone().in_background(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        m.in_background(async { tokio::time::sleep(Duration::from_secs(30)).await });
        m.in_background(async { panic!("a failed send") });
        // The slow one is still going after a short wait...
        assert_eq!(m.finish(Duration::from_millis(400)).await, 1);
        assert!(sent.load(std::sync::atomic::Ordering::SeqCst));
        let m2 = Mailer::new("smtp://localhost:25", "s@example.com").unwrap();
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let f = flag.clone();
        m2.in_background(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            f.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        // ...and finishing waits for what ends within the limit.
        assert_eq!(m2.finish(Duration::from_secs(5)).await, 0);
        assert!(flag.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn bad_settings_are_named() {
        assert!(matches!(
            Mailer::new("http://mail.example.com", "a@example.com"),
            Err(MailError::BadUrl(_))
        ));
        assert!(matches!(
            Mailer::new("smtp://localhost:25", "not an address"),
            Err(MailError::BadFrom(_))
        ));
        let m = Mailer::new(
            "smtps://ann:s3cret@mail.example.com:465?x=1",
            "Sparky <s@example.com>",
        )
        .unwrap();
        assert_eq!(m.server(), "smtps://mail.example.com:465");
        assert!(!format!("{m:?}").contains("s3cret"));
        // Unencrypted to another machine: a warning; TLS or a local relay: none.
        let warns = |url: &str| Mailer::new(url, "s@example.com").unwrap().warning();
        assert!(warns("smtp://ann:pw@mail.example.com:587")
            .is_some_and(|w| w.contains("no TLS") && !w.contains("pw@")));
        for fine in [
            "smtps://mail.example.com",
            "smtp://mail.example.com:587?tls=required",
            "smtp://localhost:25",
            "smtp://127.0.0.1:2525",
            "smtp://[::1]:25",
        ] {
            assert_eq!(warns(fine), None, "{fine}");
        }
    }

    #[tokio::test]
    async fn a_message_reaches_the_server() {
        let smtp = FakeSmtp::start().await;
        let m = Mailer::new(&smtp.url(), "Sparky <sparky@example.com>").unwrap();
        m.send(
            "ann@example.com",
            Some("Ann Lee"),
            "Your password link",
            "Open https://fit.example.com/set-password?token=abc\n".to_string(),
        )
        .await
        .unwrap();
        let got = smtp.next_message().await;
        assert_eq!(got.from, "sparky@example.com");
        assert_eq!(got.to, ["ann@example.com"]);
        assert!(
            got.data.contains("Subject: Your password link"),
            "{}",
            got.data
        );
        assert!(
            got.data.contains("To: \"Ann Lee\" <ann@example.com>"),
            "{}",
            got.data
        );
        assert!(
            got.body().contains("set-password?token=abc"),
            "{}",
            got.data
        );
        // A recipient that is not an address is refused before connecting.
        assert!(matches!(
            m.send("ann@", None, "s", String::new()).await,
            Err(MailError::BadRecipient(_))
        ));
        // A server that refuses the message: an error, not a panic.
        smtp.refuse_next();
        assert!(matches!(
            m.send("bob@example.com", None, "s", "b".to_string()).await,
            Err(MailError::Send(_))
        ));
    }
}
