//! What encoding produces: [`Encoded`] inputs and [`Targets`], and the [`Slots`] one input
//! writes its values into.

/// Encoded inputs: `rows` rows of `row_shape` values each, row-major in `data`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Encoded {
    /// `rows * row_shape.iter().product()` values.
    pub data: Vec<f32>,
    /// Number of rows.
    pub rows: usize,
    /// Shape of one row: `[d]` for tabular inputs, `[channels, height, width]` for an image.
    pub row_shape: Vec<usize>,
}

impl Encoded {
    /// Values per row.
    pub fn row_len(&self) -> usize {
        self.row_shape.iter().product()
    }

    /// The values of row `i`.
    ///
    /// # Panics
    /// If `i >= rows`.
    pub fn row(&self, i: usize) -> &[f32] {
        let d = self.row_len();
        &self.data[i * d..(i + 1) * d]
    }

    /// The rows `rows`, in that order (a split, a fold, a selection).
    ///
    /// # Panics
    /// If a row is out of range.
    pub fn take(&self, rows: &[usize]) -> Self {
        let mut data = Vec::with_capacity(rows.len() * self.row_len());
        for &r in rows {
            data.extend_from_slice(self.row(r));
        }
        Self {
            data,
            rows: rows.len(),
            row_shape: self.row_shape.clone(),
        }
    }
}

/// Encoded targets, one per row.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// Class indices (category and binary outputs).
    Classes(Vec<i64>),
    /// Regression values, standardised when the output says so.
    Values(Vec<f32>),
}

impl Targets {
    /// Number of targets.
    pub fn len(&self) -> usize {
        match self {
            Self::Classes(v) => v.len(),
            Self::Values(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The targets of `rows`, in that order.
    ///
    /// # Panics
    /// If a row is out of range.
    pub fn take(&self, rows: &[usize]) -> Self {
        match self {
            Self::Classes(c) => Self::Classes(rows.iter().map(|&r| c[r]).collect()),
            Self::Values(v) => Self::Values(rows.iter().map(|&r| v[r]).collect()),
        }
    }
}

/// Where one input writes its values: every row of `data` is `stride` values long, and this
/// input's values start at `offset` in each. The encode contract: an input of width `w` sets
/// at most slots `0..w` of each row, and nothing else.
pub(crate) struct Slots<'a> {
    data: &'a mut [f32],
    stride: usize,
    offset: usize,
}

impl<'a> Slots<'a> {
    /// The slots at `offset` of each `stride`-long row of `data`.
    pub(crate) fn new(data: &'a mut [f32], stride: usize, offset: usize) -> Self {
        Self {
            data,
            stride,
            offset,
        }
    }

    /// Sets slot `slot` of row `row` to `value`.
    pub(crate) fn set(&mut self, row: usize, slot: usize, value: f32) {
        self.data[row * self.stride + self.offset + slot] = value;
    }

    /// The buffer, the row length and this input's offset, for encoders that write rows
    /// themselves.
    pub(crate) fn parts(&mut self) -> (&mut [f32], usize, usize) {
        (self.data, self.stride, self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_selects_rows_in_the_order_given() {
        let x = Encoded {
            data: vec![0.0, 1.0, 10.0, 11.0, 20.0, 21.0],
            rows: 3,
            row_shape: vec![2],
        };
        let picked = x.take(&[2, 0, 2]);
        assert_eq!(picked.data, [20.0, 21.0, 0.0, 1.0, 20.0, 21.0]);
        assert_eq!((picked.rows, picked.row_shape.clone()), (3, vec![2]));
        assert_eq!(x.take(&[]).rows, 0);
        let y = Targets::Classes(vec![5, 6, 7]);
        assert_eq!(y.take(&[1, 1, 0]), Targets::Classes(vec![6, 6, 5]));
        let v = Targets::Values(vec![0.5, 1.5]);
        assert_eq!(v.take(&[1]), Targets::Values(vec![1.5]));
    }
}
