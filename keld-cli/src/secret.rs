//! Which environment values are secrets, so no form of output shows them.

/// What replaces a secret value in every output.
pub(crate) const REDACTED: &str = "<redacted>";

/// Parts of a variable name that mark its value as secret (compared case-insensitively).
const SECRET_MARKERS: [&str; 5] = ["PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL"];

/// Whether the value of the variable `name` must not be shown.
///
/// A `*_COMMAND` variable (restic's own `RESTIC_PASSWORD_COMMAND`, passed through unrun)
/// holds shell text that produces a secret, not the secret itself, so it is shown like
/// the commands of keld's own `_COMMAND` variables.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    !upper.ends_with("_COMMAND") && SECRET_MARKERS.iter().any(|marker| upper.contains(marker))
}

/// Variables that exist only while post-hooks run; never shown as config output.
pub(crate) fn is_run_time_only(name: &str) -> bool {
    matches!(name, "KELD_RESTIC_EXIT_CODE" | "KELD_RESTIC_STATUS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "RESTIC_PASSWORD",
            "RESTIC_PASSWORD_FILE",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID",
            "B2_ACCOUNT_KEY",
            "GITHUB_TOKEN",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "my_api_key",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "RESTIC_REPOSITORY",
            "HOME",
            "B2_ACCOUNT_ID",
            "RESTIC_CACHE_DIR",
            "RESTIC_PASSWORD_COMMAND",
            "RESTIC_FROM_PASSWORD_COMMAND",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
