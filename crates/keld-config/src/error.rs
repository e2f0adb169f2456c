//! Everything that can stop loading or resolving a config, as diagnostics.

use std::path::PathBuf;

use miette::{Diagnostic, SourceSpan};

use crate::source::SourceText;

/// Why a config could not be loaded or resolved.
///
/// Every variant that concerns a config file carries the file's text, a labelled
/// span and a `path:line:column` location, so a rendered report underlines the
/// offending text and says how to fix it.
///
/// No form of an error shows a secret value: the text a report quotes has secret
/// values masked by `*` (see [`SourceText`]), and the message never repeats text
/// taken from a secret value.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// `--config` or `KELD_CONFIG_FILE` names a file that does not exist.
    #[error("config file {} does not exist", .path.display())]
    #[diagnostic(
        code(keld::config::file_missing),
        help("check the path given with --config or KELD_CONFIG_FILE")
    )]
    ConfigFileMissing {
        /// The file that was asked for.
        path: PathBuf,
    },

    /// A config file (or a `conf.d` directory) exists but cannot be read.
    #[error("cannot read config file {}", .path.display())]
    #[diagnostic(
        code(keld::config::unreadable),
        help("check that the file is readable (permissions, and links that lead somewhere)")
    )]
    Unreadable {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// A config file (named or found) is a directory, FIFO, device or socket.
    ///
    /// Its code is `keld::config::unreadable`, as for any other path that cannot be
    /// read as a config file; the message says what is there instead.
    #[error("config file {} is {what}, not a regular file", .path.display())]
    #[diagnostic(
        code(keld::config::unreadable),
        help(
            "keld reads only regular files; point --config, KELD_CONFIG_FILE or \
             KELD_CONFIG_PATHS at a TOML file"
        )
    )]
    NotRegularFile {
        /// The path as given or found.
        path: PathBuf,
        /// What it is instead: "a directory", "a FIFO (named pipe)", ...
        what: String,
    },

    /// `--config` or `KELD_CONFIG_FILE` names a symbolic link whose target is missing.
    #[error(
        "config file {} is a symbolic link to {}, which does not exist",
        .path.display(),
        .target.display()
    )]
    #[diagnostic(
        code(keld::config::dangling_link),
        help("fix or remove the link, or name the config file itself")
    )]
    DanglingLink {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
    },

    /// A config file larger than [`MAX_FILE_LEN`](crate::MAX_FILE_LEN) bytes.
    #[error("config file {} is larger than {} MiB", .path.display(), crate::MAX_FILE_LEN / (1024 * 1024))]
    #[diagnostic(
        code(keld::config::too_large),
        help("a config file holds settings, not data: check that the path names the right file")
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
    },

    /// A config file that is not UTF-8 text.
    #[error("{at}: config file is not valid UTF-8")]
    #[diagnostic(
        code(keld::config::not_utf8),
        help("save the file as UTF-8 (TOML files are UTF-8 text)")
    )]
    InvalidUtf8 {
        /// `path:line:column` of the first invalid byte.
        at: String,
        /// The file, invalid bytes shown as U+FFFD.
        #[source_code]
        src: SourceText,
        /// The first invalid byte sequence.
        #[label("not UTF-8")]
        span: SourceSpan,
    },

    /// A config file that another user could have written (it, a directory above it or
    /// a link on the way is writable by others, or owned by a user who is neither root
    /// nor the one running keld) sets what only a file no one else can write may:
    /// runs a command, chooses the repository, where keld writes or reports, ...
    /// (docs/security.md). Found when the file is read, or when a resolution takes a
    /// value from it into such a setting.
    #[error("refusing config file {}: {problem}, and it {effect} ({defines})", .path.display())]
    #[diagnostic(
        code(keld::config::unsafe_permissions),
        help(
            "another user could {}; fix it with {fix}, or set {}=1 to use it anyway",
            crate::effect::risk_of(.effect),
            crate::ALLOW_UNSAFE_VAR
        )
    )]
    UnsafePermissions {
        /// The config file.
        path: PathBuf,
        /// The setting, with its location (and, for a value taken through a reference,
        /// the setting that takes it).
        defines: String,
        /// What is wrong: the path, its mode in octal or its owner's uid.
        problem: String,
        /// The command that fixes it (`chmod go-w FILE`, `chown UID FILE`).
        fix: String,
        /// What the setting does: `runs commands`, `chooses the repository, how restic
        /// reaches it or its keys`, ...
        effect: &'static str,
    },

    /// An entry of `KELD_CONFIG_PATHS` is not a valid glob pattern.
    #[error("invalid pattern {pattern:?} in KELD_CONFIG_PATHS: {message}")]
    #[diagnostic(
        code(keld::config::invalid_glob),
        help("KELD_CONFIG_PATHS holds `:`-separated files or glob patterns such as ~/keld/*.toml")
    )]
    InvalidGlob {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },

    /// The file is not valid TOML.
    #[error("{at}: invalid TOML: {message}")]
    #[diagnostic(
        code(keld::config::syntax),
        help("fix the TOML syntax at the marked place (see https://toml.io)")
    )]
    Syntax {
        /// The parser's message.
        message: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The offending text.
        #[label("here")]
        span: SourceSpan,
    },

    /// A key is defined twice in the same table of one file.
    #[error("{at}: duplicate key {key:?}")]
    #[diagnostic(
        code(keld::config::duplicate_key),
        help("a key may appear once per table in a file; remove one of the definitions")
    )]
    DuplicateKey {
        /// The key.
        key: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The second definition.
        #[label("defined again here")]
        span: SourceSpan,
    },

    /// A value keld cannot turn into restic arguments (inline table, datetime, ...).
    #[error("{at}: unsupported value for {key:?}: {what}")]
    #[diagnostic(code(keld::config::unsupported_value))]
    UnsupportedValue {
        /// The key (table path included).
        key: String,
        /// What kind of value it is.
        what: String,
        /// How to fix it.
        #[help]
        help: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The value.
        #[label("{what}")]
        span: SourceSpan,
    },

    /// A key at the top level of a file, outside any `[section]`.
    #[error("{at}: key {key:?} is outside any section")]
    #[diagnostic(
        code(keld::config::outside_section),
        help("put it under [global] (applies to every preset) or under a [preset] header")
    )]
    OutsideSection {
        /// The key.
        key: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The key.
        #[label("not in a section")]
        span: SourceSpan,
    },

    /// A keld key in a section where it may not stand.
    #[error("{at}: {key} may not stand in this section")]
    #[diagnostic(code(keld::config::misplaced_key))]
    MisplacedKey {
        /// The key.
        key: String,
        /// Where it belongs instead.
        #[help]
        help: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The key.
        #[label("not allowed here")]
        span: SourceSpan,
    },

    /// A key whose name cannot be a flag's or a variable's: empty, or holding `=`,
    /// whitespace or a control character.
    #[error("{at}: invalid key name {key:?}: {reason}")]
    #[diagnostic(
        code(keld::config::invalid_key_name),
        help(
            "a key is a restic flag's name without dashes (`exclude-file`, or one letter), \
             a variable's name in an `environ` table, or one of keld's `_` keys; a flag's \
             value goes after the `=`: `exclude-file = \"/etc/keld/excludes\"`"
        )
    )]
    InvalidKeyName {
        /// The key, as decoded.
        key: String,
        /// What is wrong with it.
        reason: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The key.
        #[label("{reason}")]
        span: SourceSpan,
    },

    /// A key starting with `_` that keld does not know.
    #[error("{at}: unknown keld key {key:?}")]
    #[diagnostic(code(keld::config::unknown_key))]
    UnknownSpecialKey {
        /// The key.
        key: String,
        /// Did-you-mean, or the list of keld keys.
        #[help]
        help: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The key.
        #[label("unknown key")]
        span: SourceSpan,
    },

    /// A table below a command section (other than `environ`), or below an `environ` table.
    #[error("{at}: table [{table}] is nested too deep")]
    #[diagnostic(
        code(keld::config::nested_too_deep),
        help(
            "sections are [preset], [preset.COMMAND], [preset.environ] and [preset.COMMAND.environ]; nothing deeper"
        )
    )]
    NestedTooDeep {
        /// The table path.
        table: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The table.
        #[label("too deep")]
        span: SourceSpan,
    },

    /// A section name in a file that is no valid preset name.
    #[error("{at}: invalid preset name {name:?}: {reason}")]
    #[diagnostic(
        code(keld::config::invalid_section_name),
        help("a preset is NAME, PREFIX@, @SUFFIX or PREFIX@SUFFIX: non-empty, at most one `@`")
    )]
    InvalidSectionName {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The section header.
        #[label("{reason}")]
        span: SourceSpan,
    },

    /// `--preset` is no valid preset name.
    #[error("invalid preset name {name:?}: {reason}")]
    #[diagnostic(
        code(keld::config::invalid_preset_name),
        help("pass --preset NAME, PREFIX@SUFFIX, PREFIX@ or @SUFFIX (non-empty, at most one `@`)")
    )]
    InvalidPresetName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Several runnable presets exist and none was chosen.
    #[error("several presets are defined; choose one with --preset")]
    #[diagnostic(
        code(keld::config::preset_required),
        help("{}", preset_required_help(.presets, *.total))
    )]
    PresetRequired {
        /// The first runnable presets, sorted by name.
        presets: Vec<String>,
        /// How many runnable presets there are in all.
        total: usize,
    },

    /// `--preset` names a preset none of whose sections exists.
    #[error("unknown preset {name:?}")]
    #[diagnostic(code(keld::config::unknown_preset), help("{}", unknown_preset_help(.name, .known)))]
    UnknownPreset {
        /// The name as given.
        name: String,
        /// The presets that exist, nearest match first.
        known: Vec<String>,
    },

    /// `restic backup` with nothing to back up: no paths after the command, no
    /// `_arguments`, and no flag that names the sources (`--files-from`, `--stdin`).
    #[error("restic backup needs paths to back up, and none were given{}", .preset.as_ref().map(|p| format!(" (preset {p})")).unwrap_or_default())]
    #[diagnostic(
        code(keld::backup_without_paths),
        help(
            "pass the paths after the command (`keld {} backup ~/Documents`), \
             or set `_arguments = [\"~/Documents\"]` in the preset's section of your config",
            .preset.as_ref().map(|p| format!("-p {p}")).unwrap_or_default()
        )
    )]
    BackupWithoutPaths {
        /// The preset in use, if any.
        preset: Option<String>,
    },

    /// `${section.key}` names a value that does not exist.
    #[error("{at}: reference ${{{reference}}} points to nothing")]
    #[diagnostic(code(keld::config::missing_reference))]
    MissingReference {
        /// The reference text between `${` and `}`.
        reference: String,
        /// What exists instead, or how to write a reference.
        #[help]
        help: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The reference.
        #[label("no such value")]
        span: SourceSpan,
    },

    /// References that lead back to themselves.
    #[error("{at}: reference cycle: {chain}")]
    #[diagnostic(
        code(keld::config::reference_cycle),
        help("break the cycle: one of these values must not refer back")
    )]
    ReferenceCycle {
        /// The reference that closes the cycle.
        reference: String,
        /// The values on the cycle: `a.x -> b.y -> a.x`.
        chain: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The reference.
        #[label("refers back")]
        span: SourceSpan,
    },

    /// `${NAME}` names an environment variable that is not set.
    #[error("{at}: environment variable {name} is not set")]
    #[diagnostic(
        code(keld::config::unset_variable),
        help("set {name} in keld's environment; `$${{` is a literal `${{`")
    )]
    UnsetVariable {
        /// The variable.
        name: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The reference.
        #[label("not set")]
        span: SourceSpan,
    },

    /// A config value that would take text that is not UTF-8: a `${NAME}` whose value
    /// is not, or `~` when the home directory is not.
    #[error("{at}: {name} is not UTF-8")]
    #[diagnostic(code(keld::config::not_utf8_value))]
    NotUtf8Value {
        /// What is not UTF-8: `environment variable NAME`, `the home directory`.
        name: String,
        /// How to fix it.
        #[help]
        help: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The reference or the value.
        #[label("not UTF-8")]
        span: SourceSpan,
    },

    /// An environment variable keld reads (`KELD_CONFIG_PATHS`, ...) whose value is not
    /// UTF-8 where keld needs text.
    #[error("environment variable {name} is not UTF-8")]
    #[diagnostic(code(keld::config::not_utf8_variable))]
    NotUtf8Variable {
        /// The variable.
        name: String,
        /// Why it must be UTF-8 there, and how to fix it.
        #[help]
        help: String,
    },

    /// A malformed `${...}` or a reference whose value cannot be used there.
    #[error("{at}: {message}")]
    #[diagnostic(code(keld::config::invalid_reference))]
    InvalidReference {
        /// What is wrong.
        message: String,
        /// How to fix it.
        #[help]
        help: String,
        /// `path:line:column`.
        at: String,
        /// The file.
        #[source_code]
        src: SourceText,
        /// The reference.
        #[label("here")]
        span: SourceSpan,
    },
}

fn preset_required_help(presets: &[String], total: usize) -> String {
    let more = total.saturating_sub(presets.len());
    if more == 0 {
        format!("pass --preset with one of: {}", presets.join(", "))
    } else {
        format!(
            "pass --preset with one of: {}, and {more} more (`keld presets` lists them)",
            presets.join(", ")
        )
    }
}

fn unknown_preset_help(name: &str, known: &[String]) -> String {
    match known {
        [] => "the config defines no presets; add a [NAME] section".to_owned(),
        [first, ..] if strsim::jaro_winkler(name, first) > 0.7 => format!(
            "did you mean {first:?}? presets that exist: {}",
            known.join(", ")
        ),
        _ => format!("presets that exist: {}", known.join(", ")),
    }
}
