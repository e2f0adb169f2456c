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
    /// `None`: a switch explicitly turned off (`--quiet=false`): it replaces the
    /// configured key and emits nothing.
    pub(crate) value: Option<FlagValue>,
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

/// Whether `--switch=VALUE` turns the switch on (pflag's boolean spellings).
fn switch_on(value: &str) -> bool {
    !matches!(value, "false" | "0" | "f" | "F" | "FALSE" | "False")
}

/// `--count=N` is N times the switch; anything else is passed on as typed.
fn count_value(value: &str) -> FlagValue {
    // More than MAX_COUNT means nothing more to restic; passing it whole would repeat
    // the flag billions of times.
    value.parse::<u32>().map_or_else(
        |_| FlagValue::Values(vec![value.to_owned()]),
        |times| FlagValue::Count(times.min(crate::MAX_COUNT)),
    )
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
        (Some(FlagKind::Switch), Some(value)) => {
            (switch_on(value).then_some(FlagValue::Switch), false)
        }
        (Some(FlagKind::Count), Some(value)) => (Some(count_value(value)), false),
        (_, Some(value)) => (Some(FlagValue::Values(vec![value.to_owned()])), false),
        (kind, None) => {
            let (value, consumed) = detached(kind, next);
            (Some(value), consumed)
        }
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
            (Some(FlagKind::Switch), Some(value)) => {
                (switch_on(value).then_some(FlagValue::Switch), false, true)
            }
            (Some(FlagKind::Count), Some(value)) => (Some(count_value(value)), false, true),
            (Some(FlagKind::Switch), None) => (Some(FlagValue::Switch), false, rest.is_empty()),
            (Some(FlagKind::Count), None) => {
                let run = rest.chars().take_while(|&c| c == letter).count();
                rest = &rest[run * letter.len_utf8()..];
                let times = u32::try_from(run + 1).unwrap_or(u32::MAX);
                (Some(FlagValue::Count(times)), false, rest.is_empty())
            }
            (_, Some(value)) => (Some(FlagValue::Values(vec![value.to_owned()])), false, true),
            (kind, None) if rest.is_empty() => {
                let (value, consumed) = detached(kind, next);
                (Some(value), consumed, true)
            }
            (_, None) => (Some(FlagValue::Values(vec![rest.to_owned()])), false, true),
        };
        out.flags.push(CliFlag { key, value, index });
        if done {
            return consumed;
        }
    }
    false
}
