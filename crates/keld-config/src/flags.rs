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

    /// The flag `name` (long name, or one-letter short alias, without dashes) of
    /// `command`: the command's own flags first, then the global flags.
    ///
    /// This is the one flag lookup keld has. An unknown command has no flags of its own, but the global flags are still
    /// known: restic accepts them after every command, and a newer restic may have
    /// commands keld does not know.
    pub fn flag(&self, command: &str, name: &str) -> Option<&'a FlagSpec> {
        let own = self
            .command(command)
            .and_then(|spec| spec.flags.iter().find(|flag| flag.is_named(name)));
        own.or_else(|| self.global.iter().find(|flag| flag.is_named(name)))
    }

    /// The global flag `name` (long name or one-letter short alias, without dashes):
    /// the flags every command accepts, all a command keld does not know can rely on.
    pub fn global_flag(&self, name: &str) -> Option<&'a FlagSpec> {
        self.global.iter().find(|flag| flag.is_named(name))
    }

    /// Every flag valid for `command`: its own flags, then the global ones (only the
    /// global ones for a command keld does not know). Meant for did-you-mean hints
    /// and completion.
    pub fn flags_for(&self, command: &str) -> impl Iterator<Item = &'a FlagSpec> + use<'a> {
        let own = self.command(command).map_or(&[][..], |spec| spec.flags);
        own.iter().chain(self.global)
    }

    /// Every command in the table.
    pub fn commands(&self) -> &'a [CommandSpec] {
        self.commands
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
    pub(crate) fn long_names(&self, command: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        self.flags_for(command).map(|spec| spec.long)
    }
}
