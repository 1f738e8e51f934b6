//! The frame every page shares: head, stylesheet (inline, so a saved page is one file and the
//! first paint needs one request), navigation, and the number and time formats.

use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The one stylesheet, inlined into every page.
const CSS: &str = r#"
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#fff; --head:#f6f8fa; --accent:#0969da; --bad:#cf222e; --warn:#9a6700; --ok:#1a7f37; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif; color:var(--fg); background:var(--bg); }
header.top { display:flex; gap:1.2em; align-items:center; padding:.6em 1.2em; border-bottom:1px solid var(--line); background:var(--head); }
header.top b { font-size:16px; margin-right:1em; }
header.top a { color:var(--fg); text-decoration:none; }
header.top a:hover, a { color:var(--accent); }
main { padding:1em 1.2em 3em; max-width:1400px; }
h1 { font-size:20px; margin:.2em 0 .6em; word-break:break-all; }
h2 { font-size:16px; margin:1.4em 0 .5em; }
table { border-collapse:collapse; font-variant-numeric:tabular-nums; }
th, td { padding:.25em .6em; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { background:var(--head); font-weight:600; white-space:nowrap; }
td.num, th.num { text-align:right; }
td.value { max-width:60em; word-break:break-all; }
.scroll { overflow-x:auto; }
dl#summary { display:grid; grid-template-columns:max-content auto; gap:.2em 1em; margin:0; }
dl#summary dt { color:var(--muted); }
dl#summary dd { margin:0; word-break:break-all; }
.status-FINISHED { color:var(--ok); } .status-FAILED, .status-KILLED { color:var(--bad); } .status-RUNNING, .status-SCHEDULED { color:var(--warn); }
.state-OK { color:var(--ok); } .state-WARNING { color:var(--warn); } .state-CRITICAL { color:var(--bad); }
.error { color:var(--bad); background:#ffebe9; border:1px solid #ffcecb; padding:.6em .8em; white-space:pre-wrap; font-family:ui-monospace,monospace; }
.muted { color:var(--muted); }
.charts { display:flex; flex-wrap:wrap; gap:1em; }
figure { margin:0; }
pre { background:var(--head); padding:.8em; overflow-x:auto; border:1px solid var(--line); }
form#filter { display:flex; gap:.5em; margin:.4em 0 1em; flex-wrap:wrap; }
form#filter input[name=filter] { flex:1; min-width:30em; font-family:ui-monospace,monospace; padding:.35em; }
form#filter input[name=order_by] { width:18em; font-family:ui-monospace,monospace; padding:.35em; }
tr.differs td { background:#fff8c5; }
tr.best td { background:#dafbe1; font-weight:600; }
.best-mark { color:var(--ok); font-size:12px; }
.trial-COMPLETE { color:var(--ok); } .trial-PRUNED { color:var(--warn); } .trial-FAILED { color:var(--bad); }
h3 { font-size:14px; margin:1.1em 0 .4em; }
.pager { margin:.8em 0; display:flex; gap:1em; }
svg.kiln-chart { background:#fff; }
"#;

/// The `<head>` both kinds of page share: the tab title and the inline stylesheet.
fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) }
            style { (PreEscaped(CSS)) }
        }
    }
}

/// A whole page: `title` in the tab, `body` in `<main>`; `script` (trusted, written by this
/// crate) at the end.
pub(crate) fn page(title: &str, body: &Markup, script: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("{title} · kiln")))
            body {
                header.top {
                    b { "kiln" }
                    a href="/ui/runs" { "Runs" }
                    a href="/ui/models" { "Models" }
                    a href="/ui/live" { "Live" }
                }
                main { (body) }
                @if let Some(js) = script {
                    script { (PreEscaped(js)) }
                }
            }
        }
    }
}

/// A standalone report (`kiln report`): the same body, no navigation (it opens offline).
pub(crate) fn report(title: &str, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("{title} · kiln report")))
            body { main { (body) } }
        }
    }
}

/// A figure for tables: 4 significant digits, integers without a fraction, `–` for none.
pub(crate) fn num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let magnitude = v.abs();
    if !(1e-4..1e6).contains(&magnitude) {
        return format!("{v:.3e}");
    }
    let digits = (3 - magnitude.log10().floor() as i32).clamp(0, 8) as usize;
    let text = format!("{v:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Milliseconds since the epoch as `2026-12-04 16:02:11` (UTC).
pub(crate) fn time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds as `4.2 s`, `3 min 10 s`, `2 h 5 min`.
pub(crate) fn duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else if seconds < 3600.0 {
        format!("{} min {} s", (seconds / 60.0) as u64, seconds as u64 % 60)
    } else {
        format!(
            "{} h {} min",
            (seconds / 3600.0) as u64,
            seconds as u64 % 3600 / 60
        )
    }
}

/// A query-string value, percent-encoded.
pub(crate) fn enc(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times() {
        assert_eq!(num(0.976_543_21), "0.9765");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(1234.5678), "1235");
        assert_eq!(num(0.000_012_3), "1.230e-5");
        assert_eq!(num(-0.5), "-0.5");
        assert_eq!(time(0), "1970-01-01 00:00:00");
        // 2026-12-04 16:02:11 UTC.
        assert_eq!(time(1_796_400_131_000), "2026-12-04 16:02:11");
        assert_eq!(duration(190.0), "3 min 10 s");
    }
}
