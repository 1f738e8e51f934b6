//! Semantic checks that serde cannot express: ranges, allowed names, unique names, settings
//! that only make sense together.
//!
//! Checks report a [`Problem`] naming the offending key by its dotted path; `parse` turns that
//! into a located error, [`Spec::check`](crate::Spec::check) into one without a location and,
//! when there is none, settles the spec (`settings.rs`).

use crate::error::{SpecError, expectation};
use crate::options::{
    CategoryEncoding, CharUnit, Choice, DiscreteMissing, ImageMissing, ImageTransform,
    NumberMissing, NumberTransform, OutputTransform, Padding, PlainTransform, TextEncoding,
    TextMissing, Tokenizer, Utf8Policy,
};
use crate::types::{
    Activation, AdviOptimizerSpec, FeatureKind, FeatureSpec, LanguageModelSpec, LayerSpec,
    LrScheduleSpec, OptimizerSpec, OutputKind, SequenceLength, Spec, TrainingMethod, TrainingSpec,
};

/// The semantic-check failure before it is located.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) field: String,
    pub(crate) message: String,
    pub(crate) expected: String,
    pub(crate) allowed: Vec<String>,
}

impl Problem {
    /// The problem as an error without a location in the text; `file` may be empty.
    pub(crate) fn unlocated(self, file: &str) -> SpecError {
        SpecError::Check {
            file: file.to_string(),
            message: format!(
                "{}{}",
                self.message,
                expectation(&self.expected, &self.allowed)
            ),
            field: self.field,
        }
    }

    /// A name that a setting does not accept, at `field`.
    pub(crate) fn unknown_name(field: String, what: &str, value: &str, allowed: &[&str]) -> Self {
        Self {
            message: format!("unknown {what} `{value}` for {field}"),
            field,
            expected: String::new(),
            allowed: allowed.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Allowed values of the string-valued settings that are not yet [`Choice`] enums.
mod allowed {
    pub(super) const MONITORS: &[&str] = &[
        "val_loss",
        "val_accuracy",
        "val_mae",
        "loss",
        "accuracy",
        "mae",
    ];
    pub(super) const FORMATS: &[&str] = &["csv", "parquet", "jsonl", "idx"];
}

/// Collects the first failure; checks run in document order so the first error is the
/// topmost one.
struct Checker {
    problem: Option<Problem>,
}

impl Checker {
    fn fail(&mut self, field: String, message: String, expected: &str, allowed: &[&str]) {
        if self.problem.is_none() {
            self.problem = Some(Problem {
                field,
                message,
                expected: expected.to_string(),
                allowed: allowed.iter().map(|s| s.to_string()).collect(),
            });
        }
    }

    fn one_of(&mut self, field: String, value: &str, what: &str, allowed: &[&str]) {
        if !allowed.contains(&value) && self.problem.is_none() {
            self.problem = Some(Problem::unknown_name(field, what, value, allowed));
        }
    }

    /// `value` must name a value of `T`.
    fn choice<T: Choice>(&mut self, field: String, value: &str, what: &str) {
        self.one_of(field, value, what, &T::names());
    }

    fn positive(&mut self, field: String, value: usize) {
        if value == 0 {
            let message = format!("{field} must be greater than 0");
            self.fail(field, message, "an integer ≥ 1", &[]);
        }
    }

    /// `value` in `[lo, hi)` (`hi_open`) or `[lo, hi]`.
    fn in_range(&mut self, field: String, value: f64, lo: f64, hi: f64, hi_open: bool) {
        let ok = value.is_finite() && value >= lo && if hi_open { value < hi } else { value <= hi };
        if !ok {
            let close = if hi_open { ')' } else { ']' };
            let message = format!("{field} = {value} is out of range");
            self.fail(
                field,
                message,
                &format!("a number in [{lo}, {hi}{close}"),
                &[],
            );
        }
    }

    fn greater_than_zero(&mut self, field: String, value: f64) {
        if !(value.is_finite() && value > 0.0) {
            let message = format!("{field} = {value} must be a finite number greater than 0");
            self.fail(field, message, "a number > 0", &[]);
        }
    }

    fn non_negative(&mut self, field: String, value: f64) {
        if !(value.is_finite() && value >= 0.0) {
            let message = format!("{field} = {value} must not be negative");
            self.fail(field, message, "a number ≥ 0", &[]);
        }
    }
}

/// Runs every check on `spec`; the first problem in document order.
pub(crate) fn check_spec(spec: &Spec) -> Result<(), Problem> {
    let mut c = Checker { problem: None };
    check_data(&mut c, spec);
    match &spec.language_model {
        Some(lm) => check_language_model(&mut c, spec, lm),
        None => check_features(&mut c, spec),
    }
    for (i, layer) in spec.layers.iter().enumerate() {
        check_layer(&mut c, &format!("layers[{i}]"), layer);
    }
    check_training(&mut c, &spec.training);
    check_bayesian(&mut c, spec);
    c.problem.map_or(Ok(()), Err)
}

/// Checks a layer stack on its own, as [`check_spec`] checks a spec's `[[layers]]`.
pub(crate) fn check_layers(layers: &[LayerSpec]) -> Result<(), Problem> {
    let mut c = Checker { problem: None };
    for (i, layer) in layers.iter().enumerate() {
        check_layer(&mut c, &format!("layers[{i}]"), layer);
    }
    c.problem.map_or(Ok(()), Err)
}

/// ADVI specs: only dense layers with activations the engine differentiates, positive prior
/// scales, sensible sampler settings; and Bayesian settings only where ADVI is chosen.
fn check_bayesian(c: &mut Checker, spec: &Spec) {
    let advi = spec.training.method == TrainingMethod::Advi;
    for (i, layer) in spec.layers.iter().enumerate() {
        let at = format!("layers[{i}]");
        match layer {
            LayerSpec::Dense {
                bayesian,
                activation,
                ..
            } => {
                if let Some(b) = bayesian {
                    if !advi {
                        c.fail(
                            format!("{at}.bayesian"),
                            format!(
                                "{at}.bayesian is set but training.method is not \"advi\"; Bayesian layers are fitted by variational inference"
                            ),
                            "training.method = \"advi\" (or no `bayesian` key)",
                            &[],
                        );
                    }
                    c.greater_than_zero(format!("{at}.bayesian.prior_sigma"), b.prior_sigma);
                    if !b.prior_mean.is_finite() {
                        c.fail(
                            format!("{at}.bayesian.prior_mean"),
                            format!("{at}.bayesian.prior_mean = {} is not finite", b.prior_mean),
                            "a finite number",
                            &[],
                        );
                    }
                }
                if advi
                    && let Some(a) = activation
                    && !matches!(
                        a,
                        Activation::Tanh | Activation::Relu | Activation::Sigmoid | Activation::Linear
                    )
                {
                    c.fail(
                        format!("{at}.activation"),
                        format!("{at}.activation `{a}` is not supported in a Bayesian (ADVI) network"),
                        "",
                        &["tanh", "relu", "sigmoid", "linear"],
                    );
                }
            }
            other if advi => c.fail(
                format!("{at}.type"),
                format!(
                    "{at}.type `{}` cannot be mixed with Bayesian layers: ADVI fits dense layers only",
                    other.type_name()
                ),
                "dense",
                &["dense"],
            ),
            _ => {}
        }
    }
    let Some(a) = &spec.training.advi else {
        return;
    };
    if !advi {
        c.fail(
            "training.advi".into(),
            "training.advi is only used with training.method = \"advi\"".into(),
            "training.method = \"advi\" (or no [training.advi] table)",
            &[],
        );
    }
    let at = |k: &str| format!("training.advi.{k}");
    c.positive(at("iterations"), a.iterations);
    c.positive(at("samples"), a.samples);
    if let Some(b) = a.batch_size {
        c.positive(at("batch_size"), b);
    }
    c.greater_than_zero(at("init_sigma"), a.init_sigma);
    c.positive(at("predict_samples"), a.predict_samples);
    if !(a.interval > 0.0 && a.interval < 1.0) {
        c.fail(
            at("interval"),
            format!("training.advi.interval = {} is out of range", a.interval),
            "a probability mass in (0, 1), e.g. 0.94",
            &[],
        );
    }
    if let Some(noise) = a.noise {
        c.greater_than_zero(at("noise"), noise);
        if spec.output.kind != OutputKind::Number {
            c.fail(
                at("noise"),
                "training.advi.noise only applies to number outputs (regression)".into(),
                "no noise key",
                &[],
            );
        }
    }
    match &a.optimizer {
        AdviOptimizerSpec::AdagradWindow {
            learning_rate,
            window,
            epsilon,
        } => {
            c.greater_than_zero(at("optimizer.learning_rate"), *learning_rate);
            c.positive(at("optimizer.window"), *window);
            c.greater_than_zero(at("optimizer.epsilon"), *epsilon);
        }
        AdviOptimizerSpec::Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
        } => {
            c.greater_than_zero(at("optimizer.learning_rate"), *learning_rate);
            c.in_range(at("optimizer.beta1"), *beta1, 0.0, 1.0, true);
            c.in_range(at("optimizer.beta2"), *beta2, 0.0, 1.0, true);
            c.greater_than_zero(at("optimizer.epsilon"), *epsilon);
        }
    }
    if let Some(conv) = &a.convergence {
        c.positive(at("convergence.window"), conv.window);
        c.greater_than_zero(at("convergence.tolerance"), conv.tolerance);
    }
}

fn check_data(c: &mut Checker, spec: &Spec) {
    let data = &spec.data;
    if data.source.trim().is_empty() {
        c.fail(
            "data.source".into(),
            "data.source is empty".into(),
            "a built-in dataset name or a file path",
            &[],
        );
    }
    if let Some(format) = &data.format {
        c.one_of("data.format".into(), format, "format", allowed::FORMATS);
    }
    if let Some(generate) = &data.generate {
        c.positive("data.generate.samples".into(), generate.samples);
        c.non_negative("data.generate.noise".into(), generate.noise);
        if let Some(centers) = generate.centers {
            c.positive("data.generate.centers".into(), centers);
        }
    }
    let split = &data.split;
    c.in_range(
        "data.split.validation".into(),
        split.validation,
        0.0,
        1.0,
        true,
    );
    c.in_range("data.split.test".into(), split.test, 0.0, 1.0, true);
    // With a separate test source, `split.test` is ignored and cannot conflict.
    if data.test.is_none() && split.validation + split.test >= 1.0 {
        c.fail(
            "data.split.test".into(),
            format!(
                "data.split.validation + data.split.test = {} leaves no training rows",
                split.validation + split.test
            ),
            "fractions that sum to less than 1",
            &[],
        );
    }
}

fn check_language_model(c: &mut Checker, spec: &Spec, lm: &LanguageModelSpec) {
    let at = |k: &str| format!("language_model.{k}");
    if !spec.inputs.is_empty() {
        c.fail(
            "input".into(),
            "a language model reads its corpus as its input; remove the [[input]] tables".into(),
            "no [[input]] with [language_model]",
            &[],
        );
    }
    if spec.output.kind != OutputKind::Category {
        c.fail(
            "output.type".into(),
            format!(
                "a language model predicts the next character, a category, not {}",
                spec.output.kind.as_str()
            ),
            "category",
            &["category"],
        );
    }
    c.positive(at("sequence_length"), lm.sequence_length);
    c.positive(at("step"), lm.step);
    c.in_range(at("holdout"), lm.holdout, 0.0, 1.0, true);
    if lm.holdout <= 0.0 {
        c.fail(
            at("holdout"),
            "language_model.holdout must be above 0: bits per character are measured on the held-out tail".into(),
            "a fraction in (0, 1)",
            &[],
        );
    }
    if let Some(m) = lm.max_chars {
        c.positive(at("max_chars"), m);
    }
}

fn check_features(c: &mut Checker, spec: &Spec) {
    if spec.inputs.is_empty() {
        c.fail(
            "input".into(),
            "the spec has no inputs".into(),
            "at least one [[input]]",
            &[],
        );
    }
    for (i, input) in spec.inputs.iter().enumerate() {
        let at = |key: &str| format!("input[{i}].{key}");
        if input.name.is_empty() {
            c.fail(
                at("name"),
                format!("{} is empty", at("name")),
                "a column name",
                &[],
            );
        }
        if let Some(first) = spec.inputs[..i].iter().position(|p| p.name == input.name) {
            c.fail(
                at("name"),
                format!(
                    "input `{}` is declared twice (input[{first}] and input[{i}])",
                    input.name
                ),
                "unique input names",
                &[],
            );
        }
        check_text(c, spec, i, input);
        let kind = input.kind.as_str();
        if let Some(t) = &input.transform {
            let field = at("transform");
            let what = format!("transform for a {kind} input");
            match input.kind {
                FeatureKind::Number => c.choice::<NumberTransform>(field, t, &what),
                FeatureKind::Image => c.choice::<ImageTransform>(field, t, &what),
                FeatureKind::Category | FeatureKind::Binary | FeatureKind::Text => {
                    c.choice::<PlainTransform>(field, t, &what);
                }
            }
        }
        if let Some(e) = &input.encoding {
            if input.kind == FeatureKind::Category {
                c.choice::<CategoryEncoding>(at("encoding"), e, "encoding");
            } else if input.kind == FeatureKind::Text {
                c.choice::<TextEncoding>(at("encoding"), e, "text encoding");
            } else {
                c.fail(
                    at("encoding"),
                    format!(
                        "{} is only used by category and text inputs, not {kind}",
                        at("encoding")
                    ),
                    "no encoding key",
                    &[],
                );
            }
        }
        if let Some(m) = &input.missing {
            let field = at("missing");
            let what = format!("missing-value policy for a {kind} input");
            match input.kind {
                FeatureKind::Number => c.choice::<NumberMissing>(field, m, &what),
                FeatureKind::Image => c.choice::<ImageMissing>(field, m, &what),
                FeatureKind::Category | FeatureKind::Binary => {
                    c.choice::<DiscreteMissing>(field, m, &what);
                }
                FeatureKind::Text => c.choice::<TextMissing>(field, m, &what),
            }
        }
        let constant = is_constant(input);
        if constant && input.fill.is_none() {
            c.fail(
                at("missing"),
                format!(
                    "{} = \"{}\" needs a fill value",
                    at("missing"),
                    NumberMissing::Constant
                ),
                &format!("a `fill` key in input[{i}]"),
                &[],
            );
        }
        if !constant && input.fill.is_some() {
            c.fail(
                at("fill"),
                format!(
                    "{} is only used with missing = \"{}\"",
                    at("fill"),
                    NumberMissing::Constant
                ),
                &format!("missing = \"{}\" or no fill key", NumberMissing::Constant),
                &[],
            );
        }
    }
    let output = &spec.output;
    if output.name.is_empty() {
        c.fail(
            "output.name".into(),
            "output.name is empty".into(),
            "a column name",
            &[],
        );
    }
    if spec.inputs.iter().any(|i| i.name == output.name) {
        c.fail(
            "output.name".into(),
            format!("output `{}` is also an input", output.name),
            "an output column that is not an input",
            &[],
        );
    }
    if let Some(t) = &output.transform {
        if output.kind == OutputKind::Number {
            c.choice::<OutputTransform>("output.transform".into(), t, "output transform");
        } else if PlainTransform::from_name(t).is_none() {
            c.fail(
                "output.transform".into(),
                format!(
                    "output.transform `{t}` only applies to number outputs, not {}",
                    output.kind.as_str()
                ),
                "",
                &PlainTransform::names(),
            );
        }
    }
}

/// The text settings of input `i`: only on text inputs, each with the tokenizer or encoding it
/// belongs to; a `sequence` input must be the only input and feed an `embedding` layer.
fn check_text(c: &mut Checker, spec: &Spec, i: usize, input: &FeatureSpec) {
    let at = |key: &str| format!("input[{i}].{key}");
    let set: Vec<&str> = [
        ("tokenizer", input.tokenizer.is_some()),
        ("lowercase", input.lowercase.is_some()),
        ("strip_html", input.strip_html.is_some()),
        ("strip_punctuation", input.strip_punctuation.is_some()),
        ("max_tokens", input.max_tokens.is_some()),
        ("min_frequency", input.min_frequency.is_some()),
        ("oov_token", input.oov_token.is_some()),
        ("unit", input.unit.is_some()),
        ("length", input.length.is_some()),
        ("utf8", input.utf8.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, is_set)| is_set.then_some(key))
    .collect();
    if input.kind != FeatureKind::Text {
        if let Some(key) = set.first() {
            c.fail(
                at(key),
                format!(
                    "{} is only used by text inputs, not {}",
                    at(key),
                    input.kind.as_str()
                ),
                &format!("no {key} key, or type = \"text\""),
                &[],
            );
        }
        return;
    }
    // `None` for a name the tokenizer and unit checks below report.
    let tokenizer = named::<Tokenizer>(input.tokenizer.as_deref());
    let (word, char) = (Some(Tokenizer::Word), Some(Tokenizer::Char));
    if let Some(t) = &input.tokenizer {
        c.choice::<Tokenizer>(at("tokenizer"), t, "tokenizer");
    }
    if tokenizer == word && input.unit.is_some() {
        c.fail(
            at("unit"),
            format!(
                "{} is only used by the {} tokenizer",
                at("unit"),
                Tokenizer::Char
            ),
            &format!("tokenizer = \"{}\" or no unit key", Tokenizer::Char),
            &[],
        );
    }
    if tokenizer == char && input.strip_punctuation.is_some() {
        c.fail(
            at("strip_punctuation"),
            format!(
                "{} is only used by the {} tokenizer (the {} tokenizer keeps every character)",
                at("strip_punctuation"),
                Tokenizer::Word,
                Tokenizer::Char
            ),
            &format!(
                "tokenizer = \"{}\" or no strip_punctuation key",
                Tokenizer::Word
            ),
            &[],
        );
    }
    if let Some(u) = &input.unit {
        c.choice::<CharUnit>(at("unit"), u, "unit");
    }
    if let Some(u) = &input.utf8 {
        c.choice::<Utf8Policy>(at("utf8"), u, "utf8 policy");
        if tokenizer == char && named::<CharUnit>(input.unit.as_deref()) == Some(CharUnit::Byte) {
            c.fail(
                at("utf8"),
                format!(
                    "{} has no effect with unit = \"{}\", which reads bytes whatever they are",
                    at("utf8"),
                    CharUnit::Byte
                ),
                "no utf8 key",
                &[],
            );
        }
    }
    if let Some(n) = input.max_tokens {
        c.positive(at("max_tokens"), n);
    }
    if let Some(n) = input.min_frequency {
        c.positive(at("min_frequency"), n);
    }
    if input.oov_token.as_deref() == Some("") {
        c.fail(
            at("oov_token"),
            format!("{} is empty", at("oov_token")),
            "a non-empty token such as \"[UNK]\"",
            &[],
        );
    }
    let sequence = named::<TextEncoding>(input.encoding.as_deref()) == Some(TextEncoding::Sequence);
    if !sequence && input.length.is_some() {
        c.fail(
            at("length"),
            format!(
                "{} is only used with encoding = \"{}\"",
                at("length"),
                TextEncoding::Sequence
            ),
            &format!("encoding = \"{}\" or no length key", TextEncoding::Sequence),
            &[],
        );
    }
    if let Some(SequenceLength::Fixed(0)) = input.length {
        c.positive(at("length"), 0);
    }
    if sequence {
        if spec.inputs.len() > 1 {
            c.fail(
                at("encoding"),
                format!(
                    "input `{}` is a token sequence, which must be the only input of a model (found {} inputs)",
                    input.name,
                    spec.inputs.len()
                ),
                &format!("one [[input]], or encoding = \"{}\"", TextEncoding::MultiHot),
                &[],
            );
        }
        // Token ids are indices, not magnitudes: only an embedding layer can read them.
        match spec.layers.first() {
            Some(layer) if layer.type_name() == "embedding" => {}
            first => c.fail(
                first.map_or_else(|| "layers".to_string(), |_| "layers[0].type".to_string()),
                format!(
                    "input `{}` has encoding = \"{}\" (token ids), so the first layer must be an `embedding`, found {}; use encoding = \"{}\" for dense layers",
                    input.name,
                    TextEncoding::Sequence,
                    first.map_or_else(|| "no layers".to_string(), |l| format!("`{}`", l.type_name())),
                    TextEncoding::MultiHot
                ),
                "type = \"embedding\"",
                &[],
            ),
        }
    }
}

fn check_layer(c: &mut Checker, at: &str, layer: &LayerSpec) {
    let key = |k: &str| format!("{at}.{k}");
    match layer {
        LayerSpec::Dense { units, .. } => c.positive(key("units"), *units),
        LayerSpec::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            ..
        }
        | LayerSpec::Conv1d {
            filters,
            kernel,
            stride,
            padding,
            ..
        } => {
            c.positive(key("filters"), *filters);
            c.positive(key("kernel"), *kernel);
            c.positive(key("stride"), *stride);
            if let Some(p) = padding {
                c.choice::<Padding>(key("padding"), p, "padding");
            }
        }
        LayerSpec::MaxPool2d { size, stride }
        | LayerSpec::AvgPool2d { size, stride }
        | LayerSpec::MaxPool1d { size, stride } => {
            c.positive(key("size"), *size);
            if let Some(s) = stride {
                c.positive(key("stride"), *s);
            }
        }
        LayerSpec::Dropout { rate } => c.in_range(key("rate"), *rate, 0.0, 1.0, true),
        LayerSpec::BatchNorm { momentum, epsilon } => {
            if let Some(m) = momentum {
                c.in_range(key("momentum"), *m, 0.0, 1.0, true);
            }
            if let Some(e) = epsilon {
                c.greater_than_zero(key("epsilon"), *e);
            }
        }
        LayerSpec::LayerNorm { epsilon } => {
            if let Some(e) = epsilon {
                c.greater_than_zero(key("epsilon"), *e);
            }
        }
        LayerSpec::Flatten {}
        | LayerSpec::Activation { .. }
        | LayerSpec::GlobalMaxPool1d {}
        | LayerSpec::GlobalAvgPool1d {} => {}
        LayerSpec::Embedding { vocab, dim, .. } => {
            c.positive(key("dim"), *dim);
            if let Some(v) = vocab {
                c.positive(key("vocab"), *v);
            }
        }
        LayerSpec::Lstm(r) | LayerSpec::Gru(r) => {
            c.positive(key("units"), r.units);
            c.positive(key("layers"), r.layers);
            c.in_range(key("dropout"), r.dropout, 0.0, 1.0, true);
        }
    }
}

fn check_training(c: &mut Checker, training: &TrainingSpec) {
    let opt = "training.optimizer";
    c.greater_than_zero(
        format!("{opt}.learning_rate"),
        training.optimizer.learning_rate(),
    );
    match &training.optimizer {
        OptimizerSpec::Sgd { momentum, .. } => {
            c.in_range(format!("{opt}.momentum"), *momentum, 0.0, 1.0, true);
        }
        OptimizerSpec::Adam {
            beta1,
            beta2,
            epsilon,
            ..
        } => {
            c.in_range(format!("{opt}.beta1"), *beta1, 0.0, 1.0, true);
            c.in_range(format!("{opt}.beta2"), *beta2, 0.0, 1.0, true);
            c.greater_than_zero(format!("{opt}.epsilon"), *epsilon);
        }
        OptimizerSpec::Rmsprop { rho, epsilon, .. } => {
            c.in_range(format!("{opt}.rho"), *rho, 0.0, 1.0, true);
            c.greater_than_zero(format!("{opt}.epsilon"), *epsilon);
        }
    }
    c.positive("training.batch_size".into(), training.batch_size);
    c.positive("training.epochs".into(), training.epochs);
    if let Some(es) = &training.early_stopping {
        let at = "training.early_stopping";
        c.one_of(
            format!("{at}.monitor"),
            &es.monitor,
            "metric",
            allowed::MONITORS,
        );
        c.non_negative(format!("{at}.min_delta"), es.min_delta);
    }
    if let Some(schedule) = &training.lr_schedule {
        let at = "training.lr_schedule";
        match schedule {
            LrScheduleSpec::Step { step_size, gamma } => {
                c.positive(format!("{at}.step_size"), *step_size);
                c.greater_than_zero(format!("{at}.gamma"), *gamma);
            }
            LrScheduleSpec::Exponential { gamma } => {
                c.greater_than_zero(format!("{at}.gamma"), *gamma);
            }
            LrScheduleSpec::Cosine { min_lr } => c.non_negative(format!("{at}.min_lr"), *min_lr),
            LrScheduleSpec::ReduceOnPlateau { factor, min_lr, .. } => {
                c.in_range(format!("{at}.factor"), *factor, 0.0, 1.0, true);
                c.greater_than_zero(format!("{at}.factor"), *factor);
                c.non_negative(format!("{at}.min_lr"), *min_lr);
            }
        }
    }
}

/// The value `name` stands for, the default when the key is left out, `None` for a name `T`
/// does not accept (which the checks report where the key is checked).
fn named<T: Choice>(name: Option<&str>) -> Option<T> {
    name.map_or(Some(T::default()), T::from_name)
}

/// Whether `input`'s missing-value policy is `constant` for its kind.
fn is_constant(input: &FeatureSpec) -> bool {
    let missing = input.missing.as_deref();
    match input.kind {
        FeatureKind::Number => named::<NumberMissing>(missing) == Some(NumberMissing::Constant),
        FeatureKind::Category | FeatureKind::Binary => {
            named::<DiscreteMissing>(missing) == Some(DiscreteMissing::Constant)
        }
        FeatureKind::Text => named::<TextMissing>(missing) == Some(TextMissing::Constant),
        FeatureKind::Image => false,
    }
}
