//! Quantities as people read them.

/// `1 file`, `2 files`: `count` and the noun that goes with it.
pub(crate) fn count<N>(count: N, one: &str, many: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8>,
{
    if count == N::from(1) {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

/// `1536` → `1.5 KiB`.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_takes_its_noun() {
        assert_eq!(count(1_usize, "file", "files"), "1 file");
        assert_eq!(count(0_u64, "file", "files"), "0 files");
        assert_eq!(count(2_usize, "entry", "entries"), "2 entries");
        assert_eq!(human_size(1536), "1.5 KiB");
    }
}
