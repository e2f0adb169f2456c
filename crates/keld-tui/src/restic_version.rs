//! Reading `restic version` to decide which questions the installed restic can take.

/// `restic 0.17.3 compiled with go1.22.5 on linux/amd64` → `(0, 17, 3)`.
///
/// Development builds (`restic 0.17.3-dev (compiled manually)`) count as their release.
pub(crate) fn parse_version(output: &str) -> Option<(u32, u32, u32)> {
    let line = output
        .lines()
        .find(|line| line.trim_start().starts_with("restic "))?;
    let word = line.split_whitespace().nth(1)?;
    let word = word.strip_prefix('v').unwrap_or(word);
    let numeric: &str = word
        .split(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
        .next()?;
    let mut parts = numeric.split('.').map(str::parse::<u32>);
    let major = parts.next()?.ok()?;
    let minor = parts.next()?.ok()?;
    let patch = parts.next().and_then(Result::ok).unwrap_or(0);
    Some((major, minor, patch))
}

/// Whether `restic restore --overwrite` exists (restic 0.17 and later).
pub(crate) fn supports_overwrite(version_output: &str) -> bool {
    parse_version(version_output).is_some_and(|(major, minor, _)| (major, minor) >= (0, 17))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_and_development_versions() {
        assert_eq!(
            parse_version("restic 0.14.0 compiled with go1.19.8 on linux/amd64\n"),
            Some((0, 14, 0))
        );
        assert_eq!(
            parse_version(
                "restic 0.17.3-dev (compiled manually) compiled with go1.23 on linux/amd64"
            ),
            Some((0, 17, 3))
        );
        assert_eq!(parse_version("restic 1.0 compiled"), Some((1, 0, 0)));
        assert_eq!(parse_version("rustic 0.9.0"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn overwrite_needs_017() {
        assert!(!supports_overwrite("restic 0.16.5 compiled with go1.22"));
        assert!(supports_overwrite("restic 0.17.0 compiled with go1.22"));
        assert!(supports_overwrite("restic 0.18.1 compiled with go1.24"));
        assert!(supports_overwrite("restic 1.2.0"));
        assert!(!supports_overwrite("garbage"));
    }
}
