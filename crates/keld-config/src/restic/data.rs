//! The tables: restic's commands and flags, restic 0.14 up to 0.18.
//!
//! Each table is the union over those versions, so a flag that exists in any
//! of them is listed, including flags restic still accepts but hides from its
//! help as deprecated (`backup --hostname`, `check --check-unused`,
//! `mount --snapshot-template`, `snapshots --last`) and the Windows-only
//! `backup` switches (`--use-fs-snapshot`, `--exclude-cloud-files`).
//!
//! Commands with subcommands (`key add|list|passwd|remove`,
//! `repair index|packs|snapshots`) list the union of their subcommands' flags:
//! keld sees `key` as the command and the subcommand as a positional argument.
//!
//! `-h`/`--help` is kept once, with the global flags, although cobra attaches
//! it to every command.
//!
//! Keep every table sorted by long name, one flag per line.

use super::{CommandSpec, FlagKind, FlagSpec};

/// A flag that takes a value.
const fn value(long: &'static str, short: Option<char>) -> FlagSpec {
    FlagSpec {
        long,
        short,
        kind: FlagKind::Value,
    }
}

/// A boolean switch.
const fn switch(long: &'static str, short: Option<char>) -> FlagSpec {
    FlagSpec {
        long,
        short,
        kind: FlagKind::Switch,
    }
}

/// A counting switch.
const fn count(long: &'static str, short: Option<char>) -> FlagSpec {
    FlagSpec {
        long,
        short,
        kind: FlagKind::Count,
    }
}

pub(super) static GLOBAL_FLAGS: &[FlagSpec] = &[
    value("cacert", None),
    value("cache-dir", None),
    switch("cleanup-cache", None),
    value("compression", None),
    switch("help", Some('h')),
    value("http-user-agent", None),
    switch("insecure-no-password", None),
    switch("insecure-tls", None),
    switch("json", None),
    value("key-hint", None),
    value("limit-download", None),
    value("limit-upload", None),
    switch("no-cache", None),
    switch("no-extra-verify", None),
    switch("no-lock", None),
    value("option", Some('o')),
    value("pack-size", None),
    value("password-command", None),
    value("password-file", Some('p')),
    switch("quiet", Some('q')),
    value("repo", Some('r')),
    value("repository-file", None),
    value("retry-lock", None),
    value("stuck-request-timeout", None),
    value("tls-client-cert", None),
    count("verbose", Some('v')),
];

pub(super) static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "backup",
        flags: BACKUP,
    },
    CommandSpec {
        name: "cache",
        flags: CACHE,
    },
    CommandSpec {
        name: "cat",
        flags: &[],
    },
    CommandSpec {
        name: "check",
        flags: CHECK,
    },
    CommandSpec {
        name: "copy",
        flags: COPY,
    },
    CommandSpec {
        name: "diff",
        flags: DIFF,
    },
    CommandSpec {
        name: "dump",
        flags: DUMP,
    },
    CommandSpec {
        name: "features",
        flags: &[],
    },
    CommandSpec {
        name: "find",
        flags: FIND,
    },
    CommandSpec {
        name: "forget",
        flags: FORGET,
    },
    CommandSpec {
        name: "generate",
        flags: GENERATE,
    },
    CommandSpec {
        name: "help",
        flags: &[],
    },
    CommandSpec {
        name: "init",
        flags: INIT,
    },
    CommandSpec {
        name: "key",
        flags: KEY,
    },
    CommandSpec {
        name: "list",
        flags: &[],
    },
    CommandSpec {
        name: "ls",
        flags: LS,
    },
    CommandSpec {
        name: "migrate",
        flags: MIGRATE,
    },
    CommandSpec {
        name: "mount",
        flags: MOUNT,
    },
    CommandSpec {
        name: "options",
        flags: &[],
    },
    CommandSpec {
        name: "prune",
        flags: PRUNE,
    },
    CommandSpec {
        name: "rebuild-index",
        flags: REBUILD_INDEX,
    },
    CommandSpec {
        name: "recover",
        flags: &[],
    },
    CommandSpec {
        name: "repair",
        flags: REPAIR,
    },
    CommandSpec {
        name: "restore",
        flags: RESTORE,
    },
    CommandSpec {
        name: "rewrite",
        flags: REWRITE,
    },
    CommandSpec {
        name: "self-update",
        flags: SELF_UPDATE,
    },
    CommandSpec {
        name: "snapshots",
        flags: SNAPSHOTS,
    },
    CommandSpec {
        name: "stats",
        flags: STATS,
    },
    CommandSpec {
        name: "tag",
        flags: TAG,
    },
    CommandSpec {
        name: "unlock",
        flags: UNLOCK,
    },
    CommandSpec {
        name: "version",
        flags: &[],
    },
];

static BACKUP: &[FlagSpec] = &[
    switch("dry-run", Some('n')),
    value("exclude", Some('e')),
    switch("exclude-caches", None),
    switch("exclude-cloud-files", None),
    value("exclude-file", None),
    value("exclude-if-present", None),
    value("exclude-larger-than", None),
    value("files-from", None),
    value("files-from-raw", None),
    value("files-from-verbatim", None),
    switch("force", Some('f')),
    value("group-by", Some('g')),
    value("host", Some('H')),
    value("hostname", None),
    value("iexclude", None),
    value("iexclude-file", None),
    switch("ignore-ctime", None),
    switch("ignore-inode", None),
    switch("no-scan", None),
    switch("one-file-system", Some('x')),
    value("parent", None),
    value("read-concurrency", None),
    switch("skip-if-unchanged", None),
    switch("stdin", None),
    value("stdin-filename", None),
    switch("stdin-from-command", None),
    value("tag", None),
    value("time", None),
    switch("use-fs-snapshot", None),
    switch("with-atime", None),
];

static CACHE: &[FlagSpec] = &[
    switch("cleanup", None),
    value("max-age", None),
    switch("no-size", None),
];

static CHECK: &[FlagSpec] = &[
    switch("check-unused", None),
    switch("read-data", None),
    value("read-data-subset", None),
    switch("with-cache", None),
];

static COPY: &[FlagSpec] = &[
    switch("from-insecure-no-password", None),
    value("from-key-hint", None),
    value("from-password-command", None),
    value("from-password-file", None),
    value("from-repo", None),
    value("from-repository-file", None),
    value("host", Some('H')),
    value("path", None),
    value("tag", None),
];

static DIFF: &[FlagSpec] = &[switch("metadata", None)];

static DUMP: &[FlagSpec] = &[
    value("archive", Some('a')),
    value("host", Some('H')),
    value("path", None),
    value("tag", None),
    value("target", Some('t')),
];

static FIND: &[FlagSpec] = &[
    switch("blob", None),
    value("host", Some('H')),
    switch("human-readable", None),
    switch("ignore-case", Some('i')),
    switch("long", Some('l')),
    value("newest", Some('N')),
    value("oldest", Some('O')),
    switch("pack", None),
    value("path", None),
    switch("reverse", Some('R')),
    switch("show-pack-id", None),
    value("snapshot", Some('s')),
    value("tag", None),
    switch("tree", None),
];

// `-H` is `--keep-hourly` here, so `--host` has no short alias.
static FORGET: &[FlagSpec] = &[
    switch("compact", Some('c')),
    switch("dry-run", Some('n')),
    value("group-by", Some('g')),
    value("host", None),
    value("keep-daily", Some('d')),
    value("keep-hourly", Some('H')),
    value("keep-last", Some('l')),
    value("keep-monthly", Some('m')),
    value("keep-tag", None),
    value("keep-weekly", Some('w')),
    value("keep-within", None),
    value("keep-within-daily", None),
    value("keep-within-hourly", None),
    value("keep-within-monthly", None),
    value("keep-within-weekly", None),
    value("keep-within-yearly", None),
    value("keep-yearly", Some('y')),
    value("max-repack-size", None),
    value("max-unused", None),
    value("path", None),
    switch("prune", None),
    switch("repack-cacheable-only", None),
    switch("repack-small", None),
    value("repack-smaller-than", None),
    switch("repack-uncompressed", None),
    value("tag", None),
    switch("unsafe-allow-remove-all", None),
];

static GENERATE: &[FlagSpec] = &[
    value("bash-completion", None),
    value("fish-completion", None),
    value("man", None),
    value("powershell-completion", None),
    value("zsh-completion", None),
];

static INIT: &[FlagSpec] = &[
    switch("copy-chunker-params", None),
    switch("from-insecure-no-password", None),
    value("from-key-hint", None),
    value("from-password-command", None),
    value("from-password-file", None),
    value("from-repo", None),
    value("from-repository-file", None),
    value("repository-version", None),
];

// Up to 0.16 these belong to `key` itself; from 0.17 to `key add` and `key passwd`.
static KEY: &[FlagSpec] = &[
    value("host", None),
    switch("new-insecure-no-password", None),
    value("new-password-file", None),
    value("user", None),
];

static LS: &[FlagSpec] = &[
    value("host", Some('H')),
    switch("human-readable", None),
    switch("long", Some('l')),
    switch("ncdu", None),
    value("path", None),
    switch("recursive", None),
    switch("reverse", None),
    value("sort", Some('s')),
    value("tag", None),
];

static MIGRATE: &[FlagSpec] = &[switch("force", Some('f'))];

static MOUNT: &[FlagSpec] = &[
    switch("allow-other", None),
    value("host", Some('H')),
    switch("no-default-permissions", None),
    switch("owner-root", None),
    value("path", None),
    value("path-template", None),
    value("snapshot-template", None),
    value("tag", None),
    value("time-template", None),
];

static PRUNE: &[FlagSpec] = &[
    switch("dry-run", Some('n')),
    value("max-repack-size", None),
    value("max-unused", None),
    switch("repack-cacheable-only", None),
    switch("repack-small", None),
    value("repack-smaller-than", None),
    switch("repack-uncompressed", None),
    value("unsafe-recover-no-free-space", None),
];

static REBUILD_INDEX: &[FlagSpec] = &[switch("read-all-packs", None)];

// `repair index` has `--read-all-packs`; `repair snapshots` has the rest.
static REPAIR: &[FlagSpec] = &[
    switch("dry-run", Some('n')),
    switch("forget", None),
    value("host", Some('H')),
    value("path", None),
    switch("read-all-packs", None),
    value("tag", None),
];

// `--dry-run` has no `-n` here, unlike backup, forget, prune and rewrite.
static RESTORE: &[FlagSpec] = &[
    switch("delete", None),
    switch("dry-run", None),
    value("exclude", Some('e')),
    value("exclude-file", None),
    value("exclude-xattr", None),
    value("host", Some('H')),
    value("iexclude", None),
    value("iexclude-file", None),
    value("iinclude", None),
    value("iinclude-file", None),
    value("include", Some('i')),
    value("include-file", None),
    value("include-xattr", None),
    value("overwrite", None),
    value("path", None),
    switch("sparse", None),
    value("tag", None),
    value("target", Some('t')),
    switch("verify", None),
];

static REWRITE: &[FlagSpec] = &[
    switch("dry-run", Some('n')),
    value("exclude", Some('e')),
    value("exclude-file", None),
    switch("forget", None),
    value("host", Some('H')),
    value("iexclude", None),
    value("iexclude-file", None),
    value("new-host", None),
    value("new-time", None),
    value("path", None),
    switch("snapshot-summary", Some('s')),
    value("tag", None),
];

static SELF_UPDATE: &[FlagSpec] = &[value("output", None)];

static SNAPSHOTS: &[FlagSpec] = &[
    switch("compact", Some('c')),
    value("group-by", Some('g')),
    value("host", Some('H')),
    switch("last", None),
    value("latest", None),
    value("path", None),
    value("tag", None),
];

static STATS: &[FlagSpec] = &[
    value("host", Some('H')),
    value("mode", None),
    value("path", None),
    value("tag", None),
];

static TAG: &[FlagSpec] = &[
    value("add", None),
    value("host", Some('H')),
    value("path", None),
    value("remove", None),
    value("set", None),
    value("tag", None),
];

static UNLOCK: &[FlagSpec] = &[switch("remove-all", None)];
