//! [`Heatmap`]: a matrix of shaded cells with their values written in.

use std::fmt::Write as _;

use crate::frame::{self, Area, category_labels, finite_extent, widest, x_categories};
use crate::svg::{
    AXIS, Anchor, INK, LABEL_SIZE, MUTED, Num, Svg, TICK_SIZE, Text, Value, text_width,
};

/// A matrix of cells shaded by value with the value written in each cell: confusion
/// matrices.
///
/// `values[i][j]` is the cell of row `i` and column `j`; rows run top to bottom, columns left
/// to right, row names on the left, column names underneath. Shades go from white (the
/// smaller of 0 and the smallest value) to blue (the largest). A non-finite cell is grey,
/// shows "–" and has no `data-value`; cells beyond `rows` × `cols` are ignored and missing
/// ones are not drawn.
///
/// ```
/// use kiln_chart::Heatmap;
///
/// let confusion = Heatmap {
///     title: "confusion".into(),
///     row_label: "true".into(),
///     col_label: "predicted".into(),
///     rows: vec!["cat".into(), "dog".into()],
///     cols: vec!["cat".into(), "dog".into()],
///     values: vec![vec![40.0, 2.0], vec![5.0, 53.0]],
///     ..Heatmap::default()
/// };
/// assert!(confusion.svg().contains(">53</text>"));
/// ```
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// Title, drawn at the top and used as the accessible name.
    pub title: String,
    /// Title of the rows (drawn along the left).
    pub row_label: String,
    /// Title of the columns (drawn underneath).
    pub col_label: String,
    /// Row names, top to bottom.
    pub rows: Vec<String>,
    /// Column names, left to right.
    pub cols: Vec<String>,
    /// Cell values, row by row.
    pub values: Vec<Vec<f64>>,
    /// Width in px (at least 120).
    pub width: u32,
    /// Height in px (at least 80).
    pub height: u32,
}

impl Default for Heatmap {
    fn default() -> Self {
        Self {
            title: String::new(),
            row_label: String::new(),
            col_label: String::new(),
            rows: Vec::new(),
            cols: Vec::new(),
            values: Vec::new(),
            width: 520,
            height: 300,
        }
    }
}

/// `#rrggbb` between white (`t = 0`) and the palette's blue (`t = 1`).
fn shade(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let mix = |to: f64| (255.0 + (to - 255.0) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(31.0), mix(119.0), mix(180.0))
}

impl Heatmap {
    /// The chart as a standalone `<svg>` element.
    ///
    /// Without rows or columns it says "no data".
    pub fn svg(&self) -> String {
        let (n_rows, n_cols) = (self.rows.len(), self.cols.len());
        if n_rows == 0 || n_cols == 0 {
            return frame::no_data(self.width, self.height, &self.title);
        }
        let cells = || {
            self.values
                .iter()
                .take(n_rows)
                .flat_map(|row| row.iter().take(n_cols).copied())
        };
        let (lo, hi) = finite_extent(cells()).unwrap_or((0.0, 0.0));
        let lo = lo.min(0.0);
        let (width, height) = frame::size(self.width, self.height);
        let mut svg = Svg::new(width, height, &self.title);
        let top = frame::header(&mut svg, &self.title, &[]) + 4.0;
        let row_title = if self.row_label.is_empty() { 0.0 } else { 18.0 };
        let left = 10.0 + row_title + widest(&self.rows).min(svg.width * 0.35) + 8.0;
        let slot = (svg.width - left - 14.0).max(10.0) / n_cols as f64;
        let layout = category_labels(&self.cols, slot, svg.height * 0.3);
        let col_title = if self.col_label.is_empty() { 0.0 } else { 16.0 };
        let area = Area::inside(&svg, left, top, 14.0, layout.height + col_title + 8.0);
        let (cw, ch) = (area.width() / n_cols as f64, area.height() / n_rows as f64);
        svg.group("cells");
        for (i, row) in self.values.iter().take(n_rows).enumerate() {
            for (j, &v) in row.iter().take(n_cols).enumerate() {
                let (x, y) = (area.left + cw * j as f64, area.top + ch * i as f64);
                let (fill, ink, text) = if v.is_finite() {
                    let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
                    let ink = if t > 0.55 { "#fff" } else { INK };
                    (shade(t), ink, Value(v).to_string())
                } else {
                    ("#eee".to_string(), MUTED, "–".to_string())
                };
                let _ = write!(
                    svg.raw(),
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#fff\" \
data-row=\"{i}\" data-col=\"{j}\"",
                    Num(x),
                    Num(y),
                    Num(cw),
                    Num(ch),
                );
                if v.is_finite() {
                    let _ = write!(svg.raw(), " data-value=\"{text}\"");
                }
                svg.raw().push('>');
                let shown = if v.is_finite() {
                    text.as_str()
                } else {
                    "missing"
                };
                svg.tooltip(&format!("{} / {}: {shown}", self.rows[i], self.cols[j]));
                svg.raw().push_str("</rect>");
                // As large as fits the cell, up to the label size.
                let size = LABEL_SIZE
                    .min(ch * 0.6)
                    .min(cw / (text_width(&text, 1.0) + 0.5))
                    .max(4.0);
                svg.text(
                    Text::new("cell", x + cw / 2.0, y + ch / 2.0 + size * 0.35)
                        .anchor(Anchor::Middle)
                        .size(size)
                        .fill(ink),
                    &text,
                );
            }
        }
        svg.end_group();
        svg.group("y-axis");
        svg.line((area.left, area.top), (area.left, area.bottom), AXIS, "");
        for (i, name) in self.rows.iter().enumerate() {
            let y = area.top + ch * (i as f64 + 0.5) + TICK_SIZE * 0.35;
            svg.text(
                Text::new("tick", area.left - 5.0, y)
                    .anchor(Anchor::End)
                    .size(TICK_SIZE)
                    .fill(MUTED),
                name,
            );
        }
        if !self.row_label.is_empty() {
            svg.text(
                Text::new(
                    "axis-label",
                    10.0 + LABEL_SIZE,
                    (area.top + area.bottom) / 2.0,
                )
                .anchor(Anchor::Middle)
                .rotate(-90.0),
                &self.row_label,
            );
        }
        svg.end_group();
        let centres: Vec<f64> = (0..n_cols)
            .map(|j| area.left + cw * (j as f64 + 0.5))
            .collect();
        x_categories(
            &mut svg,
            area,
            &centres,
            &self.cols,
            layout,
            &self.col_label,
        );
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{attr_values, check_common, group, texts};

    fn confusion() -> Heatmap {
        Heatmap {
            title: "confusion matrix".into(),
            row_label: "true class".into(),
            col_label: "predicted class".into(),
            rows: vec!["setosa".into(), "versicolor".into(), "virginica".into()],
            cols: vec!["setosa".into(), "versicolor".into(), "virginica".into()],
            values: vec![
                vec![50.0, 0.0, 0.0],
                vec![0.0, 47.0, 3.0],
                vec![0.0, 2.5, 47.5],
            ],
            ..Heatmap::default()
        }
    }

    #[test]
    fn cells_equal_the_matrix() {
        let h = confusion();
        let svg = h.svg();
        check_common(&svg);
        let cells = group(&svg, "cells");
        let rows: Vec<usize> = attr_values(cells, "data-row")
            .iter()
            .map(|r| r.parse().unwrap())
            .collect();
        let cols: Vec<usize> = attr_values(cells, "data-col")
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
        let values: Vec<f64> = attr_values(cells, "data-value")
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(values.len(), 9);
        for ((i, j), v) in rows.iter().zip(&cols).zip(&values) {
            assert_eq!(h.values[*i][*j], *v);
        }
        // Integers without decimals, others as they are.
        assert_eq!(
            texts(cells, "cell"),
            ["50", "0", "0", "0", "47", "3", "0", "2.5", "47.5"]
        );
        assert_eq!(texts(group(&svg, "y-axis"), "tick"), h.rows);
        assert_eq!(texts(group(&svg, "x-axis"), "tick"), h.cols);
        assert_eq!(texts(&svg, "axis-label"), ["true class", "predicted class"]);
        assert!(cells.contains("<title>versicolor / virginica: 3</title>"));
    }

    #[test]
    fn shades_grow_with_the_value() {
        assert_eq!(shade(0.0), "#ffffff");
        assert_eq!(shade(1.0), "#1f77b4");
        let svg = confusion().svg();
        // The largest cell is the darkest and has white text.
        assert!(svg.contains("fill=\"#1f77b4\" stroke=\"#fff\" data-row=\"0\" data-col=\"0\""));
    }

    #[test]
    fn odd_matrices_do_not_panic() {
        let mut h = confusion();
        h.values[1][1] = f64::NAN;
        h.values[2].truncate(1);
        h.values.push(vec![9.0; 5]);
        let svg = h.svg();
        check_common(&svg);
        assert_eq!(attr_values(group(&svg, "cells"), "data-row").len(), 7);
        assert_eq!(attr_values(group(&svg, "cells"), "data-value").len(), 6);
        assert!(svg.contains("<title>versicolor / versicolor: missing</title>"));
        let empty = Heatmap::default().svg();
        check_common(&empty);
        assert!(empty.contains(">no data</text>"));
        let all_nan = Heatmap {
            values: vec![vec![f64::NAN]],
            rows: vec!["<r>".into()],
            cols: vec!["c".into()],
            ..Heatmap::default()
        };
        let svg = all_nan.svg();
        check_common(&svg);
        assert!(svg.contains("&lt;r&gt;"));
    }
}
