//! What an import created and skipped: counts per area, reasons, the columns a CSV was read by.

use std::collections::BTreeMap;

use serde::Serialize;
use sparky_import::Area;
use utoipa::ToSchema;

use super::*;

/// Rows per area.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct AreaCounts {
    pub foods: usize,
    pub diary: usize,
    pub measurements: usize,
    pub workouts: usize,
    pub goals: usize,
}

impl AreaCounts {
    fn add(&mut self, area: Option<Area>, n: usize) {
        match area {
            Some(Area::Foods) => self.foods += n,
            Some(Area::Diary) => self.diary += n,
            Some(Area::Measurements) => self.measurements += n,
            Some(Area::Workouts) => self.workouts += n,
            None => {}
        }
    }

    pub fn total(&self) -> usize {
        self.foods + self.diary + self.measurements + self.workouts + self.goals
    }
}

/// Why some rows were not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SkipReason {
    /// foods, diary, measurements, workouts or goals; absent when the row could not be read.
    pub area: Option<String>,
    pub reason: String,
    /// Rows skipped for this reason.
    pub count: usize,
    /// The first of them: its line in the file (an element's number in an XML file), when
    /// it has one.
    pub first_line: Option<u64>,
}

/// Something about rows that are imported that is worth knowing first (a meal name the app
/// does not know, filed under snacks).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportNote {
    /// foods, diary, measurements, workouts or goals.
    pub area: String,
    pub note: String,
    /// Rows it concerns.
    pub count: usize,
    /// The first of them: its line in the file.
    pub first_line: Option<u64>,
}

/// What an import creates (or, in a dry run, would create) and what it skips.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportPreview {
    /// mfp, cronometer, apple-health, csv, sparkyfitness, strong, hevy, fitnotes or
    /// macrofactor.
    pub source: String,
    /// True: nothing was written; the counts say what a real run would do.
    pub dry_run: bool,
    pub created: AreaCounts,
    pub skipped: AreaCounts,
    /// Skipped rows that belong to no area (unreadable rows).
    pub skipped_unread: usize,
    /// Whole-day totals an earlier import of the same app brought (MacroFactor's daily
    /// nutrition) on days this import gives food entries for: those entries replace them,
    /// so the day is not counted twice.
    pub replaced_day_totals: usize,
    /// Entries an earlier import of the same app stored that this import's newer version
    /// replaces (a MyFitnessPal meal whose total changed in a later export).
    pub replaced_entries: usize,
    /// Day values (a day's steps or water) that your phone or an earlier import stored and
    /// this import's larger values for those days replace: one value a day per type.
    pub replaced_day_values: usize,
    /// Why rows were skipped, most frequent first (at most 100 reasons).
    #[schema(max_items = 100)]
    pub skip_reasons: Vec<SkipReason>,
    /// Notes on rows that are imported, most frequent first (at most 100).
    #[schema(max_items = 100)]
    pub notes: Vec<ImportNote>,
    /// A generic CSV: its columns in file order and the field each was read as (null: not
    /// used), to check the matching before importing. Absent for the apps' own formats.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 500)]
    pub columns: Vec<ColumnRead>,
    /// The file's nutrient columns that are no built-in nutrient (Cronometer's `Caffeine
    /// (mg)`) and whether a custom nutrient of yours of that name keeps them. Absent when
    /// the file has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 500)]
    pub custom_nutrients: Vec<CustomNutrientColumn>,
}

/// A nutrient column Sparky has no field for, and where its amounts go.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomNutrientColumn {
    /// The header as the file has it.
    pub column: String,
    /// Your custom nutrient its amounts are kept as (converted to its unit); null: not kept.
    pub custom_nutrient: Option<String>,
    /// What happens to it, in words.
    pub note: String,
}

/// Columns a preview lists at most.
pub(super) const MAX_COLUMNS: usize = 500;

/// One column of a generic CSV and the field it was read as.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ColumnRead {
    /// The header as the file has it.
    pub column: String,
    /// The field its values went to (`date`, `calories`, `weight`…); null: not used.
    pub field: Option<&'static str>,
}

impl ImportPreview {
    pub fn new(source: &str, dry_run: bool) -> ImportPreview {
        ImportPreview {
            source: source.into(),
            dry_run,
            created: AreaCounts::default(),
            skipped: AreaCounts::default(),
            skipped_unread: 0,
            replaced_day_totals: 0,
            replaced_entries: 0,
            replaced_day_values: 0,
            skip_reasons: Vec::new(),
            notes: Vec::new(),
            columns: Vec::new(),
            custom_nutrients: Vec::new(),
        }
    }

    /// Another preview's counts added to this one (several files of one import).
    pub fn merge(&mut self, other: ImportPreview) {
        let add = |a: &mut AreaCounts, b: &AreaCounts| {
            a.foods += b.foods;
            a.diary += b.diary;
            a.measurements += b.measurements;
            a.workouts += b.workouts;
            a.goals += b.goals;
        };
        add(&mut self.created, &other.created);
        add(&mut self.skipped, &other.skipped);
        self.skipped_unread += other.skipped_unread;
        self.replaced_day_totals += other.replaced_day_totals;
        self.replaced_entries += other.replaced_entries;
        self.replaced_day_values += other.replaced_day_values;
        self.columns.extend(other.columns);
        self.columns.truncate(MAX_COLUMNS);
        for c in other.custom_nutrients {
            if !self.custom_nutrients.iter().any(|x| x.column == c.column) {
                self.custom_nutrients.push(c);
            }
        }
        self.custom_nutrients.truncate(MAX_COLUMNS);
        for r in other.skip_reasons {
            match self
                .skip_reasons
                .iter_mut()
                .find(|x| x.area == r.area && x.reason == r.reason)
            {
                Some(x) => x.count += r.count,
                None => self.skip_reasons.push(r),
            }
        }
        self.skip_reasons
            .sort_by_key(|r| std::cmp::Reverse(r.count));
        self.skip_reasons.truncate(MAX_REASONS);
        for n in other.notes {
            match self
                .notes
                .iter_mut()
                .find(|x| x.area == n.area && x.note == n.note)
            {
                Some(x) => x.count += n.count,
                None => self.notes.push(n),
            }
        }
        self.notes.sort_by_key(|n| std::cmp::Reverse(n.count));
        self.notes.truncate(MAX_REASONS);
    }
}

/// Collects skips, grouped by area and reason.
#[derive(Default)]
pub(crate) struct Skips {
    groups: BTreeMap<(Option<Area>, String), (usize, Option<u64>)>,
}

impl Skips {
    pub(crate) fn add(&mut self, area: Option<Area>, line: Option<u64>, reason: impl Into<String>) {
        self.add_many(area, line, reason, 1);
    }

    pub(crate) fn add_many(
        &mut self,
        area: Option<Area>,
        line: Option<u64>,
        reason: impl Into<String>,
        count: usize,
    ) {
        let e = self
            .groups
            .entry((area, reason.into()))
            .or_insert((0, line.filter(|l| *l > 0)));
        e.0 += count;
    }

    pub(crate) fn into_preview(self, preview: &mut ImportPreview) {
        let mut reasons: Vec<SkipReason> = Vec::new();
        for ((area, reason), (count, first_line)) in self.groups {
            match area {
                Some(_) => preview.skipped.add(area, count),
                None => preview.skipped_unread += count,
            }
            reasons.push(SkipReason {
                area: area.map(|a| a.as_str().to_string()),
                reason,
                count,
                first_line,
            });
        }
        reasons.sort_by_key(|r| std::cmp::Reverse(r.count));
        reasons.truncate(MAX_REASONS);
        preview.skip_reasons = reasons;
    }
}
