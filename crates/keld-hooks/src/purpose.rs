//! Whether restic will do its job or only answer a question: read from the very
//! arguments restic gets, the way restic's flag parser (Go's pflag, under cobra)
//! reads them.
//!
//! A run that only asks for help or for a dry run stores nothing, so it gets no
//! hooks, no lock, no record and no ping (docs/hooks.md). Deciding that from the
//! config's idea of a flag would be wrong whenever restic reads the words
//! differently: `--dry-run=0` is a real backup to restic, `--tag --dry-run` gives the
//! tag the value `--dry-run`, `-- --help` backs up a file named `--help`, and
//! `_arguments = ["--dry-run"]` is a flag once restic sees it.

use std::ffi::OsString;

use keld_config::FlagData;
use keld_config::restic::{FlagKind, parse_bool};

/// Whether restic does its job or is only asked about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A real run.
    Run,
    /// `--help` (or `-h`), or restic's `help` command: restic prints its help and
    /// does nothing else.
    Help,
    /// `--dry-run` (or its short alias): restic reports what it would do.
    DryRun,
}

impl Purpose {
    /// What restic running `command` with `args` (its arguments after the program
    /// name, the command word included) will do. A flag counts when restic would
    /// read it as true: given alone, or with a value Go reads as true (`1`, `t`,
    /// `T`, `true`, `TRUE`, `True`); the last occurrence wins. A value Go cannot read
    /// (`--dry-run=yes`) makes restic refuse to run, which is a failed run like any
    /// other, so it does not count either.
    pub fn of(command: &str, args: &[OsString]) -> Self {
        if command == "help" {
            return Self::Help;
        }
        let flags = FlagData::restic();
        let mut help = false;
        let mut dry_run = false;
        let mut set = |long: &str, value: Option<&str>| {
            let slot = match long {
                "help" => &mut help,
                "dry-run" => &mut dry_run,
                _ => return,
            };
            *slot = value.is_none_or(|value| parse_bool(value) == Some(true));
        };
        let mut words = args.iter().map(|arg| arg.to_string_lossy());
        while let Some(word) = words.next() {
            if word == "--" {
                break;
            }
            if let Some(long) = word.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (long, None),
                };
                let spec = flags.flag(command, name).filter(|spec| spec.long == name);
                match spec {
                    Some(spec) if spec.kind == FlagKind::Value && value.is_none() => {
                        // `--tag --dry-run`: the next word is the value, whatever it is.
                        words.next();
                    }
                    Some(spec) => set(spec.long, value),
                    None => {}
                }
            } else if let Some(shorts) = word.strip_prefix('-').filter(|rest| !rest.is_empty()) {
                // A cluster of one-letter flags (`-vn`), up to the first that takes a
                // value, which is the rest of the word (`-r/srv`, `-r=/srv`) or the next.
                let mut rest = shorts;
                while let Some(letter) = rest.chars().next() {
                    rest = &rest[letter.len_utf8()..];
                    let Some(spec) = flags
                        .flag(command, letter.encode_utf8(&mut [0; 4]))
                        .filter(|spec| spec.short == Some(letter))
                    else {
                        break;
                    };
                    let attached = rest.strip_prefix('=').filter(|value| !value.is_empty());
                    if spec.kind == FlagKind::Value {
                        if rest.is_empty() {
                            words.next();
                        }
                        break;
                    }
                    if let Some(value) = attached {
                        set(spec.long, Some(value));
                        break;
                    }
                    set(spec.long, None);
                }
            }
        }
        if help {
            Self::Help
        } else if dry_run {
            Self::DryRun
        } else {
            Self::Run
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purpose(command: &str, words: &[&str]) -> Purpose {
        let args: Vec<OsString> = std::iter::once(command)
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect();
        Purpose::of(command, &args)
    }

    #[test]
    fn help_and_dry_run_alone_or_with_a_true_value() {
        for words in [
            &["--help"][..],
            &["-h"],
            &["--help=true"],
            &["--help=1"],
            &["-h=T"],
            &["-vh"],
            &["/home", "--help"],
        ] {
            assert_eq!(purpose("backup", words), Purpose::Help, "{words:?}");
        }
        for words in [
            &["--dry-run"][..],
            &["-n"],
            &["--dry-run=True"],
            &["-vn"],
            &["-nv"],
            &["-n=t"],
            &["--verbose=2", "-n"],
        ] {
            assert_eq!(purpose("backup", words), Purpose::DryRun, "{words:?}");
        }
        assert_eq!(purpose("forget", &["-n"]), Purpose::DryRun);
        assert_eq!(purpose("help", &[]), Purpose::Help);
        assert_eq!(purpose("backup", &["--dry-run", "--help"]), Purpose::Help);
    }

    #[test]
    fn false_values_and_words_restic_reads_otherwise_do_not_count() {
        for words in [
            &["--help=false"][..],
            &["--help=0"],
            &["--help=F"],
            &["-h=false"],
            &["--dry-run=false"],
            &["--dry-run=0"],
            &["--dry-run=f"],
            &["--dry-run=FALSE"],
            &["-n=0"],
            &["--dry-run", "--dry-run=false"],
            // Values Go cannot read: restic refuses to run.
            &["--dry-run=yes"],
            &["--help=fAlse"],
            // The value of the flag before.
            &["--tag", "--dry-run"],
            &["--tag", "-h"],
            &["-r", "--help"],
            &["--repo", "-n"],
            // After `--`, words are paths.
            &["--", "--dry-run"],
            &["--", "-h"],
            // A value attached to a short flag that takes one.
            &["-r-n"],
            &["/srv/-n"],
            &["-"],
        ] {
            assert_eq!(purpose("backup", words), Purpose::Run, "{words:?}");
        }
        // `-n` is no dry run for a command that has none.
        assert_eq!(purpose("snapshots", &["-n"]), Purpose::Run);
        assert_eq!(purpose("backup", &[]), Purpose::Run);
    }
}
