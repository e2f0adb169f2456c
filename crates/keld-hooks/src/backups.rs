//! A preset's backups as its readers find them again (`keld status --repository`, a
//! drill): the preset's commands resolved without arguments, and the query for the
//! snapshots its `backup` makes on this machine.

use keld_config::{Config, Environment, Request, ResolvedConfig};

use crate::snapshots::SnapshotQuery;

/// `command` of `preset` resolved with no arguments after it: what a reader of the
/// preset's repository runs.
pub fn resolve_preset_command(
    config: &Config,
    preset: &str,
    command: &str,
    env: &Environment,
) -> Result<ResolvedConfig, keld_config::Error> {
    config.resolve(
        &Request {
            preset: Some(preset.to_owned()),
            command: command.to_owned(),
            args: Vec::new(),
        },
        env,
    )
}

/// A preset's resolved `backup` and how the snapshots it makes are asked for.
#[derive(Debug, Clone)]
pub struct PresetBackup {
    /// The preset's `backup`, resolved without arguments.
    pub backup: ResolvedConfig,
    /// The query for the snapshots that `backup` makes on the machine named
    /// `hostname` ([`SnapshotQuery::for_backup`]).
    pub query: SnapshotQuery,
}

impl PresetBackup {
    /// Resolve `preset`'s `backup` and the query for its snapshots made on the machine
    /// named `hostname`.
    pub fn resolve(
        config: &Config,
        preset: &str,
        env: &Environment,
        hostname: &str,
    ) -> Result<Self, keld_config::Error> {
        let backup = resolve_preset_command(config, preset, "backup", env)?;
        let query = SnapshotQuery::for_backup(&backup, hostname);
        Ok(Self { backup, query })
    }
}

/// This machine's hostname (empty when it cannot be read): the host restic records
/// in a snapshot when `--host` is not given.
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}
