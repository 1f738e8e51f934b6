//! Command-line flags: parsed by clap, then checked into the plain values the commands use.
//!
//! Everything a user can type is declared here, so `--help` and the commands agree; the
//! commands themselves (in `cmd/`) never look at raw arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// kiln: train, evaluate and serve small neural networks from a TOML spec.
#[derive(Debug, Parser)]
#[command(name = "kiln", version, about, propagate_version = true)]
#[command(
    after_help = "New here? `kiln quickstart` trains a digit classifier on MNIST in a minute."
)]
pub(crate) struct Cli {
    /// Machine-readable output: JSON on stdout (one object per line for `train`).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Fetch MNIST, train the `mnist-mlp` example, evaluate it and predict a few digits.
    Quickstart(QuickstartArgs),
    /// List or fetch the built-in datasets.
    #[command(subcommand)]
    Datasets(DatasetsCommand),
    /// Print or write an example spec.
    Init(InitArgs),
    /// Train the model a spec file describes and write the model file.
    Train(TrainArgs),
    /// Print a model's metrics on one of its data splits or on a file.
    Evaluate(EvaluateArgs),
    /// Predict every row of a data file.
    Predict(PredictArgs),
    /// Describe a model file: spec, transforms, layers, training history, metrics, provenance.
    Inspect(InspectArgs),
    /// Write text with a character-level language model, streamed as it is sampled.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct QuickstartArgs {
    /// Epochs to train (default: the spec's 5).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub epochs: Option<u32>,
    /// Work folder for the spec and the model file.
    #[arg(long, default_value = "kiln-quickstart")]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DatasetsCommand {
    /// Show every built-in dataset and whether it is in the cache.
    List,
    /// Download datasets into the cache (`KILN_CACHE`, else the user cache folder).
    Fetch {
        /// Dataset names, as `kiln datasets list` shows them.
        #[arg(required = true)]
        names: Vec<String>,
    },
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["example", "list"]))]
pub(crate) struct InitArgs {
    /// The example to print (see `--list`).
    #[arg(long, short = 'e', value_name = "NAME")]
    pub example: Option<String>,
    /// List the example names.
    #[arg(long)]
    pub list: bool,
    /// Write the spec to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE", requires = "example")]
    pub output: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// The spec file (TOML).
    pub spec: PathBuf,
    /// Where to write the model file [default: the spec's path with a `.kiln` extension].
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Continue from the checkpoint `OUT.ckpt` left by an earlier run.
    #[arg(long)]
    pub resume: bool,
    /// Run K-fold cross-validation first, then train on all non-test rows.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(2..))]
    pub folds: Option<u32>,
    /// Override the spec's epoch count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub epochs: Option<u32>,
    /// Print nothing but the final summary line (warnings still go to stderr).
    #[arg(long, short = 'q', conflicts_with = "json")]
    pub quiet: bool,
    /// Do not write `OUT.ckpt` after each epoch.
    #[arg(long, conflicts_with = "resume")]
    pub no_checkpoint: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EvaluateArgs {
    /// The model file.
    pub model: PathBuf,
    /// `test`, `validation`, `train` (the splits of the model's own data, re-derived with the
    /// stored seed), or a data file with the input and output columns.
    #[arg(long, short = 'd', default_value = "test", value_name = "SPLIT|FILE")]
    pub data: String,
}

#[derive(Debug, Args)]
pub(crate) struct PredictArgs {
    /// The model file.
    pub model: PathBuf,
    /// Rows to predict: CSV, JSON lines, Parquet or IDX.
    pub input: PathBuf,
    /// Where to write the predictions [default: JSON lines on stdout].
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Output format [default: told from OUT's extension, else jsonl].
    #[arg(long, value_enum)]
    pub format: Option<PredictionFormat>,
}

/// How predictions are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PredictionFormat {
    /// `label,p_<class>…` or `value`, with a header row.
    Csv,
    /// One JSON object per row.
    Jsonl,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The model file (or a training checkpoint).
    pub model: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// The language model file (trained from a spec with [language_model]).
    pub model: PathBuf,
    /// Text to continue; every character must be in the model's vocabulary.
    #[arg(long, short = 'p', default_value = "")]
    pub prompt: String,
    /// Characters to generate after the prompt.
    #[arg(long, short = 'n', default_value_t = 400)]
    pub length: usize,
    /// Sampling temperature (> 0): lower is safer and more repetitive, higher more surprising.
    #[arg(long, short = 't', default_value_t = 1.0)]
    pub temperature: f64,
    /// Seed of the sampler: the same seed gives the same text.
    #[arg(long, short = 's', default_value_t = 0)]
    pub seed: u64,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn json_is_global() {
        let cli = Cli::try_parse_from(["kiln", "inspect", "m.kiln", "--json"]).unwrap();
        assert!(cli.json);
    }

    #[test]
    fn folds_below_two_are_refused() {
        assert!(Cli::try_parse_from(["kiln", "train", "s.toml", "--folds", "1"]).is_err());
    }

    #[test]
    fn generate_takes_prompt_length_temperature_seed() {
        let cli = Cli::try_parse_from([
            "kiln",
            "generate",
            "m.kiln",
            "--prompt",
            "ROMEO:",
            "--length",
            "50",
            "--temperature",
            "0.5",
            "--seed",
            "3",
        ])
        .unwrap();
        let Command::Generate(g) = cli.command else {
            panic!("not generate")
        };
        assert_eq!(
            (g.prompt.as_str(), g.length, g.temperature, g.seed),
            ("ROMEO:", 50, 0.5, 3)
        );
    }

    #[test]
    fn init_needs_example_or_list() {
        assert!(Cli::try_parse_from(["kiln", "init"]).is_err());
        assert!(Cli::try_parse_from(["kiln", "init", "--list"]).is_ok());
    }
}
