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
