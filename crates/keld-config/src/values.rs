//! How config values become restic arguments (docs/configuration.md) and `~` expansion.

use std::path::Path;

use crate::document::Value;
use crate::resolved::FlagValue;
use crate::restic::FlagKind;

/// Expands a leading `~` or `~/` to the home directory; nothing else.
pub(crate) fn expand_home(text: &str, home: Option<&Path>) -> String {
    let Some(home) = home else {
        return text.to_owned();
    };
    if text == "~" {
        return home.display().to_string();
    }
    match text.strip_prefix("~/") {
        Some(rest) => home.join(rest).display().to_string(),
        None => text.to_owned(),
    }
}

/// The flag a value produces; `Ok(None)` means the key emits nothing (`false`, `[]`).
pub(crate) fn flag_value(
    value: &Value,
    kind: Option<FlagKind>,
    home: Option<&Path>,
) -> Result<Option<FlagValue>, &'static str> {
    let values = |items: Vec<String>| {
        if items.is_empty() {
            None
        } else {
            Some(FlagValue::Values(items))
        }
    };
    Ok(match value {
        Value::Boolean(false) => None,
        Value::Boolean(true) if kind == Some(FlagKind::Count) => Some(FlagValue::Count(1)),
        Value::Boolean(true) => Some(FlagValue::Switch),
        Value::Integer(times) if kind == Some(FlagKind::Count) => {
            let times = u32::try_from(*times)
                .ok()
                .filter(|times| *times <= crate::MAX_COUNT)
                .ok_or("a count below zero or above 100 (restic's verbosity stops at 3)")?;
            (times > 0).then_some(FlagValue::Count(times))
        }
        Value::Integer(_) | Value::Float(_) => values(value.scalar_text().into_iter().collect()),
        Value::String(text) if text.contains('\n') => {
            values(lines(text).map(|line| expand_home(line, home)).collect())
        }
        Value::String(text) => Some(FlagValue::Values(vec![expand_home(text, home)])),
        Value::Array(items) => values(
            items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(expand_home(text, home)),
                    other => other.scalar_text().ok_or("a nested array"),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// Positional arguments: an array, or a string split on whitespace (one per line
/// when it has newlines).
pub(crate) fn arguments(value: &Value, home: Option<&Path>) -> Result<Vec<String>, &'static str> {
    let items: Vec<String> = match value {
        Value::String(text) if text.contains('\n') => lines(text).map(str::to_owned).collect(),
        Value::String(text) => text.split_whitespace().map(str::to_owned).collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| item.scalar_text().ok_or("a nested array"))
            .collect::<Result<_, _>>()?,
        other => other.scalar_text().into_iter().collect(),
    };
    Ok(items.iter().map(|item| expand_home(item, home)).collect())
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
