//! [`Span`]: where something sits in the expression text, as byte offsets.

/// A half-open range of byte offsets (`start..end`) into the text that was parsed.
///
/// Byte offsets index the `&str` directly (`&text[span.start..span.end]`); error messages turn
/// them into 1-based columns for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span from `start` to `end`.
    #[must_use]
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// The 1-based byte column of the first byte, as error messages show it.
    #[must_use]
    pub fn column(self) -> usize {
        self.start + 1
    }
}
