//! `kiln report MODEL|RUN [-o OUT.html|OUT.png|OUT.svg] [--grid N]`: a model's or a run's
//! page as one HTML file that opens offline (drawn by kiln-ui, the same as the web UI's run
//! page), and pictures of a Bayesian model, described below (also inside its HTML report).
//!
//! For two inputs: the posterior mean probability and the posterior predictive standard
//! deviation over a grid of the (encoded) input plane, with the test points on top, like the
//! figures of the PyMC Bayesian-deep-learning seed; always: the ELBO trace. Text is drawn with
//! an embedded subset of DejaVu Sans (plotters' `ab_glyph` backend), so no system font
//! library is needed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use kiln::data::{Encoded, Targets};
use kiln::{DataSelection, TrainedModel};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::json;

use crate::flags::ReportArgs;
use crate::render::emit;

/// DejaVu Sans cut down to Latin-1 punctuation, digits and letters (see `assets/README.md`).
const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans-subset.ttf");

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// What the pictures show.
struct Maps {
    /// Grid cells per axis.
    n: usize,
    x_range: (f64, f64),
    y_range: (f64, f64),
    /// `n × n` posterior mean of the shown probability (row-major, y outer).
    mean: Vec<f64>,
    /// `n × n` posterior predictive std.
    std: Vec<f64>,
    /// Test points: (x, y, class).
    points: Vec<(f64, f64, usize)>,
    /// What the mean map shows, e.g. `P(label = 1)`.
    label: String,
}

pub(crate) fn run(args: &ReportArgs, json: bool) -> anyhow::Result<ExitCode> {
    let ext_of = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
    };
    if !args.model.exists() {
        // Not a file: a recorded run, by id or prefix; its page as one HTML file.
        let given = args.model.to_string_lossy().into_owned();
        if let Some(out) = &args.output
            && ext_of(out).as_deref() != Some("html")
        {
            anyhow::bail!(
                "{given} is not a file, so it names a run, and a run's report is HTML: name the output .html"
            );
        }
        let store = super::store()?;
        let html = kiln_ui::run_report(&store, &given)?;
        let output = args
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("run-{given}.html")));
        return wrote_html(&output, &html, json);
    }
    let model = TrainedModel::load(&args.model)?;
    let output = args.output.clone().unwrap_or_else(|| {
        args.model
            .with_extension(if model.is_bayesian() { "png" } else { "html" })
    });
    let ext = ext_of(&output);
    if ext.as_deref() == Some("html") {
        let mut figures = Vec::new();
        if model.is_bayesian() {
            figures.push(kiln_ui::Figure {
                id: "posterior".into(),
                title: "Posterior: probability, uncertainty and ELBO".into(),
                svg: posterior_svg(&model, args.grid as usize)?,
            });
        }
        let html = kiln_ui::model_report(&args.model, &figures)?;
        return wrote_html(&output, &html, json);
    }
    if !model.is_bayesian() {
        anyhow::bail!(
            "{} is not a Bayesian model; its pictures are the HTML report (`-o {}`), and .png/.svg draw models trained with training.method = \"advi\"",
            args.model.display(),
            args.model.with_extension("html").display()
        );
    }
    if !matches!(ext.as_deref(), Some("png" | "svg")) {
        anyhow::bail!(
            "cannot tell the picture format from {}; name it .html, .png or .svg",
            output.display()
        );
    }
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow::anyhow!("the embedded font is unreadable"))?;

    let maps = if model.header.encoder.input_shape() == [2] {
        Some(maps(&model, args.grid as usize)?)
    } else {
        None
    };
    let trace = model.elbo_trace();
    let panels = if maps.is_some() { 3 } else { 1 };
    let size = (520 * panels as u32, 480);
    let drawn = if ext.as_deref() == Some("svg") {
        draw(
            SVGBackend::new(&output, size).into_drawing_area(),
            maps.as_ref(),
            trace,
        )
    } else {
        draw(
            BitMapBackend::new(&output, size).into_drawing_area(),
            maps.as_ref(),
            trace,
        )
    };
    drawn
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot draw {}", output.display()))?;
    if json {
        emit(&json!({
            "path": output,
            "panels": if maps.is_some() {
                vec!["probability", "std", "elbo"]
            } else {
                vec!["elbo"]
            },
            "grid": args.grid,
        }));
    } else {
        eprintln!("Wrote {}", output.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A Bayesian model's pictures as SVG text: the probability and uncertainty maps over a grid
/// of `grid` cells per axis (two inputs only) and the ELBO trace.
pub(crate) fn posterior_svg(model: &TrainedModel, grid: usize) -> anyhow::Result<String> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow::anyhow!("the embedded font is unreadable"))?;
    let maps = if model.header.encoder.input_shape() == [2] {
        Some(maps(model, grid)?)
    } else {
        None
    };
    let panels = if maps.is_some() { 3 } else { 1 };
    let mut svg = String::new();
    draw(
        SVGBackend::with_string(&mut svg, (520 * panels as u32, 480)).into_drawing_area(),
        maps.as_ref(),
        model.elbo_trace(),
    )
    .map_err(|e| anyhow::anyhow!("cannot draw the posterior maps: {e}"))?;
    Ok(svg)
}

fn wrote_html(output: &Path, html: &str, json: bool) -> anyhow::Result<ExitCode> {
    super::monitor::write_atomically(output, html.as_bytes())?;
    if json {
        emit(&json!({"path": output, "bytes": html.len()}));
    } else {
        eprintln!("Wrote {}", output.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Predicts the grid and reads the test points (both in the encoded input space).
fn maps(model: &TrainedModel, n: usize) -> anyhow::Result<Maps> {
    let cache = super::cache()?;
    let (test, targets, warning) = model
        .selection_data(&DataSelection::Test, &cache)
        .context("cannot re-derive the model's test rows")?;
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    let classes: Vec<usize> = match &targets {
        Targets::Classes(c) => c.iter().map(|&v| v.max(0) as usize).collect(),
        Targets::Values(v) => vec![0; v.len()],
    };
    let points: Vec<(f64, f64, usize)> = test
        .data
        .chunks_exact(2)
        .zip(classes)
        .map(|(p, c)| (f64::from(p[0]), f64::from(p[1]), c))
        .collect();
    let bounds = |axis: usize| {
        let v = points.iter().map(|p| if axis == 0 { p.0 } else { p.1 });
        let lo = v.clone().fold(f64::INFINITY, f64::min);
        let hi = v.fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi.is_finite() {
            (lo - 0.5, hi + 0.5)
        } else {
            (-3.0, 3.0)
        }
    };
    let (x_range, y_range) = (bounds(0), bounds(1));
    let mut grid = Vec::with_capacity(n * n * 2);
    for j in 0..n {
        for i in 0..n {
            let x = x_range.0 + (x_range.1 - x_range.0) * (i as f64 + 0.5) / n as f64;
            let y = y_range.0 + (y_range.1 - y_range.0) * (j as f64 + 0.5) / n as f64;
            grid.extend([x as f32, y as f32]);
        }
    }
    let encoded = Encoded {
        data: grid,
        rows: n * n,
        row_shape: vec![2],
    };
    let p = model.posterior_predictive(&encoded)?;
    // Binary: the engine's single output is P(positive); categorical: show the last class;
    // regression: the value.
    let k = p.outputs;
    let pick = |v: &[f64]| -> Vec<f64> { v.chunks_exact(k).map(|r| r[k - 1]).collect() };
    let output = &model.header.encoder.output;
    let label = match output {
        kiln::data::FittedOutput::Binary { name, classes } => format!("P({name} = {})", classes[1]),
        kiln::data::FittedOutput::Category { name, classes } => {
            format!("P({name} = {})", classes.last().map_or("?", String::as_str))
        }
        kiln::data::FittedOutput::Number { name, .. } => format!("{name} (standardised)"),
    };
    Ok(Maps {
        n,
        x_range,
        y_range,
        mean: pick(&p.mean),
        std: pick(&p.std),
        points,
        label,
    })
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    maps: Option<&Maps>,
    trace: &[f32],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let Some(maps) = maps else {
        elbo_panel(&root, trace)?;
        root.present()?;
        return Ok(());
    };
    let panels = root.split_evenly((1, 3));
    let max_std = maps.std.iter().copied().fold(0.0, f64::max).max(1e-12);
    map_panel(
        &panels[0],
        maps,
        &format!("Posterior mean {}", maps.label),
        &maps.mean,
        &diverging,
    )?;
    map_panel(
        &panels[1],
        maps,
        &format!("Predictive std (max {max_std:.3})"),
        &maps.std,
        &|v| viridis(v / max_std),
    )?;
    elbo_panel(&panels[2], trace)?;
    root.present()?;
    Ok(())
}

fn map_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    maps: &Maps,
    title: &str,
    values: &[f64],
    color: &dyn Fn(f64) -> RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = maps.x_range;
    let (y0, y1) = maps.y_range;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(40)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("x0 (standardised)")
        .y_desc("x1 (standardised)")
        .label_style(("sans-serif", 12))
        .draw()?;
    let n = maps.n;
    let (dx, dy) = ((x1 - x0) / n as f64, (y1 - y0) / n as f64);
    chart.draw_series((0..n * n).map(|c| {
        let (i, j) = (c % n, c / n);
        let (x, y) = (x0 + dx * i as f64, y0 + dy * j as f64);
        Rectangle::new([(x, y), (x + dx, y + dy)], color(values[c]).filled())
    }))?;
    let class_colour = [RGBColor(31, 119, 180), RGBColor(255, 127, 14)];
    chart.draw_series(
        maps.points
            .iter()
            .map(|&(x, y, c)| Circle::new((x, y), 3, class_colour[c.min(1)].filled())),
    )?;
    chart.draw_series(
        maps.points
            .iter()
            .map(|&(x, y, _)| Circle::new((x, y), 3, BLACK.stroke_width(1))),
    )?;
    Ok(())
}

fn elbo_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, trace: &[f32]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    // Bin means, at most 1,000 points.
    let bins = trace.len().clamp(1, 1000);
    let per = trace.len().div_ceil(bins).max(1);
    let points: Vec<(f64, f64)> = trace
        .chunks(per)
        .enumerate()
        .map(|(b, c)| {
            let mean = c.iter().map(|&v| f64::from(v)).sum::<f64>() / c.len() as f64;
            (((b * per) + c.len() / 2) as f64, mean)
        })
        .collect();
    // The first few percent fall steeply; scale the axis to the rest, as PyMC plots do.
    let skip = points.len() / 50;
    let shown = &points[skip.min(points.len().saturating_sub(1))..];
    let lo = shown.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = shown.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
    } else {
        (-1.0, 1.0)
    };
    let mut chart = ChartBuilder::on(area)
        .caption("ELBO per iteration", ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..trace.len().max(1) as f64, lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc("ELBO")
        // Iterations run to tens of thousands: few ticks, labelled `10k`, so they never touch.
        .x_labels(6)
        .x_label_formatter(&|v| iteration_label(*v))
        .y_labels(6)
        .y_label_formatter(&|v| elbo_label(*v))
        .label_style(("sans-serif", 12))
        .draw()?;
    chart.draw_series(LineSeries::new(
        points.iter().map(|&(x, y)| (x, y.clamp(lo, hi))),
        RGBColor(31, 119, 180).stroke_width(2),
    ))?;
    Ok(())
}

/// An iteration count as an axis label: `0`, `500`, `2.5k`, `10k`, `1.2M`.
fn iteration_label(v: f64) -> String {
    let short = |x: f64, unit: &str| {
        let text = format!("{x:.1}");
        format!("{}{unit}", text.strip_suffix(".0").unwrap_or(&text))
    };
    let a = v.abs();
    if a >= 999_950.0 {
        short(v / 1e6, "M")
    } else if a >= 1000.0 {
        short(v / 1e3, "k")
    } else {
        format!("{v:.0}")
    }
}

/// An ELBO value as an axis label: whole numbers once they are large, else up to two
/// decimals.
fn elbo_label(v: f64) -> String {
    let text = if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if text == "-0" { "0".to_string() } else { text }
}

/// Blue (0) → white (0.5) → red (1).
fn diverging(v: f64) -> RGBColor {
    let v = v.clamp(0.0, 1.0);
    let (lo, mid, hi) = (
        [59.0, 76.0, 192.0],
        [247.0, 247.0, 247.0],
        [180.0, 4.0, 38.0],
    );
    let (a, b, t) = if v < 0.5 {
        (lo, mid, v * 2.0)
    } else {
        (mid, hi, (v - 0.5) * 2.0)
    };
    mix(a, b, t)
}

/// An approximation of matplotlib's viridis by five stops.
fn viridis(v: f64) -> RGBColor {
    const STOPS: [[f64; 3]; 5] = [
        [68.0, 1.0, 84.0],
        [59.0, 82.0, 139.0],
        [33.0, 145.0, 140.0],
        [94.0, 201.0, 98.0],
        [253.0, 231.0, 37.0],
    ];
    let v = v.clamp(0.0, 1.0) * 4.0;
    let i = (v.floor() as usize).min(3);
    mix(STOPS[i], STOPS[i + 1], v - i as f64)
}

fn mix(a: [f64; 3], b: [f64; 3], t: f64) -> RGBColor {
    let c = |k: usize| (a[k] + (b[k] - a[k]) * t).round() as u8;
    RGBColor(c(0), c(1), c(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_are_short() {
        let labels: Vec<String> = [0.0, 500.0, 2500.0, 10_000.0, 50_000.0, 1_250_000.0]
            .map(iteration_label)
            .into();
        assert_eq!(labels, ["0", "500", "2.5k", "10k", "50k", "1.2M"]);
        let labels: Vec<String> = [-1234.56, -120.0, -12.3456, 0.5, 0.0]
            .map(elbo_label)
            .into();
        assert_eq!(labels, ["-1235", "-120", "-12.35", "0.5", "0"]);
    }

    /// The ELBO panel of a 50,000-iteration fit, drawn as SVG: its x-axis tick labels must
    /// not touch (they did, as `5000.0 10000.0 …`, before labels were shortened and thinned).
    #[test]
    fn elbo_axis_labels_do_not_overlap() {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("font"));
        let trace: Vec<f32> = (0..50_000)
            .map(|i| -120.0 - 400.0 / (1.0 + i as f32 / 500.0) + ((i * 7919) % 13) as f32)
            .collect();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (520, 480)).into_drawing_area();
            root.fill(&WHITE).unwrap();
            elbo_panel(&root, &trace).unwrap();
            root.present().unwrap();
        }
        // (x, half width, text) of the centred numeric labels: the x-axis ticks.
        let attr = |tag: &str, name: &str| -> f64 {
            let at = tag.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
            tag[at..tag[at..].find('"').unwrap() + at].parse().unwrap()
        };
        let mut ticks: Vec<(f64, f64, String)> = svg
            .split("<text")
            .skip(1)
            .filter(|t| t.contains("text-anchor=\"middle\""))
            .filter_map(|t| {
                let open = t.find('>')?;
                let text = t[open + 1..t.find("</text>")?].trim().to_string();
                let numeric = !text.is_empty()
                    && text
                        .trim_end_matches(['k', 'M'])
                        .trim_start_matches('-')
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.');
                // DejaVu Sans digits are 0.64 em wide; count every character as 0.7 em.
                let width = 0.7 * attr(t, "font-size") * text.chars().count() as f64;
                numeric.then(|| (attr(t, "x"), width / 2.0, text))
            })
            .collect();
        ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
        let texts: Vec<&str> = ticks.iter().map(|t| t.2.as_str()).collect();
        assert!(
            (4..=8).contains(&ticks.len()) && texts.contains(&"10k"),
            "{texts:?}"
        );
        for pair in ticks.windows(2) {
            let gap = pair[1].0 - pair[0].0 - pair[0].1 - pair[1].1;
            assert!(
                gap >= 4.0,
                "{texts:?}: `{}` and `{}` {gap:.1} px apart",
                pair[0].2,
                pair[1].2
            );
        }
    }

    #[test]
    fn colour_maps_hit_their_ends() {
        assert_eq!(diverging(0.0), RGBColor(59, 76, 192));
        assert_eq!(diverging(0.5), RGBColor(247, 247, 247));
        assert_eq!(diverging(1.0), RGBColor(180, 4, 38));
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
    }
}
