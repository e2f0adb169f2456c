//! The command line as clap sees it.
//!
//! Keld's own options come before COMMAND. Any word that is not one of keld's own
//! subcommands is COMMAND (a restic command or a `_command` alias), and clap collects
//! it and every later token untouched, so `keld -p home backup --help` reaches restic.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Usage line shown in help and in the "no command" error.
pub(crate) const USAGE: &str = "keld [OPTIONS] [COMMAND [RESTIC-ARGS...]]";

const AFTER_HELP: &str = "\
COMMAND is a restic command (backup, snapshots, forget, restore, ...) or an alias defined
with `_command` in the config. Every token after COMMAND is passed to restic, even -p and
--help: `keld -p home backup --help` shows restic's help for backup.

Environment:
  KELD_ALLOW_UNSAFE_CONFIG
                       any non-empty value: use every config file whatever it sets
                       (hooks, _COMMANDs, repo, ...) even when others could write it
  KELD_CONFIG_FILE     the only config file read (like --config)
  KELD_CONFIG_PATHS    ':'-separated extra config files or globs
  KELD_DRYRUN          any non-empty value: behave as --show-command
  KELD_EXECUTABLE      the restic binary to run (default: restic, looked up in PATH)
  KELD_NONINTERACTIVE  any non-empty value: never start the interactive mode
  XDG_CONFIG_HOME      where the user config lives (default: ~/.config)
  XDG_CACHE_HOME       where a large config's layout is cached (default: ~/.cache)";

/// `keld [OPTIONS] [COMMAND [RESTIC-ARGS...]]`
#[derive(Debug, Parser)]
#[command(
    name = "keld",
    version,
    about = "A friendly, TOML-configured wrapper around restic",
    override_usage = USAGE,
    after_help = AFTER_HELP,
    subcommand_value_name = "COMMAND",
    subcommand_help_heading = "Keld's own commands (any other COMMAND goes to restic)",
    // restic has a `help` command; keld must not shadow it.
    disable_help_subcommand = true,
)]
pub(crate) struct Cli {
    /// Preset to resolve: NAME, PREFIX@SUFFIX, PREFIX@ or @SUFFIX; repeat it or give a
    /// comma-separated list to run several presets one after another
    #[arg(short, long, value_name = "NAME", action = clap::ArgAction::Append, value_delimiter = ',')]
    pub(crate) preset: Vec<String>,

    /// Read only this config file (like KELD_CONFIG_FILE)
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Print what would run (config files, sections, environment names, hooks, the restic
    /// command) and run nothing; exit 0
    #[arg(short = 'n', long)]
    pub(crate) show_command: bool,

    /// With --show-command (or for `keld presets`): print JSON for scripts
    #[arg(long)]
    pub(crate) json: bool,

    /// With --show-command: show where every value came from, and what it overrode
    #[arg(long)]
    pub(crate) verbose: bool,

    #[command(subcommand)]
    pub(crate) command: Option<Sub>,
}

/// Keld's own subcommands, and the catch-all for restic commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Sub {
    /// List the presets the config defines, with the sections and files that define them
    Presets {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
        /// Print only the preset names, one per line (a name holding a control
        /// character in the $'...' form)
        #[arg(long, conflicts_with = "json")]
        names: bool,
        /// With --names or --complete: print each name exactly as written and end it
        /// with a NUL byte instead of a newline (for scripts and shell completion)
        #[arg(short = '0', long)]
        null: bool,
        /// List every prefix × suffix combination, however many there are
        #[arg(long)]
        all: bool,
        /// Print the preset names that complete WORD (shell completion): the defined
        /// names, and after `prefix@` that prefix's combinations
        #[arg(long, value_name = "WORD", conflicts_with_all = ["json", "names", "all"])]
        complete: Option<String>,
    },
    /// Print a shell completion script (preset names are completed from your config)
    Completions {
        /// The shell to complete for
        shell: Shell,
    },
    /// Print keld's manual page (roff) to stdout, e.g. `keld man | man -l -`
    Man,
    /// Show each preset's last run and last success from the run records, or check
    /// that backups are recent enough (--max-age)
    Status(StatusArgs),
    /// Make systemd timers match the config's `_schedule` keys (or --list them)
    Schedule(ScheduleArgs),
    /// Disable and remove every systemd unit `keld schedule` wrote
    Unschedule(UnscheduleArgs),
    /// Restore a random sample of a snapshot's files into a private temporary directory
    /// and compare them with the live files (docs/drill.md)
    Drill(DrillArgs),
    /// A restic command or `_command` alias, and everything after it.
    #[command(external_subcommand)]
    Restic(Vec<OsString>),
}

/// `keld status`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    /// Only these presets (repeat, or a comma-separated list)
    #[arg(short, long = "preset", value_name = "NAME", action = clap::ArgAction::Append, value_delimiter = ',')]
    pub(crate) presets: Vec<String>,
    /// Print JSON for scripts
    #[arg(long)]
    pub(crate) json: bool,
    /// Exit 1 unless each preset's newest successful backup is younger than this
    /// (e.g. 26h, 1d12h); a line per stale preset goes to stderr
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) max_age: Option<std::time::Duration>,
    /// Ask restic for each preset's newest snapshot instead of reading the records
    #[arg(long)]
    pub(crate) repository: bool,
}

/// Whose systemd `keld schedule` and `keld unschedule` talk to.
#[derive(Debug, Clone, Copy, clap::Args)]
#[group(multiple = false)]
pub(crate) struct ScopeArgs {
    /// System units in /etc/systemd/system (the default for root)
    #[arg(long)]
    pub(crate) system: bool,
    /// User units in ~/.config/systemd/user (the default for other users)
    #[arg(long)]
    pub(crate) user: bool,
}

/// `keld schedule`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct ScheduleArgs {
    /// Print every unit file and systemctl command, and change nothing
    #[arg(long, conflicts_with = "list")]
    pub(crate) dry_run: bool,
    /// List the schedules: preset, command, calendar, next run, last result
    #[arg(long)]
    pub(crate) list: bool,
    /// With --list: print JSON for scripts
    #[arg(long, requires = "list")]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
}

/// `keld unschedule`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct UnscheduleArgs {
    /// Print every file it would remove and every systemctl command, and change nothing
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
}

/// `keld drill`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct DrillArgs {
    /// How many files to restore and compare (all of them when the snapshot has fewer)
    #[arg(long, value_name = "N", default_value_t = keld_hooks::DEFAULT_SAMPLE, value_parser = parse_sample)]
    pub(crate) sample: usize,
    /// The sample's seed: the same seed picks the same files from the same snapshot
    /// (default: a random one, printed)
    #[arg(long, value_name = "S")]
    pub(crate) seed: Option<u64>,
    /// Only files of at most this size (e.g. 64MiB, 512K, 2G; units of 1024)
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub(crate) max_size: u64,
    /// Print JSON for scripts
    #[arg(long)]
    pub(crate) json: bool,
    /// The snapshot to drill (default: the newest of the preset's backups)
    #[arg(value_name = "SNAPSHOT")]
    pub(crate) snapshot: Option<String>,
}

/// A number of files, at least one.
fn parse_sample(text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|count| *count > 0)
        .ok_or_else(|| format!("{text:?} is not a number of files (1 or more)"))
}

/// A size as `--max-size` takes it.
fn parse_size(text: &str) -> Result<u64, String> {
    keld_hooks::parse_size(text).map_err(|error| error.to_string())
}

/// A duration as the config writes it (`26h`, `1h30m`).
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    keld_config::duration::parse(text).map_err(|error| {
        format!(
            "{error}: a duration is a whole number and a unit (s, m, h, d, w), e.g. 26h or 1d12h"
        )
    })
}

/// Shells `keld completions` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// The names of keld's own subcommands (never restic commands).
#[cfg(test)]
pub(crate) fn own_subcommands() -> Vec<String> {
    use clap::CommandFactory;
    Cli::command()
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn own_subcommands_never_shadow_restic_commands() {
        let own = own_subcommands();
        assert_eq!(
            own,
            [
                "presets",
                "completions",
                "man",
                "status",
                "schedule",
                "unschedule",
                "drill"
            ]
        );
        for name in &own {
            assert!(
                keld_config::FlagData::restic().command(name).is_none(),
                "keld's `{name}` would shadow restic's `{name}`"
            );
        }
        // Names restic has used in any release keld supports, in case the data table
        // is incomplete.
        for restic in [
            "backup",
            "cache",
            "cat",
            "check",
            "copy",
            "diff",
            "dump",
            "features",
            "find",
            "forget",
            "generate",
            "help",
            "init",
            "key",
            "list",
            "ls",
            "migrate",
            "mount",
            "options",
            "prune",
            "recover",
            "repair",
            "restore",
            "rewrite",
            "self-update",
            "snapshots",
            "stats",
            "tag",
            "unlock",
            "version",
        ] {
            assert!(
                !own.iter().any(|name| name == restic),
                "{restic} is restic's"
            );
        }
    }

    #[test]
    fn everything_after_command_is_untouched() {
        let cli = Cli::try_parse_from(["keld", "-p", "home", "backup", "--help", "-p", "x"])
            .expect("parses");
        assert_eq!(cli.preset, ["home"]);
        let Some(Sub::Restic(words)) = cli.command else {
            panic!("expected a restic command, got {:?}", cli.command);
        };
        assert_eq!(words, ["backup", "--help", "-p", "x"]);
    }
}
