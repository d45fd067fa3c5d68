//! `sparky import-from sparkyfitness --source-database-url URL`: every user of a SparkyFitness
//! database, matched to a Sparky account by email (created when missing), with their diary,
//! foods, exercises, measurements and goals.

use std::process::ExitCode;

use crate::cli::DbArgs;
use crate::import_from::ImportFromArgs;

pub async fn run(_db: &DbArgs, _args: &ImportFromArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("importing from a SparkyFitness database is not available yet")
}
