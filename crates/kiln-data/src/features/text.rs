//! Text features: tokenizers, a vocabulary fitted on the training rows, and the two encodings
//! (multi-hot bag of words, or a padded sequence of token ids).
//!
//! Everything training decides — the tokenizer settings, the vocabulary, the sequence length —
//! lives in [`FittedText`], which is part of the [`Encoder`](crate::Encoder) and so of the
//! model file: `predict` and `serve` tokenise exactly as training did.
//!
//! # Tokenizers
//!
//! - **word**: optional HTML-tag removal (`<br />` and any `<tag …>` becomes a space), optional
//!   lowercasing, then a token is a maximal run of alphanumeric characters
//!   ([`char::is_alphanumeric`]). With `strip_punctuation` (the default) apostrophes inside a
//!   word are dropped (`don't` → `dont`) and every other non-alphanumeric character separates
//!   words; without it every punctuation mark is a token of its own.
//! - **char**, `unit = "unicode"`: one token per Unicode scalar value (after the optional
//!   HTML removal and lowercasing).
//! - **char**, `unit = "byte"`: one token per byte, whatever the bytes are (lowercasing is
//!   ASCII-only). Byte tokens are stored as the character with the same number (Latin-1), so
//!   `0x41` is `A` and `0xE9` is `é`.
//!
//! # Invalid UTF-8
//!
//! A [`ColumnData::Bytes`] column (raw emails) may hold bytes that are not UTF-8. The byte unit
//! reads them as they are. The tokenizers that read characters (word, unicode) follow the
//! feature's `utf8` policy: `replace` (default) decodes with U+FFFD replacement characters —
//! which are not alphanumeric, so they only separate words — and reports the rows in a
//! warning; `reject` refuses the row with its number and the offset of the first bad byte.
//!
//! # Token ids
//!
//! `0` is padding, `1` the out-of-vocabulary token, `2 + i` the vocabulary's `i`-th token (most
//! frequent first). A multi-hot row has `vocabulary + 1` slots: slot 0 is set when the row has
//! an out-of-vocabulary token, slot `1 + i` when it has token `i`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use kiln_spec::options::{self, CharUnit, TextMissing};
use kiln_spec::settings::TextInput;
use kiln_spec::types::SequenceLength;
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::features::cells::feature_err;
use crate::table::{Column, ColumnData};
use crate::warning::Warning;

/// Percentile of the training rows' token counts that `length = "auto"` picks.
pub const AUTO_LENGTH_PERCENTILE: f64 = 95.0;

/// Id of the padding token in a sequence.
pub const PAD_ID: u32 = 0;

/// Id of the out-of-vocabulary token.
pub const OOV_ID: u32 = 1;

/// The longest HTML tag the stripper removes; a `<` with no `>` within this many bytes is kept
/// as text (so a stray `a < b` cannot swallow a review).
const MAX_TAG_BYTES: usize = 1024;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenUnit {
    /// Words: runs of alphanumeric characters.
    Word {
        /// Drop punctuation (else each mark is a token).
        strip_punctuation: bool,
    },
    /// One token per Unicode scalar value.
    Unicode,
    /// One token per byte.
    Byte,
}

/// How raw bytes that are not UTF-8 are read by the tokenizers that read characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Utf8Policy {
    /// Decode with U+FFFD replacement characters and warn.
    Replace,
    /// Refuse the row.
    Reject,
}

/// The fitted tokenizer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokenizer {
    /// What a token is.
    pub unit: TokenUnit,
    /// Lowercase first.
    pub lowercase: bool,
    /// Replace HTML tags by a space first.
    pub strip_html: bool,
    /// Invalid UTF-8 in raw bytes.
    pub utf8: Utf8Policy,
}

/// How a tokenised row becomes numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TextEncoding {
    /// One slot per vocabulary token plus the out-of-vocabulary slot; 1.0 when present.
    MultiHot,
    /// `length` token ids, padded with 0 at the end or truncated (the first tokens are kept).
    Sequence {
        /// Tokens per row.
        length: usize,
        /// Whether `length` was chosen from the data (`length = "auto"`).
        auto: bool,
    },
}

/// The vocabulary: tokens by descending training frequency (ties in byte order).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Vocabulary {
    /// Token `i` has id `2 + i`.
    pub tokens: Vec<String>,
    /// How the out-of-vocabulary token is shown.
    pub oov_token: String,
    /// Token → id, built on first use (not stored).
    #[serde(skip)]
    index: OnceLock<HashMap<String, u32>>,
}

impl Clone for Vocabulary {
    fn clone(&self) -> Self {
        Self::new(self.tokens.clone(), self.oov_token.clone())
    }
}

impl PartialEq for Vocabulary {
    fn eq(&self, other: &Self) -> bool {
        self.tokens == other.tokens && self.oov_token == other.oov_token
    }
}

impl Vocabulary {
    /// A vocabulary of `tokens` (token `i` gets id `2 + i`).
    pub fn new(tokens: Vec<String>, oov_token: String) -> Self {
        Self {
            tokens,
            oov_token,
            index: OnceLock::new(),
        }
    }

    /// Number of tokens, padding and out-of-vocabulary not counted.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Number of distinct ids a sequence can hold: tokens + padding + out-of-vocabulary (what an
    /// embedding layer's input size must be).
    pub fn id_count(&self) -> usize {
        self.tokens.len() + 2
    }

    /// The id of `token`: `2 + i` for a known token, [`OOV_ID`] otherwise.
    pub fn id(&self, token: &str) -> u32 {
        let index = self.index.get_or_init(|| {
            self.tokens
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), i as u32 + 2))
                .collect()
        });
        index.get(token).copied().unwrap_or(OOV_ID)
    }

    /// The token an id stands for: `""` for padding, the OOV token, or a vocabulary token.
    pub fn token(&self, id: u32) -> Option<&str> {
        match id {
            PAD_ID => Some(""),
            OOV_ID => Some(&self.oov_token),
            i => self.tokens.get(i as usize - 2).map(String::as_str),
        }
    }
}

/// Figures about the training rows, kept to report what fitting decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextStats {
    /// Training rows.
    pub rows: usize,
    /// Distinct tokens in the training rows, before `max_tokens` and `min_frequency`.
    pub distinct_tokens: usize,
    /// Fraction of training token occurrences that the vocabulary covers.
    pub coverage: f64,
    /// Mean tokens per training row.
    pub mean_tokens: f64,
    /// The 95th percentile of tokens per training row.
    pub p95_tokens: usize,
    /// The longest training row, in tokens.
    pub max_row_tokens: usize,
}

/// A fitted text feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedText {
    /// How rows are tokenised.
    pub tokenizer: Tokenizer,
    /// The training vocabulary.
    pub vocabulary: Vocabulary,
    /// How tokens become numbers.
    pub encoding: TextEncoding,
    /// Replaces a missing value; `None` makes a missing value an error.
    pub fill: Option<String>,
    /// What the training rows looked like.
    pub stats: TextStats,
}

/// The text of one cell, borrowed from the column.
#[derive(Debug, Clone, Copy)]
pub enum TextCell<'a> {
    /// A string (always valid UTF-8).
    Str(&'a str),
    /// Raw bytes.
    Bytes(&'a [u8]),
}

/// What tokenising one row found besides its tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowInfo {
    /// Tokens in the row.
    pub tokens: usize,
    /// Offset of the first invalid UTF-8 byte, when the row was decoded with replacements.
    pub invalid_utf8_at: Option<usize>,
}

impl Tokenizer {
    /// The tokenizer a text input's settings ask for.
    pub fn new(spec: &TextInput) -> Self {
        let unit = match (spec.tokenizer, spec.unit) {
            (options::Tokenizer::Word, _) => TokenUnit::Word {
                strip_punctuation: spec.strip_punctuation,
            },
            (options::Tokenizer::Char, CharUnit::Unicode) => TokenUnit::Unicode,
            (options::Tokenizer::Char, CharUnit::Byte) => TokenUnit::Byte,
        };
        let utf8 = match spec.utf8 {
            options::Utf8Policy::Replace => Utf8Policy::Replace,
            options::Utf8Policy::Reject => Utf8Policy::Reject,
        };
        Self {
            unit,
            lowercase: spec.lowercase,
            strip_html: spec.strip_html,
            utf8,
        }
    }

    /// Calls `emit` with every token of `cell`, in order, and returns the token count.
    ///
    /// # Errors
    /// [`DataError::Feature`] for bytes that are not UTF-8 under [`Utf8Policy::Reject`] (`row`
    /// and `column` name the cell).
    pub fn tokenize(
        &self,
        cell: TextCell<'_>,
        column: &str,
        row: usize,
        mut emit: impl FnMut(&str),
    ) -> Result<RowInfo> {
        let mut info = RowInfo::default();
        if self.unit == TokenUnit::Byte {
            let bytes = match cell {
                TextCell::Str(s) => s.as_bytes(),
                TextCell::Bytes(b) => b,
            };
            let bytes = if self.strip_html {
                strip_tags_bytes(bytes)
            } else {
                Cow::Borrowed(bytes)
            };
            let mut buf = [0u8; 4];
            for &b in bytes.iter() {
                let b = if self.lowercase {
                    b.to_ascii_lowercase()
                } else {
                    b
                };
                emit(char::from(b).encode_utf8(&mut buf));
                info.tokens += 1;
            }
            return Ok(info);
        }
        let text: Cow<'_, str> = match cell {
            TextCell::Str(s) => Cow::Borrowed(s),
            TextCell::Bytes(b) => match std::str::from_utf8(b) {
                Ok(s) => Cow::Borrowed(s),
                Err(e) => match self.utf8 {
                    Utf8Policy::Replace => {
                        info.invalid_utf8_at = Some(e.valid_up_to());
                        String::from_utf8_lossy(b)
                    }
                    Utf8Policy::Reject => {
                        return Err(feature_err(
                            column,
                            format!(
                                "row {row}: invalid UTF-8 at byte {}; set utf8 = \"{}\" to read it with replacement characters, or {}",
                                e.valid_up_to(),
                                options::Utf8Policy::Replace,
                                read_raw_bytes()
                            ),
                        ));
                    }
                },
            },
        };
        let stripped;
        let text: &str = if self.strip_html {
            stripped = strip_tags(&text);
            &stripped
        } else {
            &text
        };
        match self.unit {
            TokenUnit::Word { strip_punctuation } => {
                let mut word = String::new();
                let mut buf = [0u8; 4];
                for ch in text.chars() {
                    if ch.is_alphanumeric() {
                        if self.lowercase {
                            word.extend(ch.to_lowercase());
                        } else {
                            word.push(ch);
                        }
                        continue;
                    }
                    if strip_punctuation && matches!(ch, '\'' | '\u{2019}') {
                        continue; // don't → dont
                    }
                    if !word.is_empty() {
                        emit(&word);
                        info.tokens += 1;
                        word.clear();
                    }
                    if !strip_punctuation && !ch.is_whitespace() {
                        emit(ch.encode_utf8(&mut buf));
                        info.tokens += 1;
                    }
                }
                if !word.is_empty() {
                    emit(&word);
                    info.tokens += 1;
                }
            }
            TokenUnit::Unicode => {
                let mut buf = [0u8; 4];
                for ch in text.chars() {
                    if self.lowercase {
                        for lower in ch.to_lowercase() {
                            emit(lower.encode_utf8(&mut buf));
                            info.tokens += 1;
                        }
                    } else {
                        emit(ch.encode_utf8(&mut buf));
                        info.tokens += 1;
                    }
                }
            }
            TokenUnit::Byte => unreachable!("handled above"),
        }
        Ok(info)
    }

    /// The tokens of `text`, as owned strings (for tests and tools; encoding uses
    /// [`Tokenizer::tokenize`] without allocating per token).
    ///
    /// # Errors
    /// As [`Tokenizer::tokenize`].
    pub fn tokens(&self, cell: TextCell<'_>) -> Result<Vec<String>> {
        let mut out = Vec::new();
        self.tokenize(cell, "text", 0, |t| out.push(t.to_string()))?;
        Ok(out)
    }

    /// The tokenizer in a few words: `word`, `char/unicode`, `char/byte`.
    pub fn describe(&self) -> String {
        let mut s = match self.unit {
            TokenUnit::Word { .. } => "word".to_string(),
            TokenUnit::Unicode => "char/unicode".to_string(),
            TokenUnit::Byte => "char/byte".to_string(),
        };
        if self.lowercase {
            s.push_str(", lowercase");
        }
        if self.strip_html {
            s.push_str(", no html");
        }
        if let TokenUnit::Word {
            strip_punctuation: false,
        } = self.unit
        {
            s.push_str(", punctuation kept");
        }
        s
    }
}

/// The settings that read raw bytes as they are, as advice in messages.
fn read_raw_bytes() -> String {
    format!(
        "tokenizer = \"{}\" with unit = \"{}\" to read raw bytes",
        options::Tokenizer::Char,
        CharUnit::Byte
    )
}

/// Whether the bytes after a `<` start a tag: a letter, `/` or `!`.
fn starts_tag(after: &[u8]) -> bool {
    after
        .first()
        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'/' || b == b'!')
}

/// Where the tag that starts after a `<` ends (the index of its `>` in `after`).
fn tag_end(after: &[u8]) -> Option<usize> {
    if !starts_tag(after) {
        return None;
    }
    let window = &after[..after.len().min(MAX_TAG_BYTES)];
    window
        .iter()
        .position(|&b| b == b'>' || b == b'<')
        .filter(|&j| window[j] == b'>')
}

/// Replaces every HTML tag (`<br />`, `<a href=…>`, `</p>`, `<!-- … -->` up to its first `>`)
/// with a space. Tags are delimited by ASCII bytes, so the result of a `str` is a `str`.
fn strip_tags(s: &str) -> Cow<'_, str> {
    if !s.contains('<') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match tag_end(after.as_bytes()) {
            Some(j) => {
                out.push(' ');
                // `j` indexes an ASCII `>`, a char boundary.
                rest = &after[j + 1..];
            }
            None => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// [`strip_tags`] on raw bytes.
fn strip_tags_bytes(s: &[u8]) -> Cow<'_, [u8]> {
    if !s.contains(&b'<') {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.iter().position(|&b| b == b'<') {
        out.extend_from_slice(&rest[..i]);
        let after = &rest[i + 1..];
        match tag_end(after) {
            Some(j) => {
                out.push(b' ');
                rest = &after[j + 1..];
            }
            None => {
                out.push(b'<');
                rest = after;
            }
        }
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// The text of `row`, or `None` when missing.
///
/// # Errors
/// [`DataError::WrongType`] for a number or image column.
pub fn text_cell(column: &Column, row: usize) -> Result<Option<TextCell<'_>>> {
    match &column.data {
        ColumnData::Text(v) => Ok(v[row].as_deref().map(TextCell::Str)),
        ColumnData::Bytes(v) => Ok(v[row].as_deref().map(TextCell::Bytes)),
        other => Err(DataError::WrongType {
            column: column.name.clone(),
            expected: "text".to_string(),
            found: other.kind_name().to_string(),
        }),
    }
}

/// The 1-based nearest-rank percentile `p` of sorted `values` (0 when empty).
fn percentile(sorted: &[usize], p: f64) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Fits a text feature on the rows `rows` of `column`: tokenizer, vocabulary (by frequency,
/// cut by `min_frequency` and `max_tokens`) and, for `length = "auto"`, the sequence length.
///
/// # Errors
/// [`DataError::WrongType`] for a column that is not text, [`DataError::Missing`] for a missing
/// value without a fill, [`DataError::Feature`] for a `fill` that is not text, invalid UTF-8 under
/// `utf8 = "reject"`, or training rows without a single token.
pub fn fit_text(spec: &TextInput, column: &Column, rows: &[usize]) -> Result<FittedText> {
    let tokenizer = Tokenizer::new(spec);
    let fill = match spec.missing {
        TextMissing::Error => None,
        TextMissing::Constant => match &spec.fill {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            _ => {
                return Err(feature_err(
                    &spec.name,
                    format!(
                        "`missing = \"{}\"` needs a string `fill` value for a text input",
                        TextMissing::Constant
                    ),
                ));
            }
        },
    };
    let sequence = match spec.encoding {
        options::TextEncoding::MultiHot => None,
        options::TextEncoding::Sequence => Some(spec.length),
    };
    let max_tokens = spec.max_tokens;
    let min_frequency = spec.min_frequency.max(1) as u64;

    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut lengths = Vec::with_capacity(rows.len());
    let fill_cell = fill.as_deref().map(TextCell::Str);
    for &r in rows {
        let cell = match text_cell(column, r)?.or(fill_cell) {
            Some(c) => c,
            None => {
                return Err(DataError::Missing {
                    column: column.name.clone(),
                    row: r,
                });
            }
        };
        let info = tokenizer.tokenize(cell, &column.name, r, |t| {
            if let Some(c) = counts.get_mut(t) {
                *c += 1;
            } else {
                counts.insert(t.to_string(), 1);
            }
        })?;
        lengths.push(info.tokens);
    }
    let total: u64 = counts.values().sum();
    if total == 0 {
        return Err(feature_err(
            &spec.name,
            format!(
                "the {} training rows hold no tokens (every text is empty after tokenising with the {} tokenizer)",
                rows.len(),
                tokenizer.describe()
            ),
        ));
    }
    let distinct_tokens = counts.len();
    let mut ranked: Vec<(String, u64)> = counts
        .into_iter()
        .filter(|&(_, c)| c >= min_frequency)
        .collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if let Some(max) = max_tokens {
        ranked.truncate(max);
    }
    if ranked.is_empty() {
        return Err(feature_err(
            &spec.name,
            format!(
                "no token is seen at least min_frequency = {min_frequency} times in the training rows; lower min_frequency"
            ),
        ));
    }
    let covered: u64 = ranked.iter().map(|(_, c)| c).sum();
    let tokens: Vec<String> = ranked.into_iter().map(|(t, _)| t).collect();

    let mut sorted = lengths.clone();
    sorted.sort_unstable();
    let p95 = percentile(&sorted, AUTO_LENGTH_PERCENTILE);
    let stats = TextStats {
        rows: rows.len(),
        distinct_tokens,
        coverage: covered as f64 / total as f64,
        mean_tokens: lengths.iter().sum::<usize>() as f64 / lengths.len().max(1) as f64,
        p95_tokens: p95,
        max_row_tokens: sorted.last().copied().unwrap_or(0),
    };
    let encoding = match sequence {
        None => TextEncoding::MultiHot,
        Some(SequenceLength::Fixed(length)) => TextEncoding::Sequence {
            length: length.max(1),
            auto: false,
        },
        Some(SequenceLength::Auto) => TextEncoding::Sequence {
            length: p95.max(1),
            auto: true,
        },
    };
    let oov_token = spec.oov_token.clone();
    Ok(FittedText {
        tokenizer,
        vocabulary: Vocabulary::new(tokens, oov_token),
        encoding,
        fill,
        stats,
    })
}

impl FittedText {
    /// Values per row: `vocabulary + 1` (multi-hot) or the sequence length.
    pub fn width(&self) -> usize {
        match self.encoding {
            TextEncoding::MultiHot => self.vocabulary.len() + 1,
            TextEncoding::Sequence { length, .. } => length,
        }
    }

    /// The token ids of one text, before padding or truncation.
    ///
    /// # Errors
    /// As [`Tokenizer::tokenize`].
    pub fn ids(&self, cell: TextCell<'_>) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        self.tokenizer
            .tokenize(cell, "text", 0, |t| ids.push(self.vocabulary.id(t)))?;
        Ok(ids)
    }

    /// Encodes every row of `column` into `out` (`rows × stride` values, this feature's slots
    /// starting at `offset` in each row, zero on entry). Warns about rows without tokens, rows
    /// of only out-of-vocabulary tokens, and rows read with UTF-8 replacement characters.
    ///
    /// # Errors
    /// [`DataError::WrongType`], [`DataError::Missing`] for a missing value without a fill, or
    /// invalid UTF-8 under `utf8 = "reject"`.
    pub fn encode_column(
        &self,
        column: &Column,
        out: &mut [f32],
        stride: usize,
        offset: usize,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let rows = column.data.len();
        let fill_cell = self.fill.as_deref().map(TextCell::Str);
        let mut empty = RowExamples::default();
        let mut only_oov = RowExamples::default();
        let mut invalid = RowExamples::default();
        let mut ids: Vec<u32> = Vec::new();
        for r in 0..rows {
            let cell = match text_cell(column, r)?.or(fill_cell) {
                Some(c) => c,
                None => {
                    return Err(DataError::Missing {
                        column: column.name.clone(),
                        row: r,
                    });
                }
            };
            ids.clear();
            let info = self.tokenizer.tokenize(cell, &column.name, r, |t| {
                ids.push(self.vocabulary.id(t));
            })?;
            if let Some(at) = info.invalid_utf8_at {
                invalid.add(r, at);
            }
            if ids.is_empty() {
                empty.add(r, 0);
            } else if ids.iter().all(|&id| id == OOV_ID) {
                only_oov.add(r, 0);
            }
            let slots = &mut out[r * stride + offset..r * stride + offset + self.width()];
            match self.encoding {
                TextEncoding::MultiHot => {
                    for &id in &ids {
                        slots[id as usize - 1] = 1.0;
                    }
                }
                TextEncoding::Sequence { .. } => {
                    for (slot, &id) in slots.iter_mut().zip(&ids) {
                        *slot = id as f32;
                    }
                }
            }
        }
        let name = &column.name;
        if let Some(w) = empty.warning(name, |n, e| {
            format!("{n} no tokens (e.g. row {}); they encode as all zeros", e.0)
        }) {
            warnings.push(w);
        }
        if let Some(w) = only_oov.warning(name, |n, e| {
            format!(
                "{n} only tokens outside the training vocabulary (e.g. row {}); the model sees nothing but `{}`",
                e.0, self.vocabulary.oov_token
            )
        }) {
            warnings.push(w);
        }
        if let Some(w) = invalid.warning(name, |n, e| {
            format!(
                "{n} invalid UTF-8 (e.g. row {} at byte {}), read with U+FFFD replacement characters; set utf8 = \"{}\" to refuse them, or {}",
                e.0,
                e.1,
                options::Utf8Policy::Reject,
                read_raw_bytes()
            )
        }) {
            warnings.push(w);
        }
        Ok(())
    }

    /// What fitting decided, in one line: tokenizer, vocabulary and its coverage, encoding, and
    /// for `length = "auto"` the length chosen and why.
    pub fn describe(&self) -> String {
        let s = &self.stats;
        let mut line = format!(
            "{} tokens, vocabulary {} of {} distinct ({:.1}% of training tokens), ",
            self.tokenizer.describe(),
            self.vocabulary.len(),
            s.distinct_tokens,
            100.0 * s.coverage
        );
        match self.encoding {
            TextEncoding::MultiHot => {
                line.push_str(&format!("multi-hot, width {}", self.width()));
            }
            TextEncoding::Sequence { length, auto } => {
                line.push_str(&format!("sequence of {length} token ids"));
                if auto {
                    line.push_str(&format!(
                        " (length = auto: the 95th percentile of {} training rows; mean {:.0}, longest {})",
                        s.rows, s.mean_tokens, s.max_row_tokens
                    ));
                }
            }
        }
        line
    }
}

/// Rows that share a condition: how many, and the first one (with a detail such as a byte
/// offset).
#[derive(Debug, Default)]
struct RowExamples {
    count: usize,
    first: Option<(usize, usize)>,
}

impl RowExamples {
    fn add(&mut self, row: usize, detail: usize) {
        self.count += 1;
        self.first.get_or_insert((row, detail));
    }

    fn warning(
        &self,
        column: &str,
        message: impl FnOnce(String, (usize, usize)) -> String,
    ) -> Option<Warning> {
        let first = self.first?;
        // "1 row has …", "3 rows have …".
        let rows = if self.count == 1 {
            "1 row has".to_string()
        } else {
            format!("{} rows have", self.count)
        };
        Some(Warning {
            column: column.to_string(),
            message: message(rows, first),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TextInput {
        TextInput::new("review", options::Tokenizer::Word)
    }

    fn words(s: &str) -> Vec<String> {
        Tokenizer::new(&spec()).tokens(TextCell::Str(s)).unwrap()
    }

    fn column(texts: &[&str]) -> Column {
        Column::text(
            "review",
            texts.iter().map(|s| Some((*s).to_string())).collect(),
        )
    }

    fn all(n: usize) -> Vec<usize> {
        (0..n).collect()
    }

    #[test]
    fn word_tokenizer_by_hand() {
        assert_eq!(
            words("This movie was GREAT!<br /><br />Don't miss it... 10/10"),
            [
                "this", "movie", "was", "great", "dont", "miss", "it", "10", "10"
            ]
        );
        // `<` not followed by a letter is text; an unterminated tag is text too.
        assert_eq!(words("a < b and c>d"), ["a", "b", "and", "c", "d"]);
        assert_eq!(
            words("<b>bold</b> <i unterminated"),
            ["bold", "i", "unterminated"]
        );
        assert_eq!(words("Ça VA, Ærø"), ["ça", "va", "ærø"]);
        assert!(words("  ... !!! <br/>").is_empty());
        let mut s = spec();
        s.strip_punctuation = false;
        s.lowercase = false;
        s.strip_html = false;
        let t = Tokenizer::new(&s);
        assert_eq!(
            t.tokens(TextCell::Str("Hi, you!<br>")).unwrap(),
            ["Hi", ",", "you", "!", "<", "br", ">"]
        );
    }

    #[test]
    fn char_tokenizers_by_hand() {
        let mut s = TextInput::new("review", options::Tokenizer::Char);
        let t = Tokenizer::new(&s);
        assert!(!t.lowercase && !t.strip_html);
        assert_eq!(
            t.tokens(TextCell::Str("Ça v")).unwrap(),
            ["Ç", "a", " ", "v"]
        );
        s.unit = CharUnit::Byte;
        s.lowercase = true;
        let t = Tokenizer::new(&s);
        // "Aé" is 41 C3 A9; bytes are stored as the Latin-1 character of the same number.
        assert_eq!(t.tokens(TextCell::Str("Aé")).unwrap(), ["a", "Ã", "©"]);
        assert_eq!(
            t.tokens(TextCell::Bytes(&[0x66, 0xFF])).unwrap(),
            ["f", "ÿ"]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_or_rejected() {
        let t = Tokenizer::new(&spec());
        let bytes = b"caf\xe9 ok";
        let mut got = Vec::new();
        let info = t
            .tokenize(TextCell::Bytes(bytes), "email", 7, |s| {
                got.push(s.to_string())
            })
            .unwrap();
        assert_eq!(got, ["caf", "ok"]);
        assert_eq!(info.invalid_utf8_at, Some(3));
        assert_eq!(info.tokens, 2);
        let mut s = spec();
        s.utf8 = options::Utf8Policy::Reject;
        let t = Tokenizer::new(&s);
        let err = t
            .tokenize(TextCell::Bytes(bytes), "email", 7, |_| {})
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("feature `email`: row 7: invalid UTF-8 at byte 3;"),
            "{err}"
        );
        // Valid UTF-8 bytes read like the string.
        assert_eq!(
            t.tokens(TextCell::Bytes("Été".as_bytes())).unwrap(),
            ["été"]
        );
    }

    #[test]
    fn vocabulary_by_frequency_then_bytes() {
        let col = column(&["a b b c c c", "c d"]);
        let fitted = fit_text(&spec(), &col, &all(2)).unwrap();
        // c×4, b×2, then a and d once each, in byte order.
        assert_eq!(fitted.vocabulary.tokens, ["c", "b", "a", "d"]);
        assert_eq!(fitted.stats.distinct_tokens, 4);
        assert_eq!(fitted.stats.coverage, 1.0);
        assert_eq!(fitted.stats.mean_tokens, 4.0);
        let mut s = spec();
        s.max_tokens = Some(2);
        let fitted = fit_text(&s, &col, &all(2)).unwrap();
        assert_eq!(fitted.vocabulary.tokens, ["c", "b"]);
        assert!((fitted.stats.coverage - 6.0 / 8.0).abs() < 1e-12);
        s.max_tokens = spec().max_tokens;
        s.min_frequency = 2;
        assert_eq!(
            fit_text(&s, &col, &all(2)).unwrap().vocabulary.tokens,
            ["c", "b"]
        );
        // Only the training rows count.
        assert_eq!(
            fit_text(&spec(), &col, &[1]).unwrap().vocabulary.tokens,
            ["c", "d"]
        );
        s.min_frequency = 5;
        let err = fit_text(&s, &col, &all(2)).unwrap_err();
        assert!(err.to_string().contains("lower min_frequency"), "{err}");
    }

    #[test]
    fn multi_hot_and_sequence_encodings() {
        let train = column(&["a b b c c c", "c d"]);
        let mut s = spec();
        s.max_tokens = Some(2);
        let fitted = fit_text(&s, &train, &all(2)).unwrap();
        assert_eq!(fitted.width(), 3);
        let new = column(&["b x", "c c", ""]);
        let mut out = vec![0.0; 3 * 3];
        let mut warnings = Vec::new();
        fitted
            .encode_column(&new, &mut out, 3, 0, &mut warnings)
            .unwrap();
        // Slots: [out-of-vocabulary, c, b].
        assert_eq!(out, [1., 0., 1., 0., 1., 0., 0., 0., 0.]);
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].message,
            "1 row has no tokens (e.g. row 2); they encode as all zeros"
        );

        s.encoding = options::TextEncoding::Sequence;
        s.length = SequenceLength::Fixed(3);
        let fitted = fit_text(&s, &train, &all(2)).unwrap();
        assert_eq!(fitted.vocabulary.id_count(), 4);
        let new = column(&["c b a d c", "b", "zz yy"]);
        let mut out = vec![0.0; 3 * 3];
        let mut warnings = Vec::new();
        fitted
            .encode_column(&new, &mut out, 3, 0, &mut warnings)
            .unwrap();
        // Ids: padding 0, OOV 1, c 2, b 3; the first 3 tokens are kept.
        assert_eq!(out, [2., 3., 1., 3., 0., 0., 1., 1., 0.]);
        assert_eq!(fitted.ids(TextCell::Str("d c")).unwrap(), [1, 2]);
        assert_eq!(fitted.vocabulary.token(3), Some("b"));
        assert_eq!(fitted.vocabulary.token(1), Some("[UNK]"));
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .message
                .starts_with("1 row has only tokens outside the training vocabulary (e.g. row 2)"),
            "{}",
            warnings[0].message
        );
    }

    #[test]
    fn auto_length_is_the_95th_percentile() {
        // Rows of 1..=20 words: the nearest-rank 95th percentile is the 19th value.
        let texts: Vec<String> = (1..=20).map(|n| vec!["w"; n].join(" ")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut s = spec();
        s.encoding = options::TextEncoding::Sequence;
        let fitted = fit_text(&s, &column(&refs), &all(20)).unwrap();
        assert_eq!(
            fitted.encoding,
            TextEncoding::Sequence {
                length: 19,
                auto: true
            }
        );
        assert_eq!(fitted.stats.max_row_tokens, 20);
        assert_eq!(fitted.stats.mean_tokens, 10.5);
        assert!(
            fitted
                .describe()
                .contains("length = auto: the 95th percentile of 20 training rows; mean "),
            "{}",
            fitted.describe()
        );
        assert_eq!(percentile(&[5], 95.0), 5);
        assert_eq!(percentile(&[], 95.0), 0);
    }

    #[test]
    fn bad_text_input() {
        let empty = column(&["", " <br /> ", "..."]);
        let err = fit_text(&spec(), &empty, &all(3)).unwrap_err();
        assert!(err.to_string().contains("hold no tokens"), "{err}");

        let missing = Column::text("review", vec![Some("ok".into()), None]);
        let err = fit_text(&spec(), &missing, &all(2)).unwrap_err();
        assert!(matches!(err, DataError::Missing { row: 1, .. }), "{err}");
        let mut s = spec();
        s.missing = TextMissing::Constant;
        s.fill = Some(serde_json::Value::String("nothing".into()));
        let fitted = fit_text(&s, &missing, &all(2)).unwrap();
        assert_eq!(fitted.vocabulary.tokens, ["nothing", "ok"]);

        let numbers = Column::number("review", vec![1.0]);
        let err = fit_text(&spec(), &numbers, &all(1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "column `review`: expected text, found number"
        );

        let bytes = Column::bytes(
            "review",
            vec![
                Some(b"fine words".to_vec()),
                Some(b"bad \xff byte".to_vec()),
            ],
        );
        let fitted = fit_text(&spec(), &bytes, &all(2)).unwrap();
        let mut out = vec![0.0; 2 * fitted.width()];
        let mut warnings = Vec::new();
        fitted
            .encode_column(&bytes, &mut out, fitted.width(), 0, &mut warnings)
            .unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .message
                .starts_with("1 row has invalid UTF-8 (e.g. row 1 at byte 4)"),
            "{}",
            warnings[0].message
        );
        let mut s = spec();
        s.utf8 = options::Utf8Policy::Reject;
        let err = fit_text(&s, &bytes, &all(2)).unwrap_err();
        assert!(
            err.to_string().contains("row 1: invalid UTF-8 at byte 4"),
            "{err}"
        );
    }

    #[test]
    fn fitted_text_round_trips_through_json() {
        let col = column(&["the cat", "the dog"]);
        let fitted = fit_text(&spec(), &col, &all(2)).unwrap();
        let json = serde_json::to_string(&fitted).unwrap();
        let back: FittedText = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fitted);
        assert_eq!(back.ids(TextCell::Str("the dog")).unwrap(), [2, 4]);
    }
}
