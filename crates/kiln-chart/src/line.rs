//! [`LineChart`]: series of points on numeric x and y axes.

use std::fmt::Write as _;

use crate::frame::{
    self, Area, Linear, axis_ticks, category_labels, finite_extent, grid, tick_target, x_axis,
    x_axis_margin, x_categories, y_axis, y_axis_margin,
};
use crate::svg::{Num, REFERENCE, Svg, Value, colour};
use crate::ticks::Ticks;

/// A named series of (x, y) points.
///
/// Points with a non-finite coordinate are skipped when drawn (a line breaks there); nothing
/// non-finite is ever printed into the SVG.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Name shown in the legend and tooltips.
    pub name: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series called `name`.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
        }
    }
}

/// Lines (or points only) on numeric x and y axes: training curves, ROC, PR, calibration,
/// residual scatter.
///
/// Each series is drawn in [`PALETTE`](crate::PALETTE) colour `i % 10`, in a
/// `<g class="series" data-name="NAME">`; a legend appears from two series on.
///
/// ```
/// use kiln_chart::{LineChart, Series};
///
/// let roc = LineChart {
///     title: "ROC".into(),
///     x_label: "false positive rate".into(),
///     y_label: "true positive rate".into(),
///     series: vec![Series::new("model", vec![(0.0, 0.0), (0.1, 0.7), (0.4, 0.9), (1.0, 1.0)])],
///     x_range: Some((0.0, 1.0)),
///     y_range: Some((0.0, 1.0)),
///     diagonal: true,
///     ..LineChart::default()
/// };
/// let svg = roc.svg();
/// assert!(svg.starts_with("<svg") && svg.contains("class=\"diagonal\""));
/// ```
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Title, drawn at the top and used as the accessible name.
    pub title: String,
    /// Title of the x axis.
    pub x_label: String,
    /// Title of the y axis.
    pub y_label: String,
    /// The series.
    pub series: Vec<Series>,
    /// Fixed x bounds; `None` (or bounds that are not finite and increasing): from the data,
    /// padded to nice ticks. Points outside fixed bounds are not drawn, lines are cut at them.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y bounds, as `x_range`.
    pub y_range: Option<(f64, f64)>,
    /// A dashed y = x reference line (ROC, calibration).
    pub diagonal: bool,
    /// A dashed y = 0 reference line (residuals); 0 is then always on the y axis.
    pub zero_line: bool,
    /// Scatter: circles, no lines.
    pub points_only: bool,
    /// Lines with a small circle at each point (short series such as per-epoch curves).
    pub markers: bool,
    /// A categorical x axis: when not empty, an x value `i` is the category `x_categories[i]`,
    /// each labelled under its slot (as [`BarChart`](crate::BarChart) does), and `x_range` is
    /// ignored. For a scatter of values per choice.
    pub x_categories: Vec<String>,
    /// Width in px (at least 120).
    pub width: u32,
    /// Height in px (at least 80).
    pub height: u32,
}

impl Default for LineChart {
    fn default() -> Self {
        Self {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            x_range: None,
            y_range: None,
            diagonal: false,
            zero_line: false,
            points_only: false,
            markers: false,
            x_categories: Vec::new(),
            width: 520,
            height: 300,
        }
    }
}

/// A point is drawn when both coordinates are finite.
fn finite(p: (f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite()
}

/// The part of segment `a`–`b` inside the box `x` × `y` (Liang–Barsky), if any.
fn clip(
    a: (f64, f64),
    b: (f64, f64),
    x: (f64, f64),
    y: (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x.0),
        (dx, x.1 - a.0),
        (-dy, a.1 - y.0),
        (dy, y.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((
        if t0 > 0.0 { at(t0) } else { a },
        if t1 < 1.0 { at(t1) } else { b },
    ))
}

/// The visible runs of a series: polylines in data coordinates, cut at non-finite points and
/// at the plot's bounds.
fn runs(points: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let piece = if finite(a) && finite(b) {
            clip(a, b, x, y)
        } else {
            None
        };
        match piece {
            Some((from, to)) => {
                if current.last() != Some(&from) {
                    if current.len() >= 2 {
                        out.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    current.push(from);
                }
                current.push(to);
            }
            None => {
                if current.len() >= 2 {
                    out.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() >= 2 {
        out.push(current);
    }
    out
}

impl LineChart {
    /// The chart as a standalone `<svg>` element.
    ///
    /// Without a single finite point it says "no data".
    pub fn svg(&self) -> String {
        let points = || {
            self.series
                .iter()
                .flat_map(|s| s.points.iter().copied())
                .filter(|&p| finite(p))
        };
        let Some(x_data) = finite_extent(points().map(|p| p.0)) else {
            return frame::no_data(self.width, self.height, &self.title);
        };
        let mut y_data = finite_extent(points().map(|p| p.1));
        if self.zero_line {
            y_data = y_data.map(|(lo, hi)| (lo.min(0.0), hi.max(0.0)));
        }
        let (width, height) = frame::size(self.width, self.height);
        let mut svg = Svg::new(width, height, &self.title);
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        let top = frame::header(&mut svg, &self.title, &names) + 6.0;
        let bottom = x_axis_margin(&self.x_label);
        let y_target = tick_target(svg.height - top - bottom, 40.0, 8);
        let Some((y_ticks, y_domain)) = axis_ticks(y_data, self.y_range, y_target) else {
            return frame::no_data(self.width, self.height, &self.title);
        };
        let left = y_axis_margin(&y_ticks.labels(), &self.y_label);
        let area = Area::inside(&svg, left, top, 18.0, bottom);
        if !self.x_categories.is_empty() {
            return self.categorical(svg, area, left, top, y_ticks, y_domain);
        }
        let x_target = tick_target(area.width(), 90.0, 10);
        let Some((x_ticks, x_domain)) = axis_ticks(Some(x_data), self.x_range, x_target) else {
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
        self.reference_lines(&mut svg, sx, sy);
        for (i, series) in self.series.iter().enumerate() {
            self.draw_series(&mut svg, i, series, sx, sy);
        }
        x_axis(&mut svg, area, sx, &x_ticks, &self.x_label);
        y_axis(&mut svg, area, sy, &y_ticks, &self.y_label);
        svg.finish()
    }

    /// The rest of [`svg`](Self::svg) on a categorical x axis: one slot per category, x
    /// value `i` at the centre of slot `i`.
    fn categorical(
        &self,
        mut svg: Svg,
        area: Area,
        left: f64,
        top: f64,
        y_ticks: Ticks,
        y_domain: (f64, f64),
    ) -> String {
        let n = self.x_categories.len();
        let layout = category_labels(
            &self.x_categories,
            area.width() / n as f64,
            svg.height * 0.35,
        );
        // Turned labels need more room than the horizontal tick labels `area` left.
        let extra = (layout.height + 6.0 - x_axis_margin("")).max(0.0);
        let bottom = x_axis_margin(&self.x_label) + extra;
        let area = Area::inside(&svg, left, top, 18.0, bottom);
        let sx = Linear {
            domain: (-0.5, n as f64 - 0.5),
            range: (area.left, area.right),
        };
        let sy = Linear {
            domain: y_domain,
            range: (area.bottom, area.top),
        };
        let ys: Vec<f64> = y_ticks.values.iter().map(|&v| sy.map(v)).collect();
        grid(&mut svg, area, &[], &ys);
        self.reference_lines(&mut svg, sx, sy);
        for (i, series) in self.series.iter().enumerate() {
            self.draw_series(&mut svg, i, series, sx, sy);
        }
        let centres: Vec<f64> = (0..n).map(|i| sx.map(i as f64)).collect();
        x_categories(
            &mut svg,
            area,
            &centres,
            &self.x_categories,
            layout,
            &self.x_label,
        );
        y_axis(&mut svg, area, sy, &y_ticks, &self.y_label);
        svg.finish()
    }

    fn reference_lines(&self, svg: &mut Svg, sx: Linear, sy: Linear) {
        let dashed = "stroke-dasharray=\"4 4\"";
        if self.diagonal {
            // y = x where both axes have it.
            let lo = sx.domain.0.max(sy.domain.0);
            let hi = sx.domain.1.min(sy.domain.1);
            if lo < hi {
                svg.raw().push_str("<g class=\"diagonal\">");
                svg.line(
                    (sx.map(lo), sy.map(lo)),
                    (sx.map(hi), sy.map(hi)),
                    REFERENCE,
                    dashed,
                );
                svg.end_group();
            }
        }
        if self.zero_line && sy.contains(0.0) {
            svg.raw().push_str("<g class=\"zero-line\">");
            let y = sy.map(0.0);
            svg.line((sx.range.0, y), (sx.range.1, y), REFERENCE, dashed);
            svg.end_group();
        }
    }

    fn draw_series(&self, svg: &mut Svg, i: usize, series: &Series, sx: Linear, sy: Linear) {
        let stroke = colour(i);
        svg.named_group("series", &series.name);
        if !self.points_only {
            for run in runs(&series.points, sx.domain, sy.domain) {
                let out = svg.raw();
                out.push_str("<polyline fill=\"none\" stroke=\"");
                out.push_str(stroke);
                out.push_str("\" stroke-width=\"1.8\" stroke-linejoin=\"round\" points=\"");
                for (j, (x, y)) in run.iter().enumerate() {
                    let sep = if j == 0 { "" } else { " " };
                    let _ = write!(out, "{sep}{},{}", Num(sx.map(*x)), Num(sy.map(*y)));
                }
                out.push_str("\">");
                svg.tooltip(&series.name);
                svg.raw().push_str("</polyline>");
            }
        }
        let visible: Vec<(f64, f64)> = series
            .points
            .iter()
            .copied()
            .filter(|&(x, y)| finite((x, y)) && sx.contains(x) && sy.contains(y))
            .collect();
        // A series of one point has no line to show: it gets its circle.
        if self.points_only || self.markers || visible.len() == 1 {
            let (radius, opacity) = if self.points_only {
                (3.0, " fill-opacity=\"0.7\"")
            } else {
                (2.5, "")
            };
            for (x, y) in visible {
                let _ = write!(
                    svg.raw(),
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{radius}\" fill=\"{stroke}\"{opacity} data-x=\"{}\" data-y=\"{}\">",
                    Num(sx.map(x)),
                    Num(sy.map(y)),
                    Value(x),
                    Value(y),
                );
                svg.tooltip(&format!("{}: ({}, {})", series.name, Value(x), Value(y)));
                svg.raw().push_str("</circle>");
            }
        }
        svg.end_group();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{attr_values, group, texts};
    use crate::ticks::nice_scale;

    fn chart(series: Vec<Series>) -> LineChart {
        LineChart {
            title: "loss".into(),
            x_label: "epoch".into(),
            y_label: "loss".into(),
            series,
            ..LineChart::default()
        }
    }

    #[test]
    fn tick_labels_are_the_nice_ticks_of_the_data() {
        let points: Vec<(f64, f64)> = (0..40)
            .map(|i| {
                let x = -1.4475 + f64::from(i) * 0.0963;
                (x, (x * 1.7).sin() * 3.3 - 0.7607)
            })
            .collect();
        let svg = chart(vec![Series::new("train", points.clone())]).svg();
        let (x_lo, x_hi) = finite_extent(points.iter().map(|p| p.0)).unwrap();
        let (y_lo, y_hi) = finite_extent(points.iter().map(|p| p.1)).unwrap();
        let x_labels = texts(group(&svg, "x-axis"), "tick");
        let y_labels = texts(group(&svg, "y-axis"), "tick");
        // The data run from -1.4475 to 2.3082: the x axis is the brief's example.
        assert_eq!(x_labels, ["-2", "-1", "0", "1", "2", "3"]);
        // Both axes show exactly the nice ticks of the data's extent (for the tick count the
        // chart's size asked for).
        let is_nice_ticks_of = |labels: &[String], lo: f64, hi: f64| {
            (2..=10).any(|t| nice_scale(lo, hi, t).unwrap().labels() == labels)
        };
        assert!(is_nice_ticks_of(&x_labels, x_lo, x_hi), "{x_labels:?}");
        assert!(is_nice_ticks_of(&y_labels, y_lo, y_hi), "{y_labels:?}");
        // Round: each label is a multiple of the step, and the ends cover the data.
        for (labels, lo, hi) in [(&x_labels, x_lo, x_hi), (&y_labels, y_lo, y_hi)] {
            let values: Vec<f64> = labels.iter().map(|l| l.parse().unwrap()).collect();
            let step = values[1] - values[0];
            for v in &values {
                assert!(((v / step) - (v / step).round()).abs() < 1e-6, "{labels:?}");
            }
            assert!(
                values[0] <= lo && *values.last().unwrap() >= hi,
                "{labels:?}"
            );
        }
        assert!(!svg.contains("1.4475") && !svg.contains("0.7607"));
    }

    #[test]
    fn gridlines_only_at_ticks() {
        let svg = chart(vec![Series::new("a", vec![(0.0, 0.0), (10.0, 3.0)])]).svg();
        let ticks =
            texts(group(&svg, "x-axis"), "tick").len() + texts(group(&svg, "y-axis"), "tick").len();
        assert_eq!(group(&svg, "grid").matches("<line").count(), ticks);
    }

    #[test]
    fn fixed_ranges_keep_their_bounds_and_cut_lines() {
        let c = LineChart {
            x_range: Some((0.0, 1.0)),
            y_range: Some((0.0, 1.0)),
            diagonal: true,
            markers: true,
            ..chart(vec![Series::new(
                "roc",
                vec![(0.0, 0.0), (0.5, 0.8), (2.0, 0.9)],
            )])
        };
        let svg = c.svg();
        assert_eq!(
            texts(group(&svg, "x-axis"), "tick"),
            ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        // The point beyond x = 1 is not drawn, and no coordinate leaves the plot.
        assert_eq!(attr_values(&svg, "data-x"), ["0", "0.5"]);
        assert!(svg.contains("class=\"diagonal\""));
    }

    #[test]
    fn non_finite_points_break_lines_and_never_print() {
        let c = chart(vec![
            Series::new(
                "a",
                vec![
                    (0.0, 1.0),
                    (1.0, f64::NAN),
                    (2.0, 2.0),
                    (3.0, 2.5),
                    (f64::INFINITY, 1.0),
                ],
            ),
            Series::new("b", vec![(f64::NAN, f64::NAN)]),
        ]);
        let svg = LineChart { markers: true, ..c }.svg();
        for bad in ["NaN", "inf", "Infinity"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
        // One polyline (2–3); the point at 0 stands alone.
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(attr_values(&svg, "data-x"), ["0", "2", "3"]);
        // All non-finite: no data, no panic.
        let empty = chart(vec![Series::new("z", vec![(f64::NAN, 1.0)])]).svg();
        assert!(empty.contains(">no data</text>"));
        assert!(chart(Vec::new()).svg().contains(">no data</text>"));
    }

    #[test]
    fn scatter_points_carry_their_values() {
        let c = LineChart {
            points_only: true,
            zero_line: true,
            ..chart(vec![Series::new(
                "residual",
                vec![(1.0, 0.25), (2.0, -0.5), (3.0, 0.125)],
            )])
        };
        let svg = c.svg();
        assert_eq!(svg.matches("<polyline").count(), 0);
        assert_eq!(attr_values(&svg, "data-y"), ["0.25", "-0.5", "0.125"]);
        assert!(svg.contains("<title>residual: (2, -0.5)</title>"));
        assert!(svg.contains("class=\"zero-line\""));
        // One series: no legend.
        assert!(texts(&svg, "legend").is_empty());
    }

    #[test]
    fn categorical_x_labels_each_choice_under_its_points() {
        let c = LineChart {
            points_only: true,
            x_label: "optimizer".into(),
            x_categories: vec!["adam".into(), "<sgd>".into(), "rmsprop".into()],
            ..chart(vec![Series::new(
                "trials",
                vec![(0.0, 0.5), (1.0, 0.25), (0.0, 0.75), (2.0, 1.0)],
            )])
        };
        let svg = c.svg();
        crate::inspect::check_common(&svg);
        assert_eq!(
            texts(group(&svg, "x-axis"), "tick"),
            ["adam", "<sgd>", "rmsprop"]
        );
        assert!(svg.contains(">&lt;sgd&gt;</text>"));
        assert_eq!(texts(group(&svg, "x-axis"), "axis-label"), ["optimizer"]);
        // Points of one category share its slot's centre, where its label sits.
        let cx = |svg: &str| -> Vec<String> {
            svg.split("<circle cx=\"")
                .skip(1)
                .map(|s| s.split('"').next().unwrap().to_string())
                .collect()
        };
        let xs = cx(&svg);
        assert_eq!(xs.len(), 4);
        assert_eq!(xs[0], xs[2]);
        assert!(xs[0].parse::<f64>().unwrap() < xs[1].parse::<f64>().unwrap());
        assert_eq!(attr_values(&svg, "data-x"), ["0", "1", "0", "2"]);
        // No numeric x ticks, so no vertical gridlines.
        let y_ticks = texts(group(&svg, "y-axis"), "tick").len();
        assert_eq!(group(&svg, "grid").matches("<line").count(), y_ticks);
    }

    #[test]
    fn clipping_keeps_the_inside_part() {
        let (a, b) = clip((-1.0, 0.5), (2.0, 0.5), (0.0, 1.0), (0.0, 1.0)).unwrap();
        assert_eq!((a, b), ((0.0, 0.5), (1.0, 0.5)));
        assert!(clip((2.0, 2.0), (3.0, 3.0), (0.0, 1.0), (0.0, 1.0)).is_none());
    }
}
