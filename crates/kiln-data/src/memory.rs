//! How much memory encoding may use, so that a too-wide encoding (a multi-hot vector over a
//! huge vocabulary) is refused with an estimate before anything is allocated, instead of
//! being killed by the operating system halfway through.

/// Encodings smaller than this are never checked (no file is read for them).
const ALWAYS_FITS: u64 = 64 << 20;

/// The environment variable that sets the limit explicitly (`512M`, `8G`, `1000000`).
pub const LIMIT_VAR: &str = "KILN_MEMORY_LIMIT";

/// The most bytes an encoded matrix of `needed` bytes may take: `KILN_MEMORY_LIMIT` when set,
/// else half of the memory the system reports available (the other half is left for the copies
/// of the validation and test rows, the batches and the model); `None` when no limit applies
/// (`needed` is small, or the system does not say).
pub fn budget(needed: u64) -> Option<u64> {
    if let Some(limit) = std::env::var(LIMIT_VAR).ok().and_then(|v| parse_size(&v)) {
        return Some(limit);
    }
    if needed < ALWAYS_FITS {
        return None;
    }
    available().map(|a| a / 2)
}

/// `MemAvailable` from `/proc/meminfo`, in bytes (Linux only).
fn available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Parses `123`, `512K`, `64M`, `8G`, `1T` (binary multiples; a trailing `B` or `iB` is
/// allowed).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let s = s
        .strip_suffix("iB")
        .or_else(|| s.strip_suffix('B'))
        .unwrap_or(s);
    let (digits, shift) = match s.char_indices().last()? {
        (i, 'K' | 'k') => (&s[..i], 10),
        (i, 'M' | 'm') => (&s[..i], 20),
        (i, 'G' | 'g') => (&s[..i], 30),
        (i, 'T' | 't') => (&s[..i], 40),
        _ => (s, 0),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// `1.9 GiB`, `512.0 MiB`, `300 B`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("512K"), Some(512 * 1024));
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size("8G"), Some(8 << 30));
        assert_eq!(parse_size(" 2gB "), Some(2 << 30));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(human_bytes(300), "300 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(2_000_000_000), "1.9 GiB");
    }
}
