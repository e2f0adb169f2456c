//! Refusing config files that others could have written, when they can run commands.
//!
//! A config file that defines hooks or `_COMMAND`s makes keld run shell text. A file
//! can also choose *which program* runs without naming a command: `PATH` decides which
//! `restic` keld starts and which programs hooks find, `LD_PRELOAD` loads a library
//! into every program, restic's `password-command` and its `sftp.command` /
//! `rclone.program` options start programs, and `_workdir` decides which relative
//! hook scripts run. If another user can change such a file, or replace it through its
//! directory, that user can run commands as whoever runs keld (often root, from a
//! timer). Like ssh's `StrictModes`, such a file is refused unless the check is turned
//! off explicitly. Files with none of these settings are not refused: what remains
//! (restic's other flags and plain environment values) changes what restic backs up
//! and where, not which program runs.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::value::Value;

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

/// Whether a definition of `name` runs a command or chooses which program or hook
/// runs: in an `environ` table, see [`environ_runs`]; elsewhere non-empty hooks
/// (`array_len` is the length of an array value), `_workdir`, `password-command`, and
/// `option` / `o` when a value sets a backend's program or arguments (`option_runs`:
/// see [`option_runs`]).
pub(crate) fn definition_runs(
    name: &str,
    in_environ: bool,
    array_len: Option<usize>,
    option_runs: bool,
) -> bool {
    if in_environ {
        return environ_runs(name);
    }
    match name {
        "_pre_hooks" | "_post_hooks" => array_len.is_some_and(|len| len > 0),
        "_workdir" | "password-command" | "from-password-command" => true,
        "option" | "o" => option_runs,
        _ => false,
    }
}

/// Whether an `option` / `o` string sets a backend's program or arguments
/// (`sftp.command`, `sftp.args`, `rclone.program`, `rclone.args`) or mentions
/// `command` at all.
pub(crate) fn option_runs(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("command")
        || lower.trim_start().starts_with("sftp.")
        || lower.trim_start().starts_with("rclone.")
}

/// [`option_runs`] for any text of a value.
pub(crate) fn option_runs_in(value: &Value) -> bool {
    let texts = match value {
        Value::Array(items) => items.iter().filter_map(Value::scalar_text).collect(),
        other => other.scalar_text().into_iter().collect::<Vec<_>>(),
    };
    texts.iter().any(|text| option_runs(text))
}

/// Who may write a path, as far as the check cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ownership {
    pub(crate) uid: u32,
    pub(crate) mode: u32,
}

impl Ownership {
    #[cfg(unix)]
    fn of(path: &Path) -> std::io::Result<Self> {
        std::fs::metadata(path).map(|meta| Self::from_unix(&meta))
    }

    #[cfg(unix)]
    fn from_unix(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            uid: meta.uid(),
            mode: meta.mode() & 0o7777,
        }
    }

    /// The owner and mode in `meta`; `None` where there are none to check.
    pub(crate) fn of_metadata(meta: &std::fs::Metadata) -> Option<Self> {
        #[cfg(unix)]
        return Some(Self::from_unix(meta));
        #[cfg(not(unix))]
        return None;
    }
}

/// What is wrong with one path, in words, and the command that fixes it. `what` is
/// how the message names the path: `it` (the file) or `its directory /etc/keld`.
fn problem(
    what: &str,
    path: &Path,
    owner: Ownership,
    trusted_uid: Option<u32>,
    directory: bool,
) -> Option<(String, String)> {
    let shown = path.display();
    if let Some(trusted) = trusted_uid
        && owner.uid != 0
        && owner.uid != trusted
    {
        return Some((
            format!(
                "{what} is owned by uid {}, which is neither root nor you (uid {trusted})",
                owner.uid
            ),
            format!("`chown {trusted} {shown}` (or `chown root {shown}`)"),
        ));
    }
    let sticky = owner.mode & 0o1000 != 0;
    let writable = owner.mode & 0o022;
    if writable != 0 && !(directory && sticky) {
        let by = match writable {
            0o022 => "its group and other users",
            0o020 => "its group",
            _ => "other users",
        };
        return Some((
            format!("{what} is writable by {by} (mode {:04o})", owner.mode),
            format!("`chmod go-w {shown}`"),
        ));
    }
    None
}

/// Checks a file that runs commands and its directory (see the module documentation).
///
/// A symbolic link is followed like ssh does: the file keld actually reads and the
/// directory holding it are checked, and so is the directory holding the link (whoever
/// can write there can point the link elsewhere).
///
/// `read` is the owner of the file as it was opened when its text was read; without it
/// (or without a file on disk at all) the path is looked up again.
#[cfg(unix)]
pub(crate) fn check(
    path: &Path,
    defines: impl FnOnce() -> String,
    trusted_uid: Option<u32>,
    read: Option<Ownership>,
) -> Result<(), Error> {
    let unreadable = |path: &Path, source| Error::Unreadable {
        path: path.to_owned(),
        source,
    };
    let link_dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let is_link = std::fs::symlink_metadata(path)
        .map_err(|source| unreadable(path, source))?
        .file_type()
        .is_symlink();
    let (target, what_file, dirs) = if is_link {
        let target = std::fs::canonicalize(path).map_err(|source| unreadable(path, source))?;
        let what = format!("its target {}", target.display());
        let mut dirs = vec![link_dir];
        dirs.extend(target.parent().map(Path::to_owned));
        (target, what, dirs)
    } else {
        (path.to_owned(), "it".to_owned(), vec![link_dir])
    };
    let file = match read {
        Some(owner) => owner,
        None => Ownership::of(&target).map_err(|source| unreadable(path, source))?,
    };
    let found = problem(&what_file, &target, file, trusted_uid, false).or_else(|| {
        dirs.iter().find_map(|dir| {
            let owner = Ownership::of(dir).ok()?;
            let what = format!("its directory {}", dir.display());
            problem(&what, dir, owner, trusted_uid, true)
        })
    });
    match found {
        Some((problem, fix)) => Err(Error::UnsafePermissions {
            path: path.to_owned(),
            defines: defines(),
            problem,
            fix,
        }),
        None => Ok(()),
    }
}

#[cfg(not(unix))]
pub(crate) fn check(
    _path: &Path,
    _defines: impl FnOnce() -> String,
    _trusted_uid: Option<u32>,
    _read: Option<Ownership>,
) -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(uid: u32, mode: u32) -> Ownership {
        Ownership { uid, mode }
    }

    /// The file judged is the one that was read: its owner and mode as opened, not
    /// whatever the path names by the time of the check.
    #[cfg(unix)]
    #[test]
    fn the_file_as_read_is_judged_not_the_path_again() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let path = dir.path().join("keld.toml");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let me = nix::unistd::geteuid().as_raw();
        let defines = || "`_pre_hooks` in [p.backup]".to_owned();

        assert!(check(&path, defines, Some(me), None).is_ok());
        assert!(check(&path, defines, Some(me), Some(owner(me, 0o600))).is_ok());
        // Read while it was world-writable, made private afterwards: still refused.
        let error = check(&path, defines, Some(me), Some(owner(me, 0o666))).unwrap_err();
        assert!(
            matches!(&error, Error::UnsafePermissions { problem, .. } if problem.contains("mode 0666")),
            "{error:?}"
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

    #[test]
    fn mode_and_owner_problems() {
        let path = Path::new("/c.toml");
        let check = |o, dir| problem("it", path, o, Some(1000), dir);
        assert_eq!(check(owner(1000, 0o600), false), None);
        assert_eq!(check(owner(0, 0o644), false), None);
        assert!(
            check(owner(1000, 0o666), false)
                .unwrap()
                .0
                .contains("its group and other users (mode 0666)")
        );
        assert!(
            check(owner(1000, 0o620), false)
                .unwrap()
                .0
                .contains("by its group (mode 0620)")
        );
        assert!(
            check(owner(1000, 0o602), false)
                .unwrap()
                .0
                .contains("by other users (mode 0602)")
        );
        assert!(
            check(owner(4242, 0o600), false)
                .unwrap()
                .0
                .contains("uid 4242")
        );
        // A sticky directory (like /tmp) protects its entries; a sticky file does not.
        assert_eq!(check(owner(0, 0o1777), true), None);
        assert!(check(owner(0, 0o1777), false).is_some());
        assert!(check(owner(0, 0o777), true).is_some());
        // Without a trusted uid only the mode counts.
        assert_eq!(problem("it", path, owner(4242, 0o600), None, false), None);
    }
}
