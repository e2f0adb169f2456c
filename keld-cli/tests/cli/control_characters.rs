//! Control characters from the config never reach the terminal raw: every text keld
//! prints shows config text (values, names, paths, hooks, lines of a config file)
//! with control characters escaped, and `--json` keeps each value exact.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::{Sandbox, log_hook, text, toml_list, toml_str};

/// Characters that act on a terminal or reorder what it shows, one of each kind.
const ESC: &str = "\u{1b}[2K\u{1b}[1A"; // erase the line, move up
const OSC: &str = "\u{1b}]0;title\u{7}"; // set the window title, ended by BEL
const C1: &str = "\u{9b}31m"; // CSI as one C1 character
const BIDI: &str = "\u{202e}"; // right-to-left override
const MORE: &str = "\u{7f}\r\t\u{2028}\u{2066}\u{200f}\u{061c}"; // DEL, CR, TAB, separators, marks

/// What a terminal must never receive from config text: C0 controls but the line
/// break, DEL, C1 controls and the bidirectional and separator characters.
fn assert_clean(what: &str, bytes: &[u8]) {
    let shown = String::from_utf8_lossy(bytes);
    for (index, c) in shown.char_indices() {
        let bad = (c < ' ' && c != '\n')
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || matches!(
                c,
                '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{061c}'
            )
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c);
        assert!(
            !bad,
            "{what}: raw {c:?} at byte {index}:\n{}",
            shown.escape_debug()
        );
    }
}

fn assert_output_clean(what: &str, output: &Output) {
    assert_clean(&format!("{what} (stdout)"), &output.stdout);
    assert_clean(&format!("{what} (stderr)"), &output.stderr);
}

/// A hostile value with `label` in it, to find it again.
fn hostile(label: &str) -> String {
    format!("{label}{ESC}{OSC}{C1}{BIDI}{MORE}\nend")
}

/// The same on one line: a flag value with a line break is several values (one per
/// line, docs/configuration.md).
fn hostile_line(label: &str) -> String {
    format!("{label}{ESC}{OSC}{C1}{BIDI}{MORE}end")
}

/// The preset's name: hostile too.
fn preset() -> String {
    format!("ho{ESC}me{BIDI}")
}

/// A config with hostile text in every place keld shows: preset and section names,
/// flags (and a value they override), `_arguments`, environment names and values,
/// a `_COMMAND`, hooks, `_workdir`, an operations key and an unknown flag (a
/// warning). Written to a file whose own name is hostile. (A key name with control
/// characters is refused in every file: see the error test.)
fn hostile_config(sandbox: &Sandbox) -> std::path::PathBuf {
    let preset = toml_str(&preset());
    let workdir = sandbox.path(&format!("work{ESC}dir"));
    std::fs::create_dir_all(&workdir).unwrap();
    let toml = format!(
        "[{preset}]\n\
         tag = {tag_old}\n\
         _workdir = {workdir}\n\
         [{preset}.backup]\n\
         tag = {tag}\n\
         host = {host}\n\
         _arguments = {arguments}\n\
         _pre_hooks = {pre}\n\
         _post_hooks = {post}\n\
         _metrics_dir = {metrics}\n\
         {unknown} = \"x\"\n\
         [{preset}.environ]\n\
         {name} = {value}\n\
         PLAIN = {plain}\n\
         TOKEN_COMMAND = {command}\n\
         [{section}]\n\
         repo = \"/srv/other\"\n",
        tag_old = toml_str(&hostile_line("tag-old")),
        workdir = toml_str(workdir.to_str().unwrap()),
        tag = toml_str(&hostile_line("tag")),
        host = toml_str(&hostile_line("host")),
        arguments = toml_list(&[hostile("/arg")]),
        pre = toml_list(&[log_hook(&hostile("pre"))]),
        post = toml_list(&[format!(": '{}'", hostile("post"))]),
        metrics = toml_str(sandbox.path(&hostile("metrics")).to_str().unwrap()),
        unknown = toml_str("unknown-flag"),
        name = toml_str("NAME"),
        value = toml_str(&hostile("value")),
        plain = toml_str(&hostile("plain")),
        command = toml_str(&format!("printf '%s' '{}'", hostile("token"))),
        section = toml_str(&format!("other{OSC}")),
    );
    let path = sandbox.path(&format!("conf{ESC}ig.toml"));
    crate::support::write_private(&path, toml);
    path
}

fn keld(sandbox: &Sandbox, config: &Path, args: &[&str]) -> Output {
    sandbox
        .keld(&[])
        .arg("--config")
        .arg(config)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("keld runs")
}

#[test]
fn show_command_escapes_config_text_in_every_text_form_and_json_is_exact() {
    let sandbox = Sandbox::new();
    let config = hostile_config(&sandbox);
    let preset = preset();
    for form in [&[][..], &["--verbose"]] {
        let mut args = vec!["--show-command", "-p", &preset];
        args.extend_from_slice(form);
        args.push("backup");
        let output = keld(&sandbox, &config, &args);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        assert_output_clean(&format!("--show-command {form:?}"), &output);
        let shown = text(&output.stdout);
        // Escaped, not dropped: the values are still there to audit.
        for needle in ["tag\\x1b[2K", "/arg\\x1b", "pre\\x1b", "\\u202e"] {
            assert!(shown.contains(needle), "{needle}: {shown}");
        }
        if form == ["--verbose"] {
            assert!(
                shown.contains("# overridden: "),
                "the overridden value: {shown}"
            );
            assert!(
                shown.contains("conf\\x1b[2K"),
                "the file in origins: {shown}"
            );
        }
        // The unknown flag's warning, on stderr.
        assert!(text(&output.stderr).contains("unknown"), "{output:?}");
    }

    for form in [&[][..], &["--verbose"]] {
        let mut args = vec!["--show-command", "--json", "-p", &preset];
        args.extend_from_slice(form);
        args.push("backup");
        let output = keld(&sandbox, &config, &args);
        assert_output_clean(&format!("--show-command --json {form:?}"), &output);
        let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(json["preset"], preset.as_str());
        assert!(
            json["argv"]
                .as_array()
                .unwrap()
                .contains(&Value::from(hostile_line("tag"))),
            "{json}"
        );
        assert!(
            json["argv"]
                .as_array()
                .unwrap()
                .contains(&Value::from(hostile("/arg"))),
            "{json}"
        );
        let environment = json["environment"].as_array().unwrap();
        assert!(
            environment
                .iter()
                .any(|var| var["name"] == "NAME" && var["value"] == hostile("value").as_str()),
            "{json}"
        );
        assert_eq!(json["pre_hooks"][0], log_hook(&hostile("pre")));
        assert!(
            json["config_files"][0]
                .as_str()
                .unwrap()
                .ends_with(&format!("conf{ESC}ig.toml")),
            "{json}"
        );
    }
}

#[test]
fn presets_status_and_several_presets_escape_names() {
    let mut sandbox = Sandbox::new();
    sandbox.set_env("KELD_STATE_DIR", sandbox.path("state"));
    let config = hostile_config(&sandbox);
    let preset = preset();
    let other = format!("other{OSC}");

    for args in [&["presets"][..], &["presets", "--names"]] {
        let output = keld(&sandbox, &config, args);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        assert_output_clean(&format!("{args:?}"), &output);
        assert!(text(&output.stdout).contains("ho\\x1b[2K"), "{output:?}");
    }
    let output = keld(&sandbox, &config, &["presets", "--json"]);
    assert_output_clean("presets --json", &output);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|preset| preset["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&preset.as_str()) && names.contains(&other.as_str()));

    // Several presets: the headers and the summary.
    let both = format!("{preset},{other}");
    let output = keld(&sandbox, &config, &["-p", &both, "snapshots"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_output_clean("several presets", &output);
    assert!(text(&output.stderr).contains("==> $'ho\\x1b"), "{output:?}");

    // The records and keld status, in every form.
    let output = keld(&sandbox, &config, &["-p", &preset, "backup"]);
    assert_output_clean("backup", &output);
    for args in [
        &["status"][..],
        &["status", "--max-age", "1d"],
        &["status", "--max-age", "1d", "-p", &other],
    ] {
        let output = keld(&sandbox, &config, args);
        assert_output_clean(&format!("{args:?}"), &output);
    }
    let output = keld(&sandbox, &config, &["status", "--json"]);
    assert_output_clean("status --json", &output);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|row| row["preset"] == preset.as_str()),
        "{json}"
    );
}

#[test]
fn error_messages_and_the_config_lines_they_quote_are_escaped() {
    let sandbox = Sandbox::new();
    let config = hostile_config(&sandbox);
    let preset = preset();

    // A `_COMMAND` that fails, printing escape sequences on stderr (which keld quotes).
    let failing = sandbox.path("failing.toml");
    crate::support::write_private(
        &failing,
        format!(
            "[{}.backup]\n_arguments = [\"/x\"]\n[{}.environ]\nTOKEN_COMMAND = {}\n",
            toml_str(&preset),
            toml_str(&preset),
            toml_str(&format!(
                "printf '{}' >&2; exit 3",
                hostile("stderr").replace('\n', " ")
            ))
        ),
    );
    let output = keld(&sandbox, &failing, &["-p", &preset, "backup"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_output_clean("a failing _COMMAND", &output);
    assert!(text(&output.stderr).contains("stderr\\x1b"), "{output:?}");

    // A pre-hook that fails, and a `_workdir` that is gone: messages quoting them.
    let hook = sandbox.path("hook.toml");
    crate::support::write_private(
        &hook,
        format!(
            "[{}.backup]\n_arguments = [\"/x\"]\n_pre_hooks = {}\n",
            toml_str(&preset),
            toml_list(&[format!(": '{}'; exit 4", hostile("hook"))]),
        ),
    );
    let output = keld(&sandbox, &hook, &["-p", &preset, "backup"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_output_clean("a failing pre-hook", &output);
    std::fs::remove_dir(sandbox.path(&format!("work{ESC}dir"))).unwrap();
    let output = keld(&sandbox, &config, &["-p", &preset, "backup"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_output_clean("a missing _workdir", &output);
    assert!(text(&output.stderr).contains("work\\x1b"), "{output:?}");

    // A preset that does not exist: keld suggests the nearest, which are config text.
    let output = keld(&sandbox, &config, &["-p", "ho", "snapshots"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_output_clean("an unknown preset", &output);

    // A file that is no valid TOML, with raw control characters on the lines the
    // error quotes, and in its name.
    let broken = sandbox.path(&format!("bro{OSC}ken.toml"));
    crate::support::write_private(
        &broken,
        format!(
            "[home]\nrepo = \"/r\"\n# {}\nbad {BIDI}= = {C1}\n",
            hostile("comment")
        ),
    );
    let output = keld(&sandbox, &broken, &["-p", "home", "snapshots"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_output_clean("a syntax error", &output);
    let stderr = text(&output.stderr);
    // The quoted lines show each byte of a control character as `?`.
    assert!(stderr.contains("# comment?[2K?[1A?]0;title?"), "{stderr}");
    assert!(stderr.contains("bro\\x1b]0;title\\x07ken.toml"), "{stderr}");

    // The same with a line of more than a kilobyte elsewhere in the file (such a line
    // is quoted only around the marked place), and in a file with CRLF line ends.
    for (name, end) in [("long.toml", "\n"), ("crlf.toml", "\r\n")] {
        let long = sandbox.path(name);
        crate::support::write_private(
            &long,
            format!(
                "[home]{end}# {}{end}tag = {}{end}bad {BIDI}= = {C1}{end}",
                "a".repeat(1100),
                toml_str(&hostile_line("tag")),
            ),
        );
        let output = keld(&sandbox, &long, &["-p", "home", "snapshots"]);
        assert_eq!(output.status.code(), Some(1), "{name}: {output:?}");
        assert_output_clean(&format!("a syntax error in {name}"), &output);
        let stderr = text(&output.stderr);
        assert!(stderr.contains(&format!("{name}:4:")), "{stderr}");
        assert!(
            !stderr.contains("Failed to read"),
            "{name}: the line is quoted: {stderr}"
        );
        assert!(
            stderr.contains("bad ???= ="),
            "{name}: the line is quoted: {stderr}"
        );
    }

    // A key whose name holds control characters: refused, the name escaped.
    let named = sandbox.path("named.toml");
    crate::support::write_private(
        &named,
        format!(
            "[home]\nrepo = \"/r\"\n[home.environ]\n{} = \"x\"\n",
            toml_str(&format!("NA{ESC}ME{BIDI}"))
        ),
    );
    let output = keld(&sandbox, &named, &["-p", "home", "snapshots"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_output_clean("a key name with control characters", &output);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("named.toml:4"), "{stderr}");
    assert!(stderr.contains("NA\\u{1b}[2K"), "{stderr}");
    assert!(sandbox.restic_runs().is_empty());
}
