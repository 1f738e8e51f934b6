//! # kiln-chart
//!
//! kiln's charts, drawn as standalone SVG with one shared style, for the monitoring report
//! and the web UI: [`LineChart`] (training curves, ROC, PR, calibration, residual scatter),
//! [`BarChart`] (grouped bars over named categories), [`Histogram`] (overlaid translucent
//! histograms), [`Heatmap`] (confusion matrices) and [`ParallelCoordinates`] (runs' params
//! and metrics side by side). A chart is a plain struct with public fields and a `Default`;
//! `svg()` turns it into a `<svg>` element.
//!
//! ```
//! use kiln_chart::{LineChart, Series};
//!
//! let chart = LineChart {
//!     title: "loss".into(),
//!     x_label: "epoch".into(),
//!     series: vec![
//!         Series::new("train", vec![(1.0, 0.9), (2.0, 0.5), (3.0, 0.4)]),
//!         Series::new("validation", vec![(1.0, 1.0), (2.0, 0.7), (3.0, 0.65)]),
//!     ],
//!     markers: true,
//!     ..LineChart::default()
//! };
//! let svg = chart.svg();
//! assert!(svg.contains("<text class=\"legend\""));
//! ```
//!
//! What every chart's SVG promises (the UI's browser tests and this crate's tests read it):
//! - the root is `<svg xmlns=".." class="kiln-chart" viewBox="0 0 W H" width="W" height="H"
//!   role="img" aria-label="TITLE">`, the title drawn as `<text class="title">`;
//! - tick labels are `<text class="tick">` inside `<g class="x-axis">` / `<g class="y-axis">`,
//!   at round values ([`nice_ticks`], labelled by [`tick_label`]); axis titles are
//!   `<text class="axis-label">`; gridlines (in `<g class="grid">`) only at ticks;
//! - each series is a `<g class="series" data-name="NAME">` in [`PALETTE`] colour `i % 10`;
//!   bars carry `data-value`, points `data-x`/`data-y`, heatmap cells
//!   `data-row`/`data-col`/`data-value`, and each has a `<title>` tooltip;
//! - from two series on there is a legend of `<text class="legend">`;
//! - every user-supplied text is escaped ([`escape`]); nothing non-finite is printed, and
//!   input without anything drawable gives a chart saying "no data" instead of a panic;
//! - output is deterministic, coordinates have at most 2 decimals.
//!
//! This crate has no dependencies and does no I/O: callers embed the string (inline in HTML,
//! or as an `.svg` file).
//!
//! ## Layers
//!
//! **Layers**, lowest first; a module imports only from lines above it:
//!
//! 1. `ticks`: [`nice_ticks`] and [`tick_label`], round axis values and their text.
//! 2. `svg`: [`escape`], [`PALETTE`], number printing, the shared style (greys, font sizes)
//!    and a small writer of SVG elements.
//! 3. `frame`: what surrounds the data — title, legend, plot area, scales, gridlines, numeric
//!    and categorical axes, the "no data" chart.
//! 4. The charts, one module each: `line` ([`LineChart`], [`Series`]), `bar` ([`BarChart`]),
//!    `histogram` ([`Histogram`]), `heatmap` ([`Heatmap`]), `parallel`
//!    ([`ParallelCoordinates`]).

mod bar;
mod frame;
mod heatmap;
mod histogram;
#[cfg(test)]
mod inspect;
mod line;
mod parallel;
mod svg;
mod ticks;

pub use bar::BarChart;
pub use heatmap::Heatmap;
pub use histogram::Histogram;
pub use line::{LineChart, Series};
pub use parallel::ParallelCoordinates;
pub use svg::{PALETTE, escape};
pub use ticks::{nice_ticks, tick_label};
