//! keld's own keys (`_...`): which exist, what type each holds, which sections may
//! hold it, and what makes a value valid. One table, used when every file is checked
//! (literal values) and again when a resolution has interpolated a value.

use std::time::Duration;

use crate::effect::Effect;
use crate::value::Value;

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string, or an array of strings.
    StringOrStrings,
    /// A directory: a string that is not empty (an empty path would be the current
    /// directory, which is never what a config means).
    Dir,
    /// The name of a restic command (or empty: the command as typed).
    Command,
    /// An array of strings.
    Strings,
    /// A boolean.
    Bool,
    /// A duration: `90s`, `1h30m`.
    Duration,
    /// A duration longer than zero: a limit that a zero would make fail every time.
    Timeout,
    /// An array of restic exit codes, 1 to 255.
    ExitCodes,
    /// An `http://` or `https://` URL.
    Url,
}

/// Which sections may hold a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// Any section.
    Any,
    /// Command sections only: `[global.CMD]`, `[@s.CMD]`, `[p@.CMD]`, `[P.CMD]`.
    Command,
    /// `[P.CMD]` of a plain preset or a full `prefix@suffix` only.
    Schedule,
}

/// One of keld's own keys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Special {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) place: Place,
    /// What it decides that a file others can write may not (docs/security.md);
    /// `None` for the keys such a file may set.
    pub(crate) effect: Option<Effect>,
    help: &'static str,
}

/// Every key keld understands, sorted by name.
pub(crate) const SPECIAL_KEYS: &[Special] = &[
    Special {
        name: "_arguments",
        kind: Kind::StringOrStrings,
        place: Place::Any,
        effect: None,
        help: "_arguments is an array of strings, or one string split on whitespace",
    },
    Special {
        name: "_command",
        kind: Kind::Command,
        place: Place::Any,
        effect: Some(Effect::Command),
        help: "_command names the restic command to run, such as \"backup\" or \"forget\" \
               (`restic help` lists them)",
    },
    Special {
        name: "_healthchecks",
        kind: Kind::Url,
        place: Place::Command,
        effect: Some(Effect::Reports),
        help: "_healthchecks is a check's URL: \"https://hc-ping.com/<uuid>\"",
    },
    Special {
        name: "_hook_timeout",
        kind: Kind::Timeout,
        place: Place::Any,
        effect: None,
        help: "_hook_timeout is a duration longer than zero such as \"10m\" or \"1h30m\" (units s, \
               m, h, d, w)",
    },
    Special {
        name: "_lock",
        kind: Kind::Bool,
        place: Place::Any,
        effect: None,
        help: "_lock is true or false",
    },
    Special {
        name: "_lock_wait",
        kind: Kind::Duration,
        place: Place::Any,
        effect: None,
        help: "_lock_wait is a duration such as \"0s\", \"10m\" or \"1h30m\" (units s, m, h, d, w)",
    },
    Special {
        name: "_metrics_dir",
        kind: Kind::Dir,
        place: Place::Any,
        effect: Some(Effect::Writes),
        help: "_metrics_dir is a directory path string",
    },
    Special {
        name: "_ntfy",
        kind: Kind::Url,
        place: Place::Command,
        effect: Some(Effect::Reports),
        help: "_ntfy is a topic's URL: \"https://ntfy.sh/<topic>\"",
    },
    Special {
        name: "_post_hooks",
        kind: Kind::Strings,
        place: Place::Any,
        effect: Some(Effect::RunsCommands),
        help: "hooks are an array of shell commands: [\"cmd one\", \"cmd two\"]",
    },
    Special {
        name: "_pre_hooks",
        kind: Kind::Strings,
        place: Place::Any,
        effect: Some(Effect::RunsCommands),
        help: "hooks are an array of shell commands: [\"cmd one\", \"cmd two\"]",
    },
    Special {
        name: "_schedule",
        kind: Kind::StringOrStrings,
        place: Place::Schedule,
        effect: Some(Effect::Schedule),
        help: "_schedule is a systemd calendar expression (\"daily\", \"*-*-* 02:00\") or an array of them",
    },
    Special {
        name: "_schedule_delay",
        kind: Kind::Duration,
        place: Place::Schedule,
        effect: Some(Effect::Schedule),
        help: "_schedule_delay is a duration such as \"30m\" (units s, m, h, d, w)",
    },
    Special {
        name: "_success_exit_codes",
        kind: Kind::ExitCodes,
        place: Place::Any,
        effect: Some(Effect::Outcome),
        help: "_success_exit_codes is an array of restic exit codes from 1 to 255, e.g. [3]",
    },
    Special {
        name: "_webhook",
        kind: Kind::Url,
        place: Place::Command,
        effect: Some(Effect::Reports),
        help: "_webhook is a URL: \"https://example.org/keld\"",
    },
    Special {
        name: "_workdir",
        kind: Kind::Dir,
        place: Place::Any,
        effect: Some(Effect::RunsCommands),
        help: "_workdir is a directory path string",
    },
];

/// The key named `name`, if keld has one.
pub(crate) fn lookup(name: &str) -> Option<&'static Special> {
    SPECIAL_KEYS.iter().find(|key| key.name == name)
}

/// The names of every key, for messages.
pub(crate) fn names() -> Vec<&'static str> {
    SPECIAL_KEYS.iter().map(|key| key.name).collect()
}

/// What is wrong with a special key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// No such key; the help suggests the nearest.
    Unknown(String),
    /// Not the type the key holds: (what the value is, help).
    Type(String, String),
    /// The value has the right type but is not valid: (what is wrong, help).
    Invalid(String, String),
    /// The key may not stand in this section: the help names where it goes.
    Misplaced(String),
}

/// Where a key stands: the top-level table (`global`, `home`, `home@`, `@nas`,
/// `home@nas`) and the command section below it, if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Section<'a> {
    pub(crate) preset: &'a str,
    pub(crate) command: Option<&'a str>,
}

/// Check the key `name` with `value` standing in `section` (in a file, before
/// interpolation: a string holding `${` is checked for its type only, and again once
/// a resolution has interpolated it).
pub(crate) fn check(name: &str, value: &Value, section: Section<'_>) -> Result<(), Problem> {
    let Some(key) = lookup(name) else {
        return Err(Problem::Unknown(unknown_help(name)));
    };
    check_place(key, section)?;
    if matches!(value, Value::String(text) if text.contains("${")) {
        return Ok(());
    }
    check_value(key, value)
}

fn unknown_help(name: &str) -> String {
    let nearest = SPECIAL_KEYS
        .iter()
        .map(|known| (strsim::jaro_winkler(name, known.name), known.name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match nearest {
        Some((_, known)) => format!("did you mean {known:?}?"),
        None => format!(
            "keys starting with `_` belong to keld; known keys: {}",
            names().join(", ")
        ),
    }
}

fn check_place(key: &Special, section: Section<'_>) -> Result<(), Problem> {
    let Section { preset, command } = section;
    let name = key.name;
    match (key.place, command) {
        (Place::Any, _) => Ok(()),
        (Place::Command, Some(_)) => Ok(()),
        (Place::Command, None) => Err(Problem::Misplaced(format!(
            "{name} belongs in a command section such as [{preset}.backup]: in [{preset}] it \
             would apply to every command of the preset (`keld -p ... snapshots` too)"
        ))),
        (Place::Schedule, Some(command)) => {
            let half = preset.starts_with('@') || preset.ends_with('@');
            if preset == "global" || half {
                Err(Problem::Misplaced(format!(
                    "{name} stands only in [PRESET.{command}] of a plain preset or a full \
                     prefix@suffix preset; in [{preset}.{command}] it would mean a timer for \
                     every preset it applies to"
                )))
            } else {
                Ok(())
            }
        }
        (Place::Schedule, None) => Err(Problem::Misplaced(format!(
            "{name} belongs in the command section it schedules, such as [{preset}.backup]"
        ))),
    }
}

/// What a value of the wrong type is called in a message: what it is not.
fn not_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::StringOrStrings => "not a string or an array of strings",
        Kind::Command | Kind::Dir => "not a string",
        Kind::Strings => "not an array of strings",
        Kind::Bool => "not true or false",
        Kind::Duration | Kind::Timeout => "not a duration string",
        Kind::ExitCodes => "not an array of exit codes",
        Kind::Url => "not a URL string",
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Array(_) => "an array",
    }
}

/// Check `value` for `key`: its type, and for the keys that have one, its format.
pub(crate) fn check_value(key: &Special, value: &Value) -> Result<(), Problem> {
    let wrong_type = || Problem::Type(not_kind(key.kind).to_owned(), key.help.to_owned());
    let invalid = |what: String| Problem::Invalid(what, key.help.to_owned());
    let strings = |items: &[Value]| items.iter().all(|item| matches!(item, Value::String(_)));
    match (key.kind, value) {
        (Kind::StringOrStrings, Value::String(_)) => Ok(()),
        (Kind::Command, Value::String(text)) => {
            let known = crate::restic::commands()
                .iter()
                .any(|command| command.name == text);
            if text.is_empty() || known {
                Ok(())
            } else {
                Err(invalid(format!("{text:?} is no restic command")))
            }
        }
        (Kind::StringOrStrings | Kind::Strings, Value::Array(items)) if strings(items) => Ok(()),
        (Kind::Dir, Value::String(text)) if text.is_empty() => {
            Err(invalid("an empty path names no directory".to_owned()))
        }
        (Kind::Dir, Value::String(_)) => Ok(()),
        (Kind::Bool, Value::Boolean(_)) => Ok(()),
        (Kind::Duration, Value::String(text)) => duration(text)
            .map(|_| ())
            .map_err(|error| invalid(format!("{text:?} is no duration: {error}"))),
        (Kind::Timeout, Value::String(text)) => match duration(text) {
            Ok(limit) if limit.is_zero() => {
                Err(invalid(format!("{text:?} would stop every hook at once")))
            }
            Ok(_) => Ok(()),
            Err(error) => Err(invalid(format!("{text:?} is no duration: {error}"))),
        },
        (Kind::ExitCodes, Value::Array(items)) => {
            for item in items {
                match item {
                    Value::Integer(code) if (1..=255).contains(code) => {}
                    Value::Integer(code) => {
                        return Err(invalid(format!("{code} is no restic exit code to map")));
                    }
                    other => {
                        return Err(Problem::Type(
                            format!("an array holding {}", type_name(other)),
                            key.help.to_owned(),
                        ));
                    }
                }
            }
            Ok(())
        }
        (Kind::Url, Value::String(text)) => url(text).map_err(invalid),
        _ => Err(wrong_type()),
    }
}

/// A duration value.
pub(crate) fn duration(text: &str) -> Result<Duration, crate::duration::InvalidDuration> {
    crate::duration::parse(text)
}

/// An `http://` or `https://` URL with a host.
fn url(text: &str) -> Result<(), String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| "the URL must start with https:// (or http://)".to_owned())?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    if host.is_empty() || host.starts_with(':') {
        return Err("the URL has no host".to_owned());
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a URL holds no spaces or control characters".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    const COMMAND: Section<'static> = Section {
        preset: "home",
        command: Some("backup"),
    };

    #[test]
    fn the_table_is_sorted_and_complete() {
        let names = names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(names.contains(&"_schedule") && names.contains(&"_lock_wait"));
    }

    #[test]
    fn values_are_checked_by_kind() {
        let lock = lookup("_lock").unwrap();
        assert!(check_value(lock, &Value::Boolean(true)).is_ok());
        assert!(matches!(
            check_value(lock, &string("yes")),
            Err(Problem::Type(..))
        ));
        let wait = lookup("_lock_wait").unwrap();
        assert!(check_value(wait, &string("1h30m")).is_ok());
        assert!(matches!(
            check_value(wait, &string("5 min")),
            Err(Problem::Invalid(..))
        ));
        let codes = lookup("_success_exit_codes").unwrap();
        assert!(check_value(codes, &Value::Array(vec![Value::Integer(3)])).is_ok());
        assert!(matches!(
            check_value(codes, &Value::Array(vec![Value::Integer(0)])),
            Err(Problem::Invalid(..))
        ));
        assert!(matches!(
            check_value(codes, &Value::Array(vec![Value::Integer(256)])),
            Err(Problem::Invalid(..))
        ));
        assert!(matches!(
            check_value(codes, &Value::Integer(3)),
            Err(Problem::Type(..))
        ));
        let hc = lookup("_healthchecks").unwrap();
        assert!(check_value(hc, &string("https://hc-ping.com/uuid")).is_ok());
        for bad in [
            "hc-ping.com/uuid",
            "https:///uuid",
            "ftp://x/y",
            "https://a b/",
        ] {
            assert!(check_value(hc, &string(bad)).is_err(), "{bad}");
        }
        // A zero wait is "do not wait"; a zero hook limit would stop every hook.
        assert!(check_value(wait, &string("0s")).is_ok());
        let timeout = lookup("_hook_timeout").unwrap();
        assert!(check_value(timeout, &string("90s")).is_ok());
        assert!(matches!(
            check_value(timeout, &string("0s")),
            Err(Problem::Invalid(..))
        ));
        // An empty directory is the current directory: never meant.
        for name in ["_metrics_dir", "_workdir"] {
            let dir = lookup(name).unwrap();
            assert!(check_value(dir, &string("/var/lib/node_exporter")).is_ok());
            assert!(
                matches!(check_value(dir, &string("")), Err(Problem::Invalid(..))),
                "{name}"
            );
        }
    }

    #[test]
    fn places_are_checked() {
        let plain = Section {
            preset: "home",
            command: None,
        };
        assert!(matches!(
            check("_healthchecks", &string("https://h/x"), plain),
            Err(Problem::Misplaced(_))
        ));
        assert!(check("_healthchecks", &string("https://h/x"), COMMAND).is_ok());
        for preset in ["global", "home@", "@nas"] {
            let section = Section {
                preset,
                command: Some("backup"),
            };
            assert!(matches!(
                check("_schedule", &string("daily"), section),
                Err(Problem::Misplaced(_))
            ));
        }
        let full = Section {
            preset: "home@nas",
            command: Some("backup"),
        };
        assert!(check("_schedule", &string("daily"), full).is_ok());
        // An interpolated value is judged once resolved.
        assert!(check("_lock_wait", &string("${global.wait}"), COMMAND).is_ok());
        assert!(
            matches!(check("_lok", &Value::Boolean(true), COMMAND), Err(Problem::Unknown(help)) if help.contains("_lock"))
        );
    }
}
