//! The arguments after COMMAND: flags that replace configured keys, and positionals
//! that replace `_arguments` (docs/configuration.md).

use crate::flags::FlagData;
use crate::resolved::FlagValue;
use crate::restic::FlagKind;

/// One flag occurrence from the command line.
#[derive(Debug, Clone)]
pub(crate) struct CliFlag {
    /// Long name or one-letter short name, without dashes.
    pub(crate) key: String,
    /// What it passes to restic (it replaces the configured key whatever it is).
    pub(crate) value: FlagValue,
    /// Index of the token among the arguments after COMMAND.
    pub(crate) index: usize,
}

/// The command line after COMMAND, split into flags and positionals.
#[derive(Debug, Default)]
pub(crate) struct CliArgs {
    pub(crate) flags: Vec<CliFlag>,
    /// (token index, argument)
    pub(crate) positionals: Vec<(usize, String)>,
}

/// Splits `args` using what `flags` knows about `command`'s flags.
pub(crate) fn parse(args: &[String], command: &str, flags: &FlagData<'_>) -> CliArgs {
    let mut out = CliArgs::default();
    let mut index = 0;
    while index < args.len() {
        let token = &args[index];
        if token == "--" {
            out.positionals.extend(
                args.iter()
                    .enumerate()
                    .skip(index + 1)
                    .map(|(i, arg)| (i, arg.clone())),
            );
            break;
        }
        let next = args.get(index + 1);
        let consumed = if let Some(long) = token.strip_prefix("--") {
            long_flag(long, index, next, command, flags, &mut out)
        } else if token.len() > 1 && token.starts_with('-') {
            short_flags(&token[1..], index, next, command, flags, &mut out)
        } else {
            out.positionals.push((index, token.clone()));
            false
        };
        index += if consumed { 2 } else { 1 };
    }
    out
}

/// The value of `--name=VALUE` / `-n=VALUE`. For a flag that takes a value, the same
/// as `--name VALUE`. Anything else (a switch, a counter, a flag keld does not know)
/// goes to restic as the token typed: splitting `--verbose=abc` into `--verbose abc`
/// would make `abc` a path, and `--json=maybe` is for restic to reject, not for keld
/// to read as `--json`.
fn attached_value(kind: Option<FlagKind>, value: &str) -> FlagValue {
    match kind {
        Some(FlagKind::Value) => FlagValue::Values(vec![value.to_owned()]),
        _ => FlagValue::Attached(value.to_owned()),
    }
}

/// The value of a flag that is not attached with `=`: a value flag takes the next
/// token; an unknown flag takes it unless it starts with `-`. Returns the value and
/// whether the next token was used.
fn detached(kind: Option<FlagKind>, next: Option<&String>) -> (FlagValue, bool) {
    match (kind, next) {
        (Some(FlagKind::Switch), _) => (FlagValue::Switch, false),
        (Some(FlagKind::Count), _) => (FlagValue::Count(1), false),
        (Some(FlagKind::Value), Some(value)) => (FlagValue::Values(vec![value.clone()]), true),
        (None, Some(value)) if !value.starts_with('-') => {
            (FlagValue::Values(vec![value.clone()]), true)
        }
        _ => (FlagValue::Switch, false),
    }
}

/// `--name`, `--name=value`; returns whether the next token was taken as the value.
fn long_flag(
    long: &str,
    index: usize,
    next: Option<&String>,
    command: &str,
    flags: &FlagData<'_>,
    out: &mut CliArgs,
) -> bool {
    let (name, attached) = match long.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (long, None),
    };
    let kind = flags.kind(command, name);
    let (value, consumed) = match (kind, attached) {
        (kind, Some(value)) => (attached_value(kind, value), false),
        (kind, None) => detached(kind, next),
    };
    out.flags.push(CliFlag {
        key: name.to_owned(),
        value,
        index,
    });
    consumed
}

/// `-r X`, `-rX`, `-r=X`, `-vv`, `-qv`: pflag's short-flag grouping. A letter that
/// is not a known switch takes the rest of the group as its value.
fn short_flags(
    group: &str,
    index: usize,
    next: Option<&String>,
    command: &str,
    flags: &FlagData<'_>,
    out: &mut CliArgs,
) -> bool {
    let mut rest = group;
    while let Some(letter) = rest.chars().next() {
        rest = &rest[letter.len_utf8()..];
        let key = letter.to_string();
        let kind = flags.kind(command, &key);
        let attached = rest.strip_prefix('=');
        let (value, consumed, done) = match (kind, attached) {
            (kind @ (Some(FlagKind::Switch | FlagKind::Count) | None), Some(value)) => {
                (attached_value(kind, value), false, true)
            }
            (Some(FlagKind::Switch), None) => (FlagValue::Switch, false, rest.is_empty()),
            (Some(FlagKind::Count), None) => {
                let run = rest.chars().take_while(|&c| c == letter).count();
                rest = &rest[run * letter.len_utf8()..];
                let times = u32::try_from(run + 1).unwrap_or(u32::MAX);
                (FlagValue::Count(times), false, rest.is_empty())
            }
            (_, Some(value)) => (FlagValue::Values(vec![value.to_owned()]), false, true),
            (kind, None) if rest.is_empty() => {
                let (value, consumed) = detached(kind, next);
                (value, consumed, true)
            }
            (_, None) => (FlagValue::Values(vec![rest.to_owned()]), false, true),
        };
        out.flags.push(CliFlag { key, value, index });
        if done {
            return consumed;
        }
    }
    false
}
