//! Where a connection goes and how it is secured: a [`PgTarget`] is a tokio-postgres
//! [`Config`] plus its TLS policy, parsed from a libpq-style URL.
//!
//! tokio-postgres understands `sslmode=disable|prefer|require` only and has no TLS stack of its
//! own, so `verify-ca`, `verify-full` and `sslrootcert` are read here and enforced with rustls
//! (pure Rust, no system OpenSSL to match at build or run time).
//!
//! | `sslmode`     | encrypted            | certificate checked                          |
//! |---------------|----------------------|----------------------------------------------|
//! | (none)        | no (as before)       | —                                            |
//! | `disable`     | no                   | —                                            |
//! | `prefer`      | if the server offers | no                                           |
//! | `require`     | yes                  | no (with `sslrootcert`: chain, like libpq)   |
//! | `verify-ca`   | yes                  | chain against the roots                      |
//! | `verify-full` | yes                  | chain and host name                          |
//!
//! The roots are the file in `sslrootcert` (PEM), or else the Mozilla roots built into the
//! binary (`webpki-roots`), which cover public CAs; a private CA needs `sslrootcert`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::{Host, SslMode as WireSslMode};
use tokio_postgres::{CancelToken, Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

/// `sslmode` as libpq spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                ))
            }
        })
    }

    fn requires_tls(self) -> bool {
        matches!(
            self,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        )
    }
}

/// How connections to a target are encrypted.
#[derive(Clone)]
pub enum Tls {
    /// Plain connection (Unix sockets, or no `sslmode` asked for TLS).
    None,
    Rustls(MakeRustlsConnect),
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tls::None => "Tls::None",
            Tls::Rustls(_) => "Tls::Rustls",
        })
    }
}

/// Connection settings and the TLS to use with them.
#[derive(Clone, Debug)]
pub struct PgTarget {
    config: Config,
    tls: Tls,
    ssl_mode: Option<SslMode>,
}

impl PgTarget {
    /// Parses a `postgresql://` URL or a `key=value` connection string, including the libpq
    /// TLS settings tokio-postgres does not know. `what` names the setting in messages.
    pub fn parse(url: &str, what: &str) -> Result<PgTarget, String> {
        let (rest, tls_params) = split_tls_params(url);
        let mut config: Config = rest
            .parse()
            .map_err(|e| format!("{what} is not a valid PostgreSQL URL: {e}"))?;
        let mode = match &tls_params.sslmode {
            Some(m) => Some(SslMode::parse(m).map_err(|e| format!("{what}: {e}"))?),
            None => None,
        };
        let root = tls_params.sslrootcert.as_deref().map(PathBuf::from);
        let target =
            PgTarget::with_mode(&mut config, mode, root).map_err(|e| format!("{what}: {e}"))?;
        Ok(target)
    }

    fn with_mode(
        config: &mut Config,
        mode: Option<SslMode>,
        root: Option<PathBuf>,
    ) -> Result<PgTarget, String> {
        let unix = config
            .get_hosts()
            .iter()
            .any(|h| matches!(h, Host::Unix(_)));
        let tls = match mode {
            None | Some(SslMode::Disable) => {
                config.ssl_mode(WireSslMode::Disable);
                Tls::None
            }
            Some(m) if unix => {
                if m.requires_tls() {
                    return Err(format!(
                        "sslmode={} needs a TCP host: PostgreSQL does not speak TLS over a Unix socket",
                        mode_name(m)
                    ));
                }
                config.ssl_mode(WireSslMode::Disable);
                Tls::None
            }
            Some(m) => {
                config.ssl_mode(if m == SslMode::Prefer {
                    WireSslMode::Prefer
                } else {
                    WireSslMode::Require
                });
                Tls::Rustls(MakeRustlsConnect::new(client_config(m, root.as_ref())?))
            }
        };
        Ok(PgTarget {
            config: config.clone(),
            tls,
            ssl_mode: mode,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The same target with changed connection settings (user, database, options...).
    pub fn with_config(&self, f: impl FnOnce(&mut Config)) -> PgTarget {
        let mut t = self.clone();
        f(&mut t.config);
        t
    }

    pub fn tls(&self) -> &Tls {
        &self.tls
    }

    /// The `sslmode` asked for, if any.
    pub fn ssl_mode(&self) -> Option<SslMode> {
        self.ssl_mode
    }

    /// The role this target logs in as.
    pub fn user(&self) -> Option<&str> {
        self.config.get_user()
    }

    pub(crate) fn pool_manager(
        &self,
        config: Config,
        manager: deadpool_postgres::ManagerConfig,
    ) -> deadpool_postgres::Manager {
        match &self.tls {
            Tls::None => deadpool_postgres::Manager::from_config(config, NoTls, manager),
            Tls::Rustls(t) => deadpool_postgres::Manager::from_config(config, t.clone(), manager),
        }
    }
}

/// Settings built in code (tests, the embedded cluster): TLS only when they say `require`,
/// unverified, as libpq does.
impl From<&Config> for PgTarget {
    fn from(config: &Config) -> PgTarget {
        let mut config = config.clone();
        let mode = match config.get_ssl_mode() {
            WireSslMode::Require => Some(SslMode::Require),
            _ => None,
        };
        PgTarget::with_mode(&mut config, mode, None).unwrap_or_else(|_| {
            // Only a Unix host with require gets here; PostgreSQL would refuse it the same way.
            PgTarget {
                config,
                tls: Tls::None,
                ssl_mode: mode,
            }
        })
    }
}

impl From<Config> for PgTarget {
    fn from(config: Config) -> PgTarget {
        PgTarget::from(&config)
    }
}

impl From<&PgTarget> for PgTarget {
    fn from(t: &PgTarget) -> PgTarget {
        t.clone()
    }
}

/// Opens one connection and drives it on the runtime.
pub async fn connect(target: impl Into<PgTarget>) -> Result<Client, tokio_postgres::Error> {
    let target = target.into();
    match target.tls {
        Tls::None => {
            let (client, connection) = target.config.connect(NoTls).await?;
            spawn_connection(connection);
            Ok(client)
        }
        Tls::Rustls(tls) => {
            let (client, connection) = target.config.connect(tls).await?;
            spawn_connection(connection);
            Ok(client)
        }
    }
}

fn spawn_connection<F>(connection: F)
where
    F: std::future::Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("postgres connection closed: {e}");
        }
    });
}

/// Asks the server to cancel whatever the token's connection is running.
pub(crate) async fn cancel(token: &CancelToken, tls: &Tls) -> Result<(), tokio_postgres::Error> {
    match tls {
        Tls::None => token.cancel_query(NoTls).await,
        Tls::Rustls(t) => token.cancel_query(t.clone()).await,
    }
}

fn mode_name(m: SslMode) -> &'static str {
    match m {
        SslMode::Disable => "disable",
        SslMode::Prefer => "prefer",
        SslMode::Require => "require",
        SslMode::VerifyCa => "verify-ca",
        SslMode::VerifyFull => "verify-full",
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct TlsParams {
    sslmode: Option<String>,
    sslrootcert: Option<String>,
}

/// Removes `sslmode` and `sslrootcert` from a URL or `key=value` string (tokio-postgres
/// rejects `verify-*` and does not know `sslrootcert`), returning them separately.
fn split_tls_params(url: &str) -> (String, TlsParams) {
    let mut params = TlsParams::default();
    let mut take = |key: &str, value: String| -> bool {
        match key {
            "sslmode" => params.sslmode = Some(value),
            "sslrootcert" => params.sslrootcert = Some(value),
            _ => return false,
        }
        true
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_string(), params);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                !take(&percent_decode(k), percent_decode(v))
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rest, params)
    } else {
        let mut kept = Vec::new();
        for (key, value, raw) in key_values(url) {
            if !take(&key, value) {
                kept.push(raw);
            }
        }
        (kept.join(" "), params)
    }
}

/// `key=value` pairs of a libpq connection string, with each pair's original text. Values
/// may be single-quoted with backslash escapes.
fn key_values(s: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    loop {
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        let mut key = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek().is_some_and(|(_, c)| *c == '=') {
            chars.next();
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek().is_some_and(|(_, c)| *c == '\'') {
                chars.next();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                value.push(e);
                            }
                        }
                        '\'' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        let end = chars.peek().map_or(s.len(), |(i, _)| *i);
        out.push((key, value, s[start..end].trim_end().to_string()));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn client_config(mode: SslMode, root: Option<&PathBuf>) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?;
    // libpq: `require` with a root certificate checks the chain, like verify-ca.
    let checks = match (mode, root) {
        (SslMode::Prefer | SslMode::Require, None) => Checks::Nothing,
        (SslMode::Prefer | SslMode::Require | SslMode::VerifyCa, _) => Checks::Chain,
        _ => Checks::ChainAndName,
    };
    if checks == Checks::Nothing {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth());
    }
    let roots = Arc::new(root_store(root)?);
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider)
        .build()
        .map_err(|e| format!("TLS set-up failed: {e}"))?;
    Ok(if checks == Checks::Chain {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnly(verifier)))
            .with_no_client_auth()
    } else {
        builder.with_webpki_verifier(verifier).with_no_client_auth()
    })
}

#[derive(Debug, PartialEq, Eq)]
enum Checks {
    Nothing,
    Chain,
    ChainAndName,
}

fn root_store(root: Option<&PathBuf>) -> Result<RootCertStore, String> {
    match root {
        // libpq 16 spells "the system's roots" this way; ours are the built-in Mozilla roots.
        None => Ok(mozilla_roots()),
        Some(p) if p.as_os_str() == "system" => Ok(mozilla_roots()),
        Some(path) => {
            let mut store = RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                store
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
            if store.is_empty() {
                return Err(format!(
                    "sslrootcert {} holds no PEM certificate",
                    path.display()
                ));
            }
            Ok(store)
        }
    }
}

fn mozilla_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// `prefer`/`require`: encrypted, but any certificate is accepted (libpq's meaning). The
/// handshake signature is still checked, so the server must hold the certificate's key.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain first and the name last, so a name error means the chain
        // was good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_settings_are_taken_out_of_urls() {
        let (rest, p) = split_tls_params(
            "postgresql://u:p@db.example.com:5432/sparky?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca.pem",
        );
        assert_eq!(
            rest,
            "postgresql://u:p@db.example.com:5432/sparky?application_name=x"
        );
        assert_eq!(p.sslmode.as_deref(), Some("verify-full"));
        assert_eq!(p.sslrootcert.as_deref(), Some("/etc/ca.pem"));

        let (rest, p) = split_tls_params("postgres://u@h/db?sslmode=require");
        assert_eq!(rest, "postgres://u@h/db");
        assert_eq!(p.sslmode.as_deref(), Some("require"));

        let (rest, p) = split_tls_params(
            "host=db.example.com user=u sslmode=verify-ca sslrootcert='/my ca.pem' dbname=x",
        );
        assert_eq!(rest, "host=db.example.com user=u dbname=x");
        assert_eq!(p.sslmode.as_deref(), Some("verify-ca"));
        assert_eq!(p.sslrootcert.as_deref(), Some("/my ca.pem"));
    }

    #[test]
    fn modes_map_to_what_tokio_postgres_enforces() {
        let t = PgTarget::parse(
            "postgresql://u@db.example.com/x?sslmode=verify-full",
            "DATABASE_URL",
        )
        .unwrap();
        assert_eq!(t.config().get_ssl_mode(), WireSslMode::Require);
        assert!(matches!(t.tls(), Tls::Rustls(_)));
        assert_eq!(t.ssl_mode(), Some(SslMode::VerifyFull));

        let t = PgTarget::parse("postgresql://u@db.example.com/x", "DATABASE_URL").unwrap();
        assert_eq!(t.config().get_ssl_mode(), WireSslMode::Disable);
        assert!(matches!(t.tls(), Tls::None));

        let err =
            PgTarget::parse("postgresql://u@%2Ftmp/x?sslmode=require", "DATABASE_URL").unwrap_err();
        assert!(err.contains("Unix socket"), "{err}");

        let err = PgTarget::parse(
            "postgresql://u@h/x?sslmode=verify",
            "SPARKY_APP_DATABASE_URL",
        )
        .unwrap_err();
        assert!(
            err.starts_with("SPARKY_APP_DATABASE_URL: sslmode=verify is not"),
            "{err}"
        );

        let err = PgTarget::parse(
            "postgresql://u@h/x?sslmode=verify-full&sslrootcert=/no/such/ca.pem",
            "DATABASE_URL",
        )
        .unwrap_err();
        assert!(err.contains("/no/such/ca.pem"), "{err}");
    }
}
