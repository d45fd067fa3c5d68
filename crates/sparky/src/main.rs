//! `sparky`: the one binary. Configuration comes from flags and environment variables.

// What the commands print, with the reader gone (`sparky user list | head -1`), is lost
// instead of a panic after the command has acted, which also left the embedded PostgreSQL
// running. These shadow std's macros in every module below.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! print {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod backup;
mod cli;
mod commands;
mod exercise_import;
mod food_import;
mod import_from;
mod import_sparkyfitness;
mod mail;
mod open_files;
mod serve;
mod starter_catalog;
mod transfer;
mod users;

use clap::Parser;

// glibc's malloc took about a tenth of the server's CPU under write load (malloc_consolidate,
// _int_free); mimalloc's thread-local free lists are cheaper for many small, short-lived
// request allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say_error(format_args!("error: cannot start the async runtime: {e}"));
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // Once, as the last line: it is what an operator reads first.
            say_error(format_args!("error: {e:#}"));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Like eprintln!, but a closed stderr is not a panic.
fn say_error(message: std::fmt::Arguments) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn init_tracing() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only for a person at a terminal; journald, files and pipes get plain text.
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        // Its default reports a failed log write with eprintln!, which panics when stderr is a
        // closed pipe; the panic hook logs, fails again and the process aborts. A log that
        // cannot be written is lost, and the server keeps serving.
        .log_internal_errors(false)
        .init();
    sparky_web::server::log_panics();
}
