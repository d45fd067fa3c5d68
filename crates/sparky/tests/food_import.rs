//! Black-box tests of `sparky foods import` against a real PostgreSQL, with the small
//! hand-written downloads in tests/data (see tests/data/README.md).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use sparky_testkit::TestDb;
use uuid::Uuid;

const NUTRIENTS: [&str; 15] = [
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

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn sparky(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparky"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("SPARKY_DATA_DIR")
        .env_remove("SPARKY_APP_ROLE")
        .env_remove("SPARKY_PASSWORD")
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

fn import(url: &str, format: &str, path: &std::path::Path, extra: &[&str]) -> Output {
    sparky(url)
        .args(["foods", "import", "--format", format])
        .arg(path)
        .args(extra)
        .output()
        .expect("run sparky")
}

/// The summary line without its duration.
fn summary(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("imported "))
        .unwrap_or_else(|| panic!("no summary line in: {}", text(out)));
    line.rsplit_once(" in ").expect("a duration").0.to_string()
}

async fn count(owner: &tokio_postgres::Client, sql: &str) -> i64 {
    owner.query_one(sql, &[]).await.unwrap().get(0)
}

/// name, brand, barcode of a catalog food.
async fn food(
    owner: &tokio_postgres::Client,
    source: &str,
    source_id: &str,
) -> (String, Option<String>, Option<String>) {
    let row = owner
        .query_one(
            "SELECT name::text, brand::text, barcode::text FROM food_items
             WHERE user_id IS NULL AND source = $1 AND source_id = $2",
            &[&source, &source_id],
        )
        .await
        .unwrap_or_else(|e| panic!("{source}:{source_id}: {e}"));
    (row.get(0), row.get(1), row.get(2))
}

/// The servings of a catalog food, default first: (size unit weight default) and the
/// non-null nutrients as trimmed text.
async fn servings(
    owner: &tokio_postgres::Client,
    source: &str,
    source_id: &str,
) -> Vec<(String, HashMap<&'static str, String>)> {
    let cols = NUTRIENTS
        .map(|n| format!("trim_scale({n})::text"))
        .join(", ");
    let rows = owner
        .query(
            &format!(
                "SELECT concat_ws(' ', trim_scale(n.serving_size), n.serving_unit,
                                  trim_scale(n.serving_weight_g), n.is_default::text), {cols}
                 FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id
                 WHERE f.user_id IS NULL AND f.source = $1 AND f.source_id = $2
                 ORDER BY n.is_default DESC, n.serving_size DESC"
            ),
            &[&source, &source_id],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let values = NUTRIENTS
                .iter()
                .enumerate()
                .filter_map(|(i, n)| r.get::<_, Option<String>>(i + 1).map(|v| (*n, v)))
                .collect();
            (r.get(0), values)
        })
        .collect()
}

fn values(pairs: &[(&'static str, &str)]) -> HashMap<&'static str, String> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

#[test]
fn foods_import_has_help() {
    for args in [&["foods", "--help"][..], &["foods", "import", "--help"]] {
        let out = sparky("postgres://unused").args(args).output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Usage"), "{help}");
        if args.len() == 3 {
            assert!(
                help.contains("usda-fdc") && help.contains("openfoodfacts"),
                "{help}"
            );
        }
    }
}

#[tokio::test]
async fn openfoodfacts_csv_import_converts_units_and_is_idempotent() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;
    let file = data("off_sample.csv");

    let out = import(&url, "openfoodfacts", &file, &[]);
    assert!(out.status.success(), "{}", text(&out));
    // 9 rows: 6 products, one repeated, one without a name, one without any nutrient.
    assert_eq!(
        summary(&out),
        "imported 6 foods, skipped 3 (already present 1, unusable 2)"
    );
    let catalog =
        "SELECT count(*) FROM food_items WHERE user_id IS NULL AND source = 'openfoodfacts'";
    assert_eq!(count(&owner, catalog).await, 6);
    assert_eq!(
        count(&owner, "SELECT count(*) FROM nutrition_data").await,
        7
    );

    // The first row of a repeated product wins; brands → the first brand; valid EAN-13 kept.
    assert_eq!(
        food(&owner, "openfoodfacts", "3017620422003").await,
        (
            "Hazelnut Cocoa Spread".into(),
            Some("Ferrero".into()),
            Some("3017620422003".into())
        )
    );
    let s = servings(&owner, "openfoodfacts", "3017620422003").await;
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(s[0].0, "100 g 100 true");
    assert_eq!(
        s[0].1,
        values(&[
            ("calories", "539"),
            ("protein", "6.3"),
            ("carbohydrates", "57.5"),
            ("fat", "30.9"),
            ("fiber", "0"),
            ("sugar", "56.3"),
            ("sodium", "42.8"), // sodium_100g (g) wins over salt, in mg
            ("saturated_fat", "10.6"),
        ])
    );
    // serving_quantity 15 g: a second, scaled serving.
    assert_eq!(s[1].0, "1 serving 15 false");
    assert_eq!(s[1].1["calories"], "80.85");
    assert_eq!(s[1].1["fat"], "4.635");
    assert_eq!(s[1].1["sodium"], "6.42");

    // UPC-A → GTIN-13.
    assert_eq!(
        food(&owner, "openfoodfacts", "041570054161")
            .await
            .2
            .as_deref(),
        Some("0041570054161")
    );
    let oats = servings(&owner, "openfoodfacts", "041570054161").await;
    assert_eq!(oats.len(), 1);
    assert_eq!(oats[0].1["iron"], "4.2");
    assert_eq!(oats[0].1["sodium"], "6");

    // kJ only: 1046 kJ = 250 kcal; no brand.
    let crisp = food(&owner, "openfoodfacts", "4006040000006").await;
    assert_eq!(crisp.1, None);
    assert_eq!(
        servings(&owner, "openfoodfacts", "4006040000006").await[0].1["calories"],
        "250"
    );

    // Salt only: 1.25 g salt = 500 mg sodium. Not a barcode: kept, barcode NULL.
    assert_eq!(food(&owner, "openfoodfacts", "12345").await.2, None);
    let butter = &servings(&owner, "openfoodfacts", "12345").await[0].1;
    assert_eq!(butter["sodium"], "500");
    assert_eq!(butter["cholesterol"], "215");

    // energy_100g (kJ), minerals g → mg, vitamin A g → µg.
    assert_eq!(
        servings(&owner, "openfoodfacts", "7622210449283").await[0].1,
        values(&[
            ("calories", "45.8891"),
            ("protein", "1"),
            ("carbohydrates", "6.6"),
            ("fat", "3"),
            ("cholesterol", "0"),
            ("potassium", "150"),
            ("calcium", "120"),
            ("iron", "2.1"),
            ("vitamin_a", "120"),
            ("vitamin_c", "6"),
        ])
    );
    // Quotes in the unquoted TSV are part of the name.
    assert_eq!(
        food(&owner, "openfoodfacts", "8710398520305").await.0,
        "Mum's \"Best\" Cookies"
    );

    // Skipped products are not there.
    for id in ["5000000000001", "5012345678900"] {
        let n: i64 = owner
            .query_one(
                "SELECT count(*) FROM food_items WHERE source_id = $1",
                &[&id],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{id}");
    }

    // Again: nothing new, nothing duplicated.
    let out = import(&url, "openfoodfacts", &file, &["--batch-size", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        summary(&out),
        "imported 0 foods, skipped 9 (already present 7, unusable 2)"
    );
    assert_eq!(count(&owner, catalog).await, 6);
    assert_eq!(
        count(&owner, "SELECT count(*) FROM nutrition_data").await,
        7
    );
}

#[tokio::test]
async fn imported_foods_are_found_by_a_signed_in_user() {
    let db = TestDb::new().await;
    let url = db.url();
    let out = import(&url, "openfoodfacts", &data("off_sample.csv"), &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = import(&url, "usda-fdc", &data("usda_sample"), &[]);
    assert!(out.status.success(), "{}", text(&out));

    let out = sparky(&url)
        .args(["user", "create", "ann@example.com"])
        .env("SPARKY_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let uid: Uuid = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();

    let database = db.database().await;
    let mut tx = database.as_user(uid).await.unwrap();
    let rows = tx
        .query(
            "SELECT name::text FROM food_items WHERE search_text LIKE '%oat%'",
            &[],
        )
        .await
        .unwrap();
    let mut names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "GRANOLA, HONEY OAT",
            "Oat Milk Barista",
            "Oats, whole grain, rolled, old fashioned",
            "Rolled Oats"
        ]
    );
    // Their servings are readable too.
    let rows = tx
        .query(
            "SELECT trim_scale(n.calories)::text FROM nutrition_data n
             JOIN food_items f ON f.id = n.food_item_id
             WHERE f.name = 'Rolled Oats' AND n.is_default",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, String>(0), "379");
}

#[tokio::test]
async fn usda_fdc_import_maps_nutrient_numbers() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;
    let dir = data("usda_sample");

    let out = import(&url, "usda-fdc", &dir, &[]);
    assert!(out.status.success(), "{}", text(&out));
    // A lab sample and a food without any stored nutrient are skipped.
    assert_eq!(
        summary(&out),
        "imported 4 foods, skipped 2 (already present 0, unusable 2)"
    );

    // Foundation food: energy from the Atwater specific factors (958) when 208 is absent.
    let oats = food(&owner, "usda", "2346396").await;
    assert_eq!(
        oats,
        (
            "Oats, whole grain, rolled, old fashioned".into(),
            None,
            None
        )
    );
    let s = servings(&owner, "usda", "2346396").await;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, "100 g 100 true");
    assert_eq!(
        s[0].1,
        values(&[
            ("calories", "382"),
            ("protein", "13.5"),
            ("carbohydrates", "68.7"),
            ("fat", "5.89"),
            ("fiber", "10.1"),
            ("sodium", "6"),
            ("potassium", "362"),
            ("iron", "4.25"),
        ])
    );

    // SR Legacy: 208 wins over 268; minerals and vitamin A as given (mg, µg RAE).
    let almonds = &servings(&owner, "usda", "170567").await[0].1;
    assert_eq!(almonds["calories"], "579");
    assert_eq!(almonds["calcium"], "269");
    assert_eq!(almonds["vitamin_a"], "1");

    // Branded: brand_owner, GTIN-14 with indicator 0 → GTIN-13, kJ → kcal, 40 g serving.
    assert_eq!(
        food(&owner, "usda", "2000001").await,
        (
            "GRANOLA, HONEY OAT".into(),
            Some("Acme Foods Inc.".into()),
            Some("0016000275287".into())
        )
    );
    let s = servings(&owner, "usda", "2000001").await;
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(s[0].1["calories"], "450.0478");
    assert_eq!(s[0].1["saturated_fat"], "1.5");
    assert_eq!(s[1].0, "1 serving 40 false");
    assert_eq!(s[1].1["calories"], "180.0191");
    assert_eq!(s[1].1["protein"], "4");

    // A serving in ml has no weight: only the per-100 g serving. Invalid GTIN → no barcode.
    let juice = food(&owner, "usda", "2000002").await;
    assert_eq!(juice.1.as_deref(), Some("Sunny Groves"));
    assert_eq!(juice.2, None);
    let s = servings(&owner, "usda", "2000002").await;
    assert_eq!(s.len(), 1);
    assert_eq!(
        s[0].1,
        values(&[("calories", "45"), ("sugar", "8.4"), ("vitamin_c", "50")])
    );

    let out = import(&url, "usda-fdc", &dir, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        summary(&out),
        "imported 0 foods, skipped 6 (already present 4, unusable 2)"
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_items WHERE source = 'usda'"
        )
        .await,
        4
    );
    assert_eq!(
        count(&owner, "SELECT count(*) FROM nutrition_data").await,
        5
    );
}

#[tokio::test]
async fn openfoodfacts_jsonl_import() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    let out = import(&url, "openfoodfacts", &data("off_sample.jsonl"), &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        summary(&out),
        "imported 3 foods, skipped 1 (already present 0, unusable 1)"
    );
    let s = servings(&owner, "openfoodfacts", "3017620422003").await;
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].1["iron"], "4.6");
    assert_eq!(s[1].0, "1 serving 15 false");
    let milk = &servings(&owner, "openfoodfacts", "7622210449283").await[0].1;
    assert_eq!(milk["calories"], "45.8891");
    assert_eq!(milk["vitamin_a"], "120");
    assert_eq!(
        servings(&owner, "openfoodfacts", "12345").await[0].1["sodium"],
        "500"
    );
}

#[tokio::test]
async fn an_interrupted_import_keeps_finished_batches_and_resumes() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(data("off_sample.jsonl")).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    // Two good products, a third, then a broken line: with batches of 2, the first batch is
    // committed, the second (the third product) is not written.
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        format!("{}\n{}\n{}\n{{\"code\": \n", lines[0], lines[1], lines[2]),
    )
    .unwrap();
    let out = import(&url, "openfoodfacts", &broken, &["--batch-size", "2"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("line 4"), "{}", text(&out));
    let catalog = "SELECT count(*) FROM food_items WHERE source = 'openfoodfacts'";
    assert_eq!(count(&owner, catalog).await, 2);

    // Running the complete file again continues where it stopped.
    let out = import(
        &url,
        "openfoodfacts",
        &data("off_sample.jsonl"),
        &["--batch-size", "2"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        summary(&out),
        "imported 1 foods, skipped 3 (already present 2, unusable 1)"
    );
    assert_eq!(count(&owner, catalog).await, 3);
}

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    // Unknown format: a usage error.
    let out = import(&url, "myfitnesspal", &data("off_sample.csv"), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("myfitnesspal"), "{}", text(&out));

    // Missing file.
    let out = import(&url, "openfoodfacts", &data("no_such_file.csv"), &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no_such_file.csv"), "{}", text(&out));

    // Wrong columns: a USDA file given as OpenFoodFacts.
    let out = import(&url, "openfoodfacts", &data("usda_sample/food.csv"), &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("lacks the column(s) code, product_name"),
        "{}",
        text(&out)
    );

    // USDA wants the directory; a directory without food_nutrient.csv is refused.
    let out = import(&url, "usda-fdc", &data("off_sample.csv"), &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("not a directory"), "{}", text(&out));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(data("usda_sample/food.csv"), dir.path().join("food.csv")).unwrap();
    let out = import(&url, "usda-fdc", dir.path(), &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("food_nutrient.csv"), "{}", text(&out));

    // An OpenFoodFacts file given as USDA, in a directory with the right file names.
    for name in ["food.csv", "food_nutrient.csv", "nutrient.csv"] {
        std::fs::copy(data("off_sample.csv"), dir.path().join(name)).unwrap();
    }
    let out = import(&url, "usda-fdc", dir.path(), &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("lacks the column(s)"), "{}", text(&out));

    assert_eq!(count(&owner, "SELECT count(*) FROM food_items").await, 0);
}

#[tokio::test]
async fn gzip_compressed_exports_are_read() {
    use std::io::Write;
    let db = TestDb::new().await;
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    for (name, out_name) in [
        ("off_sample.jsonl", "products.jsonl.gz"),
        ("off_sample.csv", "products.csv.gz"),
    ] {
        let path = dir.path().join(out_name);
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(&std::fs::read(data(name)).unwrap()).unwrap();
        gz.finish().unwrap();
        let out = import(&url, "openfoodfacts", &path, &[]);
        assert!(out.status.success(), "{name}: {}", text(&out));
    }
    // The JSONL's 3 products, then the CSV's 3 others (its 3 overlapping ones are present).
    let owner = db.owner_client().await;
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM food_items WHERE source = 'openfoodfacts'"
        )
        .await,
        6
    );
}
