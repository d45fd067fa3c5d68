//! A fake SMTP server on loopback, for testing Sparky's real mail client: it speaks enough
//! SMTP (RFC 5321, no TLS, no AUTH) to take messages, records each one (envelope and data),
//! and can be told to refuse the next one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Mutex};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope's sender (MAIL FROM), without angle brackets.
    pub from: String,
    /// The envelope's recipients (RCPT TO).
    pub to: Vec<String>,
    /// The message (headers and body) with dot-stuffing undone.
    pub data: String,
}

impl ReceivedMail {
    /// The body after the headers, decoded from quoted-printable or base64 when the message
    /// says so (lettre picks the encoding by the text).
    pub fn body(&self) -> String {
        let (headers, body) = self.data.split_once("\r\n\r\n").unwrap_or((&self.data, ""));
        let encoding = headers
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-transfer-encoding:")
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_default();
        match encoding.as_str() {
            "base64" => {
                use base64::Engine;
                let joined: String = body.split_whitespace().collect();
                String::from_utf8_lossy(
                    &base64::engine::general_purpose::STANDARD
                        .decode(joined)
                        .unwrap_or_default(),
                )
                .into_owned()
            }
            "quoted-printable" => decode_quoted_printable(body),
            _ => body.to_string(),
        }
    }

    /// The value of header `name` (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let headers = self.data.split("\r\n\r\n").next()?;
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let mut lines = headers.split("\r\n").peekable();
        while let Some(line) = lines.next() {
            if line.to_ascii_lowercase().starts_with(&prefix) {
                let mut value = line[prefix.len()..].trim().to_string();
                while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                }
                return Some(value);
            }
        }
        None
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let mut out = Vec::new();
    let bytes = text.replace("=\r\n", "").into_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub struct FakeSmtp {
    port: u16,
    received: Mutex<mpsc::UnboundedReceiver<ReceivedMail>>,
    refuse_next: Arc<AtomicBool>,
    /// Milliseconds the next DATA waits before its answer.
    delay_next: Arc<AtomicU64>,
}

impl FakeSmtp {
    /// Listens on 127.0.0.1 at a free port, serving every connection until dropped with the
    /// runtime.
    pub async fn start() -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (sender, received) = mpsc::unbounded_channel();
        let refuse_next = Arc::new(AtomicBool::new(false));
        let refuse = refuse_next.clone();
        let delay_next = Arc::new(AtomicU64::new(0));
        let delay = delay_next.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                let refuse = refuse.clone();
                let delay = delay.clone();
                tokio::spawn(async move {
                    let _ = session(stream, sender, refuse, delay).await;
                });
            }
        });
        FakeSmtp {
            port,
            received: Mutex::new(received),
            refuse_next,
            delay_next,
        }
    }

    /// The address for `SPARKY_SMTP_URL` (no TLS).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The next message received; panics after 10 s without one.
    pub async fn next_message(&self) -> ReceivedMail {
        tokio::time::timeout(Duration::from_secs(10), self.received.lock().await.recv())
            .await
            .expect("a message within 10 s")
            .expect("the server runs")
    }

    /// A message received within `wait`, if any (to show that none was sent).
    pub async fn message_within(&self, wait: Duration) -> Option<ReceivedMail> {
        tokio::time::timeout(wait, self.received.lock().await.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next message's DATA is answered 554 (refused) instead of 250.
    pub fn refuse_next(&self) {
        self.refuse_next.store(true, Ordering::SeqCst);
    }

    /// The next message's DATA is answered only after `wait` (a slow server), and is received
    /// only if the client is still there to read the answer.
    pub fn delay_next(&self, wait: Duration) {
        self.delay_next
            .store(wait.as_millis() as u64, Ordering::SeqCst);
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    sender: mpsc::UnboundedSender<ReceivedMail>,
    refuse: Arc<AtomicBool>,
    delay: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 fake.localhost ESMTP\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 fake.localhost\r\n"
        } else if let Some(rest) = upper.strip_prefix("MAIL FROM:") {
            from = angle(&command[command.len() - rest.len()..]);
            to.clear();
            b"250 OK\r\n"
        } else if let Some(rest) = upper.strip_prefix("RCPT TO:") {
            to.push(angle(&command[command.len() - rest.len()..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 go on\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let wait = delay.swap(0, Ordering::SeqCst);
            if wait > 0 {
                tokio::time::sleep(Duration::from_millis(wait)).await;
                // A client that gave up (or stopped) before the answer did not send it.
                write.write_all(b"250 queued\r\n").await?;
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                let _ = sender.send(ReceivedMail {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                let next = line.trim_end().to_ascii_uppercase();
                if next == "QUIT" {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                write.write_all(b"250 OK\r\n").await?;
                continue;
            }
            if refuse.swap(false, Ordering::SeqCst) {
                b"554 refused by the test\r\n"
            } else {
                let _ = sender.send(ReceivedMail {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 queued\r\n"
            }
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// The address inside `<…>` of a MAIL FROM / RCPT TO argument (parameters after it dropped).
fn angle(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_string(),
        _ => arg
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}
