//! The restic flag knowledge resolution uses, as a value that can be swapped.

use crate::restic::{self, CommandSpec, FlagKind, FlagSpec};

/// A table of restic commands and flags that resolution consults.
///
/// [`FlagData::restic`] is keld's built-in knowledge ([`crate::restic`]); tools and
/// tests can pass their own with [`crate::Config::resolve_with_flags`]. An unknown
/// flag is never an error: it is passed through (see `docs/configuration.md`).
#[derive(Debug, Clone, Copy)]
pub struct FlagData<'a> {
    commands: &'a [CommandSpec],
    global: &'a [FlagSpec],
}

impl FlagData<'static> {
    /// keld's built-in knowledge of restic.
    pub fn restic() -> Self {
        Self {
            commands: restic::commands(),
            global: restic::global_flags(),
        }
    }
}

impl<'a> FlagData<'a> {
    /// A table of commands (with their own flags) and flags valid for every command.
    pub fn new(commands: &'a [CommandSpec], global: &'a [FlagSpec]) -> Self {
        Self { commands, global }
    }

    /// The command named `name`, if known.
    pub fn command(&self, name: &str) -> Option<&'a CommandSpec> {
        self.commands.iter().find(|spec| spec.name == name)
    }

    /// The flag `name` (long name, or one-letter short alias) of `command`, global flags
    /// included. Global flags are known even when the command is not.
    pub fn flag(&self, command: &str, name: &str) -> Option<&'a FlagSpec> {
        let short = {
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some(c),
                _ => None,
            }
        };
        let is_match =
            |spec: &&FlagSpec| spec.long == name || (short.is_some() && spec.short == short);
        let own = self
            .command(command)
            .and_then(|spec| spec.flags.iter().find(is_match));
        own.or_else(|| self.global.iter().find(is_match))
    }

    /// How `name` takes its value, when known.
    pub(crate) fn kind(&self, command: &str, name: &str) -> Option<FlagKind> {
        self.flag(command, name).map(|spec| spec.kind)
    }

    /// The identity of a key for overriding: `r` and `repo` are the same flag.
    pub(crate) fn canonical(&self, command: &str, key: &str) -> String {
        self.flag(command, key)
            .map_or_else(|| key.to_owned(), |spec| spec.long.to_owned())
    }

    /// Every long flag name of `command`, global flags included.
    pub(crate) fn long_names(&self, command: &str) -> impl Iterator<Item = &'a str> {
        let own = self.command(command).map_or(&[][..], |spec| spec.flags);
        own.iter().chain(self.global).map(|spec| spec.long)
    }
}
