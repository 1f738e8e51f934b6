//! SVG text: escaping, number printing, the shared style and a small writer of elements.
//!
//! Every chart is drawn through [`Svg`], so they share one root element, one font, one set of
//! greys and the same number formats. Styles are presentation attributes, not CSS: an inline
//! `<style>` in one chart would restyle every other SVG on the page.

use std::fmt::{self, Display, Write};

/// Tableau-10 colours (matplotlib's `tab10`); series `i` uses `PALETTE[i % 10]`.
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// Colour of series `i`.
pub(crate) fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Text colour.
pub(crate) const INK: &str = "#333";
/// Secondary text (tick labels, "no data").
pub(crate) const MUTED: &str = "#666";
/// Axis lines.
pub(crate) const AXIS: &str = "#999";
/// Gridlines, one per tick.
pub(crate) const GRID: &str = "#e5e5e5";
/// Reference lines (diagonal, zero).
pub(crate) const REFERENCE: &str = "#888";

/// Font sizes in px.
pub(crate) const TITLE_SIZE: f64 = 13.0;
/// Tick labels.
pub(crate) const TICK_SIZE: f64 = 10.0;
/// Axis titles, legend entries, cell values.
pub(crate) const LABEL_SIZE: f64 = 11.0;

/// Escapes `&`, `<`, `>`, `"` and `'` for SVG/HTML text and attribute values.
///
/// ```
/// assert_eq!(kiln_chart::escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Removes trailing zeros after a decimal point (and the point itself when nothing is left).
fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// A coordinate: at most 2 decimals, trailing zeros trimmed, never `-0`, `NaN` or `inf`
/// (a non-finite coordinate prints as `0`; callers skip non-finite data before this).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Num(pub(crate) f64);

impl Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = if self.0.is_finite() { self.0 } else { 0.0 };
        let text = format!("{v:.2}");
        let text = trim_zeros(&text);
        f.write_str(if text == "-0" { "0" } else { text })
    }
}

/// A data value for `data-*` attributes, tooltips and cell text: integers without decimals,
/// otherwise six significant digits (e-notation below 10^-4 and from 10^15), trailing zeros
/// trimmed. A non-finite value prints as `""`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Value(pub(crate) f64);

impl Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if !v.is_finite() {
            return Ok(());
        }
        let a = v.abs();
        if v == 0.0 {
            f.write_str("0")
        } else if (1e-4..1e15).contains(&a) {
            if v.fract() == 0.0 {
                return write!(f, "{v:.0}");
            }
            let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
            let text = format!("{v:.decimals$}");
            f.write_str(trim_zeros(&text))
        } else {
            let text = format!("{v:.5e}");
            let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
            write!(f, "{}e{exponent}", trim_zeros(mantissa))
        }
    }
}

/// Rough rendered width of `text` at `size` px (average glyph of a sans-serif font); used
/// only to make room for labels.
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.58
}

/// Horizontal alignment of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// Text starts at x.
    Start,
    /// Text is centred on x.
    Middle,
    /// Text ends at x.
    End,
}

/// How a text is drawn; the content is passed separately and escaped by [`Svg::text`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text<'a> {
    /// `class` attribute (`title`, `tick`, `axis-label`, `legend`, `cell`, `no-data`).
    pub(crate) class: &'a str,
    /// Anchor point.
    pub(crate) x: f64,
    /// Baseline.
    pub(crate) y: f64,
    /// Alignment on x.
    pub(crate) anchor: Anchor,
    /// Font size in px.
    pub(crate) size: f64,
    /// Fill colour.
    pub(crate) fill: &'a str,
    /// Rotation in degrees around (x, y); 0 for none.
    pub(crate) rotate: f64,
    /// Bold.
    pub(crate) bold: bool,
}

impl<'a> Text<'a> {
    /// A text of `class` at (x, y), left-aligned, in the label size and ink colour.
    pub(crate) fn new(class: &'a str, x: f64, y: f64) -> Self {
        Self {
            class,
            x,
            y,
            anchor: Anchor::Start,
            size: LABEL_SIZE,
            fill: INK,
            rotate: 0.0,
            bold: false,
        }
    }

    /// With this alignment.
    pub(crate) fn anchor(mut self, anchor: Anchor) -> Self {
        self.anchor = anchor;
        self
    }

    /// With this font size.
    pub(crate) fn size(mut self, size: f64) -> Self {
        self.size = size;
        self
    }

    /// With this fill colour.
    pub(crate) fn fill(mut self, fill: &'a str) -> Self {
        self.fill = fill;
        self
    }

    /// Rotated by `degrees` around its anchor point.
    pub(crate) fn rotate(mut self, degrees: f64) -> Self {
        self.rotate = degrees;
        self
    }

    /// In bold.
    pub(crate) fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
}

/// An SVG document being written: the root element is open until [`Svg::finish`].
#[derive(Debug)]
pub(crate) struct Svg {
    out: String,
    /// Width in px.
    pub(crate) width: f64,
    /// Height in px.
    pub(crate) height: f64,
}

impl Svg {
    /// Opens the root element (with `title` as its accessible name) on a white background.
    pub(crate) fn new(width: u32, height: u32, title: &str) -> Self {
        let mut out = String::with_capacity(4096);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"kiln-chart\" viewBox=\"0 0 {width} {height}\" \
width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\" \
font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\">\
<rect class=\"background\" width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>",
            escape(title)
        );
        Self {
            out,
            width: f64::from(width),
            height: f64::from(height),
        }
    }

    /// Closes the root element.
    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }

    /// Raw markup; everything user-supplied in it must already be escaped.
    pub(crate) fn raw(&mut self) -> &mut String {
        &mut self.out
    }

    /// Opens `<g class="CLASS">`.
    pub(crate) fn group(&mut self, class: &str) {
        let _ = write!(self.out, "<g class=\"{class}\">");
    }

    /// Opens `<g class="CLASS" data-name="NAME">`.
    pub(crate) fn named_group(&mut self, class: &str, name: &str) {
        let _ = write!(
            self.out,
            "<g class=\"{class}\" data-name=\"{}\">",
            escape(name)
        );
    }

    /// Closes a group.
    pub(crate) fn end_group(&mut self) {
        self.out.push_str("</g>");
    }

    /// A straight line; `extra` holds further attributes (`stroke-dasharray="4 4"`).
    pub(crate) fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: &str, extra: &str) {
        let _ = write!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\"{}{extra}/>",
            Num(from.0),
            Num(from.1),
            Num(to.0),
            Num(to.1),
            if extra.is_empty() { "" } else { " " },
        );
    }

    /// A text element holding `content` (escaped here).
    pub(crate) fn text(&mut self, t: Text<'_>, content: &str) {
        let anchor = match t.anchor {
            Anchor::Start => "",
            Anchor::Middle => " text-anchor=\"middle\"",
            Anchor::End => " text-anchor=\"end\"",
        };
        let _ = write!(
            self.out,
            "<text class=\"{}\" x=\"{}\" y=\"{}\"{anchor} font-size=\"{}\" fill=\"{}\"",
            t.class,
            Num(t.x),
            Num(t.y),
            Num(t.size),
            t.fill
        );
        if t.bold {
            self.out.push_str(" font-weight=\"600\"");
        }
        if t.rotate != 0.0 {
            let _ = write!(
                self.out,
                " transform=\"rotate({} {} {})\"",
                Num(t.rotate),
                Num(t.x),
                Num(t.y)
            );
        }
        let _ = write!(self.out, ">{}</text>", escape(content));
    }

    /// A `<title>` child (a native tooltip) holding `content` (escaped here).
    pub(crate) fn tooltip(&mut self, content: &str) {
        let _ = write!(self.out, "<title>{}</title>", escape(content));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            escape("a & b \"c\" 'd'"),
            "a &amp; b &quot;c&quot; &#39;d&#39;"
        );
        assert_eq!(escape("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn coordinates_have_two_decimals_at_most() {
        let cases = [
            (1.0, "1"),
            (1.234_567, "1.23"),
            (-0.001, "0"),
            (12.5, "12.5"),
            (f64::NAN, "0"),
        ];
        for (v, want) in cases {
            assert_eq!(Num(v).to_string(), want, "{v}");
        }
    }

    #[test]
    fn values_are_short_and_never_nan() {
        let cases = [
            (0.0, "0"),
            (3.0, "3"),
            (-120.0, "-120"),
            (0.1 + 0.2, "0.3"),
            (0.453_333_333, "0.453333"),
            (1_234.567_89, "1234.57"),
            (2.5e-7, "2.5e-7"),
            (1e20, "1e20"),
            (f64::NAN, ""),
            (f64::NEG_INFINITY, ""),
        ];
        for (v, want) in cases {
            assert_eq!(Value(v).to_string(), want, "{v}");
        }
    }
}
