//! [`BarChart`]: grouped bars over named categories.

use std::fmt::Write as _;

use crate::frame::{
    self, Area, Linear, axis_ticks, category_labels, finite_extent, grid, tick_target,
    x_axis_margin, x_categories, y_axis, y_axis_margin,
};
use crate::svg::{AXIS, Num, Svg, TICK_SIZE, Value, colour, text_width};

/// Grouped bars over named categories (side by side within a category), e.g. class shares of
/// a reference and a current batch.
///
/// Every category is labelled by name under its bars, in order, up to 20 categories (labels
/// turn 45° when they do not fit side by side); beyond 20 every k-th label is shown. Bars
/// start at 0, so negative values hang below it.
///
/// ```
/// use kiln_chart::BarChart;
///
/// let shares = BarChart {
///     title: "prediction".into(),
///     y_label: "share of rows".into(),
///     categories: vec!["cat".into(), "dog".into()],
///     series: vec![("reference".into(), vec![0.5, 0.5]), ("batch".into(), vec![0.8, 0.2])],
///     ..BarChart::default()
/// };
/// assert!(shares.svg().contains("data-value=\"0.8\""));
/// ```
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Title, drawn at the top and used as the accessible name.
    pub title: String,
    /// Title of the y axis.
    pub y_label: String,
    /// Category names, left to right.
    pub categories: Vec<String>,
    /// `(name, values)`: one value per category per series (a missing or non-finite value
    /// draws no bar).
    pub series: Vec<(String, Vec<f64>)>,
    /// Width in px (at least 120).
    pub width: u32,
    /// Height in px (at least 80).
    pub height: u32,
}

impl Default for BarChart {
    fn default() -> Self {
        Self {
            title: String::new(),
            y_label: String::new(),
            categories: Vec::new(),
            series: Vec::new(),
            width: 520,
            height: 300,
        }
    }
}

impl BarChart {
    /// The chart as a standalone `<svg>` element.
    ///
    /// Without categories, series or a single finite value it says "no data".
    pub fn svg(&self) -> String {
        let n = self.categories.len();
        let values = self
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().take(n).copied());
        let Some((lo, hi)) = finite_extent(values) else {
            return frame::no_data(self.width, self.height, &self.title);
        };
        let (width, height) = frame::size(self.width, self.height);
        let mut svg = Svg::new(width, height, &self.title);
        let names: Vec<&str> = self.series.iter().map(|(name, _)| name.as_str()).collect();
        let top = frame::header(&mut svg, &self.title, &names) + 6.0;
        // Ticks first from the height left under horizontal labels, then the labels' room
        // from the width left by the tick labels.
        let guess = svg.height - top - x_axis_margin("x");
        let Some((ticks, domain)) = axis_ticks(
            Some((lo.min(0.0), hi.max(0.0))),
            None,
            tick_target(guess, 40.0, 8),
        ) else {
            return frame::no_data(self.width, self.height, &self.title);
        };
        let left = y_axis_margin(&ticks.labels(), &self.y_label);
        let slot = (svg.width - left - 14.0).max(10.0) / n as f64;
        let layout = category_labels(&self.categories, slot, svg.height * 0.35);
        // A turned first label reaches left of its bar by its width × cos 45°.
        let left = if layout.rotate == 0.0 {
            left
        } else {
            let reach =
                text_width(&self.categories[0], TICK_SIZE) * std::f64::consts::FRAC_1_SQRT_2;
            left.max((reach - slot / 2.0 + 4.0).min(svg.width * 0.3))
        };
        let area = Area::inside(&svg, left, top, 14.0, layout.height + 10.0);
        let sy = Linear {
            domain,
            range: (area.bottom, area.top),
        };
        let ys: Vec<f64> = ticks.values.iter().map(|&v| sy.map(v)).collect();
        grid(&mut svg, area, &[], &ys);
        let slot = area.width() / n as f64;
        let bar = slot * 0.8 / self.series.len() as f64;
        let zero = sy.map(0.0);
        for (j, (name, values)) in self.series.iter().enumerate() {
            svg.named_group("series", name);
            for (i, (&v, category)) in values.iter().zip(&self.categories).enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let x = area.left + slot * i as f64 + slot * 0.1 + bar * j as f64;
                let y = sy.map(v);
                let _ = write!(
                    svg.raw(),
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" data-value=\"{}\">",
                    Num(x),
                    Num(y.min(zero)),
                    Num(bar),
                    Num((y - zero).abs()),
                    colour(j),
                    Value(v)
                );
                let tip = if self.series.len() > 1 {
                    format!("{name} · {category}: {}", Value(v))
                } else {
                    format!("{category}: {}", Value(v))
                };
                svg.tooltip(&tip);
                svg.raw().push_str("</rect>");
            }
            svg.end_group();
        }
        if domain.0 < 0.0 {
            svg.line(
                (area.left, zero),
                (area.right, zero),
                AXIS,
                "class=\"zero-line\"",
            );
        }
        let centres: Vec<f64> = (0..n)
            .map(|i| area.left + slot * (i as f64 + 0.5))
            .collect();
        x_categories(&mut svg, area, &centres, &self.categories, layout, "");
        y_axis(&mut svg, area, sy, &ticks, &self.y_label);
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{attr_values, check_common, group, groups, texts};

    fn shares(categories: &[&str]) -> BarChart {
        let n = categories.len();
        BarChart {
            title: "colour".into(),
            y_label: "share of rows".into(),
            categories: categories.iter().map(|c| (*c).to_string()).collect(),
            series: vec![
                ("reference".into(), vec![1.0 / n as f64; n]),
                (
                    "batch".into(),
                    (0..n)
                        .map(|i| i as f64 / (n * (n - 1) / 2) as f64)
                        .collect(),
                ),
            ],
            ..BarChart::default()
        }
    }

    #[test]
    fn every_category_is_labelled_in_order() {
        for categories in [
            vec!["0", "1"],
            vec!["blue", "green", "red"],
            vec!["0", "1", "<other>"],
            (0..20)
                .map(|i| ["alpha", "beta", "gamma", "delta"][i % 4])
                .collect(),
        ] {
            let svg = shares(&categories).svg();
            check_common(&svg);
            assert_eq!(texts(group(&svg, "x-axis"), "tick"), categories);
        }
        let long: Vec<String> = (0..12)
            .map(|i| format!("a rather long category name {i}"))
            .collect();
        let long: Vec<&str> = long.iter().map(String::as_str).collect();
        let svg = shares(&long).svg();
        assert_eq!(texts(group(&svg, "x-axis"), "tick"), long);
        assert!(svg.contains("rotate(-45"));
    }

    #[test]
    fn many_categories_are_thinned_not_lost_in_order() {
        let names: Vec<String> = (0..45).map(|i| format!("c{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let svg = shares(&names).svg();
        let labels = texts(group(&svg, "x-axis"), "tick");
        let every: Vec<&str> = names.iter().step_by(3).copied().collect();
        assert_eq!(labels, every);
        // Every bar is still there.
        assert_eq!(attr_values(&svg, "data-value").len(), 90);
    }

    #[test]
    fn bars_carry_values_and_tooltips() {
        let svg = shares(&["a", "b", "c"]).svg();
        let series = groups(&svg, "series");
        assert_eq!(series.len(), 2);
        assert_eq!(
            attr_values(series[1], "data-value"),
            ["0", "0.333333", "0.666667"]
        );
        assert!(series[1].contains("<title>batch · c: 0.666667</title>"));
        assert_eq!(texts(&svg, "legend"), ["reference", "batch"]);
        // The y axis is nice: 0 to 0.7 in steps of 0.1 or 0.2.
        let y = texts(group(&svg, "y-axis"), "tick");
        assert_eq!(y.first().map(String::as_str), Some("0"));
        assert!(y.iter().all(|l| l.len() <= 3), "{y:?}");
    }

    #[test]
    fn hostile_names_are_escaped() {
        let mut c = shares(&["<b>x</b>", "y&z"]);
        c.series[0].0 = "<script>alert(1)</script>".into();
        c.title = "\"quoted\" 'title'".into();
        let svg = c.svg();
        check_common(&svg);
        assert!(svg.contains("data-name=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert!(svg.contains("&lt;b&gt;x&lt;/b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("aria-label=\"&quot;quoted&quot; &#39;title&#39;\""));
        assert_eq!(texts(&svg, "legend")[0], "<script>alert(1)</script>");
    }

    #[test]
    fn odd_input_does_not_panic() {
        let empty = BarChart::default().svg();
        check_common(&empty);
        assert!(empty.contains(">no data</text>"));
        let nan = BarChart {
            categories: vec!["a".into(), "b".into()],
            series: vec![("s".into(), vec![f64::NAN, f64::INFINITY])],
            ..BarChart::default()
        };
        assert!(nan.svg().contains(">no data</text>"));
        let mixed = BarChart {
            categories: vec!["a".into(), "b".into(), "c".into()],
            series: vec![("s".into(), vec![f64::NAN, -2.0])],
            width: 0,
            height: 0,
            ..BarChart::default()
        };
        let svg = mixed.svg();
        check_common(&svg);
        assert_eq!(attr_values(&svg, "data-value"), ["-2"]);
        assert!(svg.contains("class=\"zero-line\""));
    }
}
