//! The built-in starter catalog (USDA SR24 in data/fooddata/) against a real PostgreSQL:
//! `sparky foods import --format usda-sr24` and the load on the first `sparky serve`, what ends
//! up in the catalog, who may read and write it, and what searching it finds first.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sparky_testkit::TestDb;
use uuid::Uuid;

const FOODS: i64 = 7907;
/// 7,907 "100 g" servings and 13,817 household measures, less 4 repeats of a food's
/// (amount, unit).
const SERVINGS: i64 = 7907 + 13_817 - 4;
/// The supplement's foods: FoodData Central's 7,311 less those SR24 has or that it lists twice.
const SUPPLEMENT: i64 = 3935;
const SUPPLEMENT_LEFT_OUT: i64 = 7311 - SUPPLEMENT;
/// A "100 g" serving each, the Foundation foods' named household measures, and a cup and a
/// fluid ounce of each of the 397 drinks and soups.
const SUPPLEMENT_SERVINGS: i64 = SUPPLEMENT + 22 + 2 * 397;
/// SR Legacy's "undetermined" measures of the foods kept.
const SUPPLEMENT_UNUSABLE: i64 = 405;

fn sparky(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparky"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("SPARKY_DATA_DIR")
        // A fixed key, so `serve` does not write secret.key into the working directory.
        .env("SPARKY_SECRET_KEY", "5a".repeat(32))
        .env_remove("SPARKY_APP_ROLE")
        .env_remove("SPARKY_BIND")
        .env_remove("SPARKY_STARTER_CATALOG")
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn import(url: &str, extra: &[&str]) -> Output {
    sparky(url)
        .args(["foods", "import", "--format", "usda-sr24"])
        .args(extra)
        .output()
        .expect("run sparky")
}

/// The SR24 summary line without its duration.
fn summary(out: &Output) -> String {
    summary_of(out, "starter catalog: ")
}

/// The supplement's summary line without its duration.
fn supplement_summary(out: &Output) -> String {
    summary_of(out, "starter catalog supplement: ")
}

fn summary_of(out: &Output, start: &str) -> String {
    assert!(out.status.success(), "{}", text(out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no {start:?} line in: {}", text(out)));
    line.rsplit_once(" in ").expect("a duration").0.to_string()
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/fooddata")
}

fn gunzip(path: &Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

async fn count(db: &tokio_postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.unwrap().get(0)
}

/// A catalog food's servings, default first, as "size unit (weight g)" with their nutrients
/// as trimmed text (absent = NULL).
async fn servings(
    db: &tokio_postgres::Client,
    ndb: &str,
) -> Vec<(String, bool, HashMap<String, String>)> {
    let cols = [
        "calories",
        "protein",
        "carbohydrates",
        "fat",
        "fiber",
        "sugar",
        "sodium",
        "saturated_fat",
        "trans_fat",
        "cholesterol",
        "potassium",
        "calcium",
        "iron",
        "vitamin_a",
        "vitamin_c",
    ];
    let select = cols.map(|c| format!("trim_scale({c})::text")).join(", ");
    let rows = db
        .query(
            &format!(
                "SELECT concat(trim_scale(n.serving_size), ' ', n.serving_unit, ' (',
                               trim_scale(n.serving_weight_g), ' g)'), n.is_default, {select}
                 FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id
                 WHERE f.user_id IS NULL AND f.source = 'usda-sr' AND f.source_id = $1
                 ORDER BY n.is_default DESC, n.created_at, n.id"
            ),
            &[&ndb],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let values = cols
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    r.get::<_, Option<String>>(i + 2)
                        .map(|v| (c.to_string(), v))
                })
                .collect();
            (r.get(0), r.get(1), values)
        })
        .collect()
}

fn values(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn import_loads_the_built_in_catalog_once_and_updates_only_what_changed() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    let first = import(&url, &[]);
    assert_eq!(
        summary(&first),
        format!(
            "starter catalog: {FOODS} foods with {SERVINGS} servings: {FOODS} added, 0 updated, \
             0 unchanged (4 unusable household measures left out)"
        )
    );
    // Then the supplement, less what SR24 has.
    assert_eq!(
        supplement_summary(&first),
        format!(
            "starter catalog supplement: {SUPPLEMENT} foods with {SUPPLEMENT_SERVINGS} servings: \
             {SUPPLEMENT} added, 0 updated, 0 unchanged ({SUPPLEMENT_LEFT_OUT} foods that repeat the \
             starter catalog's or their own and {SUPPLEMENT_UNUSABLE} unusable household measures \
             left out)"
        )
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_items WHERE source = 'usda-fdc-starter' AND user_id IS NULL"
        )
        .await,
        SUPPLEMENT
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_items WHERE source = 'usda-sr' AND user_id IS NULL"
        )
        .await,
        FOODS
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id
             WHERE f.source = 'usda-sr'"
        )
        .await,
        SERVINGS
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_items f WHERE f.source = 'usda-sr'
               AND (SELECT count(*) FROM nutrition_data n
                    WHERE n.food_item_id = f.id AND n.is_default) <> 1"
        )
        .await,
        0,
        "exactly one default serving per food"
    );
    let stamp = owner
        .query_one(
            "SELECT checksum, foods, servings FROM catalog_loads
             WHERE dataset = 'usda-sr24 built in'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(stamp.get::<_, i32>(1) as i64, FOODS);
    assert_eq!(stamp.get::<_, i32>(2) as i64, SERVINGS);
    assert_eq!(stamp.get::<_, String>(0).len(), 64);

    // A banana: the medium one by default, nutrients scaled to its 118 g, unknown stays NULL.
    let banana = servings(&owner, "09040").await;
    assert_eq!(banana.len(), 9, "100 g and 8 household measures");
    let (medium, is_default, v) = &banana[0];
    assert_eq!(medium, "1 medium (7\" to 7-7/8\" long) (118 g)");
    assert!(is_default);
    assert_eq!(
        *v,
        values(&[
            ("calories", "105.02"),
            ("protein", "1.2862"),
            ("carbohydrates", "26.9512"),
            ("fat", "0.3894"),
            ("fiber", "3.068"),
            ("sugar", "14.4314"),
            ("sodium", "1.18"),
            ("saturated_fat", "0.1322"),
            ("cholesterol", "0"),
            ("potassium", "422.44"),
            ("calcium", "5.9"),
            ("iron", "0.3068"),
            ("vitamin_a", "3.54"),
            ("vitamin_c", "10.266"),
        ]),
        "no trans_fat: the source has none for bananas"
    );
    let hundred = banana.iter().find(|s| s.0 == "100 g (100 g)").unwrap();
    assert_eq!(hundred.2["calories"], "89");
    assert_eq!(hundred.2["protein"], "1.09");
    assert!(!hundred.2.contains_key("trans_fat"));
    assert!(banana.iter().all(|s| !s.2.contains_key("trans_fat")));
    let names: Vec<&str> = banana.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names[1..4],
        [
            "100 g (100 g)",
            "1 cup, mashed (225 g)",
            "1 cup, sliced (150 g)"
        ],
        "then in the data's order"
    );

    // Empty cells are NULL everywhere, and a zero is a zero: per nutrient, the foods whose
    // 100 g serving is NULL are exactly the empty cells of the file.
    let file = gunzip(&data_dir().join("sr24_foods.csv.gz"));
    let mut rdr = csv::Reader::from_reader(file.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as i64, FOODS);
    for (column, nutrient) in [
        ("trans_fat_g", "trans_fat"),
        ("fiber_g", "fiber"),
        ("vit_a_rae_ug", "vitamin_a"),
        ("sugars_g", "sugar"),
    ] {
        let i = headers.iter().position(|h| h == column).unwrap();
        let empty = rows.iter().filter(|r| r[i].is_empty()).count() as i64;
        let zero = rows
            .iter()
            .filter(|r| r[i].parse::<f64>() == Ok(0.0))
            .count() as i64;
        let null = count(
            &owner,
            &format!(
                "SELECT count(*) FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id
                 WHERE f.source = 'usda-sr' AND n.serving_unit = 'g' AND n.serving_size = 100
                   AND n.{nutrient} IS NULL"
            ),
        )
        .await;
        let zeros = count(
            &owner,
            &format!(
                "SELECT count(*) FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id
                 WHERE f.source = 'usda-sr' AND n.serving_unit = 'g' AND n.serving_size = 100
                   AND n.{nutrient} = 0"
            ),
        )
        .await;
        assert!(empty > 0, "{column}");
        assert_eq!(null, empty, "{column}: NULL where the file is empty");
        assert_eq!(zeros, zero, "{column}: 0 where the file says 0");
    }

    // The same data again writes nothing.
    let before: (String, i64) = {
        let r = owner
            .query_one(
                "SELECT max(n.updated_at)::text, sum(n.xmin::text::bigint)::bigint
                 FROM nutrition_data n",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    let again = sparky(&url)
        .args(["foods", "import", "--format", "starter"])
        .output()
        .unwrap();
    assert_eq!(
        summary(&again),
        format!(
            "starter catalog: {FOODS} foods with {SERVINGS} servings: 0 added, 0 updated, \
             {FOODS} unchanged (4 unusable household measures left out)"
        )
    );
    assert_eq!(
        supplement_summary(&again),
        format!(
            "starter catalog supplement: {SUPPLEMENT} foods with {SUPPLEMENT_SERVINGS} servings: \
             0 added, 0 updated, {SUPPLEMENT} unchanged ({SUPPLEMENT_LEFT_OUT} foods that repeat the \
             starter catalog's or their own and {SUPPLEMENT_UNUSABLE} unusable household measures \
             left out)"
        )
    );
    let after: (String, i64) = {
        let r = owner
            .query_one(
                "SELECT max(n.updated_at)::text, sum(n.xmin::text::bigint)::bigint
                 FROM nutrition_data n",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(before, after, "no serving was rewritten");
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_items WHERE source = 'usda-sr'"
        )
        .await,
        FOODS
    );

    // An updated extract: banana renamed, its medium weighed again, its NLEA serving dropped,
    // one new food. Only those change; a serving that stayed keeps its id.
    let hundred_id: Uuid = owner
        .query_one(
            "SELECT n.id FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id
             WHERE f.source_id = '09040' AND n.serving_unit = 'g'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let dir = tempfile::tempdir().unwrap();
    let foods = file.replace("\"Bananas, raw\"", "\"Bananas, raw, ripe\"")
        + "ndb-99001,,99001,Test fruit,,sr24,50,1,,10,,,,,,,,,,,\n";
    let portions = gunzip(&data_dir().join("sr24_portions.csv.gz"))
        .replace(
            "ndb-09040,1,\"medium (7\"\" to 7-7/8\"\" long)\",118",
            "ndb-09040,1,\"medium (7\"\" to 7-7/8\"\" long)\",120",
        )
        .replace("ndb-09040,1,NLEA serving,126\n", "");
    std::fs::write(dir.path().join("sr24_foods.csv"), foods).unwrap();
    std::fs::write(dir.path().join("sr24_portions.csv"), portions).unwrap();
    assert_eq!(
        summary(&import(&url, &[dir.path().to_str().unwrap()])),
        format!(
            "starter catalog: {} foods with {SERVINGS} servings: 1 added, 1 updated, {} unchanged \
             (4 unusable household measures left out)",
            FOODS + 1,
            FOODS - 1
        ),
        "one new food with one serving, one fewer for the banana"
    );
    let name: String = owner
        .query_one(
            "SELECT name::text FROM food_items WHERE source = 'usda-sr' AND source_id = '09040'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Bananas, raw, ripe");
    let banana = servings(&owner, "09040").await;
    assert_eq!(banana.len(), 8);
    assert_eq!(banana[0].0, "1 medium (7\" to 7-7/8\" long) (120 g)");
    assert_eq!(banana[0].2["calories"], "106.8");
    assert!(!banana.iter().any(|s| s.0.contains("NLEA")));
    let same: bool = owner
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM nutrition_data WHERE id = $1)",
            &[&hundred_id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(same, "the unchanged 100 g serving is the same row");
    let test_fruit = servings(&owner, "99001").await;
    assert_eq!(test_fruit.len(), 1);
    assert!(
        test_fruit[0].1,
        "100 g is the default without household measures"
    );
    let stamp_after: String = owner
        .query_one(
            "SELECT checksum FROM catalog_loads WHERE dataset = 'usda-sr24 built in'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        stamp_after,
        stamp.get::<_, String>(0),
        "a file import does not claim to be the built-in copy"
    );

    // The built-in copy again puts the banana back; foods it does not have stay.
    assert_eq!(
        summary(&import(&url, &[])),
        format!(
            "starter catalog: {FOODS} foods with {SERVINGS} servings: 0 added, 1 updated, \
             {} unchanged (4 unusable household measures left out)",
            FOODS - 1
        )
    );
    assert_eq!(servings(&owner, "09040").await.len(), 9);
    assert_eq!(servings(&owner, "99001").await.len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    let out = import(&url, &["/nonexistent/sr24"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("/nonexistent/sr24"), "{}", text(&out));

    let dir = tempfile::tempdir().unwrap();
    let out = import(&url, &[dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("sr24_foods.csv.gz"), "{}", text(&out));

    // A malformed row anywhere: nothing is written.
    let foods = gunzip(&data_dir().join("sr24_foods.csv.gz")).replacen(",89,", ",n/a,", 1);
    std::fs::write(dir.path().join("sr24_foods.csv"), foods).unwrap();
    std::fs::copy(
        data_dir().join("sr24_portions.csv.gz"),
        dir.path().join("sr24_portions.csv.gz"),
    )
    .unwrap();
    let out = import(&url, &[dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("is not a non-negative number"),
        "{}",
        text(&out)
    );

    // The other formats still need their FILE.
    let out = sparky(&url)
        .args(["foods", "import", "--format", "openfoodfacts"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("FILE"), "{}", text(&out));

    assert_eq!(count(&owner, "SELECT count(*) FROM food_items").await, 0);
    assert_eq!(count(&owner, "SELECT count(*) FROM catalog_loads").await, 0);
}

/// A running `sparky serve`, killed on drop.
struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(url: &str, starter: bool) -> Server {
        let mut child = sparky(url)
            .arg("serve")
            .env("SPARKY_BIND", "127.0.0.1:0")
            .env("SPARKY_STARTER_CATALOG", starter.to_string())
            .env("RUST_LOG", "info,sparky=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(pos) = line.find("address=127.0.0.1:") {
                    let port: String = line[pos + 18..]
                        .chars()
                        .take_while(|c| c.is_ascii_digit())
                        .collect();
                    let _ = tx.send(port.parse::<u16>().unwrap());
                }
                let mut l = log2.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("server did not start: {}", log.lock().unwrap()));
        Server { child, port, log }
    }

    /// Waits for a log line containing `needle` and returns it.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Some(line) = self
                .log
                .lock()
                .unwrap()
                .lines()
                .find(|l| l.contains(needle))
            {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in: {}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> (u16, String, Value) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let host = format!("127.0.0.1:{}", self.port);
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nConnection: close\r\n"
        );
        if let Some(c) = cookie {
            req.push_str(&format!("Cookie: {c}\r\n"));
        }
        if !body.is_empty() {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(&body);
        s.write_all(req.as_bytes()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let status = resp[9..12].parse().unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
        let cookie = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with("set-cookie:")
                    .then(|| l[11..].trim().split(';').next().unwrap().to_string())
            })
            .unwrap_or_default();
        (
            status,
            cookie,
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    }

    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn sign_in(server: &Server, email: &str) -> String {
    let creds = json!({"email": email, "password": "a long passphrase", "full_name": "Ann"});
    let (status, _, body) = server.request("POST", "/api/v1/auth/register", None, Some(creds));
    assert!(status == 201 || status == 200, "{status} {body}");
    let creds = json!({"email": email, "password": "a long passphrase"});
    let (status, cookie, body) = server.request("POST", "/api/v1/auth/login", None, Some(creds));
    assert_eq!(status, 200, "{body}");
    assert!(!cookie.is_empty());
    cookie
}

fn search(server: &Server, cookie: &str, q: &str) -> Vec<Value> {
    let q: String = q
        .bytes()
        .map(|b| match b {
            b' ' => "%20".to_string(),
            b => (b as char).to_string(),
        })
        .collect();
    let (status, _, body) = server.request(
        "GET",
        &format!("/api/v1/foods?q={q}&limit=10"),
        Some(cookie),
        None,
    );
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn names(items: &[Value]) -> Vec<&str> {
    items.iter().map(|f| f["name"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn serve_loads_the_catalog_once_and_search_finds_common_foods_first() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    // Switched off: nothing is loaded.
    let server = Server::start(&url, false);
    server.terminate();
    assert_eq!(count(&owner, "SELECT count(*) FROM food_items").await, 0);

    // The first start loads it beside serving.
    let server = Server::start(&url, true);
    let line = server.wait_for(" servings: ");
    assert!(
        line.contains(&format!("{FOODS} added, 0 updated, 0 unchanged")),
        "{line}"
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_items WHERE source = 'usda-sr'"
        )
        .await,
        FOODS
    );
    let line = server.wait_for("starter catalog supplement: ");
    assert!(
        line.contains(&format!("{SUPPLEMENT} added, 0 updated, 0 unchanged")),
        "{line}"
    );
    let ann = sign_in(&server, "ann@example.com");

    // What SR24 lacks, the supplement has: dishes, foods added since 2011, renamed ones.
    for (q, first) in [
        ("greek yogurt", "Yogurt, Greek, "),
        ("sushi", "Sushi"),
        ("green tea", "Tea, hot, leaf, green"),
        ("oat milk", "Oat milk"),
        ("almond milk", "Almond milk"),
        ("kombucha", "Tea, kombucha"),
        ("pad thai", "Pad Thai"),
        // Words alone that mean an everyday kind the supplement has.
        ("burger", "Hamburger, NFS"),
        ("cereal", "Cereal, ready-to-eat, NFS"),
        ("fish", "Fish, NS as to type, baked or broiled"),
        ("smoothie", "Fruit smoothie, NFS"),
        ("soup", "Soup, NFS"),
        ("steak", "Beef, steak, NFS"),
        ("stew", "Stew, NFS"),
    ] {
        let found = search(&server, &ann, q);
        let name = found.first().map(|f| f["name"].as_str().unwrap());
        assert!(
            name.is_some_and(|n| n.starts_with(first)),
            "{q}: {:?}",
            names(&found)
        );
        assert_eq!(found[0]["source"], "usda-fdc-starter", "{q}");
    }
    // Where SR24 has the food, its own comes first, with its household measures.
    let hummus = search(&server, &ann, "hummus");
    assert_eq!(hummus[0]["source"], "usda-sr", "{:?}", names(&hummus));
    assert!(
        names(&hummus)
            .iter()
            .any(|n| *n == "Hummus, plain" || *n == "Hummus, flavored"),
        "{:?}",
        names(&hummus)
    );

    // What common searches find first.
    for (q, first) in [
        ("banana", "Bananas, raw"),
        ("bananas", "Bananas, raw"),
        (
            "whole milk",
            "Milk, whole, 3.25% milkfat, with added vitamin D",
        ),
        (
            "milk whole",
            "Milk, whole, 3.25% milkfat, with added vitamin D",
        ),
        ("milk", "Milk, whole, 3.25% milkfat, with added vitamin D"),
        ("egg", "Egg, whole, raw, fresh"),
        ("eggs", "Egg, whole, raw, fresh"),
        ("apple", "Apples, raw, with skin"),
        ("oats", "Oats"),
        ("cheddar cheese", "Cheese, cheddar"),
        ("strawberries", "Strawberries, raw"),
        ("olive oil", "Oil, olive, salad or cooking"),
        ("butter", "Butter, salted"),
    ] {
        let found = search(&server, &ann, q);
        assert_eq!(
            found.first().map(|f| f["name"].as_str().unwrap()),
            Some(first),
            "{q}: {:?}",
            names(&found)
        );
    }
    // Where several foods are equally right, the first is one of them.
    let top = |q: &str| {
        search(&server, &ann, q)[0]["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let breast = top("chicken breast");
    assert!(
        breast.starts_with("Chicken, broilers or fryers, breast, meat only"),
        "{breast}"
    );
    // Grains, legumes and coffee as they are eaten: cooked or brewed, not raw or instant.
    let rice = top("rice");
    assert!(
        rice.starts_with("Rice, white, long-grain") && rice.contains("cooked"),
        "{rice}"
    );
    let coffee = top("coffee");
    assert!(coffee.starts_with("Coffee, brewed"), "{coffee}");
    let lentils = top("lentils");
    assert!(lentils.contains("cooked"), "{lentils}");
    let potato = top("potato");
    assert!(
        potato.starts_with("Potato") && potato.contains("baked, flesh and skin"),
        "{potato}"
    );
    // A word alone means its everyday kind, not the catalog's first in the alphabet.
    for (q, first) in [
        (
            "bread",
            "Bread, white, commercially prepared (includes soft bread crumbs)",
        ),
        ("oil", "Oil, olive, salad or cooking"),
        ("sugar", "Sugars, granulated"),
        ("juice", "Orange juice, raw"),
        ("chips", "Snacks, potato chips, plain, salted"),
        (
            "salad",
            "Fast foods, salad, vegetable, tossed, without dressing",
        ),
    ] {
        assert_eq!(top(q), first, "{q}");
    }
    for (q, kind) in [
        ("pork", "Pork, fresh, loin, whole"),
        ("turkey", "breast, meat only, cooked, roasted"),
        ("tortilla", "Tortillas, ready-to-bake or -fry, flour"),
    ] {
        let found = top(q);
        assert!(found.contains(kind), "{q}: {found}");
    }
    assert!(top("chiken").starts_with("Chicken, "), "typo tolerance");
    let found = search(&server, &ann, "chiken brest");
    assert!(
        found.len() >= 3
            && names(&found)[..3]
                .iter()
                .all(|n| n.starts_with("Chicken") && n.to_lowercase().contains("breast")),
        "typo tolerance word by word: {:?}",
        names(&found)
    );
    // A dish the catalog names by what it is made of: oatmeal and porridge are cooked oats.
    for dish in ["oatmeal", "porridge"] {
        let first = top(dish);
        assert!(
            first.starts_with("Cereals, oats") && first.contains("cooked"),
            "{dish}: {first}"
        );
    }
    let cookies = top("cookies");
    assert!(
        cookies.starts_with("Cookies"),
        "not cooked foods: {cookies}"
    );
    // Not the egg's look-alikes before the egg.
    let eggs = names(&search(&server, &ann, "egg"))
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    assert!(
        !eggs[..5].iter().any(|n| n.starts_with("Eggplant")
            || n.starts_with("Egg noodles")
            || n.starts_with("Eggnog")),
        "{eggs:?}"
    );

    // The banana as search returns it: its medium serving first, 118 g.
    let banana = &search(&server, &ann, "banana")[0];
    let default = &banana["servings"][0];
    assert_eq!(default["is_default"], true);
    assert_eq!(default["weight_g"], 118.0);
    assert_eq!(
        default["description"],
        "1 medium (7\" to 7-7/8\" long) (118 g)"
    );
    assert_eq!(default["nutrients"]["calories"], 105.02);
    // A cup of butter (1,628 kcal) is no default serving; a spoon is.
    let butter = &search(&server, &ann, "butter")[0];
    assert_eq!(butter["name"], "Butter, salted");
    let first = &butter["servings"][0];
    assert_eq!(first["is_default"], true);
    assert!(
        first["nutrients"]["calories"].as_f64().unwrap() < 200.0,
        "{first}"
    );
    // A supplement drink is poured: a cup is its default (at milk's density for a plant
    // milk), 100 g and a fluid ounce follow.
    let oat_milk = &search(&server, &ann, "oat milk")[0];
    let units: Vec<(&str, f64, bool)> = oat_milk["servings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["unit"].as_str().unwrap(),
                s["weight_g"].as_f64().unwrap(),
                s["is_default"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        units,
        [
            ("cup", 247.2, true),
            ("g", 100.0, false),
            ("fl oz", 30.9, false)
        ],
        "{oat_milk}"
    );
    assert_eq!(banana["user_id"], Value::Null);
    assert_eq!(banana["source"], "usda-sr");
    assert_eq!(banana["source_id"], "09040");

    // Any signed-in user reads it; nobody changes it through the API.
    let bob = sign_in(&server, "bob@example.com");
    let id = banana["id"].as_str().unwrap();
    let (status, _, body) = server.request("GET", &format!("/api/v1/foods/{id}"), Some(&bob), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["servings"].as_array().unwrap().len(), 9);
    let edit = json!({"name": "Mine now", "servings": [{"size": 1, "unit": "g"}]});
    let (status, _, body) = server.request(
        "PUT",
        &format!("/api/v1/foods/{id}"),
        Some(&bob),
        Some(edit),
    );
    assert_eq!(status, 403, "{body}");
    let (status, _, body) =
        server.request("DELETE", &format!("/api/v1/foods/{id}"), Some(&bob), None);
    assert_eq!(status, 403, "{body}");

    // And not with SQL as the request role either: RLS filters every write to nothing.
    let database = db.database().await;
    let bob_id: Uuid = owner
        .query_one("SELECT id FROM users WHERE email = 'bob@example.com'", &[])
        .await
        .unwrap()
        .get(0);
    let banana_id: Uuid = id.parse().unwrap();
    let mut tx = database.as_user(bob_id).await.unwrap();
    let visible = tx
        .query_one(
            "SELECT count(*) FROM nutrition_data WHERE food_item_id = $1",
            &[&banana_id],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(visible, 9);
    for sql in [
        "UPDATE food_items SET name = 'x' WHERE id = $1",
        "DELETE FROM food_items WHERE id = $1",
        "UPDATE nutrition_data SET calories = 1 WHERE food_item_id = $1",
        "DELETE FROM nutrition_data WHERE food_item_id = $1",
    ] {
        assert_eq!(tx.execute(sql, &[&banana_id]).await.unwrap(), 0, "{sql}");
    }
    assert!(tx
        .execute(
            "INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit) VALUES ($1, 1, 'g')",
            &[&banana_id],
        )
        .await
        .is_err());
    drop(tx);
    let mut tx = database.anonymous().await.unwrap();
    let without_user = tx
        .query_one("SELECT count(*) FROM food_items", &[])
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(without_user, 0, "no user, no rows");
    drop(tx);
    assert_eq!(servings(&owner, "09040").await.len(), 9);
    let name: String = owner
        .query_one(
            "SELECT name::text FROM food_items WHERE id = $1",
            &[&banana_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Bananas, raw");
    server.terminate();

    // The next start finds it loaded and writes nothing.
    let loaded_at: String = owner
        .query_one(
            "SELECT string_agg(updated_at::text, ' ' ORDER BY dataset) FROM catalog_loads",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let server = Server::start(&url, true);
    server.wait_for("the starter food catalog is loaded");
    assert!(!server.log.lock().unwrap().contains(" servings: "));
    server.terminate();
    let again: String = owner
        .query_one(
            "SELECT string_agg(updated_at::text, ' ' ORDER BY dataset) FROM catalog_loads",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(loaded_at, again);
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_items WHERE source = 'usda-sr'"
        )
        .await,
        FOODS
    );
}

/// A managed database: the owner role is no superuser and cannot bypass row level security.
/// The load lifts FORCE for its own transaction only, as the migrations do.
#[tokio::test]
async fn an_owner_without_bypassrls_loads_it_too() {
    let db = TestDb::empty().await;
    let admin = db.owner_client().await;
    admin
        .batch_execute(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sparky_limited_owner') THEN
                     CREATE ROLE sparky_limited_owner LOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE;
                 END IF;
             END $$;",
        )
        .await
        .unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{}\" OWNER TO sparky_limited_owner",
            db.name()
        ))
        .await
        .unwrap();
    let mut config = db.owner_config();
    config.user("sparky_limited_owner");
    let url = sparky_testkit::url_for(&config);
    let out = sparky(&url).args(["migrate", "up"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let line = summary(&import(&url, &[]));
    assert!(line.contains(&format!("{FOODS} added")), "{line}");
    let limited = sparky_db::connect(&config).await.unwrap();
    let bypass: bool = limited
        .query_one(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!bypass);
    let forced: i64 = count(
        &admin,
        "SELECT count(*) FROM pg_class WHERE relname IN ('food_items', 'nutrition_data')
           AND relrowsecurity AND relforcerowsecurity",
    )
    .await;
    assert_eq!(forced, 2, "FORCE ROW LEVEL SECURITY is back");
    assert_eq!(
        count(
            &admin,
            "SELECT count(*) FROM food_items WHERE source = 'usda-sr'"
        )
        .await,
        FOODS
    );
    // Under FORCE the owner sees no catalog row without a user: the load really lifted it.
    assert_eq!(count(&limited, "SELECT count(*) FROM food_items").await, 0);
}
