//! The starter exercise catalog's energy costs are the Compendium's: every shipped
//! (activity code, MET) pair is checked against the published 2011 Compendium of Physical
//! Activities, kept as reference data in tests/data/compendium_2011.csv (see its README).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use rust_decimal::Decimal;
use sparky_testkit::TestDb;

/// The Compendium's published values: code → (MET, description).
fn compendium() -> BTreeMap<String, (Decimal, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/compendium_2011.csv");
    let mut reader = csv::Reader::from_path(&path).expect("read compendium_2011.csv");
    assert_eq!(
        reader.headers().unwrap(),
        vec!["code", "met", "description"],
        "header of {}",
        path.display()
    );
    let mut table = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let r = record.unwrap_or_else(|e| panic!("compendium_2011.csv row {}: {e}", i + 2));
        let code = r[0].to_string();
        assert!(
            code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()),
            "row {}: code {code:?} is not five digits",
            i + 2
        );
        let met = Decimal::from_str(&r[1]).unwrap_or_else(|e| panic!("row {}: MET: {e}", i + 2));
        assert!(!r[2].trim().is_empty(), "row {}: no description", i + 2);
        let previous = table.insert(code.clone(), (met.normalize(), r[2].to_string()));
        assert!(previous.is_none(), "code {code} appears twice");
    }
    table
}

/// (name, code, MET) of every starter exercise.
async fn shipped(db: &TestDb) -> Vec<(String, String, Decimal)> {
    let owner = db.owner_client().await;
    owner
        .query(
            "SELECT name, compendium_code, met_value FROM exercises
             WHERE user_id IS NULL AND source = 'sparky' ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get::<_, Option<String>>(1).unwrap_or_default(),
                r.get::<_, Option<Decimal>>(2)
                    .unwrap_or_default()
                    .normalize(),
            )
        })
        .collect()
}

fn mismatches(
    rows: &[(String, String, Decimal)],
    table: &BTreeMap<String, (Decimal, String)>,
) -> Vec<String> {
    rows.iter()
        .filter_map(|(name, code, met)| match table.get(code) {
            None => Some(format!(
                "{name}: code {code:?} is not in the 2011 Compendium table"
            )),
            Some((published, activity)) if published != met => Some(format!(
                "{name}: code {code} is \"{activity}\" at {published} METs, but the catalog says {met}"
            )),
            Some(_) => None,
        })
        .collect()
}

#[tokio::test]
async fn every_starter_exercise_has_the_compendiums_code_and_met() {
    let table = compendium();
    let db = TestDb::new().await;
    let rows = shipped(&db).await;
    assert_eq!(rows.len(), 251, "the starter catalog has 251 exercises");

    let wrong = mismatches(&rows, &table);
    assert!(
        wrong.is_empty(),
        "{} starter exercise(s) disagree with the 2011 Compendium:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // The table holds what the catalog uses and nothing else, so it stays reviewable.
    let unused: Vec<&String> = table
        .keys()
        .filter(|code| !rows.iter().any(|(_, c, _)| c == *code))
        .collect();
    assert!(
        unused.is_empty(),
        "codes in compendium_2011.csv that no starter exercise uses: {unused:?}"
    );
}

/// The correcting migration fixes exactly the 24 wrong codes, and its rollback restores them.
#[tokio::test]
async fn the_code_correction_migration_rolls_back_and_reapplies() {
    let table = compendium();
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    let down = include_str!(
        "../../../db/migrations/2026_12_02_10_00_exercise_catalog_compendium_codes.down.sql"
    );
    let up = include_str!(
        "../../../db/migrations/2026_12_02_10_00_exercise_catalog_compendium_codes.sql"
    );

    owner.batch_execute(down).await.unwrap();
    let before = shipped(&db).await;
    let wrong = mismatches(&before, &table);
    assert_eq!(
        wrong.len(),
        24,
        "the catalog as first shipped had 24 wrong codes:\n{}",
        wrong.join("\n")
    );
    let mountain = before
        .iter()
        .find(|(n, _, _)| n == "Mountain biking, general")
        .unwrap();
    assert_eq!(mountain.1, "01019");

    owner.batch_execute(up).await.unwrap();
    let after = shipped(&db).await;
    assert!(mismatches(&after, &table).is_empty());
    let changed = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b.1 != a.1)
        .count();
    assert_eq!(changed, 24, "only the wrong codes change");
    assert!(
        before.iter().zip(&after).all(|(b, a)| b.2 == a.2),
        "MET values stay"
    );
}
