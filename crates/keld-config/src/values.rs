//! How config values become restic arguments (docs/configuration.md) and `~` expansion.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::document::Value;
use crate::resolved::FlagValue;
use crate::restic::FlagKind;

/// `~` met a home directory that is not UTF-8 in a value, which is text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HomeNotUtf8;

/// What follows `~` in `text` when it starts with the home directory: `Some("")` for
/// `~`, `~/` and `~//`, `Some("x")` for `~/x` and `~//x`; `None` for anything else
/// (`a~`, `~ann/x`). The slashes after `~/` are part of the `/` that ends the home
/// directory: `~//x` is `x` in the home directory, never `/x`.
fn after_home(text: &[u8]) -> Option<&[u8]> {
    match text {
        [b'~'] => Some(&[]),
        [b'~', b'/', rest @ ..] => {
            let start = rest
                .iter()
                .position(|&byte| byte != b'/')
                .unwrap_or(rest.len());
            Some(&rest[start..])
        }
        _ => None,
    }
}

/// Expands a leading `~` or `~/` to the home directory; nothing else. The home
/// directory must be UTF-8 when `text` starts with one of them: a config value is
/// text.
pub(crate) fn expand_home(text: &str, home: Option<&Path>) -> Result<String, HomeNotUtf8> {
    let (Some(home), Some(rest)) = (home, after_home(text.as_bytes())) else {
        return Ok(text.to_owned());
    };
    let home = home.to_str().ok_or(HomeNotUtf8)?;
    if text == "~" {
        return Ok(home.to_owned());
    }
    // `rest` is the end of `text` from a character boundary (after a `/`).
    let rest = &text[text.len() - rest.len()..];
    let separator = if home.ends_with('/') { "" } else { "/" };
    Ok(format!("{home}{separator}{rest}"))
}

/// [`expand_home`] for a path taken from the environment, as it is (any bytes on
/// Unix): no text is needed.
pub(crate) fn expand_home_path(path: &OsStr, home: Option<&Path>) -> PathBuf {
    let Some(home) = home else {
        return PathBuf::from(path);
    };
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path);
    #[cfg(not(unix))]
    let Some(bytes) = path.to_str().map(str::as_bytes) else {
        return PathBuf::from(path);
    };
    match after_home(bytes) {
        None => PathBuf::from(path),
        Some(_) if bytes == b"~" => home.to_owned(),
        Some(rest) => home.join(os_str(rest)),
    }
}

/// The end of an `OsStr`'s bytes (from after an ASCII `/`), as an `OsStr` again.
fn os_str(bytes: &[u8]) -> &OsStr {
    #[cfg(unix)]
    return std::os::unix::ffi::OsStrExt::from_bytes(bytes);
    #[cfg(not(unix))]
    return OsStr::new(std::str::from_utf8(bytes).unwrap_or_default());
}

/// Why a configured value cannot become its flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FlagProblem {
    /// The value does not fit what the flag takes: what it is, and how to fix it.
    Kind { what: String, help: String },
    /// `~` with a home directory that is not UTF-8.
    HomeNotUtf8,
}

impl From<HomeNotUtf8> for FlagProblem {
    fn from(_: HomeNotUtf8) -> Self {
        FlagProblem::HomeNotUtf8
    }
}

/// What kind of value a message says a value is (never the value: it may be secret).
fn described(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(true) => "true",
        Value::Boolean(false) => "false",
        Value::Array(_) => "an array",
    }
}

/// The flag that the value of key `key` produces, checked against how the flag takes
/// its value (`kind`, from restic's flag catalogue): a switch takes `true` or
/// `false`, a counter `true`, `false` or a count from 0 to [`crate::MAX_COUNT`], and a
/// flag that takes a value anything but `true`. A flag keld does not know takes any
/// value: `true` passes it alone, anything else as its value. `Ok(None)` means the key
/// emits nothing (`false`, `[]`, a count of 0).
pub(crate) fn flag_value(
    value: &Value,
    key: &str,
    kind: Option<FlagKind>,
    home: Option<&Path>,
) -> Result<Option<FlagValue>, FlagProblem> {
    let values = |items: Vec<String>| {
        if items.is_empty() {
            None
        } else {
            Some(FlagValue::Values(items))
        }
    };
    // Only a message needs it.
    let spelling = || {
        if key.chars().count() == 1 {
            format!("-{key}")
        } else {
            format!("--{key}")
        }
    };
    match (kind, value) {
        (_, Value::Boolean(false)) => return Ok(None),
        (Some(FlagKind::Switch), Value::Boolean(true)) | (None, Value::Boolean(true)) => {
            return Ok(Some(FlagValue::Switch));
        }
        (Some(FlagKind::Switch), other) => {
            return Err(FlagProblem::Kind {
                what: format!("{} for a switch", described(other)),
                help: format!(
                    "{} is a switch: write `{key} = true` to pass it, or `{key} = false` \
                     to leave it out",
                    spelling()
                ),
            });
        }
        (Some(FlagKind::Count), Value::Boolean(true)) => return Ok(Some(FlagValue::Count(1))),
        (Some(FlagKind::Count), Value::Integer(times)) => {
            let times = u32::try_from(*times)
                .ok()
                .filter(|times| *times <= crate::MAX_COUNT)
                .ok_or_else(|| FlagProblem::Kind {
                    what: "a count below zero or above 100 (restic's verbosity stops at 3)"
                        .to_owned(),
                    help: "use a count from 0 to 100, e.g. `verbose = 2`".to_owned(),
                })?;
            return Ok((times > 0).then_some(FlagValue::Count(times)));
        }
        (Some(FlagKind::Count), other) => {
            return Err(FlagProblem::Kind {
                what: format!("{} for a counting flag", described(other)),
                help: format!(
                    "{} counts: write a whole number from 0 to 100 (`{key} = 2` passes it \
                     twice), or true or false",
                    spelling()
                ),
            });
        }
        (Some(FlagKind::Value), Value::Boolean(true)) => {
            return Err(FlagProblem::Kind {
                what: "true for a flag that takes a value".to_owned(),
                help: format!(
                    "{} takes a value: write `{key} = \"...\"`, or `{key} = false` to leave \
                     it out",
                    spelling()
                ),
            });
        }
        _ => {}
    }
    Ok(match value {
        Value::Boolean(_) => None,
        Value::Integer(_) | Value::Float(_) => values(value.scalar_text().into_iter().collect()),
        Value::String(text) if text.contains('\n') => values(
            lines(text)
                .map(|line| expand_home(line, home))
                .collect::<Result<_, _>>()?,
        ),
        Value::String(text) => Some(FlagValue::Values(vec![expand_home(text, home)?])),
        Value::Array(items) => values(
            items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(expand_home(text, home)?),
                    other => other.scalar_text().ok_or_else(|| FlagProblem::Kind {
                        what: "a nested array".to_owned(),
                        help: "use an array of strings or numbers".to_owned(),
                    }),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// Positional arguments: an array, or a string split on whitespace (one per line
/// when it has newlines). `Err` holds what is wrong.
pub(crate) fn arguments(value: &Value, home: Option<&Path>) -> Result<Vec<String>, FlagProblem> {
    let items: Vec<String> = match value {
        Value::String(text) if text.contains('\n') => lines(text).map(str::to_owned).collect(),
        Value::String(text) => text.split_whitespace().map(str::to_owned).collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.scalar_text().ok_or_else(|| FlagProblem::Kind {
                    what: "a nested array".to_owned(),
                    help: "_arguments is a list of strings".to_owned(),
                })
            })
            .collect::<Result<_, _>>()?,
        other => other.scalar_text().into_iter().collect(),
    };
    Ok(items
        .iter()
        .map(|item| expand_home(item, home))
        .collect::<Result<_, _>>()?)
}

/// A list of strings (hooks); other scalars are not accepted.
pub(crate) fn string_list(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Some(text.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Non-empty lines, surrounding whitespace trimmed (indentation inside `"""` is common).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty())
}
