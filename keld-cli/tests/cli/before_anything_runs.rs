//! Problems keld can see before it starts anything (docs/hooks.md, "Before anything
//! runs"): each is reported with its own message naming the key or variable — never
//! a value — and exit code, and nothing runs: no `_COMMAND`, no hook, no restic.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use crate::support::{Sandbox, log_hook, text, toml_list, toml_path, toml_str};

/// Stands for a secret in values: it must never appear in a message.
const SECRET: &str = "s3cr3t-value";

/// One problem: the preset's keys (TOML lines for `[home.backup]` and
/// `[home.environ]`, each with keld's defaults unless the case sets the key), keld's
/// extra environment, and what keld must say.
#[derive(Default)]
struct Case {
    backup: Vec<String>,
    environ: Vec<String>,
    env: Vec<(&'static str, String)>,
    code: i32,
    /// Texts the message must contain (the key, variable or hook it names).
    names: Vec<String>,
    /// The config file itself is refused (a key name no file may hold): the message
    /// is the config error pointing at the line, not "nothing was run".
    file_refused: bool,
}

impl Case {
    fn new(code: i32, names: &[&str]) -> Self {
        Self {
            code,
            names: names.iter().map(|&name| name.to_owned()).collect(),
            ..Self::default()
        }
    }

    fn backup(mut self, line: impl Into<String>) -> Self {
        self.backup.push(line.into());
        self
    }

    fn environ(mut self, line: impl Into<String>) -> Self {
        self.environ.push(line.into());
        self
    }

    fn file_refused(mut self) -> Self {
        self.file_refused = true;
        self
    }

    fn env(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.env.push((name, value.into()));
        self
    }
}

/// Runs `keld -p home backup` with the case's config and checks that keld stopped
/// before anything ran.
fn check(what: &str, case: Case) -> Output {
    let sandbox = Sandbox::new();
    let mut backup = case.backup.join("\n");
    let sets = |key: &str| case.backup.iter().any(|line| line.starts_with(key));
    if !sets("_arguments") {
        backup += &format!("\n_arguments = {}", toml_list(&[sandbox.tilde("")]));
    }
    if !sets("_pre_hooks") {
        backup += &format!("\n_pre_hooks = {}", toml_list(&[log_hook("pre-hook ran")]));
    }
    if !sets("_post_hooks") {
        backup += &format!(
            "\n_post_hooks = {}",
            toml_list(&[log_hook("post-hook ran")])
        );
    }
    // A `_COMMAND` that leaves a trace, sorted last so that a case's own runs first.
    let environ = format!(
        "{}\nZZ_PROBE_COMMAND = {}",
        case.environ.join("\n"),
        toml_str(&log_hook("_COMMAND ran"))
    );
    sandbox.write_config(&format!(
        "[home.backup]\n{backup}\n\n[home.environ]\n{environ}\n"
    ));
    let mut keld = sandbox.keld(&["-p", "home", "backup"]);
    keld.env("NO_COLOR", "1");
    for (name, value) in &case.env {
        keld.env(
            name,
            value.replace("@ROOT@", &sandbox.root().display().to_string()),
        );
    }
    let output = keld.output().expect("keld runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(case.code), "{what}: {stderr}");
    let flat = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for name in &case.names {
        assert!(
            flat.contains(name.as_str()),
            "{what}: names {name:?}: {stderr}"
        );
    }
    if case.file_refused {
        assert!(flat.contains("config.toml:"), "{what}: {stderr}");
    } else {
        assert!(flat.contains("nothing was run"), "{what}: {stderr}");
    }
    assert!(!stderr.contains("starting restic:"), "{what}: {stderr}");
    // A refused file is quoted at its line like every config error, secret values
    // masked by their key's name (keld-config tests/config/secrets.rs); these names are not secret.
    assert!(
        case.file_refused || !stderr.contains(SECRET),
        "{what}: a value in the message: {stderr}"
    );
    assert!(stderr.len() < 2000, "{what}: a short message: {stderr}");
    assert_eq!(
        sandbox.log_lines(),
        Vec::<String>::new(),
        "{what}: nothing ran"
    );
    assert!(sandbox.restic_runs().is_empty(), "{what}: restic ran");
    output
}

/// Variables `PREFIX0`, `PREFIX1`, ... of 100 KB each (the last smaller), together
/// `total` bytes of values.
fn big_values(prefix: &str, total: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut left = total;
    while left > 0 {
        let size = left.min(100_000);
        lines.push(format!(
            "{prefix}{} = {}",
            lines.len(),
            toml_str(&"v".repeat(size))
        ));
        left -= size;
    }
    lines
}

fn arg_max() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::ARG_MAX)
        .unwrap()
        .and_then(|max| usize::try_from(max).ok())
        .unwrap_or(2 * 1024 * 1024)
}

#[test]
fn a_nul_byte_anywhere_is_reported_before_anything_runs() {
    let nul = format!("{SECRET}\0tail");
    let cases = [
        (
            "an environment value",
            Case::new(1, &["TOKEN_VALUE", "NUL"])
                .environ(format!("TOKEN_VALUE = {}", toml_str(&nul))),
        ),
        (
            "a flag",
            Case::new(1, &["--tag", "NUL"]).backup(format!("tag = {}", toml_str(&nul))),
        ),
        (
            "an argument",
            Case::new(1, &["restic argument", "`_arguments`", "NUL"]).backup(format!(
                "_arguments = {}",
                toml_list(&["/ok".into(), nul.clone()])
            )),
        ),
        (
            "a pre-hook",
            Case::new(1, &["pre-hook 2", "_pre_hooks", "NUL"]).backup(format!(
                "_pre_hooks = {}",
                toml_list(&[log_hook("pre-hook ran"), format!("echo {nul}")])
            )),
        ),
        (
            "a post-hook",
            Case::new(1, &["post-hook 1", "_post_hooks", "NUL"]).backup(format!(
                "_post_hooks = {}",
                toml_list(&[format!("echo {nul}")])
            )),
        ),
        (
            "a _COMMAND",
            Case::new(1, &["AA_COMMAND", "NUL"])
                .environ(format!("AA_COMMAND = {}", toml_str(&format!("echo {nul}")))),
        ),
        (
            "_workdir",
            Case::new(1, &["`_workdir`", "NUL"]).backup(format!("_workdir = {}", toml_str(&nul))),
        ),
        (
            "a variable name",
            Case::new(1, &["A\\0B", "control characters"])
                .file_refused()
                .environ(format!("{} = \"x\"", toml_str("A\0B"))),
        ),
    ];
    for (what, case) in cases {
        check(what, case);
    }
}

#[test]
fn a_variable_name_that_is_empty_or_holds_equals_is_reported_before_anything_runs() {
    // No config file may hold such a key: the file is refused at the line.
    let cases = [
        ("A=B", Case::new(1, &["\"A=B\"", "no `=`"])),
        ("", Case::new(1, &["invalid key name", "empty"])),
        ("=X", Case::new(1, &["\"=X\"", "no `=`"])),
        // A `_COMMAND` for such a name must not run either.
        (
            "AA=B_COMMAND",
            Case::new(1, &["\"AA=B_COMMAND\"", "no `=`"]),
        ),
    ];
    for (name, case) in cases {
        let case = case.file_refused().environ(format!(
            "{} = {}",
            toml_str(name),
            toml_str(&format!("echo {SECRET}"))
        ));
        check(&format!("name {name:?}"), case);
    }
}

#[test]
fn values_too_large_for_execve_are_reported_before_anything_runs() {
    let big = format!("{SECRET}{}", "x".repeat(200_000));
    // Each under the limit for one string, together over the limit for all.
    let many = arg_max() / 100_000 + 1;
    let cases = [
        (
            "a 200 KB variable",
            Case::new(1, &["BIG_VALUE", "bytes long"])
                .environ(format!("BIG_VALUE = {}", toml_str(&big))),
        ),
        (
            "a 200 KB flag value",
            Case::new(1, &["--tag", "bytes long"]).backup(format!("tag = {}", toml_str(&big))),
        ),
        (
            "a 200 KB argument",
            Case::new(1, &["restic argument 2", "bytes long"]).backup(format!(
                "_arguments = {}",
                toml_list(std::slice::from_ref(&big))
            )),
        ),
        (
            "a 200 KB hook",
            Case::new(1, &["post-hook 1", "bytes long"]).backup(format!(
                "_post_hooks = {}",
                toml_list(std::slice::from_ref(&big))
            )),
        ),
        (
            "a 200 KB _COMMAND script",
            Case::new(1, &["AA_COMMAND", "bytes long"])
                .environ(format!("AA_COMMAND = {}", toml_str(&big))),
        ),
        (
            "variables together over ARG_MAX",
            Case::new(1, &["restic's arguments and environment", "variable V"])
                .environ(big_values("V", arg_max() + 1000).join("\n")),
        ),
        (
            "arguments together over ARG_MAX",
            Case::new(
                1,
                &["restic's arguments and environment", "restic argument"],
            )
            .backup(format!(
                "_arguments = {}",
                toml_list(&vec![format!("/{}", "a".repeat(99_999)); many])
            )),
        ),
        (
            "tags together over ARG_MAX",
            Case::new(1, &["restic's arguments and environment", "(--tag)"]).backup(format!(
                "tag = {}",
                toml_list(&vec!["t".repeat(100_000); many])
            )),
        ),
    ];
    for (what, case) in cases {
        check(what, case);
    }
}

#[test]
fn a_command_too_large_for_the_environment_it_gets_is_reported_before_anything_runs() {
    // restic fits, but the `_COMMAND` (its script and the same environment) does not.
    let script = format!(": {}", "c".repeat(120_000));
    let case = Case::new(1, &["AA_COMMAND's script and environment", "AA_COMMAND ("])
        .environ(format!("AA_COMMAND = {}", toml_str(&script)))
        .environ(big_values("V", arg_max() - 80_000).join("\n"));
    check("a _COMMAND over ARG_MAX", case);
}

#[test]
fn a_workdir_that_cannot_be_entered_is_reported_before_anything_runs() {
    // A path through a regular file fails for everyone, root included (relative to
    // where keld runs: the sandbox).
    check(
        "a path through a file",
        Case::new(1, &["`_workdir`", "cannot be entered", "Not a directory"])
            .backup("_workdir = \"source/file.txt/inside\""),
    );
    check(
        "a missing directory",
        Case::new(1, &["`_workdir`", "cannot be entered", "No such file"])
            .backup("_workdir = \"no/such/dir\""),
    );
    // Permissions do not stop root: access(2) lets root enter any directory. As
    // another user, a directory without x permission is refused.
    if nix::unistd::geteuid().is_root() {
        eprintln!("not checked as root: a directory without x permission (root may enter it)");
    } else {
        let sandbox = Sandbox::new();
        let locked = sandbox.path("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o600)).unwrap();
        sandbox.write_config(&format!(
            "[home.backup]\n_arguments = [\"/x\"]\n_workdir = {}\n_pre_hooks = {}\n",
            toml_path(&locked),
            toml_list(&[log_hook("pre-hook ran")])
        ));
        let output = sandbox.keld(&["-p", "home", "backup"]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(
            text(&output.stderr).contains("permission denied"),
            "{output:?}"
        );
        assert!(sandbox.log_lines().is_empty());
    }
}

#[test]
fn a_restic_that_cannot_run_is_reported_before_anything_runs() {
    check(
        "KELD_EXECUTABLE names a directory",
        Case::new(126, &["KELD_EXECUTABLE", "is a directory"]).env("KELD_EXECUTABLE", "@ROOT@/bin"),
    );
    check(
        "KELD_EXECUTABLE names a file without x permission",
        Case::new(126, &["KELD_EXECUTABLE", "is not executable"])
            .env("KELD_EXECUTABLE", "@ROOT@/source/file.txt"),
    );
    check(
        "KELD_EXECUTABLE names nothing",
        Case::new(127, &["restic not found", "does not exist"])
            .env("KELD_EXECUTABLE", "@ROOT@/no-restic"),
    );
}

#[test]
fn a_command_s_output_too_large_for_a_variable_is_reported_before_any_hook() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home.backup]\n_arguments = [\"/x\"]\n_pre_hooks = {}\n_post_hooks = {}\n\
         [home.environ]\nBIG_COMMAND = \"head -c 200000 /dev/zero | tr '\\\\0' x\"\n\
         NUL_COMMAND = \"printf 'a\\\\0b'\"\n",
        toml_list(&[log_hook("pre-hook ran")]),
        toml_list(&[log_hook("post-hook ran")]),
    ));
    let output = sandbox.keld(&["-p", "home", "backup"]).output().unwrap();
    let stderr = text(&output.stderr);
    let flat = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(flat.contains("BIG_COMMAND printed a value"), "{stderr}");
    assert!(flat.contains("bytes long"), "{stderr}");
    assert!(flat.contains("no hook and no restic ran"), "{stderr}");
    assert!(!stderr.contains("xxxx"), "{stderr}");
    assert!(sandbox.log_lines().is_empty(), "{:?}", sandbox.log_lines());
    assert!(sandbox.restic_runs().is_empty());

    // A NUL byte in the output, named the same way.
    sandbox.write_config(&format!(
        "[home.backup]\n_arguments = [\"/x\"]\n_pre_hooks = {}\n\
         [home.environ]\nNUL_COMMAND = \"printf 'a\\\\0b'\"\n",
        toml_list(&[log_hook("pre-hook ran")]),
    ));
    let output = sandbox.keld(&["-p", "home", "backup"]).output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("NUL_COMMAND printed a value"), "{stderr}");
    assert!(stderr.contains("NUL byte"), "{stderr}");
    assert!(sandbox.log_lines().is_empty(), "{:?}", sandbox.log_lines());
    assert!(sandbox.restic_runs().is_empty());
}
