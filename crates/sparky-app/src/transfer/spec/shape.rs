//! The shape of an archive file: its columns ([`Col`], with how each is checked and cast) and
//! how it is exported and imported ([`FileSpec`], [`Import`]).

/// The importing user, in import SQL.
const ME: &str = "(SELECT auth.uid())";

/// How a column's text is checked on import and cast in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any text (no NUL characters).
    Text,
    /// An exact decimal number: `-12.50`.
    Num,
    /// A whole number (32-bit).
    Int,
    /// `true` or `false`.
    Bool,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 in UTC with microseconds: `2026-12-03T06:40:00.123456Z`.
    Ts,
    /// A JSON value.
    Json,
    /// A JSON array of strings (a PostgreSQL `text[]`).
    TextList,
    /// A JSON array of numbers and nulls (a PostgreSQL `numeric[]`).
    NumList,
    /// The `ref` number of a row of another file of the archive.
    Ref(&'static str),
}

impl Kind {
    /// The SQL that turns the column expression `e` into its archive text.
    pub(crate) fn export_expr(self, e: &str) -> String {
        match self {
            Kind::Ts => {
                format!("to_char(({e}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
            }
            Kind::Date => format!("to_char(({e}), 'YYYY-MM-DD')"),
            Kind::TextList | Kind::NumList => format!("to_json(({e}))::text"),
            _ => format!("(({e}))::text"),
        }
    }

    /// The SQL that turns the archive text `u.<name>` back into the column's type.
    pub(crate) fn import_expr(self, name: &str) -> String {
        let v = format!("u.{name}");
        match self {
            Kind::Text => v,
            Kind::Num => format!("{v}::numeric"),
            Kind::Int => format!("{v}::integer"),
            Kind::Bool => format!("{v}::boolean"),
            Kind::Date => format!("{v}::date"),
            Kind::Ts => format!("{v}::timestamptz"),
            Kind::Json => format!("{v}::jsonb"),
            Kind::TextList => format!(
                "CASE WHEN {v} IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text({v}::jsonb)) END"
            ),
            Kind::NumList => format!(
                "CASE WHEN {v} IS NULL THEN NULL ELSE ARRAY(
                     SELECT x.n::numeric FROM jsonb_array_elements_text({v}::jsonb) WITH ORDINALITY AS x(n, i)
                     ORDER BY x.i) END"
            ),
            Kind::Ref(_) => format!("{v}::uuid"),
        }
    }
}

/// One CSV column.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    /// The header, also the name the import SQL knows the value by (`u.<name>`).
    pub name: &'static str,
    pub kind: Kind,
    /// An empty field is refused (text: an empty field is the empty string, not null).
    pub required: bool,
    /// SQL expression of the export query.
    pub export: &'static str,
    /// The table column it is written back to; `None` when the import uses it in an
    /// expression of [`Import::Insert::extra`] or not at all.
    pub import: Option<&'static str>,
    /// For a column added to format 1 later (always at the end of its file): the value rows
    /// of an archive written before it existed get, so that such archives are still read.
    pub absent: Option<&'static str>,
    /// What the API accepts for this value beyond its kind, so an edited archive cannot
    /// store what the API would refuse.
    pub limit: Limit,
}

/// A value's bounds, as the API's own checks set them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Any,
    /// Text of at most this many characters.
    Chars(usize),
    /// Text of at least one and at most this many characters, not only spaces.
    Name(usize),
    /// A number from `min` to `max`.
    Range(f64, f64),
    /// A number greater than zero and at most this.
    Positive(f64),
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A JSON object of nutrients (names as in the API), each from 0 to 100000.
    Nutrients,
    /// A JSON object of custom nutrient amounts by name (at most 50 names of 1 to 40
    /// characters), each from 0 to 100000.
    CustomAmounts,
    /// A barcode: 6 to 14 digits.
    Barcode,
    /// A date not after today (UTC, give or take the day's time zones).
    NotFuture,
}

/// Nutrient amounts (and calories) the API accepts: 0 to 100000 in the nutrient's unit.
pub const NUTRIENT: Limit = Limit::Range(0.0, 100_000.0);

impl Limit {
    /// What is wrong with `v` (already checked for its kind), if anything.
    pub(crate) fn problem(self, v: &str) -> Option<String> {
        let number = || v.parse::<f64>().ok().filter(|n| n.is_finite());
        match self {
            Limit::Any => None,
            Limit::Chars(n) => {
                (v.chars().count() > n).then(|| format!("longer than {n} characters"))
            }
            Limit::Name(_) if v.trim().is_empty() => Some("must not be empty".into()),
            Limit::Name(n) => Limit::Chars(n).problem(v),
            Limit::Range(min, max) => match number() {
                Some(x) if x >= min && x <= max => None,
                _ => Some(format!("must be from {min} to {max}")),
            },
            Limit::Positive(max) => match number() {
                Some(x) if x > 0.0 && x <= max => None,
                _ => Some(format!("must be greater than 0 and at most {max}")),
            },
            Limit::OneOf(words) => {
                (!words.contains(&v)).then(|| format!("must be one of {}", words.join(", ")))
            }
            Limit::Nutrients => {
                match serde_json::from_str::<sparky_core::nutrition::Nutrients>(v) {
                    Err(e) => Some(format!("not an object of nutrient amounts: {e}")),
                    Ok(n) => n
                        .validate()
                        .err()
                        .map(|(name, problem)| format!("{name} {problem}")),
                }
            }
            Limit::CustomAmounts => {
                use crate::custom_nutrients::{MAX_CUSTOM_NUTRIENTS, MAX_NAME_CHARS};
                let object: serde_json::Map<String, serde_json::Value> =
                    match serde_json::from_str(v) {
                        Ok(o) => o,
                        Err(_) => return Some("not an object of custom nutrient amounts".into()),
                    };
                if object.len() as i64 > MAX_CUSTOM_NUTRIENTS {
                    return Some(format!("more than {MAX_CUSTOM_NUTRIENTS} custom nutrients"));
                }
                object.iter().find_map(|(name, amount)| {
                    let fine_name =
                        !name.trim().is_empty() && name.chars().count() <= MAX_NAME_CHARS;
                    let fine_amount = amount
                        .as_f64()
                        .is_some_and(|x| (0.0..=100_000.0).contains(&x));
                    (!fine_name || !fine_amount).then(|| {
                        format!("custom nutrient {name:?} must be named in 1 to 40 characters and hold 0 to 100000")
                    })
                })
            }
            // Digits only; the check digit is not held against rows stored before the API
            // checked it, so an export always imports again.
            Limit::Barcode => (!(6..=14).contains(&v.len())
                || !v.bytes().all(|b| b.is_ascii_digit()))
            .then(|| "not a barcode (6 to 14 digits)".into()),
            Limit::NotFuture => {
                let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
                match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                    Ok(d) if d <= tomorrow => None,
                    _ => Some("must not be in the future".into()),
                }
            }
        }
    }
}

impl Col {
    pub(super) const fn limit(self, limit: Limit) -> Col {
        Col { limit, ..self }
    }
    pub(super) const fn chars(self, n: usize) -> Col {
        self.limit(Limit::Chars(n))
    }
    pub(super) const fn name_of(self, n: usize) -> Col {
        self.limit(Limit::Name(n))
    }
    pub(super) const fn range(self, min: f64, max: f64) -> Col {
        self.limit(Limit::Range(min, max))
    }
    pub(super) const fn positive(self, max: f64) -> Col {
        self.limit(Limit::Positive(max))
    }
    pub(super) const fn one_of(self, words: &'static [&'static str]) -> Col {
        self.limit(Limit::OneOf(words))
    }
}

pub(super) const fn col(name: &'static str, kind: Kind, export: &'static str) -> Col {
    Col {
        name,
        kind,
        required: false,
        export,
        import: Some(name),
        absent: None,
        limit: Limit::Any,
    }
}

/// A column added to format 1 after its first release: archives without it are read with
/// `absent` as its value.
pub(super) const fn added(
    name: &'static str,
    kind: Kind,
    export: &'static str,
    absent: &'static str,
) -> Col {
    Col {
        absent: Some(absent),
        ..req(name, kind, export)
    }
}

/// A column that may be empty (null), added to format 1 after its first release: archives
/// without it are read with none.
pub(super) const fn added_optional(name: &'static str, kind: Kind, export: &'static str) -> Col {
    Col {
        absent: Some(""),
        ..col(name, kind, export)
    }
}

/// A column written back to the table column of the same name, never empty.
pub(super) const fn req(name: &'static str, kind: Kind, export: &'static str) -> Col {
    Col {
        required: true,
        ..col(name, kind, export)
    }
}

/// A column that is read back by an expression (or only informs).
pub(super) const fn info(name: &'static str, kind: Kind, export: &'static str) -> Col {
    Col {
        import: None,
        ..col(name, kind, export)
    }
}

/// How a file goes back into the database.
#[derive(Debug, Clone, Copy)]
pub enum Import {
    /// Written for people only (API key names, family grants): never read back.
    Skip,
    /// `INSERT INTO table (id, owner?, columns…, extra…) SELECT … FROM unnest(…) u`, with new
    /// ids, followed by `conflict`.
    Insert {
        table: &'static str,
        /// The column that takes the importing user's id.
        owner: Option<&'static str>,
        /// Further columns and the SQL (over `u.<name>`) that fills them.
        extra: &'static [(&'static str, &'static str)],
        conflict: &'static str,
    },
    /// Whole statement of its own over `unnest($1…) AS u(id, <names>)`; `{rows}` is replaced
    /// by that `FROM` item.
    Custom(&'static str),
}

/// One file of the archive.
#[derive(Debug, Clone, Copy)]
pub struct FileSpec {
    pub file: &'static str,
    /// The tables its rows come from (for the coverage test and the documentation).
    pub tables: &'static [&'static str],
    /// The rows carry a `ref` column (1, 2, 3… in file order) that other files point at.
    pub has_ref: bool,
    pub cols: &'static [Col],
    /// `FROM … WHERE …` of the export, always limited to the user's own rows.
    pub from: &'static str,
    /// The row's id (mapped to its `ref`).
    pub id: &'static str,
    /// `ORDER BY` of the export; ends with ids so that ties are ordered the same way after an
    /// import (which hands out ids ascending in file order).
    pub order: &'static str,
    pub import: Import,
}

impl FileSpec {
    /// The CSV header: `ref` first when the rows have one.
    pub fn header(&self) -> Vec<&'static str> {
        let mut h = Vec::with_capacity(self.cols.len() + 1);
        if self.has_ref {
            h.push("ref");
        }
        h.extend(self.cols.iter().map(|c| c.name));
        h
    }

    /// `SELECT id, <columns as text> FROM … ORDER BY …`.
    pub(crate) fn export_sql(&self) -> String {
        let cols: Vec<String> = self
            .cols
            .iter()
            .map(|c| c.kind.export_expr(c.export))
            .collect();
        format!(
            "SELECT ({})::text, {} FROM {} ORDER BY {}",
            self.id,
            cols.join(", "),
            self.from,
            self.order
        )
    }

    /// The `FROM` item over the parameters: `unnest($1::text[], …) AS u(id, <names>)`.
    fn rows_item(&self) -> String {
        let params: Vec<String> = (1..=self.cols.len() + 1)
            .map(|i| format!("${i}::text[]"))
            .collect();
        let names: Vec<&str> = self.cols.iter().map(|c| c.name).collect();
        format!(
            "unnest({}) AS u(id, {})",
            params.join(", "),
            names.join(", ")
        )
    }

    /// The import statement, `None` for files that are not read back.
    pub(crate) fn import_sql(&self) -> Option<String> {
        match self.import {
            Import::Skip => None,
            Import::Custom(sql) => Some(sql.replace("{rows}", &self.rows_item())),
            Import::Insert {
                table,
                owner,
                extra,
                conflict,
            } => {
                let mut targets = vec!["id".to_string()];
                let mut values = vec!["u.id::uuid".to_string()];
                if let Some(o) = owner {
                    targets.push(o.to_string());
                    values.push(ME.to_string());
                }
                for c in self.cols {
                    if let Some(t) = c.import {
                        targets.push(t.to_string());
                        let value = c.kind.import_expr(c.name);
                        // An archive edited by hand may leave the times out.
                        values.push(if matches!(c.name, "created_at" | "updated_at") {
                            format!("coalesce({value}, now())")
                        } else {
                            value
                        });
                    }
                }
                for (t, e) in extra {
                    targets.push(t.to_string());
                    values.push(e.to_string());
                }
                Some(format!(
                    "INSERT INTO {table} ({}) SELECT {} FROM {} {conflict}",
                    targets.join(", "),
                    values.join(", "),
                    self.rows_item()
                ))
            }
        }
    }
}
