//! The export covers every table with user data: a table with row level security (or a
//! policy) that is in no file of the archive and not excluded for a stated reason fails this
//! test, so a new user table cannot be forgotten by the export. docs/export-format.md lists
//! every file with its exact header.

use std::collections::BTreeSet;

use sparky_app::transfer::spec::{covered_tables, EXCLUDED_TABLES, FILES};
use sparky_testkit::TestDb;

#[tokio::test]
async fn every_user_table_is_exported_or_excluded_for_a_reason() {
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    let rows = owner
        .query(
            "SELECT c.relname::text FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
               AND (c.relrowsecurity OR EXISTS (
                   SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname))",
            &[],
        )
        .await
        .unwrap();
    let user_tables: BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
    assert!(user_tables.contains("food_diary"), "{user_tables:?}");

    let covered: BTreeSet<String> = covered_tables().iter().map(|t| t.to_string()).collect();
    let excluded: BTreeSet<String> = EXCLUDED_TABLES.iter().map(|(t, _)| t.to_string()).collect();
    let missing: Vec<&String> = user_tables
        .iter()
        .filter(|t| !covered.contains(*t) && !excluded.contains(*t))
        .collect();
    assert!(
        missing.is_empty(),
        "tables with user data that the export neither covers nor excludes (add them to \
         sparky_app::transfer::spec::FILES, or to EXCLUDED_TABLES with the reason): {missing:?}"
    );
    // And nothing listed that does not exist (a renamed table).
    for t in covered.iter().chain(excluded.iter()) {
        assert!(user_tables.contains(t), "{t} is not a table with user data");
    }
    assert!(covered.is_disjoint(&excluded));
}

#[test]
fn the_format_document_lists_every_file_with_its_header() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/export-format.md"
    ))
    .expect("docs/export-format.md");
    for spec in FILES {
        let header = spec.header().join(",");
        assert!(
            doc.contains(&format!("`{}`", spec.file)),
            "docs/export-format.md does not describe {}",
            spec.file
        );
        assert!(
            doc.contains(&header),
            "docs/export-format.md does not give the header of {}: {header}",
            spec.file
        );
    }
    for (table, _) in EXCLUDED_TABLES {
        assert!(
            doc.contains(&format!("`{table}`")),
            "docs/export-format.md does not say why {table} is left out"
        );
    }
}

#[test]
fn files_come_after_the_files_they_point_at() {
    use sparky_app::transfer::spec::Kind;
    for (i, spec) in FILES.iter().enumerate() {
        for col in spec.cols {
            if let Kind::Ref(target) = col.kind {
                let t = FILES
                    .iter()
                    .position(|f| f.file == target)
                    .unwrap_or_else(|| panic!("{}.{} points at no file", spec.file, col.name));
                assert!(
                    t < i,
                    "{}.{} points at the later {target}",
                    spec.file,
                    col.name
                );
                assert!(FILES[t].has_ref, "{target} has no ref column");
            }
        }
    }
}
