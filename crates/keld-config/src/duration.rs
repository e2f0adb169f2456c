//! Durations as keld's config writes them: an integer followed by `s`, `m`, `h`, `d`
//! or `w`, or several such parts (`1h30m`); `0s` is allowed.
//!
//! ```
//! use std::time::Duration;
//! use keld_config::duration::{format, parse};
//!
//! assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
//! assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
//! assert_eq!(parse("2w"), Ok(Duration::from_secs(14 * 86_400)));
//! assert!(parse("1.5h").is_err());
//! assert_eq!(format(Duration::from_secs(5400)), "1h30m");
//! assert_eq!(format(Duration::ZERO), "0s");
//! ```

use std::time::Duration;

/// The units, largest first, with their length in seconds.
const UNITS: [(char, u64); 5] = [
    ('w', 7 * 86_400),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// Why a text is no duration, in words for a diagnostic's label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidDuration(pub String);

/// Parse a duration: one or more `<integer><unit>` parts, units `s`, `m`, `h`, `d`, `w`
/// (each at most once, largest first), no spaces, no signs, no fractions.
pub fn parse(text: &str) -> Result<Duration, InvalidDuration> {
    let invalid = |why: &str| InvalidDuration(why.to_owned());
    if text.is_empty() {
        return Err(invalid("an empty duration"));
    }
    let mut total: u64 = 0;
    let mut rest = text;
    let mut last_unit = usize::MAX;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid(
                "each part is a whole number followed by s, m, h, d or w",
            ));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| invalid("a number too large"))?;
        let unit = rest[digits..]
            .chars()
            .next()
            .ok_or_else(|| invalid("a number without a unit (s, m, h, d or w)"))?;
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(invalid("the units are s, m, h, d and w"));
        };
        if last_unit != usize::MAX && index <= last_unit {
            return Err(invalid("each unit at most once, largest first (1h30m)"));
        }
        last_unit = index;
        total = number
            .checked_mul(UNITS[index].1)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(|| invalid("a duration too large"))?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Ok(Duration::from_secs(total))
}

/// A duration in the config's notation, whole seconds, largest units first.
pub fn format(duration: Duration) -> String {
    let mut seconds = duration.as_secs();
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, length) in UNITS {
        if seconds >= length {
            out.push_str(&format!("{}{unit}", seconds / length));
            seconds %= length;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_durations() {
        for (text, seconds) in [
            ("0s", 0),
            ("1s", 1),
            ("10m", 600),
            ("26h", 93_600),
            ("1h30m", 5_400),
            (
                "1w2d3h4m5s",
                7 * 86_400 + 2 * 86_400 + 3 * 3_600 + 4 * 60 + 5,
            ),
            ("0h5m", 300),
        ] {
            assert_eq!(parse(text), Ok(Duration::from_secs(seconds)), "{text}");
        }
    }

    #[test]
    fn invalid_durations() {
        for text in [
            "",
            "5",
            "m",
            "1.5h",
            "-1h",
            "+1h",
            "1 h",
            "1H",
            "1m1h",
            "1h1h",
            "1hour",
            "1y",
            "99999999999999999999s",
            "18446744073709551615w",
            " 1h",
            "1h ",
        ] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn format_round_trips() {
        for seconds in [0, 1, 59, 60, 61, 3_600, 5_400, 86_400, 93_600, 700_000] {
            let duration = Duration::from_secs(seconds);
            assert_eq!(parse(&format(duration)), Ok(duration), "{seconds}");
        }
        assert_eq!(format(Duration::from_secs(93_600)), "1d2h");
    }
}
