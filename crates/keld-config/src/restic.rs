//! What keld knows about restic's commands and flags (restic 0.14 to 0.18), as data.
//!
//! CONTRACT (filled in by the restic-data work; signatures are fixed):

/// How a flag takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// Takes a value: `--repo /srv/r`.
    Value,
    /// A boolean switch: `--quiet`. Never swallows the next token.
    Switch,
    /// A counting switch: `-v`, `-vv`, `--verbose --verbose`; `--verbose=N` also accepted.
    Count,
}

/// One flag of a restic command (or a global flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagSpec {
    /// Long name without dashes: `repo`.
    pub long: &'static str,
    /// Short alias without dash: `r`.
    pub short: Option<char>,
    /// How it takes its value.
    pub kind: FlagKind,
}

/// One restic command with its own flags (global flags are separate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// The command word: `backup`.
    pub name: &'static str,
    /// Flags specific to this command, sorted by long name.
    pub flags: &'static [FlagSpec],
}

/// Every restic command keld knows, sorted by name.
pub fn commands() -> &'static [CommandSpec] {
    &[]
}

/// restic's global flags (valid for every command), sorted by long name.
pub fn global_flags() -> &'static [FlagSpec] {
    &[]
}

/// The command named `name`, if restic has it.
pub fn command(name: &str) -> Option<&'static CommandSpec> {
    commands().iter().find(|spec| spec.name == name)
}

/// The flag `name` (long name, or a one-letter short alias) of `command`, including
/// global flags. `None` for an unknown command or flag.
pub fn flag(command: &str, name: &str) -> Option<&'static FlagSpec> {
    let is_match = |spec: &&FlagSpec| {
        spec.long == name || (name.chars().count() == 1 && spec.short.map(String::from).as_deref() == Some(name))
    };
    let own = self::command(command).and_then(|c| c.flags.iter().find(is_match));
    own.or_else(|| global_flags().iter().find(is_match))
}
