//! What keld knows about restic's commands and flags (restic 0.14 to 0.18), as data.
//!
//! Keld merges configured flags with flags typed after the command, so it has to
//! read a restic command line the way restic does: `-r X` is `--repo X`, a switch
//! such as `--json` never takes the next word as its value, and `-v`/`--verbose`
//! counts. A config key that is no flag of its command earns a warning, which
//! needs the list of flags each command has.
//!
//! # How it works
//!
//! The tables in `data.rs` list every command of restic 0.14 up to 0.18 and,
//! per command, the union of its flags over those versions, sorted by long name.
//! Global flags (valid after every command) are a separate table. Short aliases
//! differ per command (`-H` is `--host` for `backup` but `--keep-hourly` for
//! `forget`), so lookups always name the command. Lookups search the command's
//! own flags first, then the global ones; the one lookup is [`crate::FlagData::flag`].
//! The tests check that the two tables never share a long name or a short letter.
//!
//! ```
//! use keld_config::FlagData;
//! use keld_config::restic::FlagKind;
//!
//! let restic = FlagData::restic();
//! let repo = restic.flag("backup", "r").unwrap();
//! assert_eq!(repo.long, "repo");
//! assert_eq!(repo.kind, FlagKind::Value);
//!
//! // The same letter means different flags for different commands.
//! assert_eq!(restic.flag("backup", "H").unwrap().long, "host");
//! assert_eq!(restic.flag("forget", "H").unwrap().long, "keep-hourly");
//!
//! assert_eq!(restic.flag("backup", "one-file-system").unwrap().kind, FlagKind::Switch);
//! assert_eq!(restic.flag("snapshots", "verbose").unwrap().kind, FlagKind::Count);
//! assert!(restic.flag("backup", "no-such-flag").is_none());
//! ```

mod data;

/// A boolean flag's value as restic reads it (Go's `strconv.ParseBool`): `1`, `t`,
/// `T`, `true`, `TRUE`, `True` are true, `0`, `f`, `F`, `false`, `FALSE`, `False`
/// false; anything else makes restic refuse its arguments (`None`).
///
/// ```
/// use keld_config::restic::parse_bool;
/// assert_eq!(parse_bool("0"), Some(false));
/// assert_eq!(parse_bool("True"), Some(true));
/// assert_eq!(parse_bool("yes"), None);
/// ```
pub fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

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

impl FlagSpec {
    /// Whether `name` (a long name, or one letter for the short alias, without
    /// dashes) names this flag.
    pub fn is_named(&self, name: &str) -> bool {
        if self.long == name {
            return true;
        }
        let mut chars = name.chars();
        match (chars.next(), chars.next(), self.short) {
            (Some(letter), None, Some(short)) => letter == short,
            _ => false,
        }
    }
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
///
/// Commands with subcommands (`key`, `repair`) carry the flags of all their
/// subcommands, since keld treats the subcommand as a positional argument.
pub fn commands() -> &'static [CommandSpec] {
    data::COMMANDS
}

/// restic's global flags (valid for every command), sorted by long name.
pub fn global_flags() -> &'static [FlagSpec] {
    data::GLOBAL_FLAGS
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::process::Command;

    use super::*;
    use crate::FlagData;

    fn flag(command: &str, name: &str) -> Option<&'static FlagSpec> {
        FlagData::restic().flag(command, name)
    }

    fn global_flag(name: &str) -> Option<&'static FlagSpec> {
        FlagData::restic().global_flag(name)
    }

    fn is_command(name: &str) -> bool {
        FlagData::restic().command(name).is_some()
    }

    fn flags_for(command: &str) -> impl Iterator<Item = &'static FlagSpec> {
        FlagData::restic().flags_for(command)
    }

    fn assert_strictly_sorted<'a>(what: &str, names: impl Iterator<Item = &'a str>) {
        let names: Vec<&str> = names.collect();
        for pair in names.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{what}: {:?} must come after {:?} (sorted, no duplicates)",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn commands_are_sorted_without_duplicates() {
        assert_strictly_sorted("commands", commands().iter().map(|c| c.name));
    }

    #[test]
    fn flags_are_sorted_without_duplicate_long_names() {
        assert_strictly_sorted("global flags", global_flags().iter().map(|f| f.long));
        for spec in commands() {
            assert_strictly_sorted(spec.name, spec.flags.iter().map(|f| f.long));
        }
    }

    #[test]
    fn no_short_or_long_name_is_used_twice_per_command_including_globals() {
        let mut problems = Vec::new();
        for spec in commands() {
            let mut shorts: BTreeMap<char, &str> = BTreeMap::new();
            for flag in global_flags().iter().chain(spec.flags) {
                if let Some(short) = flag.short
                    && let Some(other) = shorts.insert(short, flag.long)
                {
                    problems.push(format!(
                        "{}: -{short} is both --{other} and --{}",
                        spec.name, flag.long
                    ));
                }
            }
            for flag in spec.flags {
                if global_flags().iter().any(|global| global.long == flag.long) {
                    problems.push(format!("{}: --{} is also global", spec.name, flag.long));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn names_are_bare_lowercase_words() {
        let well_formed = |long: &str| {
            !long.is_empty()
                && !long.starts_with('-')
                && !long.ends_with('-')
                && long
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        for spec in commands() {
            assert!(well_formed(spec.name), "command {:?}", spec.name);
            for flag in spec.flags.iter().chain(global_flags()) {
                assert!(well_formed(flag.long), "{}: --{:?}", spec.name, flag.long);
                if let Some(short) = flag.short {
                    assert!(short.is_ascii_alphabetic(), "{}: -{short:?}", spec.name);
                }
            }
        }
    }

    #[test]
    fn lookup_finds_command_flags_then_global_flags() {
        assert_eq!(flag("backup", "x").map(|f| f.long), Some("one-file-system"));
        assert_eq!(flag("backup", "e").map(|f| f.long), Some("exclude"));
        assert_eq!(flag("backup", "n").map(|f| f.long), Some("dry-run"));
        assert_eq!(flag("restore", "t").map(|f| f.long), Some("target"));
        assert_eq!(flag("restore", "i").map(|f| f.long), Some("include"));
        assert_eq!(flag("find", "i").map(|f| f.long), Some("ignore-case"));
        assert_eq!(flag("forget", "H").map(|f| f.long), Some("keep-hourly"));
        assert_eq!(flag("forget", "host").and_then(|f| f.short), None);
        assert_eq!(flag("snapshots", "H").map(|f| f.long), Some("host"));
        // -n is a dry-run alias only for some commands.
        assert!(flag("restore", "n").is_none());
        assert_eq!(
            flag("restore", "dry-run").map(|f| f.kind),
            Some(FlagKind::Switch)
        );

        for command in ["backup", "restore", "snapshots", "init", "version", "key"] {
            assert_eq!(
                flag(command, "r").map(|f| f.long),
                Some("repo"),
                "{command}"
            );
            assert_eq!(flag(command, "p").map(|f| f.long), Some("password-file"));
            assert_eq!(flag(command, "q").map(|f| f.kind), Some(FlagKind::Switch));
            assert_eq!(flag(command, "v").map(|f| f.kind), Some(FlagKind::Count));
            assert_eq!(flag(command, "verbose").map(|f| f.short), Some(Some('v')));
        }
    }

    #[test]
    fn an_unknown_command_still_has_the_global_flags() {
        // As resolution reads it, and as `flags_for` lists it.
        assert_eq!(flag("no-such-command", "r").map(|f| f.long), Some("repo"));
        assert_eq!(flag("", "repo").map(|f| f.long), Some("repo"));
        assert_eq!(
            flag("no-such-command", "v").map(|f| f.kind),
            Some(FlagKind::Count)
        );
        assert!(flags_for("no-such-command").any(|f| f.long == "repo"));
    }

    #[test]
    fn lookup_rejects_unknown_names_dashes_and_commands() {
        assert!(flag("backup", "").is_none());
        assert!(flag("backup", "-r").is_none());
        assert!(flag("backup", "--repo").is_none());
        assert!(flag("backup", "rr").is_none());
        assert!(flag("backup", "R").is_none());
        assert!(flag("backup", "tagg").is_none());
        assert!(flag("no-such-command", "one-file-system").is_none());
        assert!(flag("", "x").is_none());
        assert_eq!(global_flag("r").map(|f| f.long), Some("repo"));
        assert!(global_flag("x").is_none());
        assert!(is_command("rewrite"));
        assert!(!is_command("presets"));
        assert!(!is_command("completion"));
    }

    #[test]
    fn flags_for_lists_own_then_global_flags() {
        let names: Vec<&str> = flags_for("diff").map(|f| f.long).collect();
        assert_eq!(names.first(), Some(&"metadata"));
        assert!(names.contains(&"repo"));
        assert_eq!(names.len(), 1 + global_flags().len());
        assert_eq!(flags_for("unknown").count(), global_flags().len());
    }

    #[test]
    fn newer_commands_are_known() {
        // rewrite (0.15), repair (0.16), features and options (0.17).
        for name in ["rewrite", "repair", "features", "options"] {
            assert!(is_command(name), "{name}");
        }
        // Removed from help in 0.16 but still accepted.
        assert!(is_command("rebuild-index"));
    }

    #[test]
    fn newer_flags_have_the_kind_and_alias_from_the_sources() {
        use FlagKind::{Switch, Value};
        let expected: &[(&str, &str, Option<char>, FlagKind)] = &[
            ("backup", "skip-if-unchanged", None, Switch),
            ("backup", "read-concurrency", None, Value),
            ("backup", "no-scan", None, Switch),
            ("backup", "group-by", Some('g'), Value),
            ("backup", "stdin-from-command", None, Switch),
            ("restore", "overwrite", None, Value),
            ("restore", "delete", None, Switch),
            ("restore", "dry-run", None, Switch),
            ("restore", "include-file", None, Value),
            ("restore", "exclude-xattr", None, Value),
            ("restore", "sparse", None, Switch),
            ("rewrite", "exclude", Some('e'), Value),
            ("rewrite", "forget", None, Switch),
            ("rewrite", "new-host", None, Value),
            ("rewrite", "snapshot-summary", Some('s'), Switch),
            ("repair", "dry-run", Some('n'), Switch),
            ("repair", "read-all-packs", None, Switch),
            ("key", "new-insecure-no-password", None, Switch),
            ("copy", "from-insecure-no-password", None, Switch),
            ("find", "reverse", Some('R'), Switch),
            ("ls", "sort", Some('s'), Value),
            ("ls", "ncdu", None, Switch),
            ("dump", "target", Some('t'), Value),
            ("forget", "unsafe-allow-remove-all", None, Switch),
            ("prune", "repack-smaller-than", None, Value),
            ("generate", "powershell-completion", None, Value),
            ("check", "stuck-request-timeout", None, Value),
            ("check", "http-user-agent", None, Value),
            ("check", "no-extra-verify", None, Switch),
            ("check", "insecure-no-password", None, Switch),
            ("check", "pack-size", None, Value),
            ("check", "retry-lock", None, Value),
        ];
        for &(command, long, short, kind) in expected {
            let spec = flag(command, long).unwrap_or_else(|| panic!("{command} --{long}"));
            assert_eq!((spec.short, spec.kind), (short, kind), "{command} --{long}");
        }
    }

    /// One flag line of restic's `--help` output.
    #[derive(Debug)]
    struct HelpFlag {
        long: String,
        short: Option<char>,
        /// pflag prints a value name after flags that take a value.
        shows_value: bool,
    }

    /// The parts of one `restic ... --help` page that matter here.
    #[derive(Debug, Default)]
    struct HelpPage {
        flags: Vec<HelpFlag>,
        global_flags: Vec<HelpFlag>,
        subcommands: Vec<String>,
    }

    /// Parses `  -n, --dry-run   text` or `      --tag taglist   text`.
    fn parse_flag_line(line: &str) -> Option<HelpFlag> {
        let line = line.trim_start();
        let (short, rest) = match line.strip_prefix("--") {
            Some(rest) => (None, rest),
            None => {
                let mut chars = line.strip_prefix('-')?.chars();
                let short = chars.next()?;
                (Some(short), chars.as_str().strip_prefix(", --")?)
            }
        };
        let end = rest.find([' ', '[']).unwrap_or(rest.len());
        let (long, after) = rest.split_at(end);
        // The value name follows after one space; the description after two or more.
        let shows_value = after.starts_with('[')
            || (after.starts_with(' ') && !after[1..].starts_with(' ') && after.len() > 1);
        Some(HelpFlag {
            long: long.to_owned(),
            short,
            shows_value,
        })
    }

    fn parse_help(text: &str) -> HelpPage {
        let mut page = HelpPage::default();
        let mut section = "";
        for line in text.lines() {
            if line.trim().is_empty() {
                continue;
            }
            if !line.starts_with(' ') {
                section = line.trim();
                continue;
            }
            match section {
                "Flags:" => page.flags.extend(parse_flag_line(line)),
                "Global Flags:" => page.global_flags.extend(parse_flag_line(line)),
                "Available Commands:" | "Advanced Options:" | "Additional Commands:" => {
                    if let Some(name) = line.split_whitespace().next() {
                        page.subcommands.push(name.to_owned());
                    }
                }
                _ => {}
            }
        }
        page
    }

    /// The real restic's answer to `args`: `KELD_TEST_RESTIC` (a path) when set, else
    /// `restic` on PATH. A restic that cannot run fails the test.
    fn restic(args: &[&str]) -> String {
        let program = std::env::var_os("KELD_TEST_RESTIC")
            .filter(|path| !path.is_empty())
            .unwrap_or_else(|| "restic".into());
        let output = Command::new(&program)
            .args(args)
            .output()
            .unwrap_or_else(|err| {
                panic!(
                    "running {} {args:?}: {err}; this test needs restic: install it (Debian: \
                 `apt-get install restic`) or set KELD_TEST_RESTIC to its path",
                    program.display()
                )
            });
        assert!(output.status.success(), "restic {args:?}: {output:?}");
        String::from_utf8(output.stdout).expect("restic help is UTF-8")
    }

    fn check_help_flags(
        context: &str,
        shown: &[HelpFlag],
        lookup: impl Fn(&str) -> Option<&'static FlagSpec>,
        problems: &mut Vec<String>,
    ) -> usize {
        for help in shown {
            let Some(spec) = lookup(&help.long) else {
                problems.push(format!("{context}: --{} is missing", help.long));
                continue;
            };
            if spec.short != help.short {
                problems.push(format!(
                    "{context}: --{} has short {:?}, restic says {:?}",
                    help.long, spec.short, help.short
                ));
            }
            // A counter prints as `-v, --verbose n` in 0.14 and without a value name
            // later, so its help line cannot tell; the unit tests pin it instead.
            let kind_matches = match spec.kind {
                FlagKind::Value => help.shows_value,
                FlagKind::Switch => !help.shows_value,
                FlagKind::Count => true,
            };
            if !kind_matches {
                problems.push(format!(
                    "{context}: --{} is {:?}, restic's help {} a value",
                    help.long,
                    spec.kind,
                    if help.shows_value {
                        "shows"
                    } else {
                        "shows no"
                    }
                ));
            }
        }
        shown.len()
    }

    #[test]
    fn help_parser_reads_pflag_lines() {
        let page = parse_help(
            "Usage:\n  restic restore [flags] snapshotID\n\nFlags:\n  \
             -e, --exclude pattern      exclude a pattern\n      \
             --iexclude --exclude   same as --exclude\n  \
             -h, --help                 help for restore\n      \
             --verify               verify restored files content\n\n\
             Global Flags:\n  -v, --verbose n   be verbose\n",
        );
        let summary: Vec<(String, Option<char>, bool)> = page
            .flags
            .iter()
            .map(|f| (f.long.clone(), f.short, f.shows_value))
            .collect();
        assert_eq!(
            summary,
            [
                ("exclude".to_owned(), Some('e'), true),
                ("iexclude".to_owned(), None, true),
                ("help".to_owned(), Some('h'), false),
                ("verify".to_owned(), None, false),
            ]
        );
        assert_eq!(page.global_flags.len(), 1);
        assert_eq!(page.global_flags[0].short, Some('v'));
        assert!(page.subcommands.is_empty());
    }

    /// Every flag the real restic prints in `--help` must be in the tables with the
    /// same short alias and kind. Fails without restic; skipped only when its version
    /// is outside the 0.14 to 0.18 the tables cover.
    #[test]
    fn real_restic_help_matches_the_tables() {
        let version = restic(&["version"]);
        let minor = version
            .strip_prefix("restic 0.")
            .and_then(|rest| rest.split('.').next())
            .and_then(|minor| minor.parse::<u32>().ok());
        if !matches!(minor, Some(14..=18)) {
            eprintln!("skipped: the tables cover restic 0.14 to 0.18, found {version:?}");
            return;
        }

        let mut problems = Vec::new();
        let root = parse_help(&restic(&["--help"]));
        let mut checked = check_help_flags("restic", &root.flags, global_flag, &mut problems);
        assert!(
            !root.subcommands.is_empty(),
            "no commands parsed from restic --help"
        );

        // (path of command words, the keld command they belong to)
        let mut pending: Vec<(Vec<String>, String)> = root
            .subcommands
            .iter()
            .map(|name| (vec![name.clone()], name.clone()))
            .collect();
        while let Some((path, keld_command)) = pending.pop() {
            let context = format!("restic {}", path.join(" "));
            if !is_command(&keld_command) {
                problems.push(format!("{context}: command is missing"));
                continue;
            }
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push("--help");
            let page = parse_help(&restic(&args));
            checked += check_help_flags(
                &context,
                &page.flags,
                |name| flag(&keld_command, name),
                &mut problems,
            );
            checked += check_help_flags(&context, &page.global_flags, global_flag, &mut problems);
            for sub in page.subcommands {
                let mut sub_path = path.clone();
                sub_path.push(sub);
                pending.push((sub_path, keld_command.clone()));
            }
        }

        assert!(problems.is_empty(), "{}", problems.join("\n"));
        // 0.14 prints a few hundred flag lines in all; far fewer means the parser broke.
        assert!(checked > 300, "only {checked} flag lines checked");
    }
}
