//! The embedded cluster against the real PostgreSQL server binaries on this machine.
//!
//! Each test gets its own short data directory under /tmp (the socket path limit is ~107 bytes,
//! and when the tests run as root the `postgres` OS user must be able to traverse it).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use sparky_db::embedded::{EmbeddedOptions, EmbeddedPostgres, DATABASE_NAME, OWNER_ROLE};

/// A fresh data directory, removed (after shutting down any server left in it) on drop.
struct TestDir {
    path: PathBuf,
}

impl TestDir {
    fn new() -> TestDir {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let path = PathBuf::from(format!("/tmp/spk-{}", &id[..10]));
        std::fs::create_dir(&path).expect("create test dir");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("chmod test dir");
        TestDir { path }
    }

    fn opts(&self) -> EmbeddedOptions {
        EmbeddedOptions {
            data_dir: self.path.clone(),
            os_user: None,
            extra_settings: vec![
                ("fsync".into(), "off".into()),
                ("shared_buffers".into(), "16MB".into()),
            ],
        }
    }

    fn cluster(&self) -> PathBuf {
        self.path.join("postgres")
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        // Only reached with a server still up when a test failed: shut it down hard.
        if let Some(pid) = postmaster_pid(&self.cluster()) {
            if alive(pid) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
                wait_until(Duration::from_secs(10), || !alive(pid));
            }
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn postmaster_pid(cluster: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(cluster.join("postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Alive and not a zombie (nothing may reap orphans in a container).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .and_then(|(_, r)| r.trim_start().chars().next()),
            Some('Z' | 'X')
        ),
        Err(_) => false,
    }
}

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

async fn connect(pg: &EmbeddedPostgres, db: &str) -> tokio_postgres::Client {
    let (client, conn) = pg
        .owner_config(db)
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect to embedded PostgreSQL");
    tokio::spawn(conn);
    client
}

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

#[tokio::test]
async fn fresh_start_initialises_and_listens_only_on_a_private_socket() {
    let dir = TestDir::new();
    let pg = EmbeddedPostgres::start(&dir.opts()).await.expect("start");
    assert!(!pg.was_adopted());
    assert_eq!(pg.cluster_dir(), dir.cluster());
    assert!(dir.cluster().join("PG_VERSION").is_file());

    let client = connect(&pg, DATABASE_NAME).await;
    let version: String = client
        .query_one("select version()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(version.starts_with("PostgreSQL "), "{version}");
    let listen: String = client
        .query_one("show listen_addresses", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(listen, "");
    let perms: String = client
        .query_one("show unix_socket_permissions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(perms, "0700");
    let (user, superuser): (String, bool) = {
        let row = client
            .query_one(
                "select current_user::text, rolsuper from pg_roles where rolname = current_user",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(user, OWNER_ROLE);
    assert!(superuser);
    let encoding: String = client
        .query_one("show server_encoding", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(encoding, "UTF8");
    drop(client);

    let socket = pg.socket_dir().join(".s.PGSQL.5432");
    assert!(socket.starts_with(&dir.path), "{}", socket.display());
    assert!(
        std::fs::symlink_metadata(&socket).is_ok(),
        "no socket at {}",
        socket.display()
    );
    assert!(pg.log_file().starts_with(&dir.path));
    assert!(
        pg.log_file().is_file(),
        "no log at {}",
        pg.log_file().display()
    );

    let meta = std::fs::metadata(dir.cluster()).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o700);
    if is_root() {
        let postgres = nix::unistd::User::from_name("postgres").unwrap().unwrap();
        assert_eq!(
            meta.uid(),
            postgres.uid.as_raw(),
            "cluster not owned by postgres"
        );
    }

    let pid = postmaster_pid(&dir.cluster()).expect("postmaster.pid");
    let config = pg.owner_config(DATABASE_NAME);
    pg.stop().await.expect("stop");
    // pg_ctl -w returns once postmaster.pid is gone, a moment before the process itself.
    assert!(
        wait_until(Duration::from_secs(10), || !alive(pid)),
        "postmaster {pid} still running after stop"
    );
    assert!(!dir.cluster().join("postmaster.pid").exists());
    assert!(config.connect(tokio_postgres::NoTls).await.is_err());
}

#[tokio::test]
async fn restart_reuses_the_cluster() {
    let dir = TestDir::new();
    let pg = EmbeddedPostgres::start(&dir.opts())
        .await
        .expect("first start");
    let client = connect(&pg, DATABASE_NAME).await;
    client
        .batch_execute("create table kept (x int); insert into kept values (42);")
        .await
        .unwrap();
    drop(client);
    let version_file = dir.cluster().join("PG_VERSION");
    let inode = std::fs::metadata(&version_file).unwrap().ino();
    let mtime = std::fs::metadata(&version_file)
        .unwrap()
        .modified()
        .unwrap();
    pg.stop().await.expect("first stop");

    let pg = EmbeddedPostgres::start(&dir.opts())
        .await
        .expect("second start");
    assert!(!pg.was_adopted());
    let meta = std::fs::metadata(&version_file).unwrap();
    assert_eq!(meta.ino(), inode, "cluster was re-initialised");
    assert_eq!(
        meta.modified().unwrap(),
        mtime,
        "cluster was re-initialised"
    );
    let client = connect(&pg, DATABASE_NAME).await;
    let x: i32 = client
        .query_one("select x from kept", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(x, 42);
    drop(client);
    pg.stop().await.expect("second stop");
}

#[tokio::test]
async fn start_recovers_after_the_postmaster_is_killed() {
    let dir = TestDir::new();
    let pg = EmbeddedPostgres::start(&dir.opts()).await.expect("start");
    let client = connect(&pg, DATABASE_NAME).await;
    client
        .batch_execute("create table kept (x int); insert into kept values (7);")
        .await
        .unwrap();
    drop(client);
    // Sparky crashes without stopping the server, then the server is killed too.
    drop(pg);
    let pid = postmaster_pid(&dir.cluster()).expect("postmaster.pid");
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("kill -9 postmaster");
    assert!(
        wait_until(Duration::from_secs(10), || !alive(pid)),
        "postmaster {pid} survived SIGKILL"
    );
    // Its children may still be exiting, and postmaster.pid and the socket lock remain:
    // start must cope with all of that.
    assert!(dir.cluster().join("postmaster.pid").exists());

    let pg = EmbeddedPostgres::start(&dir.opts())
        .await
        .expect("start after crash");
    assert!(!pg.was_adopted());
    assert_ne!(postmaster_pid(&dir.cluster()), Some(pid));
    let client = connect(&pg, DATABASE_NAME).await;
    let x: i32 = client
        .query_one("select x from kept", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(x, 7);
    drop(client);
    pg.stop().await.expect("stop");
}

#[tokio::test]
async fn start_ignores_a_stale_pid_file() {
    let dir = TestDir::new();
    let pg = EmbeddedPostgres::start(&dir.opts()).await.expect("start");
    pg.stop().await.expect("stop");

    // A live process of the server's OS user that is not PostgreSQL: PostgreSQL itself refuses
    // to start over its pid, so only Sparky's stale-lock handling gets past it.
    let mut impostor = std::process::Command::new("sleep");
    impostor.arg("60");
    if is_root() {
        use std::os::unix::process::CommandExt;
        let postgres = nix::unistd::User::from_name("postgres").unwrap().unwrap();
        impostor
            .uid(postgres.uid.as_raw())
            .gid(postgres.gid.as_raw());
    }
    let mut impostor = impostor.spawn().expect("spawn sleep");
    let impostor_pid = impostor.id() as i32;

    // A dead pid, then the impostor: both pid files are stale.
    for stale_pid in [999_999, impostor_pid] {
        let pid_file = dir.cluster().join("postmaster.pid");
        let contents = format!(
            "{stale_pid}\n{}\n1700000000\n5432\n{}\n\n  5432001         0\nready   \n",
            dir.cluster().display(),
            dir.cluster().display()
        );
        std::fs::write(&pid_file, contents).unwrap();
        if is_root() {
            let postgres = nix::unistd::User::from_name("postgres").unwrap().unwrap();
            std::os::unix::fs::chown(
                &pid_file,
                Some(postgres.uid.as_raw()),
                Some(postgres.gid.as_raw()),
            )
            .unwrap();
        }
        let pg = EmbeddedPostgres::start(&dir.opts())
            .await
            .unwrap_or_else(|e| panic!("start with stale pid {stale_pid}: {e:#}"));
        assert!(!pg.was_adopted());
        let client = connect(&pg, DATABASE_NAME).await;
        client.query_one("select 1", &[]).await.unwrap();
        drop(client);
        pg.stop().await.expect("stop");
    }
    assert!(alive(impostor_pid), "the impostor must not be killed");
    let _ = impostor.kill();
    let _ = impostor.wait();
}

#[tokio::test]
async fn concurrent_starts_share_one_server_and_a_running_server_is_adopted() {
    let dir = TestDir::new();
    let opts = dir.opts();
    let (a, b) = tokio::join!(
        EmbeddedPostgres::start(&opts),
        EmbeddedPostgres::start(&opts)
    );
    let a = a.expect("first concurrent start");
    let b = b.expect("second concurrent start");
    assert!(
        a.was_adopted() != b.was_adopted(),
        "exactly one start should have adopted the other's server"
    );
    let pid = postmaster_pid(&dir.cluster()).expect("postmaster.pid");
    for pg in [&a, &b] {
        let client = connect(pg, DATABASE_NAME).await;
        let backend_parent: i32 = client
            .query_one("select pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        assert!(backend_parent > 0);
    }

    // A Sparky process that went away without stopping: the next start adopts its server.
    drop(b);
    let c = EmbeddedPostgres::start(&opts).await.expect("start again");
    assert!(c.was_adopted());
    assert_eq!(postmaster_pid(&dir.cluster()), Some(pid));

    a.stop().await.expect("stop");
    assert!(wait_until(Duration::from_secs(10), || !alive(pid)));
    // Stopping an already stopped server is not an error.
    c.stop().await.expect("second stop");
}

#[tokio::test]
async fn a_bad_setting_fails_with_the_server_log() {
    let dir = TestDir::new();
    let mut opts = dir.opts();
    opts.extra_settings = vec![("shared_buffers".into(), "nonsense".into())];
    let err = EmbeddedPostgres::start(&opts)
        .await
        .expect_err("start with a bad setting");
    // The headline itself (not only the error chain) carries the log.
    let text = err.to_string();
    assert!(text.contains("could not start PostgreSQL"), "{text}");
    assert!(text.contains("last lines of the PostgreSQL log"), "{text}");
    assert!(
        text.contains("invalid value for parameter \"shared_buffers\""),
        "{text}"
    );
    assert!(!dir.cluster().join("postmaster.pid").exists());
}

#[tokio::test]
async fn an_overlong_socket_path_is_refused_clearly() {
    let data_dir = PathBuf::from(format!("/tmp/spk-{}", "x".repeat(100)));
    let opts = EmbeddedOptions {
        data_dir: data_dir.clone(),
        os_user: None,
        extra_settings: vec![],
    };
    let err = EmbeddedPostgres::start(&opts)
        .await
        .expect_err("start with a long path");
    let text = format!("{err:#}");
    assert!(text.contains("shorter SPARKY_DATA_DIR"), "{text}");
    assert!(text.contains("107"), "{text}");
    assert!(!data_dir.exists(), "nothing should be created");
}

#[tokio::test]
async fn managed_settings_cannot_be_overridden() {
    let dir = TestDir::new();
    let mut opts = dir.opts();
    opts.extra_settings = vec![("listen_addresses".into(), "*".into())];
    let err = EmbeddedPostgres::start(&opts)
        .await
        .expect_err("listen_addresses override");
    assert!(format!("{err:#}").contains("listen_addresses"), "{err:#}");
    assert!(!dir.cluster().exists(), "nothing should be created");
}

#[tokio::test]
async fn root_needs_an_existing_unprivileged_os_user_and_a_traversable_path() {
    if !is_root() {
        eprintln!("skipped: only meaningful as root");
        return;
    }
    let dir = TestDir::new();
    let mut opts = dir.opts();
    opts.os_user = Some("no-such-sparky-user".into());
    let err = EmbeddedPostgres::start(&opts)
        .await
        .expect_err("missing user");
    assert!(
        format!("{err:#}").contains("\"no-such-sparky-user\""),
        "{err:#}"
    );

    std::fs::set_permissions(&dir.path, std::fs::Permissions::from_mode(0o700)).unwrap();
    let opts = EmbeddedOptions {
        data_dir: dir.path.join("inner"),
        ..dir.opts()
    };
    let err = EmbeddedPostgres::start(&opts)
        .await
        .expect_err("untraversable");
    let text = format!("{err:#}");
    assert!(text.contains("cannot enter"), "{text}");
    assert!(text.contains(&dir.path.display().to_string()), "{text}");
}

/// Every entry under `dir`, for "nothing was created" checks.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_data_dir_that_is_a_file_is_refused() {
    let dir = TestDir::new();
    let file = dir.path.join("not-a-dir");
    std::fs::write(&file, "keep me").unwrap();
    let opts = EmbeddedOptions {
        data_dir: file.clone(),
        ..dir.opts()
    };
    let err = EmbeddedPostgres::start(&opts).await.expect_err("a file");
    let text = format!("{err:#}");
    assert!(text.contains("is not a directory"), "{text}");
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    assert_eq!(entries(&dir.path), ["not-a-dir"]);
}

/// A data directory made by someone else keeps its owner and mode; Sparky works in its own
/// `postgres/` subdirectory. As root, a root-owned read-only directory (what an operator or a
/// package may create) works as is; as another user, a directory it cannot write is refused
/// with the command that fixes it, and nothing is created.
#[tokio::test]
async fn a_data_dir_sparky_did_not_create_keeps_its_owner_and_mode() {
    let dir = TestDir::new();
    let data = dir.path.join("given");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).unwrap();
    let before = std::fs::metadata(&data).unwrap();
    let opts = EmbeddedOptions {
        data_dir: data.clone(),
        ..dir.opts()
    };
    let result = EmbeddedPostgres::start(&opts).await;
    let after = std::fs::metadata(&data).unwrap();
    assert_eq!(
        (after.uid(), after.gid(), after.mode()),
        (before.uid(), before.gid(), before.mode()),
        "the data directory's owner or mode changed"
    );
    if is_root() {
        let pg = result.expect("root can work inside a read-only directory it was given");
        let cluster = std::fs::metadata(data.join("postgres")).unwrap();
        let postgres = nix::unistd::User::from_name("postgres").unwrap().unwrap();
        assert_eq!(cluster.uid(), postgres.uid.as_raw());
        assert_eq!(cluster.mode() & 0o777, 0o700);
        pg.stop().await.unwrap();
        // Restarting finds everything as it left it.
        let pg = EmbeddedPostgres::start(&opts).await.expect("restart");
        pg.stop().await.unwrap();
        let again = std::fs::metadata(&data).unwrap();
        assert_eq!((again.uid(), again.mode()), (before.uid(), before.mode()));
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    } else {
        let text = format!("{:#}", result.expect_err("not writable"));
        assert!(
            text.contains("cannot write to its data directory"),
            "{text}"
        );
        assert!(
            text.contains(&format!("chmod u+rwx {}", data.display())),
            "{text}"
        );
        assert!(entries(&data).is_empty(), "created {:?}", entries(&data));
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Run as an unprivileged user (the test re-runs itself as `nobody` when it runs as root):
/// a data directory it may not write, and one it may not create, are refused with the exact
/// command to run, and nothing is created.
#[tokio::test]
async fn without_permission_it_says_what_to_run_and_creates_nothing() {
    const CHILD: &str = "SPARKY_TEST_UNPRIVILEGED_DIR";
    if let Ok(given) = std::env::var(CHILD) {
        let given = PathBuf::from(given);
        let me = nix::unistd::User::from_uid(nix::unistd::Uid::effective())
            .unwrap()
            .unwrap()
            .name;
        let opts = EmbeddedOptions {
            data_dir: given.clone(),
            os_user: None,
            extra_settings: Vec::new(),
        };
        let text = format!(
            "{:#}",
            EmbeddedPostgres::start(&opts)
                .await
                .expect_err("not writable")
        );
        assert!(
            text.contains("cannot write to its data directory"),
            "{text}"
        );
        assert!(
            text.contains(&format!("sudo chown {me} {}", given.display())),
            "{text}"
        );
        assert!(entries(&given).is_empty(), "created {:?}", entries(&given));

        let missing = given.join("sparky-data");
        let opts = EmbeddedOptions {
            data_dir: missing.clone(),
            ..opts
        };
        let text = format!(
            "{:#}",
            EmbeddedPostgres::start(&opts)
                .await
                .expect_err("not creatable")
        );
        assert!(text.contains("cannot create its data directory"), "{text}");
        assert!(
            text.contains(&format!(
                "sudo install -d -o {me} -m 700 {}",
                missing.display()
            )),
            "{text}"
        );
        assert!(entries(&given).is_empty(), "created {:?}", entries(&given));
        return;
    }

    let dir = TestDir::new();
    let given = dir.path.join("given");
    std::fs::create_dir(&given).unwrap();
    std::fs::set_permissions(&given, std::fs::Permissions::from_mode(0o755)).unwrap();
    if is_root() {
        // Root owns `given` (0755): nobody may enter it but not write it.
        let nobody = nix::unistd::User::from_name("nobody")
            .unwrap()
            .expect("user nobody");
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "without_permission_it_says_what_to_run_and_creates_nothing",
                "--nocapture",
            ])
            .env(CHILD, &given)
            .current_dir("/")
            .uid(nobody.uid.as_raw())
            .gid(nobody.gid.as_raw())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "as nobody:\n{text}");
        assert!(text.contains("1 passed"), "the child ran the test:\n{text}");
    } else {
        eprintln!("skipped: needs root to run as another user");
    }
}

/// A `postgres/` directory someone else made is not taken over.
#[tokio::test]
async fn a_cluster_directory_of_another_owner_is_not_taken_over() {
    if !is_root() {
        eprintln!("skipped: only meaningful as root");
        return;
    }
    let dir = TestDir::new();
    std::fs::create_dir(dir.cluster()).unwrap();
    std::fs::set_permissions(dir.cluster(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let err = EmbeddedPostgres::start(&dir.opts())
        .await
        .expect_err("root's directory");
    let text = format!("{err:#}");
    assert!(
        text.contains(&format!(
            "sudo chown -R postgres: {}",
            dir.cluster().display()
        )),
        "{text}"
    );
    let meta = std::fs::metadata(dir.cluster()).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o700));
    assert!(entries(&dir.cluster()).is_empty());
}
