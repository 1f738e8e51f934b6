//! The `kiln` command: a thin layer over the `kiln` library.
//!
//! - `flags`: what the user can type (clap), nothing else.
//! - `cmd`: one module per subcommand, each turning flags into library calls and library
//!   results into text or JSON.
//! - `render`: the Keras-style training display and JSON event lines.
//! - `report`: small text formatting shared by the commands (sizes, counts, tables).
//!
//! Architecture invariant: this crate is the only one that prints, parses arguments or uses
//! `anyhow`; the library reports progress through `RunEvent`s that `render` draws.

// The command line is the one place in the workspace whose job is to print.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cmd;
mod flags;
mod render;
mod report;

use std::process::ExitCode;

use clap::Parser;

use crate::flags::{Cli, Command};

fn main() -> ExitCode {
    install_panic_hook();
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let json = cli.json;
    cmd::set_tracking_uri(cli.tracking_uri);
    match cli.command {
        Command::Quickstart(args) => cmd::quickstart::run(&args, json),
        Command::Datasets(command) => cmd::datasets::run(&command, json),
        Command::Init(args) => cmd::init::run(&args, json),
        Command::Train(args) => cmd::train::run(&args, json),
        Command::Tune(args) => cmd::tune::run(&args, json),
        Command::Evaluate(args) => cmd::evaluate::run(&args, json),
        Command::Explain(command) => cmd::explain::run(&command, json),
        Command::Predict(args) => cmd::predict::run(&args, json),
        Command::Inspect(args) => cmd::inspect::run(&args, json),
        Command::Serve(args) => cmd::serve::run(&args, json),
        Command::Monitor(command) => cmd::monitor::run(&command, json),
        Command::Report(args) => cmd::report::run(&args, json),
        Command::Generate(args) => cmd::generate::run(&args, json),
        Command::Runs(command) => cmd::runs::run(&command, json),
        Command::Models(command) => cmd::models::run(&command, json),
        Command::Tracking(args) => cmd::tracking::run(&args, json),
        Command::Ui(args) => cmd::tracking::ui(&args, json),
    }
}

/// A panic is a bug in kiln, never the user's fault: say so in one line instead of Rust's
/// backtrace hint, and exit with 101 as Rust does.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error{location}: {message}");
        eprintln!("  this is a bug in kiln; please report it with the command you ran");
    }));
}
