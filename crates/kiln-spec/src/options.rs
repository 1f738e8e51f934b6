//! The spec's named settings (`transform = "minmax"`, `padding = "same"`, …) as enums.
//!
//! Each enum is one key on one kind of input or layer, with the values that key accepts there.
//! A value's name as written in a spec lives in exactly one place, its enum's
//! [`Choice::name`]; its default is the enum's `#[default]` variant. The spec's TOML is read into
//! strings first ([`crate::types`]) so that an unknown name is reported by the checks, in
//! document order, with the values that kind accepts; [`crate::Spec::check`] turns the strings
//! into these enums ([`crate::settings`]), and nothing below this crate compares names.

use std::fmt;

/// A setting whose value is one of a few names.
pub trait Choice: Copy + Eq + Default + 'static {
    /// Every value, in the order messages list them.
    const ALL: &'static [Self];

    /// The value's name as written in a spec.
    fn name(self) -> &'static str;

    /// The value a spec's name stands for; `None` for a name this setting does not accept.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// Every accepted name, in the order messages list them.
    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.name()).collect()
    }
}

/// Defines a [`Choice`] enum: its variants with their names, its default, and `Display`.
macro_rules! choice {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
        }

        impl Choice for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

choice! {
    /// How a number input is scaled (`transform` on a `number` input).
    pub enum NumberTransform {
        /// `(x − mean) / std` with the training rows' mean and standard deviation (the default).
        #[default]
        Standardize = "standardize",
        /// `(x − min) / (max − min)` with the training rows' range.
        MinMax = "minmax",
        /// Unchanged.
        None = "none",
    }
}

choice! {
    /// How an image's bytes are scaled (`transform` on an `image` input).
    pub enum ImageTransform {
        /// Divided by 255 (the default).
        #[default]
        Scale = "scale",
        /// Unchanged.
        None = "none",
    }
}

choice! {
    /// The `transform` of `category`, `binary` and `text` inputs, which are encoded, not scaled:
    /// `none` is the only value.
    pub enum PlainTransform {
        /// Unchanged (the only value).
        #[default]
        None = "none",
    }
}

choice! {
    /// How a regression target is scaled (`output.transform`).
    pub enum OutputTransform {
        /// Unchanged (the default).
        #[default]
        None = "none",
        /// `(y − mean) / std` with the training rows' mean and standard deviation; predictions are
        /// turned back into the target's units.
        Standardize = "standardize",
    }
}

choice! {
    /// How a `category` input becomes numbers (`encoding`).
    pub enum CategoryEncoding {
        /// One slot per training value plus an unknown slot (the default and only value).
        #[default]
        OneHot = "onehot",
    }
}

choice! {
    /// How a `text` input becomes numbers (`encoding`).
    pub enum TextEncoding {
        /// A bag of words: one slot per vocabulary token plus the out-of-vocabulary slot (the
        /// default).
        #[default]
        MultiHot = "multi_hot",
        /// Token ids, padded or truncated to `length`; only an `embedding` layer reads them.
        Sequence = "sequence",
    }
}

choice! {
    /// What to do with a missing value in a `number` input (`missing`).
    pub enum NumberMissing {
        /// Refuse the row, naming it (the default).
        #[default]
        Error = "error",
        /// The training rows' mean.
        Mean = "mean",
        /// The training rows' median.
        Median = "median",
        /// The training rows' most frequent value.
        Mode = "mode",
        /// The input's `fill` value.
        Constant = "constant",
    }
}

choice! {
    /// What to do with a missing value in a `category` or `binary` input (`missing`).
    pub enum DiscreteMissing {
        /// Refuse the row, naming it (the default).
        #[default]
        Error = "error",
        /// The training rows' most frequent value.
        Mode = "mode",
        /// The input's `fill` value.
        Constant = "constant",
    }
}

choice! {
    /// What to do with a missing value in a `text` input (`missing`).
    pub enum TextMissing {
        /// Refuse the row, naming it (the default).
        #[default]
        Error = "error",
        /// The input's `fill` text.
        Constant = "constant",
    }
}

choice! {
    /// What to do with a missing value in an `image` input (`missing`): images cannot be
    /// filled in, so `error` is the only value.
    pub enum ImageMissing {
        /// Refuse the row (the only value).
        #[default]
        Error = "error",
    }
}

choice! {
    /// How a `text` input is cut into tokens (`tokenizer`).
    pub enum Tokenizer {
        /// Words: runs of letters and digits (the default).
        #[default]
        Word = "word",
        /// Characters, or bytes with `unit = "byte"`.
        Char = "char",
    }
}

choice! {
    /// What one token of the char tokenizer is (`unit`).
    pub enum CharUnit {
        /// One Unicode scalar value (the default).
        #[default]
        Unicode = "unicode",
        /// One byte, whatever the bytes are.
        Byte = "byte",
    }
}

choice! {
    /// How tokenizers that read characters treat raw bytes that are not UTF-8 (`utf8`).
    pub enum Utf8Policy {
        /// Decode with U+FFFD replacement characters and count the rows in a warning (the
        /// default).
        #[default]
        Replace = "replace",
        /// Refuse the row, naming it and the offset of the first bad byte.
        Reject = "reject",
    }
}

choice! {
    /// How a convolution treats the edges (`padding` of `conv2d` and `conv1d`).
    pub enum Padding {
        /// No padding: windows lie wholly inside the input (the default).
        #[default]
        Valid = "valid",
        /// Zero padding so that the output has `ceil(input / stride)` steps.
        Same = "same",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_list_in_order() {
        assert_eq!(NumberTransform::names(), ["standardize", "minmax", "none"]);
        assert_eq!(OutputTransform::names(), ["none", "standardize"]);
        assert_eq!(
            NumberMissing::names(),
            ["error", "mean", "median", "mode", "constant"]
        );
        assert_eq!(Padding::from_name("same"), Some(Padding::Same));
        assert_eq!(Padding::from_name("Same"), None);
        assert_eq!(TextEncoding::Sequence.to_string(), "sequence");
        assert_eq!(Tokenizer::default(), Tokenizer::Word);
    }
}
