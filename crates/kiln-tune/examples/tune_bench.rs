//! kiln's side of `bench/tune_vs_optuna.py`: TPE's quality on Branin and Hartmann-6, and the
//! sampler's overhead per trial, printed as one JSON object on stdout.
//!
//! ```sh
//! cargo run --release -p kiln-tune --example tune_bench -- quality \
//!     --function branin --sampler tpe [--multivariate] --seeds 20 --trials 100
//! cargo run --release -p kiln-tune --example tune_bench -- overhead \
//!     --params 16 --trials 1000 --repeats 3
//! ```
//!
//! - `quality`: one study per seed `0 … seeds−1` (1 worker, lag 1, no pruning) of the
//!   function over its usual domain (Branin: `x1 ∈ [−5, 10]`, `x2 ∈ [0, 15]`; Hartmann-6:
//!   `[0, 1]⁶`), every parameter `uniform`; prints every trial's value per seed, the best per
//!   seed, `f*` and `f(x₀)` at the domain's midpoint.
//! - `overhead`: a TPE study (Optuna's defaults, univariate unless `--multivariate`; seed
//!   0, 1, … per repeat) of `params`
//!   parameters `x0 … x{p−1}`, each `uniform = [−10, 10]`, whose objective is the sum of
//!   squares (so the time is the study's own: sampling, bookkeeping); prints the wall time of
//!   each whole `optimize` call, µs per trial per parameter, and the wall time at which each
//!   trial finished (first repeat).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use kiln_spec::DimensionSpec;
use kiln_tune::benchmarks::{BRANIN_MIN, HARTMANN6_MIN, branin, hartmann6};
use kiln_tune::{
    Direction, Listener, Objective, Outcome, Params, Pruner, Quiet, RandomSampler, Sampler, Space,
    Study, StudyConfig, TpeSampler, Trial, TrialRun, optimize,
};
use serde_json::json;

/// The test function of a quality run.
#[derive(Debug, Clone, Copy)]
enum Function {
    Branin,
    Hartmann6,
}

impl Function {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "branin" => Ok(Self::Branin),
            "hartmann6" => Ok(Self::Hartmann6),
            _ => Err(format!(
                "unknown function `{text}` (expected branin or hartmann6)"
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Branin => "branin",
            Self::Hartmann6 => "hartmann6",
        }
    }

    /// `(name, low, high)` of each parameter.
    fn domain(self) -> Vec<(String, f64, f64)> {
        match self {
            Self::Branin => vec![("x1".into(), -5.0, 10.0), ("x2".into(), 0.0, 15.0)],
            Self::Hartmann6 => (0..6).map(|i| (format!("x{i}"), 0.0, 1.0)).collect(),
        }
    }

    fn minimum(self) -> f64 {
        match self {
            Self::Branin => BRANIN_MIN,
            Self::Hartmann6 => HARTMANN6_MIN,
        }
    }

    /// The function at `x`, in the order of [`Function::domain`].
    fn eval(self, x: &[f64]) -> f64 {
        match self {
            Self::Branin => branin(x[0], x[1]),
            Self::Hartmann6 => hartmann6(&std::array::from_fn(|i| x[i])),
        }
    }
}

/// Which sampler a quality run uses.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SamplerKind {
    Tpe,
    Random,
}

/// What to run, settled from the arguments.
#[derive(Debug)]
enum Command {
    Quality {
        function: Function,
        sampler: SamplerKind,
        multivariate: bool,
        seeds: u64,
        trials: usize,
    },
    Overhead {
        params: usize,
        multivariate: bool,
        trials: usize,
        repeats: usize,
        /// Also run each repeat recording every trial in a fresh runs store.
        store: bool,
    },
}

const USAGE: &str = "usage: tune_bench quality --function branin|hartmann6 --sampler tpe|random \
[--multivariate] [--seeds 20] [--trials 100]\n       tune_bench overhead --params N \
[--multivariate] [--trials 1000] [--repeats 3]";

fn parse(args: &[String]) -> Result<Command, String> {
    let (mode, rest) = args.split_first().ok_or("no mode given")?;
    let mut flags: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    let mut i = 0;
    while i < rest.len() {
        let key = rest[i]
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument `{}`", rest[i]))?;
        if key == "multivariate" || key == "store" {
            flags.insert(key, None);
            i += 1;
        } else {
            let value = rest
                .get(i + 1)
                .ok_or_else(|| format!("--{key} needs a value"))?;
            flags.insert(key, Some(value));
            i += 2;
        }
    }
    let number = |key: &str, default: usize| -> Result<usize, String> {
        match flags.get(key).copied().flatten() {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("--{key} must be a positive integer, not `{v}`")),
            },
        }
    };
    let allowed: &[&str] = match mode.as_str() {
        "quality" => &["function", "sampler", "multivariate", "seeds", "trials"],
        "overhead" => &["params", "multivariate", "trials", "repeats", "store"],
        _ => return Err(format!("unknown mode `{mode}`")),
    };
    if let Some(k) = flags.keys().find(|k| !allowed.contains(k)) {
        return Err(format!("--{k} is not an option of `{mode}`"));
    }
    if mode == "quality" {
        let function = Function::parse(
            flags
                .get("function")
                .copied()
                .flatten()
                .ok_or("--function is required")?,
        )?;
        let sampler = match flags.get("sampler").copied().flatten() {
            Some("tpe") => SamplerKind::Tpe,
            Some("random") => SamplerKind::Random,
            Some(other) => return Err(format!("unknown sampler `{other}`")),
            None => return Err("--sampler is required".into()),
        };
        let multivariate = flags.contains_key("multivariate");
        if multivariate && sampler == SamplerKind::Random {
            return Err("--multivariate is a TPE setting".into());
        }
        Ok(Command::Quality {
            function,
            sampler,
            multivariate,
            seeds: number("seeds", 20)? as u64,
            trials: number("trials", 100)?,
        })
    } else {
        Ok(Command::Overhead {
            params: number("params", 0).and_then(|p| {
                if p == 0 {
                    Err("--params is required".to_string())
                } else {
                    Ok(p)
                }
            })?,
            multivariate: flags.contains_key("multivariate"),
            trials: number("trials", 1000)?,
            repeats: number("repeats", 3)?,
            store: flags.contains_key("store"),
        })
    }
}

/// A space of `uniform` reals.
fn uniform_space(domain: &[(String, f64, f64)]) -> Space {
    let text: String = domain
        .iter()
        .map(|(name, lo, hi)| format!("\"{name}\" = {{ uniform = [{lo:?}, {hi:?}] }}\n"))
        .collect();
    let table: BTreeMap<String, DimensionSpec> =
        toml::from_str(&text).expect("the benchmark's space is valid TOML");
    Space::from_spec(&table).expect("the benchmark's space is valid")
}

/// The values of `names` in `params`, in that order.
fn values(params: &Params, names: &[String]) -> Vec<f64> {
    names
        .iter()
        .map(|n| params[n].as_f64().expect("every parameter is a real"))
        .collect()
}

struct Evaluate<F>(F);
impl<F: Fn(&Params) -> f64 + Sync> Objective for Evaluate<F> {
    fn evaluate(&self, trial: &TrialRun<'_>) -> Outcome {
        Outcome::Complete((self.0)(trial.params))
    }
}

fn config(trials: usize) -> StudyConfig {
    StudyConfig {
        direction: Direction::Minimize,
        trials,
        workers: 1,
        lag: 1,
        timeout: None,
        retries: 0,
    }
}

fn run(
    space: &Space,
    sampler: &dyn Sampler,
    trials: usize,
    objective: &dyn Objective,
    listener: &dyn Listener,
) -> Vec<Trial> {
    let study = Study {
        space,
        sampler,
        pruner: Pruner::None,
        config: config(trials),
        enqueued: Vec::new(),
    };
    optimize(&study, objective, listener, Vec::new(), None)
        .expect("a study with a quiet listener and no enqueued trials cannot fail")
}

fn quality(
    function: Function,
    kind: SamplerKind,
    multivariate: bool,
    seeds: u64,
    trials: usize,
) -> serde_json::Value {
    let domain = function.domain();
    let names: Vec<String> = domain.iter().map(|d| d.0.clone()).collect();
    let space = uniform_space(&domain);
    let objective = Evaluate(|p: &Params| function.eval(&values(p, &names)));
    let midpoint: Vec<f64> = domain.iter().map(|(_, lo, hi)| 0.5 * (lo + hi)).collect();
    let mut per_seed = Vec::new();
    let mut best = Vec::new();
    let started = Instant::now();
    for seed in 0..seeds {
        let sampler: Box<dyn Sampler> = match kind {
            SamplerKind::Tpe => Box::new(TpeSampler {
                multivariate,
                ..TpeSampler::new(seed, Direction::Minimize)
            }),
            SamplerKind::Random => Box::new(RandomSampler { seed }),
        };
        let done = run(&space, sampler.as_ref(), trials, &objective, &Quiet);
        let values: Vec<f64> = done
            .iter()
            .map(|t| t.value.expect("every trial completes"))
            .collect();
        best.push(values.iter().copied().fold(f64::INFINITY, f64::min));
        per_seed.push(values);
    }
    json!({
        "side": "kiln",
        "mode": "quality",
        "function": function.name(),
        "sampler": match kind { SamplerKind::Tpe => "tpe", SamplerKind::Random => "random" },
        "multivariate": multivariate,
        "seeds": (0..seeds).collect::<Vec<_>>(),
        "trials": trials,
        "f_min": function.minimum(),
        "x0": midpoint,
        "f_x0": function.eval(&midpoint),
        "best": best,
        "values": per_seed,
        "seconds": started.elapsed().as_secs_f64(),
    })
}

/// Records when each trial finished, from a common start.
struct Clock {
    start: Instant,
    finished: Mutex<Vec<f64>>,
}

impl Listener for Clock {
    fn finished(&self, _trial: &Trial) -> Result<(), String> {
        let t = self.start.elapsed().as_secs_f64();
        self.finished
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(t);
        Ok(())
    }
}

fn overhead(
    params: usize,
    multivariate: bool,
    trials: usize,
    repeats: usize,
    store: bool,
) -> serde_json::Value {
    let domain: Vec<(String, f64, f64)> = (0..params)
        .map(|i| (format!("x{i}"), -10.0, 10.0))
        .collect();
    let names: Vec<String> = domain.iter().map(|d| d.0.clone()).collect();
    let space = uniform_space(&domain);
    let objective = Evaluate(|p: &Params| values(p, &names).iter().map(|x| x * x).sum());
    let mut seconds = Vec::new();
    let mut first_finished = Vec::new();
    let mut store_seconds = Vec::new();
    for repeat in 0..repeats {
        let sampler = TpeSampler {
            multivariate,
            ..TpeSampler::new(repeat as u64, Direction::Minimize)
        };
        let clock = Clock {
            start: Instant::now(),
            finished: Mutex::new(Vec::with_capacity(trials)),
        };
        let done = run(&space, &sampler, trials, &objective, &clock);
        let total = clock.start.elapsed().as_secs_f64();
        assert_eq!(done.len(), trials, "every trial finishes");
        seconds.push(total);
        if repeat == 0 {
            first_finished = clock
                .finished
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        // The same study at once again (so both see the same load), every trial recorded as
        // a child run of the study's run in a fresh store.
        if store {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let runs = kiln_runs::Store::open(dir.path()).expect("a fresh store");
            let study = runs
                .create_run(&kiln_runs::NewRun::default())
                .expect("the study's run");
            let start = Instant::now();
            let done = kiln_tune::record::recording(&runs, &study, |listener| {
                run(&space, &sampler, trials, &objective, listener)
            })
            .expect("every trial recorded");
            store_seconds.push(start.elapsed().as_secs_f64());
            assert_eq!(done.len(), trials, "every trial finishes");
        }
    }
    let per_trial_param_us: Vec<f64> = seconds
        .iter()
        .map(|s| s * 1e6 / (trials * params) as f64)
        .collect();
    json!({
        "side": "kiln",
        "mode": "overhead",
        "params": params,
        "multivariate": multivariate,
        "trials": trials,
        "repeats": repeats,
        "seconds": seconds,
        "us_per_trial_param": per_trial_param_us,
        "store_seconds": store_seconds,
        "finished_at": first_finished,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tune_bench: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Quality {
            function,
            sampler,
            multivariate,
            seeds,
            trials,
        } => quality(function, sampler, multivariate, seeds, trials),
        Command::Overhead {
            params,
            multivariate,
            trials,
            repeats,
            store,
        } => overhead(params, multivariate, trials, repeats, store),
    };
    println!("{result}");
    ExitCode::SUCCESS
}
