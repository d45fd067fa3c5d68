//! TLS to an external PostgreSQL: a throwaway server that accepts only TLS on 127.0.0.1, with
//! a certificate (for `localhost` only) signed by a test CA made with the `openssl` CLI.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sparky_db::{Database, PgTarget, RequestLogin};
use uuid::Uuid;

/// The server's user when the tests run as root (PostgreSQL refuses root).
fn run_as() -> Option<nix::unistd::User> {
    if !nix::unistd::Uid::effective().is_root() {
        return None;
    }
    Some(
        nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("running as root needs the `postgres` OS user"),
    )
}

fn bin_dir() -> PathBuf {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return dir;
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries")
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    versions.sort();
    versions.pop().expect("PostgreSQL server binaries").1
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn openssl(dir: &Path, args: &[&str]) {
    run(
        Command::new("openssl").current_dir(dir).args(args),
        &format!("openssl {}", args.join(" ")),
    );
}

/// A TLS-only PostgreSQL on 127.0.0.1, stopped and removed on drop.
struct TlsServer {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

impl TlsServer {
    fn start() -> TlsServer {
        let id = Uuid::new_v4().simple().to_string();
        let dir = PathBuf::from(format!("/tmp/spk-tls-{}", &id[..8]));
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let server = TlsServer {
            port: free_port(),
            bin: bin_dir(),
            dir,
        };
        server.make_certificates();
        let user = run_as();
        if let Some(u) = &user {
            for entry in std::fs::read_dir(&server.dir).unwrap() {
                let path = entry.unwrap().path();
                std::os::unix::fs::chown(&path, Some(u.uid.as_raw()), Some(u.gid.as_raw()))
                    .unwrap();
            }
            std::os::unix::fs::chown(&server.dir, Some(u.uid.as_raw()), Some(u.gid.as_raw()))
                .unwrap();
        }
        run(
            server
                .command("initdb")
                .arg("-D")
                .arg(server.dir.join("data"))
                .args(["--username=sparky", "--auth=trust", "--no-instructions"]),
            "initdb",
        );
        // TLS or nothing over TCP, so a connection that works is a TLS connection.
        std::fs::write(
            server.dir.join("data/pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        let d = server.dir.display();
        run(
            server
                .command("pg_ctl")
                .args(["start", "-w", "-t", "60", "-D"])
                .arg(server.dir.join("data"))
                .arg("-l")
                .arg(server.dir.join("log"))
                .arg("-o")
                .arg(format!(
                    "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={d} \
                     -c ssl=on -c ssl_cert_file={d}/server.pem -c ssl_key_file={d}/server.key \
                     -c fsync=off -c shared_buffers=16MB",
                    server.port
                )),
            "pg_ctl start",
        );
        server
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(self.bin.join(program));
        c.current_dir(&self.dir);
        if let Some(u) = run_as() {
            c.uid(u.uid.as_raw()).gid(u.gid.as_raw());
        }
        c
    }

    /// A CA, a certificate for `localhost` (only) signed by it, and a second, unrelated CA.
    fn make_certificates(&self) {
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for ca in ["ca", "other-ca"] {
            let mut args = vec!["req", "-x509", "-days", "2"];
            args.extend(ec);
            let (key, pem, subj) = (
                format!("{ca}.key"),
                format!("{ca}.pem"),
                format!("/CN=Sparky test {ca}"),
            );
            args.extend([
                "-keyout",
                &key,
                "-out",
                &pem,
                "-subj",
                &subj,
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ]);
            openssl(&self.dir, &args);
        }
        let mut args = vec!["req"];
        args.extend(ec);
        args.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        openssl(&self.dir, &args);
        std::fs::write(
            self.dir.join("server.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                "server.pem",
                "-extfile",
                "server.ext",
            ],
        );
        std::fs::set_permissions(
            self.dir.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }

    fn url(&self, user: &str, host: &str, tls: &str) -> String {
        format!(
            "postgresql://{user}@{host}:{}/postgres?connect_timeout=10&{tls}",
            self.port
        )
    }

    fn ca(&self, name: &str) -> String {
        self.dir.join(format!("{name}.pem")).display().to_string()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-m", "immediate", "-w", "-D"])
            .arg(self.dir.join("data"))
            .stdin(Stdio::null())
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Connects as `url` says and reports whether the session is encrypted.
async fn ssl_in_use(url: &str) -> Result<bool, String> {
    let target = PgTarget::parse(url, "DATABASE_URL")?;
    let client = sparky_db::connect(&target)
        .await
        .map_err(|e| format!("{e:#}: {:?}", std::error::Error::source(&e)))?;
    Ok(client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?
        .get(0))
}

#[tokio::test]
async fn sslmodes_against_a_tls_only_server() {
    let server = TlsServer::start();
    let ca = server.ca("ca");
    let other_ca = server.ca("other-ca");
    let url = |host: &str, tls: &str| server.url("sparky", host, tls);

    // The server refuses plain connections, so every success below was over TLS.
    let plain = ssl_in_use(&url("127.0.0.1", "sslmode=disable")).await;
    assert!(plain.is_err(), "plain connection accepted: {plain:?}");

    // require: encrypted, certificate not checked (libpq's meaning).
    assert_eq!(
        ssl_in_use(&url("127.0.0.1", "sslmode=require")).await,
        Ok(true)
    );
    assert_eq!(
        ssl_in_use(&url("127.0.0.1", "sslmode=prefer")).await,
        Ok(true)
    );

    // verify-full: chain to the given CA and the host name.
    assert_eq!(
        ssl_in_use(&url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}")
        ))
        .await,
        Ok(true)
    );
    let wrong_name = ssl_in_use(&url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await;
    assert!(
        wrong_name
            .as_ref()
            .is_err_and(|e| e.to_lowercase().contains("name")),
        "a certificate for localhost accepted for 127.0.0.1: {wrong_name:?}"
    );
    let unknown_ca = ssl_in_use(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={other_ca}"),
    ))
    .await;
    assert!(
        unknown_ca.is_err(),
        "accepted a certificate from another CA: {unknown_ca:?}"
    );
    // Without sslrootcert the roots are the public (Mozilla) ones, which do not include ours.
    let public_roots = ssl_in_use(&url("localhost", "sslmode=verify-full")).await;
    assert!(
        public_roots.is_err(),
        "a private CA passed as public: {public_roots:?}"
    );

    // verify-ca: chain only.
    assert_eq!(
        ssl_in_use(&url(
            "127.0.0.1",
            &format!("sslmode=verify-ca&sslrootcert={ca}")
        ))
        .await,
        Ok(true)
    );
    let unknown_ca = ssl_in_use(&url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={other_ca}"),
    ))
    .await;
    assert!(unknown_ca.is_err(), "{unknown_ca:?}");
    // require with a root certificate checks the chain, as libpq does.
    let unknown_ca = ssl_in_use(&url(
        "127.0.0.1",
        &format!("sslmode=require&sslrootcert={other_ca}"),
    ))
    .await;
    assert!(unknown_ca.is_err(), "{unknown_ca:?}");
}

#[tokio::test]
async fn requests_log_in_and_are_cancelled_over_tls() {
    let server = TlsServer::start();
    let ca = server.ca("ca");
    let tls = format!("sslmode=verify-full&sslrootcert={ca}");
    let owner = PgTarget::parse(&server.url("sparky", "localhost", &tls), "DATABASE_URL").unwrap();
    let admin = sparky_db::connect(&owner).await.unwrap();
    admin
        .batch_execute("CREATE ROLE sparky_app LOGIN NOSUPERUSER NOBYPASSRLS")
        .await
        .unwrap();
    let requests = PgTarget::parse(
        &server.url("sparky_app", "localhost", &tls),
        "SPARKY_APP_DATABASE_URL",
    )
    .unwrap();
    let database = Database::builder(owner.clone(), "sparky_app")
        .requests(RequestLogin::as_request_role(requests))
        .pool_size(1)
        .statement_timeout(Duration::ZERO)
        .build()
        .unwrap();

    let user = Uuid::new_v4();
    let mut tx = database.as_user(user).await.unwrap();
    let row = tx
        .query_one(
            "SELECT session_user::text, current_setting('app.user_id'),
                    (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "sparky_app");
    assert_eq!(row.get::<_, String>(1), user.to_string());
    assert!(row.get::<_, bool>(2), "request connection not encrypted");
    tx.commit().await.unwrap();

    // The cancel request for an abandoned statement is made with the same TLS settings
    // (sslmode=verify-full: a plain cancel connection would be refused by the client).
    let marker = "abandoned_over_tls";
    let sql = format!("SELECT pg_sleep(600) AS {marker}");
    let active = || async {
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()",
                &[&marker],
            )
            .await
            .unwrap()
            .get(0);
        n
    };
    let mut tx = database.as_user(user).await.unwrap();
    {
        let query = tx.query(&sql, &[]);
        tokio::pin!(query);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            tokio::select! {
                r = &mut query => panic!("the query ended early: {:?}", r.err()),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
            if active().await == 1 {
                break;
            }
            assert!(Instant::now() < deadline, "the query never started");
        }
    }
    drop(tx);
    let deadline = Instant::now() + Duration::from_secs(60);
    while active().await != 0 {
        assert!(
            Instant::now() < deadline,
            "the abandoned statement is still running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut tx = database.as_user(user).await.unwrap();
    tx.query_one("SELECT 1", &[]).await.unwrap();
    tx.commit().await.unwrap();
}
