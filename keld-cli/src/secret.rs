//! Which values are secrets, so no form of output shows them.

use std::borrow::Cow;

/// What replaces a secret value in every output.
pub(crate) const REDACTED: &str = "<redacted>";

/// Whether the value of the variable or flag `name` must not be shown: keld-config's
/// rule, so diagnostics and `--show-command` agree.
pub(crate) use keld_config::is_secret_name;

/// `value` with the password of every `scheme://user:password@host` URL in it replaced by
/// [`REDACTED`], e.g. a rest-server repository `rest:https://me:pw@host/`. The user name
/// and host stay, so the value still says where it points.
pub(crate) fn mask_url_passwords(value: &str) -> Cow<'_, str> {
    let ranges = keld_config::url_password_ranges(value);
    if ranges.is_empty() {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut shown = 0;
    for range in ranges {
        out.push_str(&value[shown..range.start]);
        out.push_str(REDACTED);
        shown = range.end;
    }
    out.push_str(&value[shown..]);
    Cow::Owned(out)
}

/// Variables that exist only while post-hooks run; never shown as config output.
pub(crate) fn is_run_time_only(name: &str) -> bool {
    matches!(name, "KELD_RESTIC_EXIT_CODE" | "KELD_RESTIC_STATUS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_masked_and_the_rest_kept() {
        let cases = [
            (
                "rest:https://me:pw@host:8000/repo",
                "rest:https://me:<redacted>@host:8000/repo",
            ),
            (
                "rest:https://me:p:w@host/",
                "rest:https://me:<redacted>@host/",
            ),
            (
                "s3:https://a:b@x/y https://c:d@z",
                "s3:https://a:<redacted>@x/y https://c:<redacted>@z",
            ),
            ("https://me@host/repo", "https://me@host/repo"),
            ("rest:http://host:8000/", "rest:http://host:8000/"),
            ("sftp:me@host:/srv/restic", "sftp:me@host:/srv/restic"),
            ("/srv/restic", "/srv/restic"),
            ("://:@", "://:<redacted>@"),
        ];
        for (value, shown) in cases {
            assert_eq!(mask_url_passwords(value), shown, "{value}");
        }
    }
}
