//! Refusing config files that others could have written, when they run commands.
//!
//! A config file that defines hooks or `_COMMAND`s makes keld run shell text. If
//! another user can change that file, or replace it through its directory, that user
//! can run commands as whoever runs keld (often root, from a timer). Like ssh's
//! `StrictModes`, such a file is refused unless the check is turned off explicitly.
//! Files that only set flags and variables are never refused: the worst a stranger
//! can do there is change what restic backs up, which the file's owner can see.

use std::path::{Path, PathBuf};

use crate::document::{Node, Table, Value};
use crate::error::Error;

/// The environment variable that turns the check off (read by the program, passed in
/// as [`crate::LoadOptions::allow_unsafe_permissions`]).
pub const ALLOW_UNSAFE_VAR: &str = "KELD_ALLOW_UNSAFE_CONFIG";

/// What makes a file run commands: the first hook list or `_COMMAND` found, as
/// `` `_pre_hooks` in [home.backup] at path:line:column ``.
pub(crate) fn runs_commands(table: &Table) -> Option<String> {
    find(table, "", false)
}

fn find(table: &Table, path: &str, in_environ: bool) -> Option<String> {
    for (name, node) in &table.entries {
        match node {
            Node::Value(definitions) => {
                let Some(definition) = definitions.last() else {
                    continue;
                };
                let hooks = !in_environ
                    && matches!(name.as_str(), "_pre_hooks" | "_post_hooks")
                    && matches!(&definition.value, Value::Array(items) if !items.is_empty());
                let command = in_environ && name.ends_with("_COMMAND");
                if hooks || command {
                    let at = definition.key.location();
                    return Some(format!("`{name}` in [{path}] at {at}"));
                }
            }
            Node::Table(sub) => {
                let sub_path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                let environ = !path.is_empty() && name == "environ";
                if let Some(found) = find(sub, &sub_path, environ) {
                    return Some(found);
                }
            }
        }
    }
    None
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
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path)?;
        Ok(Self {
            uid: meta.uid(),
            mode: meta.mode() & 0o7777,
        })
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
#[cfg(unix)]
pub(crate) fn check(path: &Path, defines: &str, trusted_uid: Option<u32>) -> Result<(), Error> {
    let unreadable = |path: &Path, source| Error::Unreadable {
        path: path.to_owned(),
        source,
    };
    let file = Ownership::of(path).map_err(|source| unreadable(path, source))?;
    let dir: PathBuf = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let found = problem("it", path, file, trusted_uid, false).or_else(|| {
        let owner = Ownership::of(&dir).ok()?;
        let what = format!("its directory {}", dir.display());
        problem(&what, &dir, owner, trusted_uid, true)
    });
    match found {
        Some((problem, fix)) => Err(Error::UnsafePermissions {
            path: path.to_owned(),
            defines: defines.to_owned(),
            problem,
            fix,
        }),
        None => Ok(()),
    }
}

#[cfg(not(unix))]
pub(crate) fn check(_path: &Path, _defines: &str, _trusted_uid: Option<u32>) -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(uid: u32, mode: u32) -> Ownership {
        Ownership { uid, mode }
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
