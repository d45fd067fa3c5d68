//! What an archive holds: one [`FileSpec`] per CSV file, in import order (parents before
//! children), with the SQL that reads it out of the database and writes it back.
//!
//! docs/export-format.md describes the same files for people; a test compares the two lists.
//! Every table with row level security is either covered by a file here ([`covered_tables`])
//! or left out for a stated reason ([`EXCLUDED_TABLES`]); a test fails when a table is in
//! neither.

mod files;
mod left_out;
mod shape;

pub use files::FILES;
#[cfg(test)]
use files::NUTRIENTS;
pub use left_out::EXCLUDED_TABLES;
pub use shape::{Col, FileSpec, Import, Kind, Limit, NUTRIENT};

/// Files added to format 1 after its first release: an older archive without one is read as
/// if the file had no rows.
pub const ADDED_FILES: [&str; 2] = ["goal_target_history.csv", "custom_nutrients.csv"];

/// Every table some file covers.
pub fn covered_tables() -> Vec<&'static str> {
    FILES
        .iter()
        .flat_map(|f| f.tables.iter().copied())
        .collect()
}

/// The spec of a file by name.
pub fn file_spec(name: &str) -> Option<&'static FileSpec> {
    FILES.iter().find(|f| f.file == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_carries_every_nutrient() {
        assert_eq!(NUTRIENTS, sparky_core::nutrition::Nutrients::NAMES);
        for file in ["servings.csv", "diary.csv"] {
            let header = file_spec(file).expect(file).header();
            for n in NUTRIENTS {
                assert!(header.contains(&n), "{file} has no {n}");
            }
        }
    }
}
