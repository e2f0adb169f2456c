//! Shell completions and the man page.

use std::process::Command;

use assert_cmd::prelude::*;
use predicates::str::contains;

use crate::presets::PRESETS_CONFIG;
use crate::support::{Sandbox, stdout_of, text};

#[test]
fn bash_completion_completes_options_commands_and_presets() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(PRESETS_CONFIG);
    let complete = |words: &str| {
        let script = format!(
            "source <(keld completions bash)\n\
             COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_LINE='{words}'\n\
             COMP_POINT=${{#COMP_LINE}}\n\
             $(complete -p keld | sed 's/.*-F \\([^ ]*\\).*/\\1/') keld \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let output = sandbox.bash(&script).output().expect("bash runs");
        assert_eq!(text(&output.stderr), "");
        let mut words: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
        words.sort();
        words
    };
    assert_eq!(
        complete("keld -p ''"),
        ["@cloud", "home", "laptop@", "laptop@cloud"]
    );
    assert_eq!(complete("keld --preset la"), ["laptop@", "laptop@cloud"]);
    assert!(complete("keld --sh").contains(&"--show-command".to_owned()));
    // After COMMAND, -p is restic's (--password-file): no preset names there.
    assert!(!complete("keld backup -p ''").contains(&"home".to_owned()));
    assert!(complete("keld -c x.toml -p h").contains(&"home".to_owned()));
    assert!(complete("keld pre").contains(&"presets".to_owned()));
}

#[test]
fn completion_scripts_for_every_shell_ask_keld_for_presets() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        sandbox
            .keld(&["completions", shell])
            .assert()
            .code(0)
            .stdout(contains("keld presets --names"))
            .stdout(contains("--show-command"));
    }
    let output = sandbox.keld(&["completions", "bash"]).output().unwrap();
    let check = Command::new("/bin/bash")
        .args(["-n", "-c", &text(&output.stdout)])
        .output()
        .unwrap();
    assert!(check.status.success(), "bash accepts the script: {check:?}");
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error() {
    Sandbox::new()
        .keld(&["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(contains("tcsh"));
}

#[test]
fn man_page_renders() {
    let sandbox = Sandbox::new();
    let assert = sandbox.keld(&["man"]).assert().code(0);
    let roff = stdout_of(&assert);
    assert!(
        roff.starts_with(".ie \\n(.g .ds Aq") || roff.contains(".TH keld"),
        "{roff}"
    );
    assert!(roff.contains("show\\-command"), "{roff}");
    let page = sandbox.file("keld.1", &roff);
    let output = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-bcou"])
        .arg(&page)
        .output()
        .expect("groff renders the man page (Debian: apt-get install groff-base)");
    assert!(output.status.success(), "{output:?}");
    let text = text(&output.stdout);
    assert!(text.contains("NAME"), "{text}");
    assert!(text.contains("--show-command"), "{text}");
    assert!(text.contains("--preset"), "{text}");
    assert!(text.contains("EXIT STATUS"), "{text}");
    assert!(text.contains("KELD_NONINTERACTIVE"), "{text}");
}
