//! `sparky import-from <mfp|cronometer|apple-health|csv|strong|hevy|fitnotes|macrofactor> [--user EMAIL] [--dry-run] FILE...`:
//! reads other trackers' exports (`sparky_import`) and writes them as the user, in the user's
//! own RLS transaction, through `sparky_app::imports` (the same operation the HTTP endpoint
//! calls). All files of one command are one transaction: a bad file changes nothing.

use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sparky_app::imports::{self, ImportPreview};
use sparky_db::Database;
use sparky_import::{Area, DateOrder, DecimalSeparator, Options, Parsed, Source};

use crate::cli::DbArgs;
use crate::commands::with_database;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// MyFitnessPal's export CSVs (Nutrition, Measurement and Exercise Summary).
    Mfp,
    /// Cronometer's servings.csv, biometrics.csv and exercises.csv.
    Cronometer,
    /// Apple Health's export.xml (streamed; any size).
    AppleHealth,
    /// Any CSV with a header row; say what the rows are with --target.
    Csv,
    /// A SparkyFitness PostgreSQL database (--source-database-url).
    Sparkyfitness,
    /// Strong's workout CSV (Settings → Export data): sets, weights and times.
    Strong,
    /// Hevy's workouts CSV (Settings → Export & import data → Export workouts).
    Hevy,
    /// FitNotes' workout data CSV (Settings → Spreadsheet Export → Workout Data).
    Fitnotes,
    /// MacroFactor's data export workbook (.xlsx; More → Data Management → Data Export).
    Macrofactor,
}

impl Kind {
    fn source(self) -> Source {
        match self {
            Kind::Mfp => Source::Mfp,
            Kind::Cronometer => Source::Cronometer,
            Kind::AppleHealth => Source::AppleHealth,
            Kind::Csv => Source::Csv,
            Kind::Sparkyfitness => Source::SparkyFitness,
            Kind::Strong => Source::Strong,
            Kind::Hevy => Source::Hevy,
            Kind::Fitnotes => Source::FitNotes,
            Kind::Macrofactor => Source::MacroFactor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    Foods,
    Diary,
    Measurements,
    Workouts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecimalArg {
    /// 1,234.5
    Point,
    /// 1.234,5
    Comma,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatesArg {
    /// 31/12/2025
    Dmy,
    /// 12/31/2025
    Mdy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UnitsArg {
    Metric,
    Imperial,
}

#[derive(Debug, Clone, Args)]
pub struct ImportFromArgs {
    /// Where the data comes from.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The export files (none for sparkyfitness).
    pub files: Vec<PathBuf>,
    /// The Sparky account to import into (may be left out when there is one account).
    #[arg(long)]
    pub user: Option<String>,
    /// Only show what would be created and skipped; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// csv: what each row is.
    #[arg(long, value_enum)]
    pub target: Option<TargetArg>,
    /// csv: a column feeds a field, e.g. --map "Kalorien=calories" (repeat for more columns).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    /// The decimal separator of the file's numbers [default: detected from the file].
    #[arg(long, value_enum)]
    pub decimal: Option<DecimalArg>,
    /// The order of day and month in dates like 01/02/2025 [default: detected from the file].
    #[arg(long, value_enum)]
    pub dates: Option<DatesArg>,
    /// The unit system of values the file gives without a unit (MyFitnessPal's weights, a
    /// CSV "Weight" column) [default: the user's own].
    #[arg(long, value_enum)]
    pub units: Option<UnitsArg>,
    /// sparkyfitness: the SparkyFitness database to read (its owner or a role that can read
    /// every user's rows).
    #[arg(long, env = "SPARKYFITNESS_DATABASE_URL", hide_env_values = true)]
    pub source_database_url: Option<String>,
    /// Longest the import's statements may run, in seconds (0 = no limit): an import writes
    /// far more than a request.
    #[arg(long, default_value_t = 600)]
    pub statement_timeout_secs: u64,
    /// Print the preview as JSON.
    #[arg(long)]
    pub json: bool,
}

impl ImportFromArgs {
    fn options(&self) -> anyhow::Result<Options> {
        let mut map = Vec::new();
        for m in &self.map {
            let (c, f) = m.split_once('=').with_context(|| {
                format!("--map {m}: write COLUMN=FIELD, e.g. Kalorien=calories")
            })?;
            map.push((c.to_string(), f.to_string()));
        }
        if self.kind == Kind::Csv && self.target.is_none() {
            bail!("csv: say what the rows are with --target foods|diary|measurements|workouts");
        }
        Ok(Options {
            target: self.target.map(|t| match t {
                TargetArg::Foods => Area::Foods,
                TargetArg::Diary => Area::Diary,
                TargetArg::Measurements => Area::Measurements,
                TargetArg::Workouts => Area::Workouts,
            }),
            map,
            decimal: self.decimal.map(|d| match d {
                DecimalArg::Point => DecimalSeparator::Point,
                DecimalArg::Comma => DecimalSeparator::Comma,
            }),
            dates: self.dates.map(|d| match d {
                DatesArg::Dmy => DateOrder::Dmy,
                DatesArg::Mdy => DateOrder::Mdy,
            }),
            units: self.units.map(|u| match u {
                UnitsArg::Metric => sparky_core::UnitsSystem::Metric,
                UnitsArg::Imperial => sparky_core::UnitsSystem::Imperial,
            }),
        })
    }
}

fn progress_bar(path: &Path, len: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{wide_bar}] {binary_bytes}/{binary_total_bytes} ETA {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_message(
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    bar
}

/// Reads one file into records (Apple Health streamed with a progress bar by bytes read).
fn read_file(kind: Kind, path: &Path, options: &Options) -> anyhow::Result<Parsed> {
    let name = path.display();
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?;
    let result = if kind == Kind::AppleHealth {
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let bar = progress_bar(path, len);
        let r = sparky_import::apple_health::parse(BufReader::with_capacity(1 << 16, file), |n| {
            bar.set_position(n)
        });
        bar.finish_and_clear();
        r
    } else {
        let data = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
        sparky_import::parse_bytes(kind.source(), &data, options)
    };
    result.map_err(|e| anyhow::anyhow!("{name}: {e}; nothing was imported"))
}

pub async fn run(db: &DbArgs, args: ImportFromArgs) -> anyhow::Result<ExitCode> {
    let options = args.options()?;
    if args.kind == Kind::Sparkyfitness {
        return crate::import_sparkyfitness::run(db, &args).await;
    }
    if args.files.is_empty() {
        bail!("name the export file(s) to import");
    }
    // Read every file before touching the database: a bad file stops the command here.
    let mut parsed = Vec::new();
    for path in &args.files {
        let kind = args.kind;
        let options = options.clone();
        let path = path.clone();
        let p = tokio::task::spawn_blocking(move || read_file(kind, &path, &options))
            .await
            .context("the reader stopped")??;
        parsed.push(p);
    }
    with_database(db, async |located| {
        let database = Database::builder(&located.owner, &db.app_role)
            .requests(located.requests.clone())
            .pool_size(2)
            .build()?;
        let owner = sparky_db::connect(located.owner.clone()).await?;
        crate::users::check_schema(&owner).await?;
        let user_id = imports::find_user(&owner, args.user.as_deref())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut tx = database.as_user(user_id).await?;
        tx.set_statement_timeout(Duration::from_secs(args.statement_timeout_secs));
        let mut preview = ImportPreview::new(args.kind.source().as_str(), args.dry_run);
        for p in parsed {
            let one = imports::run(&mut tx, args.kind.source(), p, args.dry_run)
                .await
                .map_err(|e| anyhow::anyhow!("{e}; nothing was imported"))?;
            preview.merge(one);
        }
        if args.dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        print_preview(&preview, args.json);
        Ok(ExitCode::SUCCESS)
    })
    .await
}

pub fn print_preview(p: &ImportPreview, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(p).expect("a preview serialises")
        );
        return;
    }
    let verb = if p.dry_run { "would create" } else { "created" };
    println!(
        "{} ({}): {verb} {} foods, {} diary entries, {} measurements, {} workouts, {} goals",
        p.source,
        if p.dry_run {
            "dry run, nothing written"
        } else {
            "imported"
        },
        p.created.foods,
        p.created.diary,
        p.created.measurements,
        p.created.workouts,
        p.created.goals
    );
    if p.replaced_day_totals > 0 {
        println!(
            "{} {} day totals from an earlier import with those days' food entries",
            if p.dry_run {
                "would replace"
            } else {
                "replaced"
            },
            p.replaced_day_totals
        );
    }
    if !p.columns.is_empty() {
        let read: Vec<String> = p
            .columns
            .iter()
            .map(|c| format!("{} → {}", c.column, c.field.unwrap_or("(not used)")))
            .collect();
        println!("columns: {}", read.join(", "));
    }
    for n in &p.notes {
        println!(
            "note: {} rows ({}): {}{}",
            n.count,
            n.area,
            n.note,
            n.first_line
                .map(|l| format!(" (first at line {l})"))
                .unwrap_or_default()
        );
    }
    let skipped = p.skipped.total() + p.skipped_unread;
    println!("skipped {skipped} rows");
    for r in &p.skip_reasons {
        println!(
            "  {:>6}  {}{}{}",
            r.count,
            r.area
                .as_deref()
                .map(|a| format!("{a}: "))
                .unwrap_or_default(),
            r.reason,
            r.first_line
                .map(|l| format!(" (first at line {l})"))
                .unwrap_or_default()
        );
    }
}
