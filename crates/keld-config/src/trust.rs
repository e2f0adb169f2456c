//! Which settings a config file that others could have written may hold.
//!
//! keld often runs as root from a timer. Whoever can change a config file it reads can
//! make it do whatever that file may decide, so a file that another user could have
//! written (secure.rs says which: a [`Doubt`]) may set only what shapes a backup:
//! which files, tags, excludes, retention, limits, output. Everything else is an
//! [`Effect`] such a file may not have (docs/security.md has the whole list):
//!
//! * running commands or choosing which program runs: hooks, `_COMMAND`s, `_workdir`,
//!   restic's flags and options that start a program (`password-command`,
//!   `stdin-from-command`, `sftp.command`, `rclone.program`, ...);
//! * anything keld cannot classify: a flag or option that is not in its catalogue of
//!   restic 0.14 to 0.18, an environment variable that is not on its list of
//!   harmless ones (`AWS_ACCESS_KEY_ID`, `LANG`, ...), since restic, ssh, rclone or a
//!   hook's programs may read code or commands from it;
//! * the repository, how restic reaches it and its keys (an `rclone:` or `sftp:`
//!   repository starts a program chosen by its text), where keld or restic write
//!   files, which restic
//!   command runs, where keld reports a run, which exit codes count as success, and
//!   the timers `keld schedule` installs.
//!
//! It is judged twice. When a file is read, each of its definitions is judged by its
//! key and literal value, wherever it stands, so `keld presets` and `--show-command`
//! refuse the file too ([`definition_effect`]). When a preset is resolved, the final
//! arguments and environment are judged after interpolation and `_command`: a value
//! that reaches such a setting through `${...}` from a doubtful file is refused, and
//! so are `_arguments` from one when `--stdin-from-command` makes them a command
//! ([`Guard`]).

use std::path::Path;

use crate::effect::Effect;
use crate::error::Error;
use crate::flags::FlagData;
use crate::interpolate::Traced;
use crate::secure::Doubt;
use crate::special;
use crate::tree::Definition;
use crate::value::Value;

/// Flags that start a program, or make restic run its positional arguments.
const PROGRAM_FLAGS: &[&str] = &[
    "from-password-command",
    "password-command",
    "stdin-from-command",
];

/// Flags that choose the repository, how restic reaches and trusts it, or its keys (a
/// new key's password, no password at all). The password that opens it is not among
/// them: with the repository chosen elsewhere, a wrong one only makes restic fail.
const REPOSITORY_FLAGS: &[&str] = &[
    "cacert",
    "from-insecure-no-password",
    "from-repo",
    "from-repository-file",
    "insecure-no-password",
    "insecure-tls",
    "new-insecure-no-password",
    "new-password-file",
    "repo",
    "repository-file",
    "tls-client-cert",
];

/// Flags that choose where restic writes files.
const WRITING_FLAGS: &[&str] = &[
    "bash-completion",
    "cache-dir",
    "fish-completion",
    "man",
    "output",
    "powershell-completion",
    "target",
    "zsh-completion",
];

/// Flags that let other users read the repository's contents.
const EXPOSING_FLAGS: &[&str] = &["allow-other", "no-default-permissions"];

/// Every other flag of the catalogue: what restic reads, filters, keeps, limits and
/// prints. A file others can write may set these. A flag of the catalogue in none of
/// these lists (one added later) counts as [`Effect::Unclassified`]; a test keeps the
/// lists complete.
const SHAPING_FLAGS: &[&str] = &[
    "add",
    "archive",
    "blob",
    "check-unused",
    "cleanup",
    "cleanup-cache",
    "compact",
    "compression",
    "copy-chunker-params",
    "delete",
    "dry-run",
    "exclude",
    "exclude-caches",
    "exclude-cloud-files",
    "exclude-file",
    "exclude-if-present",
    "exclude-larger-than",
    "exclude-xattr",
    "files-from",
    "files-from-raw",
    "files-from-verbatim",
    "force",
    "forget",
    "from-key-hint",
    "from-password-file",
    "group-by",
    "help",
    "host",
    "hostname",
    "http-user-agent",
    "human-readable",
    "iexclude",
    "iexclude-file",
    "ignore-case",
    "ignore-ctime",
    "ignore-inode",
    "iinclude",
    "iinclude-file",
    "include",
    "include-file",
    "include-xattr",
    "json",
    "keep-daily",
    "keep-hourly",
    "keep-last",
    "keep-monthly",
    "keep-tag",
    "keep-weekly",
    "keep-within",
    "keep-within-daily",
    "keep-within-hourly",
    "keep-within-monthly",
    "keep-within-weekly",
    "keep-within-yearly",
    "keep-yearly",
    "key-hint",
    "last",
    "latest",
    "limit-download",
    "limit-upload",
    "long",
    "max-age",
    "max-repack-size",
    "max-unused",
    "metadata",
    "mode",
    "ncdu",
    "new-host",
    "new-time",
    "newest",
    "no-cache",
    "no-extra-verify",
    "no-lock",
    "no-scan",
    "no-size",
    "oldest",
    "one-file-system",
    "overwrite",
    "owner-root",
    "pack",
    "pack-size",
    "parent",
    "password-file",
    "path",
    "path-template",
    "prune",
    "quiet",
    "read-all-packs",
    "read-concurrency",
    "read-data",
    "read-data-subset",
    "recursive",
    "remove",
    "remove-all",
    "repack-cacheable-only",
    "repack-small",
    "repack-smaller-than",
    "repack-uncompressed",
    "repository-version",
    "retry-lock",
    "reverse",
    "set",
    "show-pack-id",
    "skip-if-unchanged",
    "snapshot",
    "snapshot-summary",
    "snapshot-template",
    "sort",
    "sparse",
    "stdin",
    "stdin-filename",
    "stuck-request-timeout",
    "tag",
    "time",
    "time-template",
    "tree",
    "unsafe-allow-remove-all",
    "unsafe-recover-no-free-space",
    "use-fs-snapshot",
    "user",
    "verbose",
    "verify",
    "with-atime",
    "with-cache",
];

/// restic's extended options (`-o NAME=VALUE`, restic 0.14 to 0.18) that only tune a
/// backend: connections, layouts, regions, storage classes, retries.
const SHAPING_OPTIONS: &[&str] = &[
    "azure.access-tier",
    "azure.connections",
    "b2.connections",
    "gs.connections",
    "gs.region",
    "local.connections",
    "local.layout",
    "rclone.connections",
    "rclone.timeout",
    "rest.connections",
    "s3.bucket-lookup",
    "s3.connections",
    "s3.enable-restore",
    "s3.layout",
    "s3.list-objects-v1",
    "s3.region",
    "s3.restore-days",
    "s3.restore-timeout",
    "s3.restore-tier",
    "s3.retries",
    "s3.storage-class",
    "s3.unsafe-anonymous-auth",
    "sftp.connections",
    "sftp.layout",
    "swift.connections",
];

/// Options that name the program a backend starts, or its arguments.
const PROGRAM_OPTIONS: &[&str] = &["rclone.args", "rclone.program", "sftp.args", "sftp.command"];

/// Options that choose where the repository is.
const REPOSITORY_OPTIONS: &[&str] = &["azure.endpoint-suffix"];

/// Variables naming code that a program loads or a program it starts: the script
/// interpreters hooks commonly run (Python, Node.js, Perl, Ruby), glibc's character
/// set converters, and the helpers git and ssh start.
const CODE_VARIABLES: [&str; 16] = [
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONUSERBASE",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PERL5LIB",
    "PERLLIB",
    "PERL5OPT",
    "RUBYLIB",
    "RUBYOPT",
    "GCONV_PATH",
    "GIT_EXEC_PATH",
    "GIT_SSH",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
];

/// restic's variables for the repository and how it is reached, and the backends'
/// endpoints (where credentials are sent).
const REPOSITORY_VARIABLES: &[&str] = &[
    "AZURE_ENDPOINT_SUFFIX",
    "OS_AUTH_URL",
    "OS_STORAGE_URL",
    "RESTIC_CACERT",
    "RESTIC_FROM_REPOSITORY",
    "RESTIC_FROM_REPOSITORY_FILE",
    "RESTIC_REPOSITORY",
    "RESTIC_REPOSITORY_FILE",
    "RESTIC_TLS_CLIENT_CERT",
    "ST_AUTH",
];

/// Variables that choose where restic writes.
const WRITING_VARIABLES: &[&str] = &["RESTIC_CACHE_DIR", "TMPDIR", "XDG_CACHE_HOME"];

/// Variables a file others can write may set: the repository's password, the backends'
/// credentials and regions, restic's tuning, the locale and the Go runtime's limits. Any other name is
/// [`Effect::Environment`] (and `LC_*` is allowed too).
const SHAPING_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_ACCOUNT_KEY",
    "AZURE_ACCOUNT_NAME",
    "AZURE_ACCOUNT_SAS",
    "B2_ACCOUNT_ID",
    "B2_ACCOUNT_KEY",
    "COLUMNS",
    "GOGC",
    "GOMAXPROCS",
    "GOMEMLIMIT",
    "GOOGLE_ACCESS_TOKEN",
    "GOOGLE_PROJECT_ID",
    "LANG",
    "LANGUAGE",
    "NO_COLOR",
    "OS_APPLICATION_CREDENTIAL_ID",
    "OS_APPLICATION_CREDENTIAL_NAME",
    "OS_APPLICATION_CREDENTIAL_SECRET",
    "OS_AUTH_TOKEN",
    "OS_PASSWORD",
    "OS_PROJECT_DOMAIN_ID",
    "OS_PROJECT_DOMAIN_NAME",
    "OS_PROJECT_NAME",
    "OS_REGION_NAME",
    "OS_TENANT_ID",
    "OS_TENANT_NAME",
    "OS_TRUST_ID",
    "OS_USERNAME",
    "OS_USER_DOMAIN_ID",
    "OS_USER_DOMAIN_NAME",
    "OS_USER_ID",
    "RESTIC_COMPRESSION",
    "RESTIC_FROM_KEY_HINT",
    "RESTIC_FROM_PASSWORD",
    "RESTIC_FROM_PASSWORD_FILE",
    "RESTIC_HOST",
    "RESTIC_KEY_HINT",
    "RESTIC_PACK_SIZE",
    "RESTIC_PASSWORD",
    "RESTIC_PASSWORD_FILE",
    "RESTIC_PROGRESS_FPS",
    "RESTIC_READ_CONCURRENCY",
    "RESTIC_REST_PASSWORD",
    "RESTIC_REST_USERNAME",
    "ST_KEY",
    "ST_USER",
    "TZ",
];

/// An environment variable that runs a command or chooses which program (or which
/// code inside a program) runs: `_COMMAND`s, the program search path, the dynamic
/// loader's variables (`LD_PRELOAD`, `LD_LIBRARY_PATH`, ...), the variables a shell
/// (`sh -c` runs every hook) reads code from, and [`CODE_VARIABLES`]. Such a
/// variable hands over command execution even when the hooks it affects are defined
/// in another, safe file.
fn environ_runs(name: &str) -> bool {
    // Compared without an upper-cased copy: this runs for every `environ` key.
    let name = name.as_bytes();
    let is = |upper: &str| name.eq_ignore_ascii_case(upper.as_bytes());
    let starts_with = |upper: &str| {
        name.get(..upper.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(upper.as_bytes()))
    };
    let ends_with = |upper: &str| {
        name.len() >= upper.len()
            && name[name.len() - upper.len()..].eq_ignore_ascii_case(upper.as_bytes())
    };
    ends_with("_COMMAND")
        || is("PATH")
        || starts_with("LD_")
        || is("ENV")
        || is("BASH_ENV")
        || is("SHELLOPTS")
        || starts_with("BASH_FUNC_")
        || CODE_VARIABLES.iter().any(|variable| is(variable))
}

/// What setting the environment variable `name` decides, if anything a file others
/// can write may not.
pub(crate) fn environ_effect(name: &str) -> Option<Effect> {
    if environ_runs(name) {
        Some(Effect::RunsCommands)
    } else if REPOSITORY_VARIABLES.contains(&name) {
        Some(Effect::Repository)
    } else if WRITING_VARIABLES.contains(&name) {
        Some(Effect::Writes)
    } else if SHAPING_VARIABLES.contains(&name) || name.starts_with("LC_") {
        None
    } else {
        Some(Effect::Environment)
    }
}

/// What an `option` (`-o`) value decides. restic reads `-o` as a list of options
/// separated by commas (CSV: `-o "s3.region=x,sftp.command=y"` sets both), and each as
/// `NAME=VALUE`, the name trimmed and lower-cased; the worst part decides. A name not
/// on keld's lists could start a program (a part with a CSV quote in it names none).
pub(crate) fn option_effect(text: &str) -> Option<Effect> {
    text.split(',')
        .map(one_option_effect)
        .max_by_key(|effect| weight(*effect))
        .flatten()
}

/// What one `NAME=VALUE` option decides.
fn one_option_effect(text: &str) -> Option<Effect> {
    let name = text.split_once('=').map_or(text, |(name, _)| name);
    let name = name.trim().to_lowercase();
    if SHAPING_OPTIONS.contains(&name.as_str()) {
        None
    } else if PROGRAM_OPTIONS.contains(&name.as_str()) {
        Some(Effect::RunsCommands)
    } else if REPOSITORY_OPTIONS.contains(&name.as_str()) {
        Some(Effect::Repository)
    } else {
        Some(Effect::Unclassified)
    }
}

/// [`option_effect`] for every item of a value (a number is no option keld knows).
pub(crate) fn option_value_effect(value: &Value) -> Option<Effect> {
    match value {
        Value::String(text) => option_effect(text),
        Value::Array(items) => items.iter().find_map(option_value_effect),
        Value::Boolean(false) => None,
        Value::Integer(_) | Value::Float(_) | Value::Boolean(true) => Some(Effect::Unclassified),
    }
}

/// What the flag `long` (a long name of the catalogue) decides. `None` for a flag
/// others may set, and for `option`, whose values decide.
fn long_flag_effect(long: &str) -> Option<Effect> {
    if PROGRAM_FLAGS.contains(&long) {
        Some(Effect::RunsCommands)
    } else if REPOSITORY_FLAGS.contains(&long) {
        Some(Effect::Repository)
    } else if WRITING_FLAGS.contains(&long) {
        Some(Effect::Writes)
    } else if EXPOSING_FLAGS.contains(&long) {
        Some(Effect::Exposes)
    } else if SHAPING_FLAGS.contains(&long) || long == "option" {
        None
    } else {
        Some(Effect::Unclassified)
    }
}

/// How much an effect weighs, to name the worst of several meanings of a name.
fn weight(effect: Option<Effect>) -> u8 {
    match effect {
        None => 0,
        Some(Effect::RunsCommands) => 3,
        Some(Effect::Unclassified) => 2,
        Some(_) => 1,
    }
}

/// What a flag key (`name`, long or one letter) decides in `command`; `None` for a
/// command not yet known (a definition in a file), which takes the worst meaning the
/// name has in any command. `value` is the value the flag gets: a flag that gets
/// `false` or `[]` emits nothing, and `option`'s values decide for it. A name that is
/// no flag at all is [`Effect::Unclassified`].
pub(crate) fn flag_effect(
    flags: &FlagData<'_>,
    command: Option<&str>,
    name: &str,
    value: &Value,
) -> Option<Effect> {
    if matches!(value, Value::Boolean(false))
        || matches!(value, Value::Array(items) if items.is_empty())
    {
        return None;
    }
    let meanings: Vec<&str> = match command.and_then(|command| flags.flag(command, name)) {
        Some(spec) => vec![spec.long],
        None => flags
            .commands()
            .iter()
            .flat_map(|command| flags.flags_for(command.name))
            .chain(flags.flags_for(""))
            .filter(|spec| spec.is_named(name))
            .map(|spec| spec.long)
            .collect(),
    };
    if meanings.is_empty() {
        return Some(Effect::Unclassified);
    }
    meanings
        .into_iter()
        .map(|long| {
            if long == "option" {
                option_value_effect(value)
            } else {
                long_flag_effect(long)
            }
        })
        .max_by_key(|effect| weight(*effect))
        .flatten()
}

/// What a definition of `name` in a file decides (judged when the file is read, see the
/// module documentation): in an `environ` table see [`environ_effect`]; keld's own
/// keys as the table of keld's keys says (hooks only when not empty); a flag as
/// [`flag_effect`] says for any command.
pub(crate) fn definition_effect(name: &str, in_environ: bool, value: &Value) -> Option<Effect> {
    if in_environ {
        return environ_effect(name);
    }
    if name.starts_with('_') {
        let key = special::lookup(name)?;
        let empty = matches!(value, Value::Array(items) if items.is_empty());
        return if empty { None } else { key.effect };
    }
    flag_effect(&FlagData::restic(), None, name, value)
}

/// Where a definition is, for a message: `` `o` in [home] at path:line:column ``.
fn located(section: &str, key: &str, definition: Definition<'_>) -> String {
    format!("`{key}` in [{section}] at {}", definition.key().location())
}

/// The refusal of `path` (doubtful for `doubt`) because of what `defines` does.
pub(crate) fn refusal(path: &Path, doubt: &Doubt, effect: Effect, defines: String) -> Error {
    Error::UnsafePermissions {
        path: path.to_owned(),
        defines,
        problem: doubt.problem.clone(),
        fix: doubt.fix.clone(),
        effect: effect.describe(),
    }
}

/// The resolution's side of the check: refuses a setting with an [`Effect`] when a
/// doubtful file had a part in its final value.
pub(crate) struct Guard<'d> {
    /// Per file read, why others could have written it (none when not checked).
    doubts: &'d [Option<Doubt>],
    /// Whether any file is doubtful.
    active: bool,
}

impl<'d> Guard<'d> {
    pub(crate) fn new(doubts: &'d [Option<Doubt>]) -> Self {
        Self {
            doubts,
            active: doubts.iter().any(Option::is_some),
        }
    }

    /// Whether any file is doubtful: without one there is nothing to judge, and the
    /// interpolator need not trace.
    pub(crate) fn active(&self) -> bool {
        self.active
    }

    fn doubt(&self, definition: Definition<'_>) -> Option<&'d Doubt> {
        self.doubts.get(definition.order())?.as_ref()
    }

    /// Refuses when the setting `key` of `section` (its winning `definition`), which has
    /// `effect`, comes from a doubtful file, or takes part of its value from one
    /// through the references `traced`.
    pub(crate) fn check(
        &self,
        effect: Option<Effect>,
        section: &str,
        key: &str,
        definition: Definition<'_>,
        traced: &[Traced<'_>],
    ) -> Result<(), Error> {
        let Some(effect) = effect.filter(|_| self.active()) else {
            return Ok(());
        };
        // Where the setting is, in words: only for a refusal (it costs the file's
        // table of lines).
        let setting = || located(section, key, definition);
        if let Some(doubt) = self.doubt(definition) {
            return Err(refusal(
                definition.source().path(),
                doubt,
                effect,
                setting(),
            ));
        }
        for source in traced {
            if let Some(doubt) = self.doubt(source.definition) {
                let (section, key) = source
                    .name
                    .rsplit_once('.')
                    .unwrap_or(("", source.name.as_str()));
                let defines = format!(
                    "{}, which {} takes its value from",
                    located(section, key, source.definition),
                    setting()
                );
                return Err(refusal(
                    source.definition.source().path(),
                    doubt,
                    effect,
                    defines,
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag of the catalogue is on exactly one list, and the lists name only
    /// flags of the catalogue: a flag added to the catalogue must be classified.
    #[test]
    fn every_flag_of_the_catalogue_is_classified() {
        let restic = FlagData::restic();
        let mut names: Vec<&str> = restic
            .commands()
            .iter()
            .flat_map(|command| command.flags)
            .chain(crate::restic::global_flags())
            .map(|spec| spec.long)
            .collect();
        names.sort_unstable();
        names.dedup();
        let lists = [
            PROGRAM_FLAGS,
            REPOSITORY_FLAGS,
            WRITING_FLAGS,
            EXPOSING_FLAGS,
            SHAPING_FLAGS,
            &["option"],
        ];
        for name in &names {
            let on = lists.iter().filter(|list| list.contains(name)).count();
            assert_eq!(on, 1, "{name} is on {on} lists");
        }
        for list in lists {
            for name in list {
                assert!(names.contains(name), "{name} is no flag of the catalogue");
            }
            let mut sorted = list.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, list, "keep the lists sorted");
        }
    }

    #[test]
    fn flags_by_name_and_value() {
        let restic = FlagData::restic();
        let string = |text: &str| Value::String(text.to_owned());
        let effect = |command, name, value: &Value| flag_effect(&restic, command, name, value);
        assert_eq!(effect(None, "tag", &string("x")), None);
        assert_eq!(
            effect(None, "password-command", &string("x")),
            Some(Effect::RunsCommands)
        );
        assert_eq!(
            effect(None, "password-command", &Value::Boolean(false)),
            None
        );
        assert_eq!(
            effect(None, "stdin-from-command", &Value::Boolean(true)),
            Some(Effect::RunsCommands)
        );
        assert_eq!(effect(None, "r", &string("/r")), Some(Effect::Repository));
        assert_eq!(
            effect(None, "frobnicate", &string("x")),
            Some(Effect::Unclassified)
        );
        // `-t` is restore's and dump's target: the worst meaning of a letter counts
        // while the command is unknown, its own meaning once it is.
        assert_eq!(effect(None, "t", &string("/")), Some(Effect::Writes));
        assert_eq!(
            effect(Some("restore"), "t", &string("/")),
            Some(Effect::Writes)
        );
        assert_eq!(effect(Some("backup"), "H", &string("h")), None);
        // A flag of another command is judged by what it is there.
        assert_eq!(
            effect(Some("backup"), "target", &string("/")),
            Some(Effect::Writes)
        );
        // Options: by name, trimmed and lower-cased as restic reads them.
        for (text, expected) in [
            ("s3.storage-class=STANDARD", None),
            (" S3.Region = eu", None),
            ("sftp.command=ssh x", Some(Effect::RunsCommands)),
            ("SFTP.COMMAND=x", Some(Effect::RunsCommands)),
            ("  sftp.command  =x", Some(Effect::RunsCommands)),
            ("rclone.program", Some(Effect::RunsCommands)),
            ("sftp.args=-oProxyCommand=x", Some(Effect::RunsCommands)),
            ("azure.endpoint-suffix=evil", Some(Effect::Repository)),
            ("foo.bar=1", Some(Effect::Unclassified)),
            ("${stash.x}", Some(Effect::Unclassified)),
            ("", Some(Effect::Unclassified)),
            ("s3.region\u{0}=x", Some(Effect::Unclassified)),
            // A list: every part counts.
            ("s3.region=x,s3.retries=3", None),
            (
                "s3.region=x,sftp.command=touch y",
                Some(Effect::RunsCommands),
            ),
            ("s3.region=x, SFTP.Command =y", Some(Effect::RunsCommands)),
            ("\"s3.region=x,y\"", Some(Effect::Unclassified)),
            ("s3.region=x,", Some(Effect::Unclassified)),
        ] {
            assert_eq!(effect(None, "o", &string(text)), expected, "{text:?}");
            assert_eq!(
                effect(Some("backup"), "option", &string(text)),
                expected,
                "{text:?}"
            );
        }
        let options = Value::Array(vec![string("s3.region=x"), string("rclone.args=x")]);
        assert_eq!(effect(None, "o", &options), Some(Effect::RunsCommands));
        assert_eq!(
            effect(None, "o", &Value::Integer(1)),
            Some(Effect::Unclassified)
        );
    }

    #[test]
    fn environment_variables() {
        for (name, expected) in [
            ("PATH", Some(Effect::RunsCommands)),
            ("ld_preload", Some(Effect::RunsCommands)),
            ("FOO_COMMAND", Some(Effect::RunsCommands)),
            ("RESTIC_PASSWORD_COMMAND", Some(Effect::RunsCommands)),
            ("PYTHONPATH", Some(Effect::RunsCommands)),
            ("RESTIC_REPOSITORY", Some(Effect::Repository)),
            ("RESTIC_PASSWORD", None),
            ("RESTIC_FROM_REPOSITORY", Some(Effect::Repository)),
            ("RESTIC_CACHE_DIR", Some(Effect::Writes)),
            ("RCLONE_CONFIG", Some(Effect::Environment)),
            ("HOME", Some(Effect::Environment)),
            ("MYPATH", Some(Effect::Environment)),
            ("aws_access_key_id", Some(Effect::Environment)),
            ("AWS_ACCESS_KEY_ID", None),
            ("B2_ACCOUNT_KEY", None),
            ("LC_ALL", None),
            ("GOMAXPROCS", None),
        ] {
            assert_eq!(environ_effect(name), expected, "{name}");
        }
    }

    #[test]
    fn keld_keys_as_the_table_says() {
        let strings = |items: &[&str]| {
            Value::Array(
                items
                    .iter()
                    .map(|item| Value::String((*item).to_owned()))
                    .collect(),
            )
        };
        assert_eq!(
            definition_effect("_pre_hooks", false, &strings(&["x"])),
            Some(Effect::RunsCommands)
        );
        assert_eq!(definition_effect("_pre_hooks", false, &strings(&[])), None);
        assert_eq!(
            definition_effect("_arguments", false, &strings(&["/"])),
            None
        );
        assert_eq!(
            definition_effect("_lock", false, &Value::Boolean(false)),
            None
        );
        assert_eq!(
            definition_effect("_metrics_dir", false, &Value::String("/x".into())),
            Some(Effect::Writes)
        );
        assert_eq!(
            definition_effect("_webhook", false, &Value::String("https://x/".into())),
            Some(Effect::Reports)
        );
        assert_eq!(
            definition_effect("_command", false, &Value::String("backup".into())),
            Some(Effect::Command)
        );
        // In `environ`, `_` names are variables like any other.
        assert_eq!(
            definition_effect("_workdir", true, &Value::String("x".into())),
            Some(Effect::Environment)
        );
    }

    /// The same answers as comparing an upper-cased copy of the name.
    #[test]
    fn environ_names_that_run_commands() {
        let upper_cased = |name: &str| {
            let upper = name.to_ascii_uppercase();
            upper.ends_with("_COMMAND")
                || ["PATH", "ENV", "BASH_ENV", "SHELLOPTS"].contains(&upper.as_str())
                || upper.starts_with("LD_")
                || upper.starts_with("BASH_FUNC_")
                || CODE_VARIABLES.contains(&upper.as_str())
        };
        for name in [
            "PATH",
            "path",
            "Path",
            "PATHS",
            "MYPATH",
            "ld_preload",
            "LD_",
            "LD",
            "XLD_PRELOAD",
            "env",
            "ENVX",
            "bash_env",
            "Bash_Func_x%%",
            "BASH_FUNC",
            "shellopts",
            "_COMMAND",
            "foo_command",
            "COMMAND",
            "pythonpath",
            "PYTHONPATHS",
            "git_ssh",
            "ſ_COMMAND",
            "é",
            "",
        ] {
            assert_eq!(environ_runs(name), upper_cased(name), "{name}");
        }
    }
}
