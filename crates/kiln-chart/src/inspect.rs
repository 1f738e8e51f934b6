//! Test helpers reading the charts' SVG back: texts by class, groups, attribute values.

/// Undoes [`crate::escape`].
pub(crate) fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The (unescaped) contents of every `<text class="CLASS" ...>` in `svg`, in order.
pub(crate) fn texts(svg: &str, class: &str) -> Vec<String> {
    let open = format!("<text class=\"{class}\"");
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i..];
        let start = rest.find('>').expect("text tag closes") + 1;
        let end = rest.find("</text>").expect("text element closes");
        out.push(unescape(&rest[start..end]));
        rest = &rest[end..];
    }
    out
}

/// Every `<g class="CLASS" ...>…</g>` in `svg` (nested groups included), in order.
pub(crate) fn groups<'a>(svg: &'a str, class: &str) -> Vec<&'a str> {
    let open = format!("<g class=\"{class}\"");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = svg[from..].find(&open) {
        let start = from + i;
        let mut depth = 0usize;
        let mut at = start;
        loop {
            let next_open = svg[at..].find("<g ").map(|j| at + j);
            let next_close = svg[at..]
                .find("</g>")
                .map(|j| at + j)
                .expect("group closes");
            match next_open {
                Some(o) if o < next_close => {
                    depth += 1;
                    at = o + 3;
                }
                _ => {
                    depth -= 1;
                    at = next_close + 4;
                    if depth == 0 {
                        break;
                    }
                }
            }
        }
        out.push(&svg[start..at]);
        from = start + open.len();
    }
    out
}

/// The first `<g class="CLASS" ...>…</g>` in `svg`.
pub(crate) fn group<'a>(svg: &'a str, class: &str) -> &'a str {
    groups(svg, class)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no group {class} in {svg}"))
}

/// The (unescaped) values of every ` ATTR="…"` in `svg`, in order.
pub(crate) fn attr_values(svg: &str, attr: &str) -> Vec<String> {
    let open = format!(" {attr}=\"");
    svg.match_indices(&open)
        .map(|(i, _)| {
            let rest = &svg[i + open.len()..];
            unescape(&rest[..rest.find('"').expect("attribute closes")])
        })
        .collect()
}

/// Checks shared by every chart: one well-formed root, nothing non-finite printed, and no
/// raw markup from user text.
pub(crate) fn check_common(svg: &str) {
    assert!(
        svg.starts_with(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"kiln-chart\" viewBox=\"0 0 "
        ),
        "{svg}"
    );
    assert!(svg.ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    for bad in ["NaN", "inf\"", "inf ", "Infinity", "<script"] {
        assert!(!svg.contains(bad), "{bad} in {svg}");
    }
    assert_eq!(svg.matches("<g ").count(), svg.matches("</g>").count());
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
}
