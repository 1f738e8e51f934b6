//! [`Histogram`]: overlaid translucent histograms over a numeric axis.

use std::fmt::Write as _;

use crate::frame::{
    self, Area, Linear, axis_ticks, finite_extent, grid, tick_target, x_axis, x_axis_margin,
    y_axis, y_axis_margin,
};
use crate::svg::{Num, Svg, Value, colour};

/// Overlaid translucent histograms over a numeric axis: `edges` has one more entry than each
/// series' values, and value `i` is the height of the bin from `edges[i]` to `edges[i + 1]`.
///
/// The x axis is padded to nice ticks around the edges (the edges themselves need not be
/// round). A bin whose edges are not finite and increasing, or whose value is not finite, is
/// not drawn; extra values beyond the edges are ignored.
///
/// ```
/// use kiln_chart::Histogram;
///
/// let h = Histogram {
///     title: "x1".into(),
///     x_label: "x1".into(),
///     y_label: "share of rows".into(),
///     edges: vec![-1.5, -0.5, 0.5, 1.5],
///     series: vec![("reference".into(), vec![0.25, 0.5, 0.25])],
///     ..Histogram::default()
/// };
/// assert_eq!(h.svg().matches("data-value=").count(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct Histogram {
    /// Title, drawn at the top and used as the accessible name.
    pub title: String,
    /// Title of the x axis.
    pub x_label: String,
    /// Title of the y axis.
    pub y_label: String,
    /// Bin edges, increasing: one more than the bins.
    pub edges: Vec<f64>,
    /// `(name, values)`: one value per bin per series.
    pub series: Vec<(String, Vec<f64>)>,
    /// Width in px (at least 120).
    pub width: u32,
    /// Height in px (at least 80).
    pub height: u32,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            edges: Vec::new(),
            series: Vec::new(),
            width: 520,
            height: 300,
        }
    }
}

impl Histogram {
    /// The bins that can be drawn: `(index, from, to)`.
    fn bins(&self) -> impl Iterator<Item = (usize, f64, f64)> + '_ {
        self.edges
            .windows(2)
            .enumerate()
            .map(|(i, w)| (i, w[0], w[1]))
            .filter(|&(_, a, b)| a.is_finite() && b.is_finite() && a < b)
    }

    /// The chart as a standalone `<svg>` element.
    ///
    /// Without a bin that has finite edges and a finite value it says "no data".
    pub fn svg(&self) -> String {
        let values = self.series.iter().flat_map(|(_, values)| {
            self.bins()
                .filter_map(|(i, _, _)| values.get(i).copied())
                .filter(|v| v.is_finite())
        });
        let Some((lo, hi)) = finite_extent(values) else {
            return frame::no_data(self.width, self.height, &self.title);
        };
        let x_data = finite_extent(self.bins().flat_map(|(_, a, b)| [a, b]));
        let (width, height) = frame::size(self.width, self.height);
        let mut svg = Svg::new(width, height, &self.title);
        let names: Vec<&str> = self.series.iter().map(|(name, _)| name.as_str()).collect();
        let top = frame::header(&mut svg, &self.title, &names) + 6.0;
        let bottom = x_axis_margin(&self.x_label);
        let y_target = tick_target(svg.height - top - bottom, 40.0, 8);
        let (Some((y_ticks, y_domain)), Some(x_data)) = (
            axis_ticks(Some((lo.min(0.0), hi.max(0.0))), None, y_target),
            x_data,
        ) else {
            return frame::no_data(self.width, self.height, &self.title);
        };
        let left = y_axis_margin(&y_ticks.labels(), &self.y_label);
        let area = Area::inside(&svg, left, top, 18.0, bottom);
        let Some((x_ticks, x_domain)) =
            axis_ticks(Some(x_data), None, tick_target(area.width(), 90.0, 10))
        else {
            return frame::no_data(self.width, self.height, &self.title);
        };
        let sx = Linear {
            domain: x_domain,
            range: (area.left, area.right),
        };
        let sy = Linear {
            domain: y_domain,
            range: (area.bottom, area.top),
        };
        let xs: Vec<f64> = x_ticks.values.iter().map(|&v| sx.map(v)).collect();
        let ys: Vec<f64> = y_ticks.values.iter().map(|&v| sy.map(v)).collect();
        grid(&mut svg, area, &xs, &ys);
        let zero = sy.map(0.0);
        for (j, (name, values)) in self.series.iter().enumerate() {
            svg.named_group("series", name);
            for (i, a, b) in self.bins() {
                let Some(&v) = values.get(i).filter(|v| v.is_finite()) else {
                    continue;
                };
                let (x0, x1, y) = (sx.map(a), sx.map(b), sy.map(v));
                let _ = write!(
                    svg.raw(),
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" fill-opacity=\"0.5\" \
data-x0=\"{}\" data-x1=\"{}\" data-value=\"{}\">",
                    Num(x0),
                    Num(y.min(zero)),
                    Num(x1 - x0),
                    Num((y - zero).abs()),
                    colour(j),
                    Value(a),
                    Value(b),
                    Value(v)
                );
                svg.tooltip(&format!(
                    "{name}: [{}, {}): {}",
                    Value(a),
                    Value(b),
                    Value(v)
                ));
                svg.raw().push_str("</rect>");
            }
            svg.end_group();
        }
        x_axis(&mut svg, area, sx, &x_ticks, &self.x_label);
        y_axis(&mut svg, area, sy, &y_ticks, &self.y_label);
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{attr_values, check_common, group, groups, texts};

    fn overlaid() -> Histogram {
        // Edges that are not round, as a data-driven binning gives.
        let edges: Vec<f64> = (0..=10).map(|i| -3.6442 + 0.7674 * f64::from(i)).collect();
        Histogram {
            title: "x1".into(),
            x_label: "x1".into(),
            y_label: "share of rows".into(),
            edges,
            series: vec![
                ("reference".into(), vec![0.1; 10]),
                (
                    "batch".into(),
                    vec![0.0, 0.0, 0.05, 0.1, 0.2, 0.3, 0.2, 0.1, 0.05, 0.0],
                ),
            ],
            ..Histogram::default()
        }
    }

    #[test]
    fn x_ticks_are_round_whatever_the_edges() {
        let svg = overlaid().svg();
        check_common(&svg);
        let labels = texts(group(&svg, "x-axis"), "tick");
        let values: Vec<f64> = labels.iter().map(|l| l.parse().unwrap()).collect();
        let step = values[1] - values[0];
        assert!(step == 1.0 || step == 2.0, "{labels:?}");
        assert!(values.iter().all(|v| v.fract() == 0.0), "{labels:?}");
        assert!(
            values[0] <= -3.6442 && *values.last().unwrap() >= 4.03,
            "{labels:?}"
        );
        assert!(!svg.contains("-3.6442<") && !svg.contains(">0.0348<"));
    }

    #[test]
    fn one_bar_per_bin_per_series() {
        let svg = overlaid().svg();
        let series = groups(&svg, "series");
        assert_eq!(series.len(), 2);
        assert_eq!(attr_values(series[0], "data-value"), vec!["0.1"; 10]);
        assert_eq!(attr_values(series[1], "data-value")[5], "0.3");
        assert_eq!(attr_values(series[0], "data-x0")[0], "-3.6442");
        assert_eq!(texts(&svg, "legend"), ["reference", "batch"]);
    }

    #[test]
    fn bad_bins_are_skipped_and_never_printed() {
        let mut h = overlaid();
        h.edges[3] = f64::NAN;
        h.series[0].1[7] = f64::INFINITY;
        h.series[1].1.truncate(4);
        let svg = h.svg();
        check_common(&svg);
        let series = groups(&svg, "series");
        // Bins 2 and 3 touch the NaN edge; bin 7 of the reference is infinite.
        assert_eq!(attr_values(series[0], "data-value").len(), 7);
        assert_eq!(attr_values(series[1], "data-value").len(), 2);
        for empty in [
            Histogram::default(),
            Histogram {
                edges: vec![1.0],
                series: vec![("a".into(), vec![1.0])],
                ..Histogram::default()
            },
            Histogram {
                edges: vec![1.0, 1.0],
                series: vec![("a".into(), vec![1.0])],
                ..Histogram::default()
            },
        ] {
            let svg = empty.svg();
            check_common(&svg);
            assert!(svg.contains(">no data</text>"));
        }
    }
}
