//! Character-level language models: a corpus in, a model that writes text one character at a
//! time out.
//!
//! A spec with a `[language_model]` table trains on windows of `sequence_length` characters,
//! each labelled with the character that follows it (softmax cross-entropy over the character
//! vocabulary). The last `holdout` fraction of the corpus is never trained on: every one of its
//! characters is predicted from the `sequence_length` characters before it, and the mean
//! cross-entropy in bits (nats / ln 2) is the model's **bits per character**.
//!
//! The vocabulary (every distinct Unicode scalar of the corpus, sorted) is stored in the model
//! file as the output's class list, behind the padding class `""` at index 0: id 0 is padding,
//! id `k` is `vocabulary[k - 1]`. Generation ([`LanguageModel::generate`]) left-pads a short
//! prompt with id 0, which the embedding masks, so a prompt shorter than a window is read as
//! if the text began there.

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use kiln_artifact::{FileKind, ModelFile, ModelHeader, sections};
use kiln_data::{Encoded, FittedOutput, Targets};
use kiln_model::{Network, weights};
use kiln_spec::LanguageModelSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use crate::run::LanguageModelReport;
use crate::run::default_device;
use crate::{Error, Result};

/// The characters a model knows. Id 0 is padding; id `k ≥ 1` is `chars[k - 1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharVocab {
    chars: Vec<char>,
}

impl CharVocab {
    /// Every distinct character of `text`, sorted.
    pub fn from_text(text: &str) -> Self {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        Self { chars }
    }

    /// Number of ids, padding included (`characters + 1`).
    pub fn ids(&self) -> usize {
        self.chars.len() + 1
    }

    /// The characters, in id order (id 1 first).
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of `c`, if known.
    pub fn id(&self, c: char) -> Option<usize> {
        self.chars.binary_search(&c).ok().map(|i| i + 1)
    }

    /// The character of `id` (`None` for padding or an unknown id).
    pub fn char(&self, id: usize) -> Option<char> {
        id.checked_sub(1).and_then(|i| self.chars.get(i)).copied()
    }

    /// The output class list stored in the model file: `""` (padding) then each character.
    pub(crate) fn classes(&self) -> Vec<String> {
        std::iter::once(String::new())
            .chain(self.chars.iter().map(char::to_string))
            .collect()
    }

    fn from_classes(classes: &[String]) -> Option<Self> {
        let (pad, rest) = classes.split_first()?;
        if !pad.is_empty() {
            return None;
        }
        let chars = rest
            .iter()
            .map(|s| {
                let mut it = s.chars();
                match (it.next(), it.next()) {
                    (Some(c), None) => Some(c),
                    _ => None,
                }
            })
            .collect::<Option<Vec<char>>>()?;
        Some(Self { chars })
    }

    /// Ids of `text`, or the list of its characters absent from the vocabulary.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownCharacters`] naming every unknown character (each once, in order of
    /// appearance).
    pub fn encode(&self, text: &str) -> Result<Vec<usize>> {
        let mut unknown: Vec<char> = Vec::new();
        let ids: Vec<usize> = text
            .chars()
            .map(|c| {
                self.id(c).unwrap_or_else(|| {
                    if !unknown.contains(&c) {
                        unknown.push(c);
                    }
                    0
                })
            })
            .collect();
        if unknown.is_empty() {
            Ok(ids)
        } else {
            Err(Error::UnknownCharacters {
                unknown,
                vocabulary: self.chars.len(),
            })
        }
    }
}

/// A corpus cut into training windows and held-out predictions.
#[derive(Debug, Clone)]
pub struct CorpusWindows {
    /// The characters' vocabulary.
    pub vocab: CharVocab,
    /// Every window's ids (`sequence_length` per row), training rows first.
    pub inputs: Encoded,
    /// The id following each window.
    pub targets: Targets,
    /// Training rows (windows starting every `step` characters inside the training part).
    pub train: Vec<usize>,
    /// Held-out rows: one per held-out character, its context the characters before it.
    pub heldout: Vec<usize>,
    /// Characters used (after `max_chars`).
    pub chars: usize,
    /// Unigram bits per character on the held-out tail (see [`LanguageModelReport`]).
    pub unigram_bits_per_char: f64,
}

/// Cuts `text` into windows as `lm` says.
///
/// The first `(1 − holdout)` of the characters train: windows `text[i..i+L]` → `text[i+L]` for
/// `i = 0, step, 2·step, …` with `i + L` inside the training part. Every character of the tail
/// is a held-out target, predicted from the `L` characters before it (the first few contexts
/// reach back into the training part; no held-out character is ever a training target).
///
/// # Errors
///
/// A corpus too short for one training window and one held-out character.
pub fn corpus_windows(text: &str, lm: &LanguageModelSpec) -> Result<CorpusWindows> {
    let chars: Vec<char> = match lm.max_chars {
        Some(m) => text.chars().take(m).collect(),
        None => text.chars().collect(),
    };
    let n = chars.len();
    let l = lm.sequence_length;
    let split = ((n as f64) * (1.0 - lm.holdout)).round() as usize;
    if split <= l || split >= n {
        return Err(Error::CorpusTooShort {
            chars: n,
            sequence_length: l,
            holdout: lm.holdout,
        });
    }
    let vocab = CharVocab::from_text(&chars.iter().collect::<String>());
    let ids: Vec<usize> = chars.iter().map(|&c| vocab.id(c).unwrap_or(0)).collect();
    let starts: Vec<usize> = (0..split - l).step_by(lm.step.max(1)).collect();
    let rows = starts.len() + (n - split);
    let mut data = Vec::with_capacity(rows * l);
    let mut targets = Vec::with_capacity(rows);
    for &i in &starts {
        data.extend(ids[i..i + l].iter().map(|&v| v as f32));
        targets.push(ids[i + l] as i64);
    }
    for p in split..n {
        data.extend(ids[p - l..p].iter().map(|&v| v as f32));
        targets.push(ids[p] as i64);
    }
    // Unigram baseline: training-part frequencies, add-one smoothed over the vocabulary.
    let mut counts = vec![1.0f64; vocab.ids()];
    for &id in &ids[..split] {
        counts[id] += 1.0;
    }
    let total: f64 = counts[1..].iter().sum();
    let unigram = ids[split..]
        .iter()
        .map(|&id| -(counts[id] / total).log2())
        .sum::<f64>()
        / (n - split) as f64;
    let train = (0..starts.len()).collect();
    let heldout = (starts.len()..rows).collect();
    Ok(CorpusWindows {
        vocab,
        inputs: Encoded {
            data,
            rows,
            row_shape: vec![l],
        },
        targets: Targets::Classes(targets),
        train,
        heldout,
        chars: n,
        unigram_bits_per_char: unigram,
    })
}

/// How to sample.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Characters to generate (the prompt not included).
    pub length: usize,
    /// Softmax temperature: below 1 sharpens the distribution, above 1 flattens it. Must be
    /// positive and finite.
    pub temperature: f64,
    /// Seed of the sampler: the same model, prompt, options and seed give the same text.
    pub seed: u64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            length: 200,
            temperature: 1.0,
            seed: 0,
        }
    }
}

/// A trained character-level language model, loaded from its model file.
#[derive(Debug)]
pub struct LanguageModel {
    header: ModelHeader,
    network: Network,
    vocab: CharVocab,
    sequence_length: usize,
    device: Device,
}

impl LanguageModel {
    /// Loads a language model file.
    ///
    /// # Errors
    ///
    /// An unreadable or corrupt file, or a model that is not a language model.
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_file(ModelFile::read(path)?, path)
    }

    /// As [`LanguageModel::load`], for a file already read.
    ///
    /// # Errors
    ///
    /// As [`LanguageModel::load`].
    pub fn from_file(file: ModelFile, path: &Path) -> Result<Self> {
        let origin = path.display().to_string();
        let header = file.header.clone();
        let vocab = Self::check(&header, &origin)?;
        let device = default_device();
        let network = weights::from_bytes(
            &header.network,
            file.require_section(sections::WEIGHTS, path)?,
            &device,
        )?;
        Ok(Self::assemble(header, network, vocab, device))
    }

    /// A language model sharing an already loaded model's weights (what `kiln serve` does
    /// with a language-model file it has loaded as a [`crate::TrainedModel`]).
    ///
    /// # Errors
    ///
    /// As [`LanguageModel::load`].
    pub fn from_trained(model: &crate::TrainedModel) -> Result<Self> {
        let origin = format!("model `{}`", model.header.name);
        let vocab = Self::check(&model.header, &origin)?;
        let network = model.network().ok_or_else(|| Error::BadVocabulary {
            origin: origin.clone(),
            problem: "a Bayesian model is not a language model",
        })?;
        Ok(Self::assemble(
            model.header.clone(),
            network.clone(),
            vocab,
            default_device(),
        ))
    }

    /// Checks that `header` describes a language model and returns its vocabulary; `origin`
    /// (a path or a model name) starts every message.
    fn check(header: &ModelHeader, origin: &str) -> Result<CharVocab> {
        if header.spec.language_model.is_none() {
            return Err(Error::NotLanguageModel {
                origin: origin.to_string(),
                output: header.spec.output.name.clone(),
            });
        }
        if header.kind != FileKind::Model {
            return Err(Error::IsCheckpoint {
                origin: origin.to_string(),
            });
        }
        let bad = |problem| Error::BadVocabulary {
            origin: origin.to_string(),
            problem,
        };
        let FittedOutput::Category { classes, .. } = &header.encoder.output else {
            return Err(bad("the language model has no character vocabulary"));
        };
        CharVocab::from_classes(classes)
            .ok_or_else(|| bad("the stored vocabulary is not a list of single characters"))
    }

    fn assemble(header: ModelHeader, network: Network, vocab: CharVocab, device: Device) -> Self {
        let sequence_length = header
            .spec
            .language_model
            .as_ref()
            .map_or(1, |lm| lm.sequence_length);
        Self {
            header,
            network,
            vocab,
            sequence_length,
            device,
        }
    }

    /// The model file's header (spec, history, metrics).
    pub fn header(&self) -> &ModelHeader {
        &self.header
    }

    /// The character vocabulary.
    pub fn vocabulary(&self) -> &CharVocab {
        &self.vocab
    }

    /// Characters of context the model reads.
    pub fn sequence_length(&self) -> usize {
        self.sequence_length
    }

    /// Probabilities of the next id after `context` (ids; only the last `sequence_length` are
    /// read, a shorter context is left-padded), `ids()` values with padding's at index 0.
    pub fn next_probabilities(&self, context: &[usize]) -> Vec<f32> {
        let l = self.sequence_length;
        let tail = &context[context.len().saturating_sub(l)..];
        let mut window = vec![0.0f32; l - tail.len()];
        window.extend(tail.iter().map(|&v| v as f32));
        let x = Tensor::<2>::from_data(TensorData::new(window, [1, l]), &self.device);
        let p = burn::tensor::activation::softmax(self.network.forward_flat(x), 1);
        p.into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default()
    }

    /// Starts generating after `prompt`: an iterator yielding one sampled character at a time
    /// (so a caller can stream them), `options.length` in all.
    ///
    /// # Errors
    ///
    /// A prompt with characters absent from the vocabulary (each named), or a temperature that
    /// is not positive and finite.
    pub fn generate(&self, prompt: &str, options: &GenerateOptions) -> Result<Generation<'_>> {
        if !(options.temperature.is_finite() && options.temperature > 0.0) {
            return Err(Error::Temperature(options.temperature));
        }
        let context = self.vocab.encode(prompt)?;
        Ok(Generation {
            model: self,
            context,
            rng: ChaCha8Rng::seed_from_u64(options.seed),
            temperature: options.temperature,
            remaining: options.length,
        })
    }
}

/// Characters sampled one at a time from a [`LanguageModel`]; see [`LanguageModel::generate`].
#[derive(Debug)]
pub struct Generation<'a> {
    model: &'a LanguageModel,
    context: Vec<usize>,
    rng: ChaCha8Rng,
    temperature: f64,
    remaining: usize,
}

impl Iterator for Generation<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let p = self.model.next_probabilities(&self.context);
        let id = sample(&p, self.temperature, &mut self.rng);
        // Keep the context bounded: the model reads only the last window.
        let l = self.model.sequence_length;
        if self.context.len() >= 4 * l {
            self.context.drain(..self.context.len() - l);
        }
        self.context.push(id);
        self.model.vocab.char(id)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// Draws an id from `p` sharpened by `temperature` (`p^(1/T)`, renormalised); id 0 (padding)
/// is never drawn.
fn sample(p: &[f32], temperature: f64, rng: &mut ChaCha8Rng) -> usize {
    let logs: Vec<f64> = p
        .iter()
        .map(|&q| f64::from(q).max(1e-30).ln() / temperature)
        .collect();
    let max = logs[1..].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logs[1..].iter().map(|l| (l - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        u -= w;
        if u <= 0.0 {
            return i + 1;
        }
    }
    weights.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_round_trips_through_the_class_list() {
        let v = CharVocab::from_text("hello, world\n");
        assert_eq!(
            v.chars(),
            &['\n', ' ', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w']
        );
        assert_eq!(v.id('\n'), Some(1));
        assert_eq!(v.char(1), Some('\n'));
        assert_eq!(v.char(0), None);
        assert_eq!(CharVocab::from_classes(&v.classes()), Some(v.clone()));
        assert_eq!(v.encode("hold").unwrap(), vec![6, 8, 7, 4]);
    }

    #[test]
    fn unknown_prompt_characters_are_named() {
        let v = CharVocab::from_text("abc");
        let e = v.encode("abzxz€").unwrap_err().to_string();
        assert!(e.contains("3 characters absent"), "{e}");
        assert!(
            e.contains("'z' (U+007A)") && e.contains("'€' (U+20AC)"),
            "{e}"
        );
    }

    #[test]
    fn windows_cover_every_held_out_character_once() {
        let text = "abcdefghijklmnopqrst"; // 20 characters
        let lm = LanguageModelSpec {
            sequence_length: 4,
            step: 3,
            holdout: 0.25,
            max_chars: None,
        };
        let w = corpus_windows(text, &lm).unwrap();
        // Training part: 15 characters; windows start at 0, 3, 6, 9 (i + 4 < 15).
        assert_eq!(w.train.len(), 4);
        assert_eq!(w.heldout.len(), 5);
        let id = |c: char| w.vocab.id(c).unwrap() as f32;
        assert_eq!(w.inputs.row(1), &[id('d'), id('e'), id('f'), id('g')]);
        let Targets::Classes(t) = &w.targets else {
            panic!()
        };
        assert_eq!(t[1], id('h') as i64);
        // The first held-out target is 'p' (index 15), read from "lmno".
        assert_eq!(w.inputs.row(4), &[id('l'), id('m'), id('n'), id('o')]);
        assert_eq!(t[4], id('p') as i64);
        assert_eq!(t[8], id('t') as i64);
        // Uniform text over 20 symbols with add-one smoothing: held-out chars were unseen.
        assert!(w.unigram_bits_per_char > 20f64.log2());
    }

    #[test]
    fn too_short_a_corpus_is_refused() {
        let lm = LanguageModelSpec {
            sequence_length: 40,
            ..LanguageModelSpec::default()
        };
        let e = corpus_windows("short text", &lm).unwrap_err().to_string();
        assert!(
            e.contains("10 characters") && e.contains("sequence_length = 40"),
            "{e}"
        );
    }

    #[test]
    fn sampling_follows_the_temperature() {
        let p = [0.0, 0.7, 0.2, 0.1];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut counts = [0usize; 4];
        for _ in 0..20_000 {
            counts[sample(&p, 1.0, &mut rng)] += 1;
        }
        assert_eq!(counts[0], 0);
        let share = counts[1] as f64 / 20_000.0;
        assert!((share - 0.7).abs() < 0.02, "{counts:?}");
        // T = 0.5 squares the probabilities: 0.49 / 0.54 of the mass on id 1.
        let mut counts = [0usize; 4];
        for _ in 0..20_000 {
            counts[sample(&p, 0.5, &mut rng)] += 1;
        }
        let share = counts[1] as f64 / 20_000.0;
        assert!((share - 0.49 / 0.54).abs() < 0.02, "{counts:?}");
    }
}
