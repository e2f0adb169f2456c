//! Command-line overrides (docs/configuration.md).

use insta::assert_snapshot;

use crate::render::resolve_one;

const CONFIG: &str = r#"
[global]
repo = "/srv/configured"
tag = ["configured-1", "configured-2"]
verbose = 1
quiet = true
[home.backup]
_arguments = ["/home/ann"]
exclude = ["*.tmp"]
"#;

fn cli(args: &[&str]) -> String {
    resolve_one(CONFIG, Some("home"), "backup", args)
}

#[test]
fn equals_and_space_forms_are_the_same() {
    let equals = cli(&["--tag=x"]);
    let space = cli(&["--tag", "x"]);
    assert_eq!(equals, space);
    assert_snapshot!("cli_tag_replaces_list", equals);
}

#[test]
fn a_flag_given_twice_passes_twice() {
    assert_snapshot!(
        "cli_repeated",
        cli(&["--tag", "a", "--exclude", "e", "--tag=b"])
    );
}

#[test]
fn short_aliases_replace_long_keys_and_back() {
    let short = cli(&["-r", "/cli"]);
    let attached = cli(&["-r/cli"]);
    let equals = cli(&["-r=/cli"]);
    assert_eq!(short, attached);
    assert_eq!(short, equals);
    let long_over_short = resolve_one(
        "[home]\nr = \"/short\"\n",
        Some("home"),
        "backup",
        &["--repo", "/long"],
    );
    assert_snapshot!("cli_short_alias", format!("{short}---\n{long_over_short}"));
}

#[test]
fn switches_never_swallow_the_next_token() {
    assert_snapshot!(
        "cli_switches",
        cli(&["--one-file-system", "/data", "-q", "/more", "-n"])
    );
}

#[test]
fn double_dash_ends_flags() {
    assert_snapshot!(
        "cli_double_dash",
        cli(&["--tag", "t", "--", "--not-a-flag", "-r", "/x"])
    );
}

#[test]
fn unknown_flags_pass_through() {
    assert_snapshot!(
        "cli_unknown",
        cli(&[
            "--new-flag",
            "value",
            "--other",
            "--third",
            "-Z",
            "/path",
            "--kk=v"
        ])
    );
}

#[test]
fn positionals_replace_arguments() {
    let replaced = cli(&["/cli/one", "--tag", "t", "/cli/two"]);
    let kept = cli(&["--tag", "t"]);
    assert_snapshot!("cli_positionals", format!("{replaced}---\n{kept}"));
}

#[test]
fn counts_and_switch_values() {
    let counts = cli(&["-vvv"]);
    let count_value = cli(&["--verbose=2", "-v"]);
    let quiet_off = cli(&["--quiet=false"]);
    let grouped = cli(&["-qxn"]);
    assert_snapshot!(
        "cli_counts_and_switches",
        format!("{counts}---\n{count_value}---\n{quiet_off}---\n{grouped}")
    );
}

#[test]
fn value_flag_takes_a_dash_token_as_its_value() {
    assert_snapshot!("cli_value_dash", cli(&["--exclude", "-weird", "--host"]));
}

/// A counting flag typed with `=` goes to restic as typed, whatever its count (restic
/// checks it); a count given to the library directly is never repeated more than
/// `MAX_COUNT` times (found by fuzzing: it used to abort on a 70 GB allocation).
#[test]
fn a_huge_count_is_passed_as_typed_and_never_expanded() {
    use keld_config::{Config, Environment, FlagValue, MAX_COUNT, Request, Source};

    let config = Config::from_sources([Source {
        path: "/cfg/config.toml".into(),
        text: CONFIG.into(),
    }])
    .expect("config parses");
    let request = Request {
        preset: Some("home".into()),
        command: "backup".into(),
        args: vec!["--verbose=2936014754".into()],
    };
    let resolved = config
        .resolve(&request, &Environment::default())
        .expect("resolves");
    let args = resolved.args();
    assert!(
        args.contains(&"--verbose=2936014754".to_owned()),
        "{args:?}"
    );
    assert!(
        !args.contains(&"--verbose".to_owned()),
        "replaces verbose = 1: {args:?}"
    );

    let mut flag = resolved.flags[0].clone();
    flag.value = FlagValue::Count(u32::MAX);
    assert_eq!(flag.argv().len(), MAX_COUNT as usize);
}
