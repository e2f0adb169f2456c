//! One snapshot of the process's outside world, taken once at start-up.
//!
//! Everything below `lib.rs` receives this value instead of reading the process
//! environment, so behaviour depends only on what was passed in.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use keld_config::{ALLOW_UNSAFE_VAR, Environment, LoadOptions};

/// The process environment and terminal facts keld decides by.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// Every variable exactly as the process received it (for the restic child).
    pub(crate) process_env: Vec<(OsString, OsString)>,
    /// The variables (UTF-8 values and others apart) and the home directory, as the
    /// config library wants them.
    pub(crate) env: Environment,
    /// Standard input is a terminal.
    pub(crate) stdin_terminal: bool,
    /// Standard output is a terminal.
    pub(crate) stdout_terminal: bool,
    /// Standard error is a terminal.
    pub(crate) stderr_terminal: bool,
    /// The effective user id: config files (and the directories above them) that set
    /// more than what shapes a backup must belong to it or root.
    pub(crate) euid: u32,
    /// The working directory keld started in.
    pub(crate) cwd: PathBuf,
}

/// Who runs keld: the effective uid, and the account's home directory from the
/// password database, which stands in for an unset `HOME` (a systemd system service
/// has none) so that `~` still means something.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) euid: u32,
    pub(crate) home: Option<PathBuf>,
}

impl Account {
    /// The current user; the home directory is looked up only when `need_home`.
    fn current(need_home: bool) -> Self {
        let euid = nix::unistd::geteuid();
        let home = need_home
            .then(|| nix::unistd::User::from_uid(euid).ok().flatten())
            .flatten()
            .map(|user| user.dir);
        Self {
            euid: euid.as_raw(),
            home,
        }
    }
}

/// `HOME` when it is set and not empty.
fn home_var(process_env: &[(OsString, OsString)]) -> Option<PathBuf> {
    process_env
        .iter()
        .find(|(name, value)| name == "HOME" && !value.is_empty())
        .map(|(_, value)| PathBuf::from(value))
}

impl Context {
    /// Read the process environment and terminal state once.
    pub(crate) fn capture() -> Self {
        let process_env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        let account = Account::current(home_var(&process_env).is_none());
        let mut ctx = Self::from_parts(
            process_env,
            std::io::stdin().is_terminal(),
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
            account,
        );
        if let Ok(cwd) = std::env::current_dir() {
            ctx.cwd = cwd;
        }
        ctx
    }

    /// Build a context from given parts (the process's, or a test's).
    pub(crate) fn from_parts(
        process_env: Vec<(OsString, OsString)>,
        stdin_terminal: bool,
        stdout_terminal: bool,
        stderr_terminal: bool,
        account: Account,
    ) -> Self {
        // The config library takes every variable whose name is UTF-8 (keld's own are
        // ASCII): the values that are not UTF-8 as they are, so that a path in
        // `KELD_CONFIG_FILE` is used as given and `${NAME}` can name the variable it
        // cannot use. restic receives every variable through `process_env`.
        let mut vars = BTreeMap::new();
        let mut non_utf8_vars = BTreeMap::new();
        for (name, value) in &process_env {
            let Some(name) = name.to_str() else { continue };
            match value.to_str() {
                Some(value) => {
                    non_utf8_vars.remove(name);
                    vars.insert(name.to_owned(), value.to_owned());
                }
                None => {
                    vars.remove(name);
                    non_utf8_vars.insert(name.to_owned(), value.clone());
                }
            }
        }
        let home = home_var(&process_env).or(account.home);
        Self {
            process_env,
            env: Environment {
                vars,
                non_utf8_vars,
                home,
            },
            stdin_terminal,
            stdout_terminal,
            stderr_terminal,
            euid: account.euid,
            cwd: PathBuf::from("/"),
        }
    }

    /// keld's environment and working directory, as the run pipeline takes them.
    pub(crate) fn host(&self) -> keld_hooks::Host {
        keld_hooks::Host {
            env: self.process_env.clone(),
            cwd: self.cwd.clone(),
            home: self.env.home.clone(),
        }
    }

    /// Where and how to load config files: `--config` (if given), and the permission
    /// check of files others could write, trusting this user and root unless
    /// `KELD_ALLOW_UNSAFE_CONFIG` is set.
    pub(crate) fn load_options(&self, config_file: Option<PathBuf>) -> LoadOptions {
        LoadOptions {
            config_file,
            trusted_uid: Some(self.euid),
            allow_unsafe_permissions: self.is_set(ALLOW_UNSAFE_VAR),
            cache_dir: self.cache_dir(),
            ..LoadOptions::default()
        }
    }

    /// Where keld keeps what it can always rebuild (the merged tree of a large
    /// config): `$XDG_CACHE_HOME/keld` when that is an absolute path, else
    /// `~/.cache/keld`.
    fn cache_dir(&self) -> Option<PathBuf> {
        let xdg = self
            .process_env
            .iter()
            .find(|(name, _)| name == "XDG_CACHE_HOME")
            .map(|(_, value)| PathBuf::from(value))
            .filter(|dir| dir.is_absolute());
        let base = xdg.or_else(|| Some(self.env.home.as_ref()?.join(".cache")))?;
        Some(base.join("keld"))
    }

    /// Whether a variable is set to a non-empty value (`KELD_DRYRUN=1`).
    pub(crate) fn is_set(&self, name: &str) -> bool {
        self.process_env
            .iter()
            .any(|(key, value)| key == name && !value.is_empty())
    }

    /// Whether keld may ask questions: both ends of the conversation are a terminal
    /// and `KELD_NONINTERACTIVE` is not set.
    pub(crate) fn interactive(&self) -> bool {
        self.stdin_terminal && self.stdout_terminal && !self.is_set("KELD_NONINTERACTIVE")
    }

    /// Whether diagnostics on stderr may use colour (<https://no-color.org>).
    pub(crate) fn colour(&self) -> bool {
        self.stderr_terminal && !self.is_set("NO_COLOR")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(vars: &[(&str, &str)], terminals: bool) -> Context {
        context_for(vars, terminals, None)
    }

    fn context_for(vars: &[(&str, &str)], terminals: bool, account_home: Option<&str>) -> Context {
        Context::from_parts(
            vars.iter()
                .map(|(name, value)| (OsString::from(name), OsString::from(value)))
                .collect(),
            terminals,
            terminals,
            terminals,
            Account {
                euid: nix::unistd::geteuid().as_raw(),
                home: account_home.map(PathBuf::from),
            },
        )
    }

    #[test]
    fn the_account_home_stands_in_for_an_unset_home() {
        let ctx = context_for(&[], false, Some("/var/lib/backup"));
        assert_eq!(ctx.env.home, Some(PathBuf::from("/var/lib/backup")));
        let ctx = context_for(&[("HOME", "")], false, Some("/var/lib/backup"));
        assert_eq!(ctx.env.home, Some(PathBuf::from("/var/lib/backup")));
        let ctx = context_for(&[("HOME", "/home/u")], false, Some("/var/lib/backup"));
        assert_eq!(ctx.env.home, Some(PathBuf::from("/home/u")), "HOME wins");
        assert!(
            Account::current(false).home.is_none(),
            "no lookup when HOME is set"
        );
    }

    #[test]
    fn snapshot_carries_home_and_vars() {
        let ctx = context(&[("HOME", "/home/u"), ("KELD_DRYRUN", "")], false);
        assert_eq!(ctx.env.home, Some(PathBuf::from("/home/u")));
        assert!(!ctx.is_set("KELD_DRYRUN"), "an empty value is not set");
    }

    /// Variables that are not UTF-8 are not dropped: the config library gets them as
    /// they are, apart from the UTF-8 ones.
    #[test]
    fn variables_that_are_not_utf8_are_kept_as_given() {
        use std::os::unix::ffi::OsStringExt;

        let odd = OsString::from_vec(b"/etc/\xffkeld.toml".to_vec());
        let ctx = Context::from_parts(
            vec![
                ("KELD_CONFIG_FILE".into(), odd.clone()),
                ("USER".into(), "ann".into()),
                (OsString::from_vec(b"\xff".to_vec()), "x".into()),
            ],
            false,
            false,
            false,
            Account::default(),
        );
        assert_eq!(ctx.env.non_utf8_vars.get("KELD_CONFIG_FILE"), Some(&odd));
        assert!(!ctx.env.vars.contains_key("KELD_CONFIG_FILE"));
        assert_eq!(ctx.env.vars.get("USER").map(String::as_str), Some("ann"));
        assert_eq!(ctx.env.config_file(), Some(PathBuf::from(odd)));
    }

    #[test]
    fn interactive_needs_terminals_and_no_opt_out() {
        assert!(context(&[], true).interactive());
        assert!(!context(&[], false).interactive());
        assert!(!context(&[("KELD_NONINTERACTIVE", "1")], true).interactive());
    }

    #[test]
    fn colour_follows_terminal_and_no_color() {
        assert!(context(&[], true).colour());
        assert!(!context(&[("NO_COLOR", "1")], true).colour());
        assert!(!context(&[], false).colour());
    }

    #[test]
    fn load_options_trust_this_user_unless_opted_out() {
        let strict = context(&[], false).load_options(Some("/c.toml".into()));
        assert_eq!(strict.config_file, Some(PathBuf::from("/c.toml")));
        assert_eq!(strict.trusted_uid, Some(nix::unistd::geteuid().as_raw()));
        assert!(!strict.allow_unsafe_permissions);
        let relaxed = context(&[("KELD_ALLOW_UNSAFE_CONFIG", "1")], false).load_options(None);
        assert!(relaxed.allow_unsafe_permissions);
        assert!(
            !context(&[("KELD_ALLOW_UNSAFE_CONFIG", "")], false)
                .load_options(None)
                .allow_unsafe_permissions
        );
    }
}
