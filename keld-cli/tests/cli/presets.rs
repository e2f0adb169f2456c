//! `keld presets`: every preset, its kind and the sections that define it.

use assert_cmd::prelude::*;
use predicates::str::contains;

use crate::support::{Sandbox, stdout_of};

/// Plain, prefix, suffix and combined presets.
pub(crate) const PRESETS_CONFIG: &str = r#"
[global]
repo = "/srv/restic"

[home]
_arguments = ["/home/me"]

[home.backup]
tag = ["home"]

["laptop@"]
_arguments = ["/laptop"]

["@cloud"]
repo = "s3:example/bucket"
"#;

#[test]
fn presets_lists_kind_and_defining_sections() {
    let sandbox = Sandbox::new();
    let config = sandbox.write_user_config(PRESETS_CONFIG);
    let assert = sandbox.keld(&["presets"]).assert().code(0);
    let out = stdout_of(&assert);
    let file = config.display().to_string();
    assert!(out.contains("home (plain)"), "{out}");
    assert!(out.contains(&format!("[home]         {file}:5")), "{out}");
    assert!(
        out.contains(&format!("[home.backup]  {file}:8")),
        "command sections of a preset are listed too: {out}"
    );
    assert!(
        out.contains(&format!(
            "laptop@cloud (combination)\n  [@cloud]   {file}:14\n  [laptop@]  {file}:11\n"
        )),
        "a combination lists both halves: {out}"
    );
    assert!(out.contains("laptop@ (prefix"), "{out}");
    assert!(out.contains("@cloud (suffix"), "{out}");
    assert!(out.contains("laptop@cloud (combination)"), "{out}");
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn presets_names_and_json() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(PRESETS_CONFIG);
    let assert = sandbox.keld(&["presets", "--names"]).assert().code(0);
    let mut names: Vec<String> = stdout_of(&assert).lines().map(str::to_owned).collect();
    names.sort();
    assert_eq!(names, ["@cloud", "home", "laptop@", "laptop@cloud"]);

    for args in [&["presets", "--json"][..], &["--json", "presets"][..]] {
        let assert = sandbox.keld(args).assert().code(0);
        let value: serde_json::Value = serde_json::from_str(&stdout_of(&assert)).expect("json");
        let home = value
            .as_array()
            .expect("array")
            .iter()
            .find(|p| p["name"] == "home")
            .expect("home listed");
        assert_eq!(home["kind"], "plain");
        assert_eq!(home["runnable"], true);
        assert_eq!(home["sections"][0]["section"], "home");
        assert_eq!(home["sections"][0]["line"], 5);
    }
}

#[test]
fn presets_with_no_config_says_so() {
    Sandbox::new()
        .keld(&["presets"])
        .assert()
        .code(0)
        .stdout("")
        .stderr(contains("no presets are defined"));
}

/// `count` prefixes and `count` suffixes: `count²` combinations.
fn halves(count: usize) -> String {
    let mut text = String::from("[global]\nrepo = \"/srv/restic\"\n");
    for n in 0..count {
        text.push_str(&format!(
            "[\"host{n}@\"]\n_arguments = [\"/h{n}\"]\n[\"@repo{n}\"]\n"
        ));
    }
    text
}

#[test]
fn many_combinations_are_summarised_unless_all_is_asked() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(&halves(40));
    let assert = sandbox.keld(&["presets"]).assert().code(0);
    let out = stdout_of(&assert);
    assert!(
        out.contains("1600 combinations: each of the 40 prefixes with each of the 40 suffixes"),
        "{out}"
    );
    assert!(
        !out.contains("(combination)"),
        "combinations are not spelled out: {out}"
    );

    let assert = sandbox
        .keld(&["presets", "--names", "--all"])
        .assert()
        .code(0);
    let names: Vec<String> = stdout_of(&assert).lines().map(str::to_owned).collect();
    assert_eq!(names.len(), 80 + 1600);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "names come out sorted");
    assert!(names.iter().any(|name| name == "host39@repo0"));

    let assert = sandbox
        .keld(&["presets", "--json", "--all"])
        .assert()
        .code(0);
    let value: serde_json::Value = serde_json::from_str(&stdout_of(&assert)).expect("json");
    assert_eq!(value.as_array().map(Vec::len), Some(1680));
}

#[test]
fn complete_offers_halves_then_the_combinations_of_a_typed_prefix() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(&halves(40));
    let complete = |word: &str| -> Vec<String> {
        let assert = sandbox
            .keld(&["presets", "--complete", word])
            .assert()
            .code(0);
        stdout_of(&assert).lines().map(str::to_owned).collect()
    };
    let mut expected: Vec<String> = (0..10).map(|n| format!("host3{n}@")).collect();
    expected.push("host3@".to_owned());
    assert_eq!(complete("host3"), expected, "defined names in byte order");
    assert_eq!(
        complete("host7@repo3").len(),
        11,
        "repo3 and repo30..repo39"
    );
    assert_eq!(
        complete("host7@").len(),
        41,
        "the half itself and its 40 combinations"
    );
    assert!(complete("nothing").is_empty());
}

#[test]
fn without_preset_the_error_lists_twenty_and_counts_the_rest() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(&halves(40));
    let assert = sandbox.keld(&["snapshots"]).assert().code(1);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("host0@repo0"), "{err}");
    assert!(err.contains("and 1580 more"), "{err}");
    assert!(err.contains("keld presets"), "{err}");
    assert!(sandbox.restic_runs().is_empty());
}
