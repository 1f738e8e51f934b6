use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong between a spec and a prediction.
#[derive(Debug, Error)]
pub enum Error {
    /// The spec is malformed or inconsistent.
    #[error(transparent)]
    Spec(Box<kiln_spec::SpecError>),
    /// Reading, fetching, splitting or encoding data failed.
    #[error(transparent)]
    Data(Box<kiln_data::DataError>),
    /// The network could not be built or loaded.
    #[error(transparent)]
    Model(Box<kiln_model::ModelError>),
    /// Training failed.
    #[error(transparent)]
    Train(Box<kiln_train::TrainError>),
    /// A model file is unreadable or could not be written.
    #[error(transparent)]
    Artifact(Box<kiln_artifact::ArtifactError>),
    /// Metrics could not be computed.
    #[error(transparent)]
    Eval(Box<kiln_eval::EvalError>),
    /// The monitoring profile could not be built.
    #[error(transparent)]
    Monitor(Box<kiln_monitor::MonitorError>),
    /// A Bayesian network could not be configured or fitted.
    #[error(transparent)]
    Bayes(Box<kiln_bayes::BayesError>),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A study's `[tune]` section, space or trial that cannot be run.
    #[error(transparent)]
    Tune(kiln_tune::TuneError),
    /// The runs store refused (a study's records).
    #[error("runs store: {0}")]
    Runs(Box<kiln_runs::RunsError>),
    /// A `--set` override that cannot be applied to the spec's text.
    #[error(transparent)]
    Override(#[from] kiln_spec::OverrideError),
    /// `--resume` found no usable checkpoint.
    #[error("{}: {problem}", path.display())]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        problem: CheckpointProblem,
    },
    /// A training checkpoint was given where a finished model is needed.
    #[error(
        "{origin}: this is a training checkpoint, not a model; finish training with `kiln train --resume`"
    )]
    IsCheckpoint {
        /// The file or model name.
        origin: String,
    },
    /// An explanation that cannot be computed (kiln-explain's error).
    #[error(transparent)]
    Explain(#[from] kiln_explain::ExplainError),
    /// An explanation asked of a model it does not apply to.
    #[error("{what} cannot explain `{name}`: {reason}")]
    CannotExplain {
        /// The method.
        what: &'static str,
        /// The model's name.
        name: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// Uncertainty was asked of a model that has none.
    #[error("this model is not Bayesian (train it with training.method = \"advi\")")]
    NotBayesian,
    /// Table predictions were asked of a language model.
    #[error(
        "`{name}` is a character-level language model: use `kiln generate` (or kiln::lm::LanguageModel); its held-out bits per character are in `kiln inspect`"
    )]
    IsLanguageModel {
        /// The model's name.
        name: String,
    },
    /// Text generation was asked of a table model.
    #[error(
        "{origin}: not a language model (it predicts `{output}` from a table); `generate` needs a model trained from a spec with [language_model]"
    )]
    NotLanguageModel {
        /// The file or model name.
        origin: String,
        /// The column the model predicts.
        output: String,
    },
    /// A language model's stored vocabulary cannot be read.
    #[error("{origin}: {problem}")]
    BadVocabulary {
        /// The file or model name.
        origin: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A model-file section that does not decode.
    #[error("{origin}: the {section} section is corrupt: {reason}")]
    CorruptSection {
        /// The file.
        origin: String,
        /// The section's name.
        section: &'static str,
        /// The decoder's complaint.
        reason: String,
    },
    /// Something could not be serialised for the model file.
    #[error("cannot serialise {what}: {reason}")]
    Serialize {
        /// What was being written.
        what: &'static str,
        /// The serialiser's complaint.
        reason: String,
    },
    /// A run option the spec's fit method does not offer.
    #[error("{option} is not supported for {method}")]
    Unsupported {
        /// The option, as the command line spells it (`--folds`).
        option: &'static str,
        /// The fit method, in words.
        method: &'static str,
    },
    /// A data selection (`--data test`, …) with no rows.
    #[error("the {split} split of this model's data is empty")]
    EmptySplit {
        /// The selection, as shown to the user.
        split: String,
    },
    /// Targets of another kind than the model's output (classes for a regression, …).
    #[error("targets do not match the model's output kind")]
    TargetsMismatch,
    /// An embedding whose explicit vocabulary is smaller than the data's token ids.
    #[error(
        "layers[{layer}].vocab = {vocab} is smaller than {ids_from}; leave vocab out to take it from the data"
    )]
    VocabularyTooSmall {
        /// The layer's index.
        layer: usize,
        /// Its `vocab`.
        vocab: usize,
        /// Where the ids come from and how many there are, in words.
        ids_from: String,
    },
    /// A corpus too short to cut into training windows and a held-out tail.
    #[error(
        "the corpus has {chars} characters: too few for windows of language_model.sequence_length = {sequence_length} with holdout {holdout} (the training part needs more than {sequence_length} characters and the held-out tail at least one)"
    )]
    CorpusTooShort {
        /// Characters in the corpus (after `max_chars`).
        chars: usize,
        /// The window length.
        sequence_length: usize,
        /// The held-out fraction.
        holdout: f64,
    },
    /// A prompt with characters the language model never saw.
    #[error(
        "the prompt has {} character{} absent from the model's vocabulary of {vocabulary}: {}",
        unknown.len(),
        if unknown.len() == 1 { "" } else { "s" },
        unknown.iter().map(|c| format!("{c:?} (U+{:04X})", u32::from(*c))).collect::<Vec<_>>().join(", ")
    )]
    UnknownCharacters {
        /// Each unknown character once, in order of appearance.
        unknown: Vec<char>,
        /// Characters the model knows.
        vocabulary: usize,
    },
    /// A sampling temperature that is not positive and finite.
    #[error(
        "temperature {0} must be a positive number (e.g. 0.5 for safer text, 1.0 for the model's own distribution)"
    )]
    Temperature(f64),
    /// A network ADVI cannot fit (normally caught when the spec is checked).
    #[error("{0}")]
    Advi(AdviProblem),
    /// `training.advi.prior_mean_from` names a model that cannot give this spec's priors.
    #[error("training.advi.prior_mean_from: {problem}")]
    InformedPrior {
        /// What does not fit.
        problem: PriorProblem,
    },
}

/// Why a checkpoint cannot be resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CheckpointProblem {
    /// The file is a finished model.
    #[error("not a checkpoint (it is a finished model file)")]
    FinishedModel,
    /// The checkpoint's spec text differs from the spec being resumed.
    #[error(
        "the checkpoint was written for a different spec; resume needs the same spec file (or delete the checkpoint to start afresh)"
    )]
    OtherSpec,
    /// The header has no training state.
    #[error("checkpoint has no training state")]
    NoState,
    /// The optimiser section does not decode.
    #[error("optimizer state is corrupt")]
    CorruptOptimizer,
}

/// Why a spec's network cannot be fitted by ADVI.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AdviProblem {
    /// The inputs are not a flat vector.
    #[error(
        "a Bayesian network takes flat inputs, but the input shape is {0:?}; ADVI fits dense layers only"
    )]
    InputShape(Vec<usize>),
    /// A layer other than `dense`.
    #[error("layers[{index}].type: `{found}` layers cannot be fitted by ADVI (dense only)")]
    LayerType {
        /// The layer's index.
        index: usize,
        /// Its type.
        found: String,
    },
    /// An activation the Bayesian engine lacks.
    #[error(
        "layers[{index}].activation: `{found}` is not supported in a Bayesian network (tanh, relu, sigmoid, linear)"
    )]
    Activation {
        /// The layer's index.
        index: usize,
        /// The activation.
        found: String,
    },
}

/// Why an informed prior's model file does not fit the spec.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PriorProblem {
    /// The file cannot be read.
    #[error("cannot read the model file {}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file's network has layers other than dense ones.
    #[error(
        "{} has layers other than dense ones; informed priors take their means from dense layers only",
        path.display()
    )]
    NotDense {
        /// The file.
        path: PathBuf,
    },
    /// Another number of layers.
    #[error(
        "{} has {found} dense layers (output layer included) but this spec has {expected}",
        path.display()
    )]
    LayerCount {
        /// The file.
        path: PathBuf,
        /// Layers in the file.
        found: usize,
        /// Layers in the spec.
        expected: usize,
    },
    /// A layer of another shape.
    #[error(
        "layer {layer} of {} is {inputs} inputs × {units} units but this spec's layer {layer} is {spec_inputs} × {spec_units}",
        path.display()
    )]
    Shape {
        /// The file.
        path: PathBuf,
        /// The layer's index.
        layer: usize,
        /// Inputs of the file's layer.
        inputs: usize,
        /// Units of the file's layer.
        units: usize,
        /// Inputs of the spec's layer.
        spec_inputs: usize,
        /// Units of the spec's layer.
        spec_units: usize,
    },
    /// The spec's layer has biases but the file's has none.
    #[error("layer {layer} of {} has no biases but this spec's layer {layer} has", path.display())]
    NoBiases {
        /// The file.
        path: PathBuf,
        /// The layer's index.
        layer: usize,
    },
}

macro_rules! boxed_from {
    ($($variant:ident: $ty:ty),* $(,)?) => {
        $(impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                // Boxed so that `Result<T, Error>` stays small on the happy path.
                Self::$variant(Box::new(e))
            }
        })*
    };
}

boxed_from! {
    Spec: kiln_spec::SpecError,
    Data: kiln_data::DataError,
    Model: kiln_model::ModelError,
    Train: kiln_train::TrainError,
    Artifact: kiln_artifact::ArtifactError,
    Eval: kiln_eval::EvalError,
    Monitor: kiln_monitor::MonitorError,
    Bayes: kiln_bayes::BayesError,
}

impl From<kiln_runs::RunsError> for Error {
    fn from(e: kiln_runs::RunsError) -> Self {
        Self::Runs(Box::new(e))
    }
}
