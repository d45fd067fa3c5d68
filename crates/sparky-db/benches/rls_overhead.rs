//! What Row Level Security and the per-request transaction cost on the hot read.
//!
//! 100 users with a year of food diary (6 entries a day). Reads one user's diary day
//! (a) as a plain prepared query under the owner role, and (b) through `Database::as_user`
//! as the request role under RLS (BEGIN + role/user + query + COMMIT, pipelined), with the
//! same number of connections, and prints requests/s, p50, p99 and the ratio b/a.
//!
//! `cargo bench -p sparky-db --bench rls_overhead` (env: BENCH_SECONDS, BENCH_CONNECTIONS).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use rand::Rng;
use sparky_testkit::TestDb;
use tokio_postgres::NoTls;
use uuid::Uuid;

const USERS: usize = 100;
const DAYS: i32 = 365;
const PER_DAY: i32 = 6;

const DIARY_DAY: &str =
    "SELECT d.id, d.meal_type, d.quantity, d.unit, d.consumed_at, f.name, f.brand
     FROM food_diary d JOIN food_items f ON f.id = d.food_item_id
     WHERE d.user_id = $1 AND d.consumed_at >= $2 AND d.consumed_at < $3
     ORDER BY d.consumed_at";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug)]
struct Figures {
    rps: f64,
    p50: Duration,
    p99: Duration,
    rows: u64,
}

async fn load(db: &TestDb) -> Vec<Uuid> {
    let owner = db.owner_client().await;
    let started = Instant::now();
    owner
        .batch_execute(&format!(
            "INSERT INTO users (email, password_hash, full_name)
               SELECT 'user' || i || '@example.com', 'x', 'User ' || i FROM generate_series(1, {USERS}) i;
             INSERT INTO food_items (name, brand, source)
               SELECT 'Food ' || i, 'Brand ' || (i % 50), 'bench' FROM generate_series(1, 1000) i;
             CREATE TEMP TABLE bench_foods AS SELECT id, row_number() OVER () AS n FROM food_items;
             INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at)
               SELECT u.id, f.id, 1 + (d + e) % 3, 'serving',
                      (ARRAY['breakfast','lunch','dinner','snack','snack','dinner'])[e],
                      timestamptz '2025-01-01 06:00 UTC' + make_interval(days => d, hours => e * 2)
               FROM (SELECT id, row_number() OVER () AS rn FROM users) u
               CROSS JOIN generate_series(0, {DAYS} - 1) d
               CROSS JOIN generate_series(1, {PER_DAY}) e
               JOIN bench_foods f ON f.n = 1 + (d * 7 + e * 13 + u.rn * 31) % 1000;
"
        ))
        .await
        .unwrap_or_else(|e| panic!("load bench data: {e:?}"));
    owner.batch_execute("VACUUM ANALYZE").await.unwrap();
    let n: i64 = owner
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    eprintln!("loaded {n} diary entries in {:.1?}", started.elapsed());
    owner
        .query("SELECT id FROM users ORDER BY email", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn random_day(users: &[Uuid]) -> (Uuid, chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let mut rng = rand::rng();
    let user = users[rng.random_range(0..users.len())];
    let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
        + chrono::Days::new(rng.random_range(0..DAYS as u64));
    let from = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap());
    (user, from, from + chrono::Duration::days(1))
}

/// Runs `connections` workers for `seconds`, each doing one request at a time.
async fn measure<F, Fut>(connections: usize, seconds: u64, request: F) -> Figures
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = u64> + Send,
{
    let request = Arc::new(request);
    // Warm-up: statement caches and buffers.
    for _ in 0..connections * 20 {
        request().await;
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let request = request.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut rows = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                rows += request().await;
                latencies.push(t.elapsed());
            }
            (latencies, rows)
        }));
    }
    let mut all = Vec::new();
    let mut rows = 0;
    for w in workers {
        let (l, r) = w.await.unwrap();
        all.extend(l);
        rows += r;
    }
    let elapsed = started.elapsed();
    all.sort();
    Figures {
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50: all[all.len() / 2],
        p99: all[all.len() * 99 / 100],
        rows,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let seconds = env_or("BENCH_SECONDS", 10);
        let connections = env_or("BENCH_CONNECTIONS", 16) as usize;
        let db = TestDb::new().await;
        let users = Arc::new(load(&db).await);

        // (a) plain prepared query, owner role, no transaction.
        let manager = Manager::from_config(
            db.owner_config(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(connections)
            .build()
            .unwrap();
        let u = users.clone();
        let plain = measure(connections, seconds, move || {
            let pool = pool.clone();
            let (user, from, to) = random_day(&u);
            async move {
                let client = pool.get().await.unwrap();
                let stmt = client.prepare_cached(DIARY_DAY).await.unwrap();
                client
                    .query(&stmt, &[&user, &from, &to])
                    .await
                    .unwrap()
                    .len() as u64
            }
        })
        .await;

        // (b) the request path: as_user, RLS, one pipelined round trip.
        // Logged in as the request role, as production requests are.
        let database = db
            .database_builder()
            .pool_size(connections)
            .build()
            .unwrap();
        let u = users.clone();
        let rls = measure(connections, seconds, move || {
            let database = database.clone();
            let (user, from, to) = random_day(&u);
            async move {
                let tx = database.as_user(user).await.unwrap();
                tx.query_and_commit(DIARY_DAY, &[&user, &from, &to])
                    .await
                    .unwrap()
                    .len() as u64
            }
        })
        .await;

        assert!(
            plain.rows > 0 && rls.rows > 0,
            "both modes must read diary rows"
        );
        println!(
            "diary day read, {connections} connections, {seconds}s each, {} cores",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        println!("{:<34} {:>10} {:>10} {:>10}", "mode", "req/s", "p50", "p99");
        for (name, f) in [
            ("(a) owner, plain query", &plain),
            ("(b) as_user, request role + RLS", &rls),
        ] {
            println!(
                "{:<34} {:>10.0} {:>10.2?} {:>10.2?}",
                name, f.rps, f.p50, f.p99
            );
        }
        println!("ratio b/a (time per request): {:.2}", plain.rps / rls.rps);
    });
}
