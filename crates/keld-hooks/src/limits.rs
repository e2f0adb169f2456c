//! What `execve` accepts: the rules every argument and variable keld passes to a
//! program must follow, and the system's limits. Checked before anything starts
//! (`prepare.rs`) and on each value a `_COMMAND` prints (`environ.rs`).
//!
//! Messages built here name what is wrong and never show a value.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Linux's limit for one argument or `NAME=value` string, terminating NUL included
/// (`MAX_ARG_STRLEN`, 32 pages).
pub(crate) const MAX_ARG_STRLEN: usize = 32 * 4096;

/// The shell hooks and `_COMMAND`s run with (`/bin/sh -c SCRIPT`).
pub(crate) const SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// Why `text` cannot be one argument or value of a program, if it cannot.
pub(crate) fn string_problem(text: &OsStr) -> Option<String> {
    if text.as_bytes().contains(&0) {
        Some("contains a NUL byte, which no program argument or variable can hold".to_owned())
    } else if text.len() + 1 > MAX_ARG_STRLEN {
        Some(format!(
            "is {} bytes long; this system passes at most {} bytes in one argument or variable",
            text.len(),
            MAX_ARG_STRLEN - 1
        ))
    } else {
        None
    }
}

/// Why `name` cannot name an environment variable, if it cannot: empty, holding `=`
/// (the kernel splits `NAME=value` at the first `=`) or a NUL byte.
pub(crate) fn name_problem(name: &OsStr) -> Option<String> {
    if name.is_empty() {
        Some("is empty".to_owned())
    } else if name.as_bytes().contains(&b'=') {
        Some("contains `=`".to_owned())
    } else {
        string_problem(name)
    }
}

/// Why the value of variable `name` cannot be passed, if it cannot: a NUL byte, or
/// `NAME=value` longer than one string may be.
pub(crate) fn value_problem(name: &OsStr, value: &OsStr) -> Option<String> {
    let entry_len = name.len() + 1 + value.len();
    if value.as_bytes().contains(&0) {
        Some("contains a NUL byte, which no variable can hold".to_owned())
    } else if entry_len + 1 > MAX_ARG_STRLEN {
        Some(format!(
            "is {entry_len} bytes long with its name; this system passes at most {} bytes in \
             one variable",
            MAX_ARG_STRLEN - 1
        ))
    } else {
        None
    }
}

/// How much of the kernel's budget for `execve` one string takes: its bytes, its NUL
/// and its pointer.
fn cost(len: usize) -> usize {
    len + 1 + std::mem::size_of::<usize>()
}

/// The size of `argv` and `env` as the kernel counts it against [`arg_max`].
pub(crate) fn total_size<'a>(
    argv: impl IntoIterator<Item = &'a OsStr>,
    env: &[(std::ffi::OsString, std::ffi::OsString)],
) -> usize {
    argv.into_iter().map(|arg| cost(arg.len())).sum::<usize>()
        + env
            .iter()
            .map(|(name, value)| cost(name.len() + 1 + value.len()))
            .sum::<usize>()
}

/// The parts that take the most of a too large `argv` and `env`, by name, largest
/// first: `variable FOO (200004 bytes)`, and the arguments as `describe` names
/// them by index.
pub(crate) fn largest<'a>(
    argv: impl IntoIterator<Item = &'a OsStr>,
    describe: &dyn Fn(usize) -> String,
    env: &[(std::ffi::OsString, std::ffi::OsString)],
) -> String {
    let mut parts: Vec<(usize, String)> = argv
        .into_iter()
        .enumerate()
        .map(|(index, arg)| (arg.len(), describe(index)))
        .chain(env.iter().map(|(name, value)| {
            (
                name.len() + 1 + value.len(),
                format!("variable {}", name.to_string_lossy()),
            )
        }))
        .collect();
    parts.sort_by_key(|part| std::cmp::Reverse(part.0));
    parts
        .into_iter()
        .take(3)
        .map(|(size, what)| format!("{what} ({size} bytes)"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The system's `ARG_MAX`, or the common Linux value when unknown.
pub(crate) fn arg_max() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::ARG_MAX)
        .ok()
        .flatten()
        .and_then(|max| usize::try_from(max).ok())
        .unwrap_or(128 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_execve_refuses() {
        assert_eq!(name_problem(OsStr::new("")).as_deref(), Some("is empty"));
        assert_eq!(
            name_problem(OsStr::new("A=B")).as_deref(),
            Some("contains `=`")
        );
        assert!(name_problem(OsStr::new("A\0B")).unwrap().contains("NUL"));
        assert_eq!(name_problem(OsStr::new("RESTIC_REPOSITORY")), None);
        assert!(
            value_problem(OsStr::new("A"), OsStr::new("x\0"))
                .unwrap()
                .contains("NUL")
        );
        let long = "x".repeat(MAX_ARG_STRLEN);
        assert!(
            value_problem(OsStr::new("A"), OsStr::new(&long))
                .unwrap()
                .contains("bytes long with its name")
        );
        assert!(string_problem(OsStr::new(&long)).is_some());
        assert_eq!(string_problem(OsStr::new(&long[2..])), None);
    }

    #[test]
    fn the_largest_parts_are_named_without_values() {
        let env = vec![
            ("SMALL".into(), "s".into()),
            ("BIG".into(), "b".repeat(1000).into()),
        ];
        let long = "a".repeat(500);
        let argv = [OsStr::new("restic"), OsStr::new(&long)];
        let shown = largest(argv, &|index| format!("argument {index}"), &env);
        assert_eq!(
            shown,
            "variable BIG (1004 bytes), argument 1 (500 bytes), variable SMALL (7 bytes)"
        );
    }
}
