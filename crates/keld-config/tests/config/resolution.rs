//! Resolution rules of docs/configuration.md, one snapshot per rule.

use insta::assert_snapshot;

use crate::render::{config, env, request, resolve, resolve_one};

#[test]
fn every_value_type_becomes_flags() {
    let text = r#"
[global]
quiet = true
json = true

[home]
repo = "/srv/restic"
r = "/ignored-because-repo-wins-by-alias"
json = false
limit-upload = 5
ratio = 0.5
tag = ["a", "b"]
exclude = """
  *.tmp

  /home/ann/.cache
"""
empty = ""
host = []
"#;
    assert_snapshot!(
        "value_types",
        resolve_one(text, Some("home"), "backup", &[])
    );
}

#[test]
fn long_name_wins_over_its_short_alias_in_one_table() {
    let one_file = resolve_one(
        "[home]\nx = false\none-file-system = true\n",
        Some("home"),
        "backup",
        &[],
    );
    let cfg = config(&[
        ("a.toml", "[home]\none-file-system = false\n"),
        ("b.toml", "[home]\nx = true\n"),
    ]);
    let later_file = resolve(&cfg, &request(Some("home"), "backup", &[]), &env(&[]));
    assert_snapshot!("alias_precedence", format!("{one_file}---\n{later_file}"));
}

#[test]
fn false_and_empty_list_clear_inherited_values() {
    let text = r#"
[global]
one-file-system = true
tag = ["inherited"]

[home.backup]
one-file-system = false
tag = []
"#;
    assert_snapshot!(
        "clearing",
        resolve_one(text, Some("home"), "backup", &["/data"])
    );
}

#[test]
fn count_flags_take_integers_and_true() {
    let two = resolve_one("[home]\nverbose = 2\n", Some("home"), "backup", &[]);
    let one = resolve_one("[home]\nverbose = true\n", Some("home"), "backup", &[]);
    let unknown = resolve_one("[home]\nlevel = 2\n", Some("home"), "backup", &[]);
    assert_snapshot!("count_flags", format!("{two}---\n{one}---\n{unknown}"));
}

const SPLIT: &str = r#"
[global]
key = "global"
[global.backup]
key = "global.backup"
["@cloud"]
key = "@cloud"
["@cloud".backup]
key = "@cloud.backup"
["home@"]
key = "home@"
["home@".backup]
key = "home@.backup"
["home@cloud"]
key = "home@cloud"
["home@cloud".backup]
key = "home@cloud.backup"
[other]
"#;

#[test]
fn split_preset_applies_sections_in_order() {
    assert_snapshot!(
        "split_order",
        resolve_one(SPLIT, Some("home@cloud"), "backup", &[])
    );
}

#[test]
fn halves_alone_apply_their_own_sections() {
    let suffix = resolve_one(SPLIT, Some("@cloud"), "snapshots", &[]);
    let prefix = resolve_one(SPLIT, Some("home@"), "backup", &[]);
    assert_snapshot!("halves", format!("{suffix}---\n{prefix}"));
}

#[test]
fn combination_without_its_own_table_uses_both_halves() {
    let text = r#"
["@cloud"]
repo = "s3:cloud"
["home@"]
_arguments = ["/home"]
"#;
    assert_snapshot!(
        "combination",
        resolve_one(text, Some("home@cloud"), "backup", &[])
    );
}

#[test]
fn missing_sections_are_skipped_and_plain_presets_stack_on_global() {
    let text = r#"
[global]
repo = "/srv/r"
[home.backup]
tag = ["home"]
"#;
    assert_snapshot!(
        "plain_preset",
        format!(
            "{}---\n{}",
            resolve_one(text, Some("home"), "backup", &[]),
            resolve_one(text, Some("home"), "check", &[])
        )
    );
}

#[test]
fn no_preset_none_one_or_several() {
    let none = resolve_one("[global]\nrepo = \"/r\"\n", None, "snapshots", &[]);
    let one = resolve_one(
        "[global]\nrepo = \"/r\"\n[home]\ntag = [\"h\"]\n",
        None,
        "snapshots",
        &[],
    );
    let halves = resolve_one(
        "[\"home@\"]\ntag = [\"h\"]\n[\"@cloud\"]\nrepo = \"c\"\n",
        None,
        "snapshots",
        &[],
    );
    let several = resolve_one(
        "[home]\n[work]\n[\"@cloud\"]\n[\"x@\"]\n",
        None,
        "snapshots",
        &[],
    );
    assert_snapshot!(
        "default_preset",
        format!("{none}---\n{one}---\n{halves}---\n{several}")
    );
}

#[test]
fn command_sections_use_the_typed_word_and_command_aliases() {
    let text = r#"
[global.backup]
tag = ["from-global-backup"]
[home.nightly]
_command = "backup"
_pre_hooks = ["echo pre"]
tag = ["nightly"]
host = "box"
"#;
    assert_snapshot!(
        "alias",
        resolve_one(text, Some("home"), "nightly", &["/home"])
    );
}

#[test]
fn hook_lists_inherit_override_and_clear() {
    let text = r#"
[global]
_pre_hooks = ["global pre"]
_post_hooks = ["global post 1", "global post 2"]
[home]
_post_hooks = ["home post"]
[home.backup]
_pre_hooks = []
[work]
"#;
    let home = resolve_one(text, Some("home"), "backup", &[]);
    let work = resolve_one(text, Some("work"), "backup", &[]);
    let cfg = config(&[("config.toml", text)]);
    let resolved = cfg
        .resolve_with_flags(
            &request(Some("work"), "snapshots", &[]),
            &env(&[]),
            &crate::catalog::flags(),
        )
        .expect("resolves");
    assert!(
        resolved.active_pre_hooks().is_empty(),
        "hooks only apply to backup"
    );
    assert_eq!(resolved.pre_hooks.as_ref().map(|s| s.value.len()), Some(1));
    assert_snapshot!("hooks", format!("{home}---\n{work}"));
}

#[test]
fn home_directory_expansion() {
    let text = r#"
[home]
password-file = "~/.restic-pass"
cache-dir = "~"
exclude = ["~/tmp", "a~/b", "~ann/x"]
_workdir = "~/src"
_arguments = "~/Documents ~/Pictures"
[home.environ]
RESTIC_CACHE = "~/.cache/restic"
TOKEN_COMMAND = "cat ~/token"
"#;
    assert_snapshot!(
        "home_expansion",
        resolve_one(text, Some("home"), "backup", &[])
    );
}

#[test]
fn arguments_as_string_lines_or_array() {
    let words = resolve_one(
        "[a]\n_arguments = \"/one  /two\t/three\"\n",
        Some("a"),
        "backup",
        &[],
    );
    let lines = resolve_one(
        "[a]\n_arguments = \"\"\"\n/with space/one\n\n  /two\n\"\"\"\n",
        Some("a"),
        "backup",
        &[],
    );
    let array = resolve_one(
        "[a]\n_arguments = [\"/x y\", \"/z\"]\n",
        Some("a"),
        "backup",
        &[],
    );
    assert_snapshot!("arguments", format!("{words}---\n{lines}---\n{array}"));
}

#[test]
fn interpolation_of_config_values_and_environment() {
    let text = r#"
[global]
tags = ["base", "extra"]
base = "/srv"
limit = 42
[global.backup]
exclude-file = "${global.base}/excludes"
["home@"]
password-file = "${XDG_RUNTIME_DIR}/pass"
[home]
repo = "${global.base}/restic-${USER}"
tag = "${global.tags}"
limit-upload = "${global.limit}"
host = "cost-$$5-and-$RECYCLE.BIN-$"
files-from = "${global.backup.exclude-file}"
password-file = "${home@.password-file}"
_pre_hooks = ["echo ${HOME} $$"]
[home.environ]
GREETING = "hi ${USER}"
SECRET_COMMAND = "pass show ${USER}"
[unused]
repo = "${NOT_SET_ANYWHERE}"
"#;
    let cfg = config(&[("config.toml", text)]);
    let vars = env(&[("USER", "ann"), ("XDG_RUNTIME_DIR", "/run/user/1000")]);
    assert_snapshot!(
        "interpolation",
        resolve(&cfg, &request(Some("home"), "backup", &[]), &vars)
    );
}

#[test]
fn environment_sections_and_commands() {
    let text = r#"
[global.environ]
AWS_ACCESS_KEY_ID = "global-id"
B2_ACCOUNT_KEY = "plain-loses"
RESTIC_PASSWORD_COMMAND = "pass show restic"
COUNT = 3
[home.environ]
AWS_ACCESS_KEY_ID = "home-id"
B2_ACCOUNT_KEY_COMMAND = "pass show b2"
[home.backup.environ]
RESTIC_FROM_PASSWORD_COMMAND = "pass show old"
"#;
    assert_snapshot!("environ", resolve_one(text, Some("home"), "backup", &[]));
}

#[test]
fn config_keys_that_are_no_flag_of_the_command_warn() {
    let text = r#"
[home]
repo = "/r"
tagg = ["x"]
exclude = ["y"]
frobnicate = true
"#;
    let backup = resolve_one(text, Some("home"), "backup", &[]);
    let unknown_command = resolve_one(text, Some("home"), "mount", &[]);
    assert_snapshot!(
        "unknown_flag_warnings",
        format!("{backup}---\n{unknown_command}")
    );
}

#[test]
fn argv_is_command_then_sorted_flags_then_arguments() {
    let text = r#"
[home]
_arguments = ["/b", "/a"]
zeta = "z"
alpha = "a"
m = "short"
Beta = true
"#;
    assert_snapshot!("argv_order", resolve_one(text, Some("home"), "backup", &[]));
}

#[test]
fn built_in_restic_data_is_used_by_resolve() {
    let cfg = config(&[("config.toml", "[home]\nverbose = 2\nr = \"/r\"\n")]);
    let req = request(Some("home"), "backup", &["--repo", "/cli", "-vx"]);
    let builtin = cfg.resolve(&req, &env(&[])).expect("resolves");
    let explicit = cfg
        .resolve_with_flags(&req, &env(&[]), &keld_config::FlagData::restic())
        .expect("resolves");
    assert_eq!(builtin, explicit);
    assert_eq!(
        builtin.args(),
        ["backup", "--repo", "/cli", "-v", "-x"],
        "-r and --repo are one flag, verbose counts, -x is a backup switch"
    );
}
