//! Shell completions and the man page.

use std::process::Command;

use assert_cmd::prelude::*;
use predicates::str::contains;

use crate::presets::PRESETS_CONFIG;
use crate::support::process::wait_timeout;
use crate::support::{Sandbox, stdout_of, text, toml_str};

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

/// 30 prefixes and 30 suffixes: 900 combinations, more than completion lists at once.
fn many_halves() -> String {
    let mut text = String::new();
    for n in 0..30 {
        text.push_str(&format!("[\"host{n}@\"]\n[\"@repo{n}\"]\n"));
    }
    text
}

#[test]
fn with_many_combinations_a_typed_prefix_completes_its_suffixes() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(&many_halves());
    let first = bash_complete(&sandbox, "keld -p ''");
    assert_eq!(
        first.len(),
        60,
        "the halves, not 900 combinations: {first:?}"
    );
    let mut replies = bash_complete(&sandbox, "keld -p host7@repo1");
    replies.sort();
    let mut expected: Vec<String> = (10..20).map(|n| format!("host7@repo{n}")).collect();
    expected.insert(0, "host7@repo1".to_owned());
    assert_eq!(replies, expected);

    let fish = |line: &str| {
        let output = sandbox
            .shell("fish")
            .args(["--no-config", "-c"])
            .arg(format!(
                "keld completions fish | source; complete -C '{line}'"
            ))
            .output()
            .expect("fish runs (Debian: apt-get install fish)");
        text(&output.stdout).lines().count()
    };
    assert_eq!(
        fish("keld -p host7@"),
        31,
        "the half and its 30 combinations"
    );
    assert_eq!(fish("keld -p host7@repo2"), 11);
}

#[test]
fn completion_scripts_for_every_shell_ask_keld_for_presets() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        sandbox
            .keld(&["completions", shell])
            .assert()
            .code(0)
            .stdout(contains("keld presets --complete="))
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

// ---------------------------------------------------------------- hostile preset names

/// Preset names are TOML keys, so they can hold anything: text a shell would run,
/// quotes, spaces, newlines, glob characters, a leading `-`, zsh's `:`. Each name that
/// would run something touches a marker in `ROOT`.
fn hostile_names(root: &str) -> Vec<String> {
    vec![
        format!("$(touch {root}/m-dollar)"),
        format!("`touch {root}/m-backtick`"),
        format!("x;touch {root}/m-semicolon"),
        format!("$(touch {root}/m-spaced) and more"),
        "it's \"quoted\"".to_owned(),
        "with space".to_owned(),
        "new\nline".to_owned(),
        "glob*?[x]".to_owned(),
        "-lead".to_owned(),
        "colon:name:more".to_owned(),
        "tab\there".to_owned(),
        "esc\u{1b}[31mred".to_owned(),
        "~root".to_owned(),
        "$HOME".to_owned(),
        "back\\slash".to_owned(),
        "!hist".to_owned(),
    ]
}

/// A config defining `names`, one plain preset each.
fn presets_config(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("[{}]\nrepo = \"/srv/restic\"\n", toml_str(name)))
        .collect()
}

/// Fails if any completion ran a marker command.
fn assert_nothing_ran(sandbox: &Sandbox, shell: &str) {
    for marker in ["m-dollar", "m-backtick", "m-semicolon", "m-spaced"] {
        assert!(
            !sandbox.path(marker).exists(),
            "{shell}'s completion ran the preset name that touches {marker}"
        );
    }
}

/// The words bash reads from the replies of the last [`bash_complete`] (each a
/// COMPREPLY entry, as bash would insert it).
fn bash_words(sandbox: &Sandbox) -> Vec<String> {
    let output = sandbox
        .bash("eval \"words=($(cat replies))\"; printf '%s\\0' \"${words[@]}\"")
        .output()
        .unwrap();
    text(&output.stdout)
        .split_terminator('\0')
        .map(str::to_owned)
        .collect()
}

/// Runs bash's completion of the words `COMP_WORDS` (a bash array body) and returns
/// COMPREPLY, NUL-separated in the file `replies` too.
fn bash_complete(sandbox: &Sandbox, comp_words: &str) -> Vec<String> {
    let script = format!(
        "source <(keld completions bash)\n\
         COMP_WORDS=({comp_words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n\
         function=$(complete -p keld | sed 's/.*-F \\([^ ]*\\).*/\\1/')\n\
         \"$function\" keld \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s ' \"${{COMPREPLY[@]}}\" > replies\n\
         printf '%s\\0' \"${{COMPREPLY[@]}}\""
    );
    let output = sandbox.bash(&script).output().expect("bash runs");
    assert_eq!(text(&output.stderr), "", "bash complains");
    text(&output.stdout)
        .split_terminator('\0')
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_hostile_preset_names_quoted_and_runs_none() {
    let sandbox = Sandbox::new();
    let names = hostile_names(&sandbox.root().display().to_string());
    sandbox.write_user_config(&presets_config(&names));

    let replies = bash_complete(&sandbox, "keld -p ''");
    assert_nothing_ran(&sandbox, "bash");
    assert_eq!(replies.len(), names.len(), "{replies:#?}");
    // Each reply is one shell word that reads back as the name, and reading it runs
    // nothing either.
    let mut words = bash_words(&sandbox);
    assert_nothing_ran(&sandbox, "bash (reading the replies back)");
    let mut expected = names.clone();
    words.sort();
    expected.sort();
    assert_eq!(words, expected);

    // Typed prefixes, in the quoting a user may have started.
    let dollar = format!(
        "keld -c x.toml -p '$(touch {}/m-do'",
        sandbox.root().display()
    );
    for (typed, expected) in [
        ("keld -p with", "with space"),
        ("keld -p \"'with s\"", "with space"),
        ("keld -p 'with\\ s'", "with space"),
        ("keld -p '\"it'", "it's \"quoted\""),
        ("keld --preset = it", "it's \"quoted\""),
        (dollar.as_str(), &names[0]),
        ("keld -p -", "-lead"),
    ] {
        let replies = bash_complete(&sandbox, typed);
        assert_eq!(replies.len(), 1, "{typed}: {replies:?}");
        assert_eq!(bash_words(&sandbox), [expected], "{typed}");
    }
    assert_nothing_ran(&sandbox, "bash");
}

/// Drives zsh's completion for real: `zsh -f` started in the `zpty` module, compinit
/// and keld's script loaded, `keld -p <TAB>` typed, and the line as completion left
/// it written to a file by a key bound to a widget. One config per name, so each
/// completes alone; the widget moves on to the next config.
const ZSH_DRIVER: &str = r#"
zmodload zsh/zpty || exit 3
dir=$1 count=$2
zpty k zsh -f -i || exit 4
zpty -w k "PS1='> '; n=0; export KELD_CONFIG_FILE=$dir/config-0.toml; autoload -Uz compinit; compinit -u -D; source <(keld completions zsh); dump() { print -rn -- \$BUFFER > $dir/line-\$n; BUFFER=; (( n++ )); export KELD_CONFIG_FILE=$dir/config-\$n.toml; }; zle -N dump; bindkey '^X' dump; print RE''ADY"
zpty -r -m k line '*READY*' || exit 5
for (( i = 0; i < count; i++ )); do
    zpty -w -n k $'keld -p \t\x18'
    for t in {1..300}; do [[ -e $dir/line-$i ]] && break; sleep 0.1; done
    [[ -e $dir/line-$i ]] || { print -u2 "no line for config $i"; exit 6 }
done
zpty -d k
"#;

#[test]
fn zsh_completes_hostile_preset_names_quoted_and_runs_none() {
    let sandbox = Sandbox::new();
    let names = hostile_names(&sandbox.root().display().to_string());
    let dir = sandbox.path("zsh");
    for (index, name) in names.iter().enumerate() {
        crate::support::write_private(
            &dir.join(format!("config-{index}.toml")),
            presets_config(std::slice::from_ref(name)),
        );
    }
    let driver = sandbox.file("driver.zsh", ZSH_DRIVER);
    let mut zsh = sandbox
        .shell("zsh")
        .arg("-f")
        .arg(&driver)
        .arg(&dir)
        .arg(names.len().to_string())
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("zsh runs (Debian: apt-get install zsh)");
    let status = wait_timeout(&mut zsh, std::time::Duration::from_secs(120));
    assert!(status.success(), "the zsh driver failed: {status:?}");
    assert_nothing_ran(&sandbox, "zsh");
    for (index, name) in names.iter().enumerate() {
        let line = std::fs::read_to_string(dir.join(format!("line-{index}"))).unwrap();
        // The completed line, read back by zsh with a `keld` that prints its arguments.
        let read = sandbox
            .shell("zsh")
            .args([
                "-f",
                "-c",
                "keld() { printf '%s\\0' \"$@\" }; eval \"$1\"",
                "zsh",
            ])
            .arg(&line)
            .output()
            .unwrap();
        let words: Vec<String> = text(&read.stdout)
            .split_terminator('\0')
            .map(str::to_owned)
            .collect();
        assert_eq!(
            words,
            ["-p", name.as_str()],
            "{name:?} completed as {line:?}"
        );
    }
    assert_nothing_ran(&sandbox, "zsh");
}

#[test]
fn fish_completes_hostile_preset_names_and_runs_none() {
    let sandbox = Sandbox::new();
    let names = hostile_names(&sandbox.root().display().to_string());
    sandbox.write_user_config(&presets_config(&names));
    let complete = |line: &str| {
        let output = sandbox
            .shell("fish")
            .args(["--no-config", "-c"])
            .arg(format!(
                "keld completions fish | source; complete -C {}",
                crate::support::shell_quote(std::path::Path::new(line))
            ))
            .output()
            .expect("fish runs (Debian: apt-get install fish)");
        assert!(output.status.success(), "{output:?}");
        // Each candidate is `NAME<TAB>preset`; a name may hold a newline.
        let mut candidates: Vec<String> = text(&output.stdout)
            .split_terminator("\tpreset\n")
            .map(str::to_owned)
            .collect();
        candidates.sort();
        candidates
    };
    let mut expected: Vec<String> = names
        .iter()
        .filter(|name| !name.contains('\t'))
        .cloned()
        .collect();
    expected.sort();
    assert_eq!(complete("keld -p "), expected);
    assert_nothing_ran(&sandbox, "fish");
    assert_eq!(complete("keld -p with"), ["with space"]);
    assert_eq!(complete("keld --preset=with"), ["--preset=with space"]);
    assert_eq!(complete("keld -c x.toml -p colon"), ["colon:name:more"]);
    // After COMMAND, -p is restic's.
    assert!(!complete("keld backup -p with").contains(&"with space".to_owned()));
    assert_nothing_ran(&sandbox, "fish");
}

#[test]
fn preset_names_are_listed_raw_only_with_null() {
    let sandbox = Sandbox::new();
    let names = hostile_names("/nonexistent");
    sandbox.write_user_config(&presets_config(&names));
    let raw = sandbox
        .keld(&["presets", "--names", "--null"])
        .output()
        .unwrap();
    let mut listed: Vec<String> = text(&raw.stdout)
        .split_terminator('\0')
        .map(str::to_owned)
        .collect();
    let mut expected = names.clone();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);
    // One name a line, a control character escaped.
    let lines = sandbox.keld(&["presets", "--names"]).output().unwrap();
    let lines = text(&lines.stdout);
    assert_eq!(lines.lines().count(), names.len(), "{lines}");
    assert!(lines.contains("$'new\\nline'\n"), "{lines}");
    assert!(lines.contains("$'esc\\x1b[31mred'\n"), "{lines}");
    assert!(lines.contains("with space\n"), "{lines}");
}
