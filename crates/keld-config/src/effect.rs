//! What a setting can make keld or restic do beyond shaping a backup: the reason a
//! file that others can write may not hold it (docs/security.md, trust.rs).

/// What only a file no one else can write may decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Runs a command, or chooses which program or code runs (hooks, `_COMMAND`s,
    /// `PATH`, `password-command`, `sftp.command`, ...).
    RunsCommands,
    /// A restic flag or option keld cannot classify: it could start a program.
    Unclassified,
    /// An environment variable keld cannot vouch for: restic, ssh, rclone or a hook's
    /// programs may read code or commands from it.
    Environment,
    /// Chooses the repository, how restic reaches and trusts it, or its keys: where the
    /// backup goes, and (`rclone:`, `sftp:`) which program restic starts for it.
    Repository,
    /// Chooses where keld or restic writes files (`target`, `cache-dir`,
    /// `_metrics_dir`, ...).
    Writes,
    /// Lets other users read what restic shows (`mount --allow-other`).
    Exposes,
    /// Chooses which restic command runs (`_command`).
    Command,
    /// Chooses where keld sends the record of a run (`_healthchecks`, `_ntfy`,
    /// `_webhook`).
    Reports,
    /// Decides which restic exit codes count as success (`_success_exit_codes`).
    Outcome,
    /// Decides the timers `keld schedule` installs (`_schedule`, `_schedule_delay`).
    Schedule,
}

impl Effect {
    /// Every effect.
    const ALL: [Effect; 10] = [
        Effect::RunsCommands,
        Effect::Unclassified,
        Effect::Environment,
        Effect::Repository,
        Effect::Writes,
        Effect::Exposes,
        Effect::Command,
        Effect::Reports,
        Effect::Outcome,
        Effect::Schedule,
    ];

    /// What the setting does, after "it": `runs commands`.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Effect::RunsCommands => "runs commands",
            Effect::Unclassified => {
                "passes restic a flag or option keld cannot classify, which could start a program"
            }
            Effect::Environment => {
                "sets an environment variable keld cannot vouch for, which a program could \
                 read code or commands from"
            }
            Effect::Repository => "chooses the repository, how restic reaches it or its keys",
            Effect::Writes => "chooses where keld or restic write files",
            Effect::Exposes => "lets other users read the backups restic mounts",
            Effect::Command => "chooses which restic command runs",
            Effect::Reports => "chooses where keld sends the record of a run",
            Effect::Outcome => "decides which restic exit codes count as success",
            Effect::Schedule => "decides when keld runs from a timer",
        }
    }

    /// What another user could do with it, after "another user could".
    pub(crate) fn risk(self) -> &'static str {
        match self {
            Effect::RunsCommands | Effect::Unclassified | Effect::Environment => {
                "make keld run any command"
            }
            Effect::Repository => {
                "send your backups to a repository of theirs, or start a program through it"
            }
            Effect::Writes => "make keld overwrite any file you can write",
            Effect::Exposes => "read every file of your backups",
            Effect::Command => "turn a backup into a restore, a forget or a self-update",
            Effect::Reports => {
                "receive the record of every run, and have keld send requests anywhere"
            }
            Effect::Outcome => "hide failing backups from you and your monitoring",
            Effect::Schedule => "decide when keld runs, as root from a system timer",
        }
    }
}

/// What another user could do with the setting whose effect reads `description` (as
/// [`Effect::describe`] wrote it, for an error's help).
pub(crate) fn risk_of(description: &str) -> &'static str {
    Effect::ALL
        .iter()
        .find(|effect| effect.describe() == description)
        .map_or("make keld do what the file says", |effect| effect.risk())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_description_is_its_own() {
        for effect in Effect::ALL {
            assert_eq!(risk_of(effect.describe()), effect.risk());
            let same = Effect::ALL
                .iter()
                .filter(|other| other.describe() == effect.describe())
                .all(|other| *other == effect);
            assert!(same, "{effect:?}");
        }
    }
}
