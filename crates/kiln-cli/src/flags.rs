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

    /// The runs store: a folder (or file:///folder) [default: $KILN_TRACKING_URI, else the
    /// user's data folder + kiln/runs].
    #[arg(long, global = true, value_name = "URI")]
    pub tracking_uri: Option<String>,

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
    /// Search hyper-parameters: the spec's `[tune]` section names the metric and the spec
    /// paths to search; each trial is a recorded run under the study's run.
    Tune(TuneArgs),
    /// Print a model's metrics on one of its data splits or on a file.
    Evaluate(EvaluateArgs),
    /// Why a model answers what it does: permutation importance per input feature, or
    /// attributions (integrated gradients, gradient × input) of its rows.
    #[command(subcommand)]
    Explain(ExplainCommand),
    /// Predict every row of a data file.
    Predict(PredictArgs),
    /// Describe a model file: spec, transforms, layers, training history, metrics, provenance.
    Inspect(InspectArgs),
    /// Serve model files over HTTP (MLflow scoring and KServe v2 protocols).
    Serve(ServeArgs),
    /// Drift against a model's reference profile: an offline report, or a Nagios-style check
    /// of a running server.
    #[command(subcommand)]
    Monitor(MonitorCommand),
    /// Draw a Bayesian model: predicted probability and its uncertainty over the input plane
    /// (2-D inputs) with the test points, and the ELBO trace.
    Report(ReportArgs),
    /// Write text with a character-level language model, streamed as it is sampled.
    Generate(GenerateArgs),
    /// Recorded runs: list, show, compare, reproduce.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// The model registry: register versions, move aliases.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Serve the runs store over MLflow's tracking REST API (for the `mlflow` client).
    Tracking(TrackingArgs),
    /// The web UI: runs, run pages, compare, the model registry and live servers, at
    /// http://127.0.0.1:PORT/ui/ (it also answers MLflow's tracking API, like `mlflow ui`).
    Ui(UiArgs),
}

/// How a command records its run in the runs store.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct TrackArgs {
    /// Do not record this run in the runs store.
    #[arg(long)]
    pub no_track: bool,
    /// The experiment to record the run in (created when missing) [default: Default].
    #[arg(long, value_name = "NAME", conflicts_with = "no_track")]
    pub experiment: Option<String>,
    /// The run's name [default: the spec's file name].
    #[arg(long, value_name = "NAME", conflicts_with = "no_track")]
    pub run_name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RunsCommand {
    /// List runs, newest first (filter and order with MLflow's search grammar).
    List(RunsListArgs),
    /// A run's params, metrics (with per-epoch history), tags, inputs and artifacts.
    Show {
        /// Run id, a unique prefix of it, or a run name.
        run: String,
    },
    /// Two or more runs side by side: what differs in params, final metrics and data.
    Compare {
        /// Run ids, prefixes or names.
        #[arg(required = true, num_args = 2..)]
        runs: Vec<String>,
    },
    /// Train a recorded run again from its stored spec and check the data digest and the
    /// weights are identical.
    Reproduce(ReproduceArgs),
    /// Mark a run deleted (hidden from `list`; `--all` shows it).
    Delete {
        /// Run id, prefix or name.
        run: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct RunsListArgs {
    /// Only runs matching, e.g. "metrics.accuracy > 0.98 and params.training.epochs = '5'".
    #[arg(long, short = 'f', value_name = "FILTER")]
    pub filter: Option<String>,
    /// Order, e.g. "metrics.accuracy DESC" (repeatable) [default: newest first].
    #[arg(long, value_name = "ORDER")]
    pub order_by: Vec<String>,
    /// Only this experiment's runs.
    #[arg(long, value_name = "NAME")]
    pub experiment: Option<String>,
    /// At most this many runs.
    #[arg(long, short = 'n', default_value_t = 50, value_name = "N")]
    pub max: usize,
    /// Include deleted runs.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReproduceArgs {
    /// Run id, prefix or name.
    pub run: String,
    /// Where to write the re-trained model file [default: a temporary file, removed after].
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub track: TrackArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ModelsCommand {
    /// Register a run's model file (or a model file) as the next version of NAME.
    Register {
        /// The registered model's name (created when missing).
        name: String,
        /// A run (id, prefix or name) or a model file path.
        source: String,
    },
    /// Point ALIAS of NAME at VERSION (moving it if it points elsewhere).
    Alias {
        /// The registered model.
        name: String,
        /// The alias, e.g. champion.
        alias: String,
        /// The version number.
        #[arg(value_name = "VERSION")]
        number: i64,
    },
    /// Remove an alias.
    Unalias {
        /// The registered model.
        name: String,
        /// The alias.
        alias: String,
    },
    /// Every registered model with its latest version and aliases.
    List,
    /// A registered model's versions and its alias history.
    Show {
        /// The registered model.
        name: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct TrackingArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port (0 picks a free one).
    #[arg(long, short = 'p', default_value_t = 5000)]
    pub port: u16,
    /// A file holding the bearer token clients must send (MLFLOW_TRACKING_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct UiArgs {
    /// Address to listen on (loopback by default: the runs store is yours).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port (0 picks a free one).
    #[arg(long, short = 'p', default_value_t = 5000)]
    pub port: u16,
    /// A file holding a bearer token: the browser then opens the printed address once, which
    /// sets a session cookie; MLflow clients send the token (MLFLOW_TRACKING_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// A running `kiln serve` whose live page to show (its base URL); repeat for several.
    #[arg(long, value_name = "URL")]
    pub live: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MonitorCommand {
    /// Compare a batch file with the model's reference profile and write an HTML report.
    Report(MonitorReportArgs),
    /// Ask a running `kiln serve` for a model's state; print one status line and exit
    /// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the Nagios plugin convention).
    Check(MonitorCheckArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MonitorReportArgs {
    /// The model file.
    pub model: PathBuf,
    /// The batch to compare: CSV, JSON lines, Parquet or IDX with the model's input columns.
    pub data: PathBuf,
    /// Where to write the self-contained HTML report.
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = "drift-report.html"
    )]
    pub output: PathBuf,
    /// One test for every feature instead of the default choice:
    /// ks, wasserstein, psi, chisquare, z, jensenshannon.
    #[arg(long, value_name = "TEST")]
    pub method: Option<String>,
    /// Family-wise significance level of the p-value tests.
    #[arg(long, value_name = "ALPHA")]
    pub alpha: Option<f64>,
}

#[derive(Debug, Args)]
pub(crate) struct MonitorCheckArgs {
    /// Base URL of the server, e.g. http://localhost:8080 (`/monitor` is appended).
    #[arg(long)]
    pub url: String,
    /// The model's name on the server, optionally `NAME:VERSION` (default: its latest
    /// monitored version).
    #[arg(long)]
    pub model: String,
    /// Seconds to wait for the server before answering UNKNOWN.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A model file, or a recorded run (its id or a unique prefix, as `kiln runs` shows).
    pub model: PathBuf,
    /// What to write: `.html` (the run page as one file that opens offline; any model or
    /// run), or `.png`/`.svg` (a Bayesian model's probability and uncertainty maps)
    /// [default: the model's path with `.html`, or `.png` for a Bayesian model; `RUN.html`].
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Grid cells per axis for the probability and uncertainty maps.
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u32).range(10..=1000))]
    pub grid: u32,
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
    /// Change a spec setting by its dotted path, e.g. `--set training.optimizer.learning_rate=0.01`
    /// or `--set layers[0].units=64` (repeatable; the model file stores the changed spec).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<kiln::Override>,
    /// Print nothing but the final summary line (warnings still go to stderr).
    #[arg(long, short = 'q', conflicts_with = "json")]
    pub quiet: bool,
    /// Do not write `OUT.ckpt` after each epoch.
    #[arg(long, conflicts_with = "resume")]
    pub no_checkpoint: bool,
    #[command(flatten)]
    pub track: TrackArgs,
}

#[derive(Debug, Args)]
pub(crate) struct TuneArgs {
    /// The spec file (TOML) with a `[tune]` section.
    pub spec: PathBuf,
    /// Write the best trial's model file here, and its spec (the trial's values applied)
    /// beside it with a `.toml` extension.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Trials trained at once (the CPU's threads are shared among them).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub workers: u32,
    /// Trial k's values depend only on the seed and trials 0..k-L [default: --workers].
    /// Studies with the same lag give the same trials whatever the workers.
    #[arg(long, value_name = "L", value_parser = clap::value_parser!(u32).range(1..))]
    pub lag: Option<u32>,
    /// Override `tune.trials`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: Option<u32>,
    /// Start no trial after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Continue the latest study of this name (after a crash or Ctrl-C): finished trials are
    /// kept, the rest run.
    #[arg(long)]
    pub resume: bool,
    /// The study's name [default: the spec's file name].
    #[arg(long, value_name = "NAME")]
    pub study: Option<String>,
    /// The experiment the study is recorded in (created when missing) [default: Default].
    #[arg(long, value_name = "NAME")]
    pub experiment: Option<String>,
    /// A configuration to try first, as `PATH=VALUE,PATH=VALUE` (repeatable; trial i takes
    /// the i-th; paths left out are sampled).
    #[arg(long, value_name = "PATH=VALUE,...")]
    pub enqueue: Vec<String>,
    /// Cross-validate each trial with K folds (the metric is then `cv_mean.…`; pruning
    /// compares the same fold across trials).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(2..))]
    pub folds: Option<u32>,
    /// Change a spec setting before tuning, as `kiln train --set`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<kiln::Override>,
    /// Train the best trial's spec again on the training and validation rows together
    /// (`data.split.validation = 0`) into OUT, instead of copying the trial's model.
    #[arg(long, requires = "output")]
    pub refit: bool,
    /// Print only the summary.
    #[arg(long, short = 'q', conflicts_with = "json")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ExplainCommand {
    /// Permutation importance: how much the model's score (accuracy, or R²) drops when one
    /// input feature's values are shuffled across the rows, per feature (a category's one-hot
    /// columns move together), mean ± std over the repeats.
    Importance(ExplainImportanceArgs),
    /// Attributions of each row's output (a class's logit, or the regression output) to its
    /// input features: integrated gradients (steps raised until they add up to the output's
    /// change within 1 %) or gradient × input.
    Attributions(ExplainAttributionsArgs),
    /// Concept sensitivity (TCAV): how much a concept (rows of the data matching a filter)
    /// drives a class at a layer, tested against random concepts.
    Tcav(ExplainTcavArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExplainTcavArgs {
    /// The model file.
    pub model: PathBuf,
    /// The class whose logit is explained.
    #[arg(long)]
    pub class: String,
    /// A concept as NAME=FILTER: the training rows matching a filter over any column of the
    /// model's data (`"high-income=income >= 100000"`). Repeatable.
    #[arg(long = "concept", value_name = "NAME=FILTER", required = true)]
    pub concepts: Vec<String>,
    /// A layer, by its number in `kiln inspect` or as TYPE_K (`dense_1`, the first dense
    /// layer). Repeatable [default: the last layer before the head].
    #[arg(long = "layer", value_name = "LAYER")]
    pub layers: Vec<String>,
    /// CAVs per concept, each against another random set (and as many random-vs-random).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(2..))]
    pub runs: u32,
    /// Training rows in each random set.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(5..))]
    pub random_size: u32,
    /// Significance level before the Bonferroni correction over concepts × layers.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Draws the random sets.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// At most this many test rows of the class are explained.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(2..))]
    pub max_inputs: u32,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainImportanceArgs {
    /// The model file.
    pub model: PathBuf,
    /// `test`, `validation`, `train`, or a data file with the input and output columns.
    #[arg(long, short = 'd', default_value = "test", value_name = "SPLIT|FILE")]
    pub data: String,
    /// Shuffles per feature.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeats: u32,
    /// The shuffles' seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainAttributionsArgs {
    /// The model file.
    pub model: PathBuf,
    /// The rows: `test`, `validation`, `train`, or a data file with the input columns.
    #[arg(default_value = "test", value_name = "SPLIT|FILE")]
    pub data: String,
    /// `integrated-gradients` or `gradient-x-input`.
    #[arg(long, default_value = "integrated-gradients")]
    pub method: String,
    /// The class to explain [default: each row's predicted class].
    #[arg(long)]
    pub class: Option<String>,
    /// How many rows, from the first.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub rows: u32,
    /// Integrated gradients' rule: `gausslegendre` (Captum's default), `riemann_trapezoid`,
    /// `riemann_middle`.
    #[arg(long, default_value = "gausslegendre")]
    pub rule: String,
    /// Integrated gradients: the rule's points to start from (doubled until complete).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(2..))]
    pub steps: u32,
    /// Integrated gradients: accepted when |Σ attributions − (F(x) − F(baseline))| is at
    /// most this fraction of |F(x) − F(baseline)|.
    #[arg(long, default_value_t = 0.01)]
    pub tolerance: f64,
}

#[derive(Debug, Args)]
pub(crate) struct EvaluateArgs {
    /// The model file.
    pub model: PathBuf,
    /// `test`, `validation`, `train` (the splits of the model's own data, re-derived with the
    /// stored seed), or a data file with the input and output columns.
    #[arg(long, short = 'd', default_value = "test", value_name = "SPLIT|FILE")]
    pub data: String,
    #[command(flatten)]
    pub track: TrackArgs,
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
    /// Bayesian models: only the N rows with the largest predictive standard deviation, most
    /// uncertain first, each with its `row` number (what to label next).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub most_uncertain: Option<u32>,
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
pub(crate) struct ServeArgs {
    /// Model files, each `[NAME[:VERSION]=]PATH` (name and version default to the spec's name
    /// and 1, 2, … per name).
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<String>,
    /// Address to bind; anything but loopback exposes the models to the network (and, without
    /// --token-file, keeps the admin routes off).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port (0 picks a free one; the address is printed).
    #[arg(long, short = 'p', default_value_t = 8080)]
    pub port: u16,
    /// Serve the (single) model under this name.
    #[arg(long)]
    pub name: Option<String>,
    /// Most rows predicted together by dynamic batching (1 turns batching off).
    #[arg(long, default_value_t = 64, value_name = "ROWS")]
    pub max_batch: usize,
    /// Longest a request waits for batch-mates, in microseconds (0: batch what is queued).
    #[arg(long, default_value_t = 0, value_name = "MICROS")]
    pub max_delay_us: u64,
    /// Requests that may wait per model before answering 503.
    #[arg(long, default_value_t = 1024, value_name = "REQUESTS")]
    pub queue: usize,
    /// File holding a bearer token every non-health route requires; also turns the admin
    /// routes (/admin/*: reload) on.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Turn the admin routes on without a token, for a loopback --host only: any local process
    /// can then reload models.
    #[arg(long)]
    pub admin_loopback: bool,
    /// Folder a reload may read model files from (repeatable); by default a reload may name
    /// only the files the server was started with.
    #[arg(long, value_name = "DIR")]
    pub model_root: Vec<PathBuf>,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    pub max_body: usize,
    /// Seconds a request may take (body and answer).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log: LogFormat,
    /// Turn live monitoring off (no prediction ids, /monitor and /feedback answer 4xx).
    #[arg(long)]
    pub no_monitor: bool,
    /// A count window of the monitor: the last ROWS rows (repeatable) [default: 500].
    #[arg(long, value_name = "ROWS")]
    pub monitor_window: Vec<usize>,
    /// The monitor's time window in seconds (0: none), holding at most 10,000 rows.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub monitor_window_seconds: u64,
    /// One drift test for every feature instead of the default choice:
    /// ks, wasserstein, psi, chisquare, z, jensenshannon.
    #[arg(long, value_name = "TEST")]
    pub drift_method: Option<String>,
    /// Family-wise significance level of the p-value drift tests [default: 0.01].
    #[arg(long, value_name = "ALPHA")]
    pub drift_alpha: Option<f64>,
    /// Share of drifting features that makes dataset drift (CRITICAL) [default: 0.5].
    #[arg(long, value_name = "SHARE")]
    pub drift_share: Option<f64>,
    /// Every monitoring setting (windows, per-feature tests, thresholds) from a TOML or JSON
    /// file; the flags above override it.
    #[arg(long, value_name = "FILE")]
    pub monitor_config: Option<PathBuf>,
    /// URL that receives a JSON POST whenever a model's monitoring state changes.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Also answer MLflow's tracking REST API over the runs store (for the `mlflow` client:
    /// MLFLOW_TRACKING_URI=http://HOST:PORT), behind the same token and access rules.
    #[arg(long)]
    pub tracking: bool,
    /// Also serve the web UI at /ui/: the runs store's runs and registry, and a live page of
    /// this server (traffic, latency, batch sizes, drift), behind the same token and rules.
    #[arg(long)]
    pub ui: bool,
}

/// How `kiln serve` logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The model file (or a training checkpoint).
    pub model: PathBuf,
    /// Also write the network's weights to this safetensors file (for PyTorch and others;
    /// tensors named by module path, a dense weight `[in, out]`).
    #[arg(long, value_name = "OUT.safetensors")]
    pub export_weights: Option<PathBuf>,
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
    fn monitor_check_needs_url_and_model() {
        assert!(Cli::try_parse_from(["kiln", "monitor", "check", "--url", "http://x"]).is_err());
        assert!(
            Cli::try_parse_from([
                "kiln", "monitor", "check", "--url", "http://x", "--model", "m"
            ])
            .is_ok()
        );
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
    fn serve_admin_flags_default_to_closed() {
        let parse = |extra: &[&str]| {
            let mut args = vec!["kiln", "serve", "m.kiln"];
            args.extend_from_slice(extra);
            match Cli::try_parse_from(args).unwrap().command {
                Command::Serve(s) => s,
                _ => panic!("not serve"),
            }
        };
        let s = parse(&[]);
        assert!(!s.admin_loopback && s.model_root.is_empty() && s.token_file.is_none());
        let s = parse(&["--admin-loopback", "--model-root", "a", "--model-root", "b"]);
        assert!(s.admin_loopback);
        assert_eq!(s.model_root, [PathBuf::from("a"), PathBuf::from("b")]);
    }

    #[test]
    fn init_needs_example_or_list() {
        assert!(Cli::try_parse_from(["kiln", "init"]).is_err());
        assert!(Cli::try_parse_from(["kiln", "init", "--list"]).is_ok());
    }
}
