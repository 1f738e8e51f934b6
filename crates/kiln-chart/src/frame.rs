//! What every chart draws around its data: the title, the legend, the plot area, gridlines at
//! the ticks, numeric and categorical axes, and the "no data" placeholder.

use std::fmt::Write as _;

use crate::svg::{
    AXIS, Anchor, GRID, LABEL_SIZE, MUTED, Num, Svg, TICK_SIZE, TITLE_SIZE, Text, colour,
    text_width,
};
use crate::ticks::{Ticks, nice_scale};

/// Smallest drawing accepted: narrower or lower sizes are raised to these.
pub(crate) const MIN_WIDTH: u32 = 120;
/// See [`MIN_WIDTH`].
pub(crate) const MIN_HEIGHT: u32 = 80;

/// Room left and right of everything.
const PAD: f64 = 10.0;
/// Height of one legend row.
const LEGEND_ROW: f64 = 16.0;
/// Gap between tick marks and their labels.
const TICK_GAP: f64 = 5.0;

/// The rectangle data are drawn in, in px.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Area {
    /// Left edge.
    pub(crate) left: f64,
    /// Top edge.
    pub(crate) top: f64,
    /// Right edge.
    pub(crate) right: f64,
    /// Bottom edge.
    pub(crate) bottom: f64,
}

impl Area {
    /// The plot area of an `svg` with these margins; never thinner than 10 px.
    pub(crate) fn inside(svg: &Svg, left: f64, top: f64, right: f64, bottom: f64) -> Self {
        let right_edge = (svg.width - right).max(left + 10.0);
        let bottom_edge = (svg.height - bottom).max(top + 10.0);
        Self {
            left,
            top,
            right: right_edge,
            bottom: bottom_edge,
        }
    }

    /// Width in px.
    pub(crate) fn width(&self) -> f64 {
        self.right - self.left
    }

    /// Height in px.
    pub(crate) fn height(&self) -> f64 {
        self.bottom - self.top
    }
}

/// A linear map from a data interval onto a pixel interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Linear {
    /// Data interval.
    pub(crate) domain: (f64, f64),
    /// Pixel interval (`domain.0` maps onto `range.0`).
    pub(crate) range: (f64, f64),
}

impl Linear {
    /// Pixel position of `v`.
    pub(crate) fn map(&self, v: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if d1 == d0 {
            (r0 + r1) / 2.0
        } else {
            r0 + (v - d0) / (d1 - d0) * (r1 - r0)
        }
    }

    /// Whether `v` lies in the domain (up to float noise).
    pub(crate) fn contains(&self, v: f64) -> bool {
        let (lo, hi) = (
            self.domain.0.min(self.domain.1),
            self.domain.0.max(self.domain.1),
        );
        let slack = (hi - lo) * 1e-9;
        v >= lo - slack && v <= hi + slack
    }
}

/// How many ticks to aim for along `length` px: one per `spacing` px, 2 to `most`.
pub(crate) fn tick_target(length: f64, spacing: f64, most: usize) -> usize {
    ((length / spacing).round() as usize).clamp(2, most)
}

/// An axis scale for data in `[lo, hi]`: a fixed `range` keeps its bounds (with the nice
/// ticks inside it), otherwise the domain is padded out to the nice ticks around the data.
/// `None` when there is nothing finite to scale.
pub(crate) fn axis_ticks(
    data: Option<(f64, f64)>,
    fixed: Option<(f64, f64)>,
    target: usize,
) -> Option<(Ticks, (f64, f64))> {
    let fixed = fixed.filter(|&(lo, hi)| lo.is_finite() && hi.is_finite() && lo < hi);
    if let Some((lo, hi)) = fixed {
        let ticks = nice_scale(lo, hi, target)?.within(lo, hi);
        return Some((ticks, (lo, hi)));
    }
    let (lo, hi) = data?;
    let ticks = nice_scale(lo, hi, target)?;
    let extent = ticks.extent()?;
    Some((ticks, extent))
}

/// The smallest and largest finite value, if any.
pub(crate) fn finite_extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
}

/// A chart's width and height, raised to the smallest drawable size.
pub(crate) fn size(width: u32, height: u32) -> (u32, u32) {
    (width.max(MIN_WIDTH), height.max(MIN_HEIGHT))
}

/// The title, and a legend when there are two or more `names` (series `i` in colour `i`).
/// Returns the y below them, where the plot may start.
pub(crate) fn header(svg: &mut Svg, title: &str, names: &[&str]) -> f64 {
    let mut y = PAD;
    if !title.is_empty() {
        svg.text(
            Text::new("title", PAD, PAD + TITLE_SIZE)
                .size(TITLE_SIZE)
                .bold(),
            title,
        );
        y += TITLE_SIZE + 8.0;
    }
    if names.len() >= 2 {
        y = legend(svg, names, y) + 4.0;
    }
    y
}

/// Legend entries in rows from `top`, wrapping at the drawing's width; at most about a third
/// of the height goes to it, and entries that do not fit are summed up as "+N more". Returns
/// the y below it.
fn legend(svg: &mut Svg, names: &[&str], top: f64) -> f64 {
    const SWATCH: f64 = 10.0;
    let max_rows = ((svg.height * 0.3 / LEGEND_ROW).floor() as usize).max(1);
    let right = svg.width - PAD;
    // (x, row, width) of each entry.
    let mut placed = Vec::with_capacity(names.len());
    let (mut x, mut row) = (PAD, 0usize);
    for name in names {
        let w = SWATCH + 4.0 + text_width(name, LABEL_SIZE) + 12.0;
        if x > PAD && x + w > right {
            row += 1;
            x = PAD;
        }
        placed.push((x, row, w));
        x += w;
    }
    let mut shown = placed.iter().take_while(|p| p.1 < max_rows).count();
    if shown < names.len() {
        let more_width = text_width("+0000 more", LABEL_SIZE);
        while shown > 1 {
            let (x, _, w) = placed[shown - 1];
            if x + w + more_width <= right {
                break;
            }
            shown -= 1;
        }
    }
    svg.group("legend");
    for (i, (name, &(x, row, _))) in names.iter().zip(&placed).take(shown).enumerate() {
        let y = top + row as f64 * LEGEND_ROW;
        let _ = write!(
            svg.raw(),
            "<rect x=\"{}\" y=\"{}\" width=\"{SWATCH}\" height=\"{SWATCH}\" fill=\"{}\"/>",
            Num(x),
            Num(y + 1.0),
            colour(i)
        );
        svg.text(Text::new("legend", x + SWATCH + 4.0, y + 10.0), name);
    }
    let (x, row) = match shown.checked_sub(1).map(|i| placed[i]) {
        Some((x, row, w)) => (x + w, row),
        None => (PAD, 0),
    };
    if shown < names.len() {
        svg.text(
            Text::new("legend-more", x, top + row as f64 * LEGEND_ROW + 10.0).fill(MUTED),
            &format!("+{} more", names.len() - shown),
        );
    }
    svg.end_group();
    top + (row + 1) as f64 * LEGEND_ROW
}

/// Width of the widest of `labels` at the tick size.
pub(crate) fn widest(labels: &[String]) -> f64 {
    labels
        .iter()
        .map(|l| text_width(l, TICK_SIZE))
        .fold(0.0, f64::max)
}

/// Left margin for a y axis with these tick labels and axis title.
pub(crate) fn y_axis_margin(labels: &[String], title: &str) -> f64 {
    let title_room = if title.is_empty() { 0.0 } else { 18.0 };
    PAD + title_room + widest(labels) + TICK_GAP + 2.0
}

/// Bottom margin for an x axis with horizontal tick labels and this title.
pub(crate) fn x_axis_margin(title: &str) -> f64 {
    let title_room = if title.is_empty() { 0.0 } else { 16.0 };
    TICK_GAP + TICK_SIZE + 6.0 + title_room + 4.0
}

/// Gridlines across `area`: horizontal at `ys`, vertical at `xs` (pixel positions).
pub(crate) fn grid(svg: &mut Svg, area: Area, xs: &[f64], ys: &[f64]) {
    svg.group("grid");
    for &x in xs {
        svg.line((x, area.top), (x, area.bottom), GRID, "");
    }
    for &y in ys {
        svg.line((area.left, y), (area.right, y), GRID, "");
    }
    svg.end_group();
}

/// A numeric y axis on the left of `area`: line, tick labels and rotated title.
pub(crate) fn y_axis(svg: &mut Svg, area: Area, scale: Linear, ticks: &Ticks, title: &str) {
    svg.group("y-axis");
    svg.line((area.left, area.top), (area.left, area.bottom), AXIS, "");
    for (v, label) in ticks.values.iter().zip(ticks.labels()) {
        let y = scale.map(*v);
        svg.line((area.left - 3.0, y), (area.left, y), AXIS, "");
        svg.text(
            Text::new("tick", area.left - TICK_GAP, y + TICK_SIZE * 0.35)
                .anchor(Anchor::End)
                .size(TICK_SIZE)
                .fill(MUTED),
            &label,
        );
    }
    if !title.is_empty() {
        let y = (area.top + area.bottom) / 2.0;
        svg.text(
            Text::new("axis-label", PAD + LABEL_SIZE, y)
                .anchor(Anchor::Middle)
                .rotate(-90.0),
            title,
        );
    }
    svg.end_group();
}

/// A numeric x axis under `area`: line, tick labels and title.
pub(crate) fn x_axis(svg: &mut Svg, area: Area, scale: Linear, ticks: &Ticks, title: &str) {
    svg.group("x-axis");
    svg.line(
        (area.left, area.bottom),
        (area.right, area.bottom),
        AXIS,
        "",
    );
    for (v, label) in ticks.values.iter().zip(ticks.labels()) {
        let x = scale.map(*v);
        svg.line((x, area.bottom), (x, area.bottom + 3.0), AXIS, "");
        svg.text(
            Text::new("tick", x, area.bottom + TICK_GAP + TICK_SIZE)
                .anchor(Anchor::Middle)
                .size(TICK_SIZE)
                .fill(MUTED),
            &label,
        );
    }
    x_title(svg, area, title);
    svg.end_group();
}

fn x_title(svg: &mut Svg, area: Area, title: &str) {
    if !title.is_empty() {
        svg.text(
            Text::new(
                "axis-label",
                (area.left + area.right) / 2.0,
                svg.height - PAD,
            )
            .anchor(Anchor::Middle),
            title,
        );
    }
}

/// How category labels sit under their slots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CategoryLabels {
    /// Degrees of rotation (0 or -45).
    pub(crate) rotate: f64,
    /// Every `every`-th label is drawn (1 for all of them).
    pub(crate) every: usize,
    /// Room the labels need under the plot, in px.
    pub(crate) height: f64,
}

/// Most categories that are all labelled; beyond this labels are thinned.
pub(crate) const ALL_LABELS_UP_TO: usize = 20;

/// The layout of `labels` under slots `slot` px wide: all of them up to
/// [`ALL_LABELS_UP_TO`] (thinned beyond), turned 45° when they do not fit side by side, and
/// never taller than `max_height` (a longer turned label runs off the drawing's edge).
pub(crate) fn category_labels(labels: &[String], slot: f64, max_height: f64) -> CategoryLabels {
    let every = labels.len().div_ceil(ALL_LABELS_UP_TO).max(1);
    let wide = widest(labels);
    if wide <= slot * every as f64 - 4.0 {
        return CategoryLabels {
            rotate: 0.0,
            every,
            height: TICK_GAP + TICK_SIZE + 4.0,
        };
    }
    let turned = wide * std::f64::consts::FRAC_1_SQRT_2 + TICK_SIZE + TICK_GAP + 4.0;
    CategoryLabels {
        rotate: -45.0,
        every,
        height: turned.min(max_height),
    }
}

/// A categorical x axis: `labels[i]` centred under `centres[i]` (as laid out by
/// [`category_labels`]), with a title.
pub(crate) fn x_categories(
    svg: &mut Svg,
    area: Area,
    centres: &[f64],
    labels: &[String],
    layout: CategoryLabels,
    title: &str,
) {
    svg.group("x-axis");
    svg.line(
        (area.left, area.bottom),
        (area.right, area.bottom),
        AXIS,
        "",
    );
    for (i, (x, label)) in centres.iter().zip(labels).enumerate() {
        if i % layout.every != 0 {
            continue;
        }
        let y = area.bottom + TICK_GAP + TICK_SIZE;
        let text = Text::new("tick", *x, y).size(TICK_SIZE).fill(MUTED);
        let text = if layout.rotate == 0.0 {
            text.anchor(Anchor::Middle)
        } else {
            Text {
                y: area.bottom + TICK_GAP + 2.0,
                ..text.anchor(Anchor::End).rotate(layout.rotate)
            }
        };
        svg.text(text, label);
    }
    x_title(svg, area, title);
    svg.end_group();
}

/// A complete chart saying "no data" under its title.
pub(crate) fn no_data(width: u32, height: u32, title: &str) -> String {
    let (width, height) = size(width, height);
    let mut svg = Svg::new(width, height, title);
    let top = header(&mut svg, title, &[]);
    svg.text(
        Text::new("no-data", svg.width / 2.0, (top + svg.height) / 2.0)
            .anchor(Anchor::Middle)
            .fill(MUTED),
        "no data",
    );
    svg.finish()
}
