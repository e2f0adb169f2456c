//! Environment lists: ordered `(name, value)` pairs where a later entry replaces an
//! earlier one of the same name.

use std::ffi::{OsStr, OsString};

/// The value of `name` in `env` (the last definition wins, as with `Command::env`).
pub fn lookup<'a>(env: &'a [(OsString, OsString)], name: &str) -> Option<&'a OsStr> {
    env.iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_os_str())
}

/// Set `name` to `value` in `env`, replacing an existing definition in place so
/// the list keeps one entry per name.
pub fn set(env: &mut Vec<(OsString, OsString)>, name: impl Into<OsString>, value: OsString) {
    let name = name.into();
    env.retain(|(key, _)| *key != name);
    env.push((name, value));
}
