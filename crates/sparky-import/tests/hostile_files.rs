//! Every importer against hostile files: the fixtures with fields replaced by values a
//! careless export or an attacker could put there (NUL, huge, negative and non-finite numbers,
//! impossible dates and times, other scripts' digits, very long text), lines cut, repeated or
//! swapped, and bytes flipped. A file may be refused or rows skipped; nothing may panic (a
//! panic behind the HTTP import is a 500).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rand::rngs::StdRng;
use rand::SeedableRng;
use sparky_import::{parse_bytes, Area, Options, Source};
use sparky_testkit::hostile::{mutate_bytes, mutate_csv};

fn fixture(relative: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(relative),
    )
    .unwrap()
}

fn parse_survives(source: Source, data: &[u8], options: &Options, what: &str) {
    // Refused or read is fine: the app layer then checks every record (dates, bounds).
    let outcome = catch_unwind(AssertUnwindSafe(|| parse_bytes(source, data, options)));
    if let Err(panic) = outcome {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let shown = String::from_utf8_lossy(&data[..data.len().min(2_000)]);
        panic!("{what}: the importer panicked ({message}) on:\n{shown}");
    }
}

const CSV_FIXTURES: &[(Source, &str)] = &[
    (Source::Mfp, "mfp/Nutrition-Summary.csv"),
    (Source::Mfp, "mfp/Measurement-Summary.csv"),
    (Source::Mfp, "mfp/Exercise-Summary.csv"),
    (Source::Cronometer, "cronometer/servings.csv"),
    (Source::Cronometer, "cronometer/biometrics.csv"),
    (Source::Cronometer, "cronometer/exercises.csv"),
    (Source::Strong, "strong/strong.csv"),
    (Source::Strong, "strong/strong-legacy.csv"),
    (Source::Hevy, "hevy/workouts.csv"),
    (Source::FitNotes, "fitnotes/FitNotes_Export.csv"),
    (Source::FitNotes, "fitnotes/FitNotes_Export_older.csv"),
];

#[test]
fn csv_exports_with_hostile_fields_are_refused_or_read_never_a_panic() {
    let mut rng = StdRng::seed_from_u64(0x5eed_0001);
    let plain = Options::default();
    for (source, path) in CSV_FIXTURES {
        let text = String::from_utf8(fixture(path)).unwrap();
        for round in 0..400 {
            let file = mutate_csv(&text, &mut rng);
            parse_survives(
                *source,
                file.as_bytes(),
                &plain,
                &format!("{path} round {round}"),
            );
        }
    }
}

#[test]
fn a_generic_csv_for_every_area_survives_hostile_fields() {
    let mut rng = StdRng::seed_from_u64(0x5eed_0002);
    // Every other format's file read as a generic CSV, for each area it could hold.
    for (_, path) in CSV_FIXTURES {
        let text = String::from_utf8(fixture(path)).unwrap();
        for area in Area::ALL {
            let options = Options {
                target: Some(area),
                ..Options::default()
            };
            for round in 0..100 {
                let file = mutate_csv(&text, &mut rng);
                parse_survives(
                    Source::Csv,
                    file.as_bytes(),
                    &options,
                    &format!("{path} as {} round {round}", area.as_str()),
                );
            }
        }
    }
}

#[test]
fn apple_health_xml_and_macrofactor_workbooks_survive_damaged_bytes() {
    let mut rng = StdRng::seed_from_u64(0x5eed_0003);
    let plain = Options::default();
    for (source, path, rounds) in [
        (Source::AppleHealth, "apple-health/export.xml", 600),
        (Source::MacroFactor, "macrofactor/granular.xlsx", 300),
        (Source::MacroFactor, "macrofactor/quick-export.xlsx", 300),
    ] {
        let data = fixture(path);
        for round in 0..rounds {
            let file = mutate_bytes(&data, &mut rng);
            parse_survives(source, &file, &plain, &format!("{path} round {round}"));
        }
    }
}
