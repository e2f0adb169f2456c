//! The rendered diagnostic of every error kind.

use insta::assert_snapshot;
use keld_config::Error;

use crate::render::{config, env, report, request, try_config};

/// Loads one file; the error it must produce, rendered.
fn load_error(text: &str) -> (Error, String) {
    let error = try_config(&[("config.toml", text)]).expect_err("the file must be rejected");
    let rendered = report(&error);
    (error, rendered)
}

/// Resolves `preset`/`command` in a valid file; the error it must produce, rendered.
fn resolve_error(text: &str, preset: Option<&str>, command: &str) -> (Error, String) {
    let cfg = config(&[("config.toml", text)]);
    let vars = env(&[("USER", "ann")]);
    let error = cfg
        .resolve_with_flags(
            &request(preset, command, &[]),
            &vars,
            &crate::catalog::flags(),
        )
        .expect_err("resolution must fail");
    let rendered = report(&error);
    (error, rendered)
}

#[test]
fn syntax_error() {
    let (error, out) = load_error("[home]\nrepo = \"/srv\n");
    assert!(matches!(error, Error::Syntax { .. }));
    assert_snapshot!("diag_syntax", out);
}

#[test]
fn duplicate_key() {
    let (error, out) = load_error("[home]\nrepo = \"/a\"\ntag = [\"x\"]\nrepo = \"/b\"\n");
    assert!(matches!(&error, Error::DuplicateKey { key, .. } if key == "repo"));
    let (error, table) = load_error("[home]\nrepo = \"/a\"\n\n[home]\ntag = [\"x\"]\n");
    assert!(matches!(error, Error::DuplicateKey { .. }), "{error:?}");
    let (error, value_then_table) =
        load_error("[home]\nbackup = \"x\"\n[home.backup]\ntag = [\"x\"]\n");
    assert!(matches!(error, Error::DuplicateKey { .. }), "{error:?}");
    assert_snapshot!(
        "diag_duplicate_key",
        format!("{out}---\n{table}---\n{value_then_table}")
    );
}

#[test]
fn unsupported_value_types() {
    let cases = [
        "[home]\nexclude = { pattern = \"x\" }\n",
        "[home]\nsince = 2024-01-01T00:00:00Z\n",
        "[home]\ntag = [[\"a\"], [\"b\"]]\n",
        "[home]\ntag = [\"a\", 1]\n",
        "[home]\nflags = [true, false]\n",
        "[[home]]\nrepo = \"/a\"\n",
        "[home.environ]\nLIST = [\"a\"]\n",
        "[home]\n_pre_hooks = \"echo one\"\n",
        "[home]\n_workdir = 5\n",
        "[home]\nenviron = { FOO = \"x\" }\n",
    ];
    let mut out = String::new();
    for text in cases {
        let (error, rendered) = load_error(text);
        assert!(
            matches!(error, Error::UnsupportedValue { .. }),
            "{text}: {error:?}"
        );
        out.push_str(&rendered);
        out.push_str("---\n");
    }
    assert_snapshot!("diag_unsupported_values", out);
}

#[test]
fn key_outside_any_section() {
    let (error, out) = load_error("repo = \"/srv\"\n[home]\n");
    assert!(matches!(error, Error::OutsideSection { .. }));
    assert_snapshot!("diag_outside_section", out);
}

#[test]
fn unknown_special_key_suggests_the_nearest() {
    let (error, near) = load_error("[home.backup]\n_argumnets = [\"/a\"]\n");
    assert!(matches!(&error, Error::UnknownSpecialKey { key, .. } if key == "_argumnets"));
    let (_, far) = load_error("[home]\n_zzz = 1\n");
    assert_snapshot!("diag_unknown_special_key", format!("{near}---\n{far}"));
}

#[test]
fn table_nested_too_deep() {
    let (error, out) = load_error("[home.backup.extra]\nrepo = \"/a\"\n");
    assert!(matches!(&error, Error::NestedTooDeep { table, .. } if table == "home.backup.extra"));
    let (_, environ) = load_error("[home.environ.more]\nA = \"1\"\n");
    assert_snapshot!("diag_nested_too_deep", format!("{out}---\n{environ}"));
}

#[test]
fn invalid_preset_names() {
    let (error, in_file) = load_error("[\"a@b@c\"]\nrepo = \"/a\"\n");
    assert!(matches!(error, Error::InvalidSectionName { .. }));
    let (_, empty) = load_error("[\"\"]\nrepo = \"/a\"\n");
    let (error, flag) = resolve_error("[home]\n", Some("x@y@z"), "backup");
    assert!(matches!(error, Error::InvalidPresetName { .. }));
    let (_, blank) = resolve_error("[home]\n", Some(""), "backup");
    assert_snapshot!(
        "diag_invalid_preset_name",
        format!("{in_file}---\n{empty}---\n{flag}---\n{blank}")
    );
}

#[test]
fn missing_reference_points_at_it() {
    let text = "[global]\nbase = \"/srv\"\n[home]\nrepo = \"${global.bsae}/restic\"\ntag = \"${nowhere.key}\"\n";
    let (error, near) = resolve_error(text, Some("home"), "backup");
    assert!(
        matches!(&error, Error::MissingReference { reference, .. } if reference == "global.bsae")
    );
    let text = "[home]\ntag = \"${nowhere.key}\"\n";
    let (_, no_section) = resolve_error(text, Some("home"), "backup");
    assert_snapshot!("diag_missing_reference", format!("{near}---\n{no_section}"));
}

#[test]
fn reference_cycle_is_reported() {
    let text = "[global]\na = \"${home.repo}\"\n[home]\nrepo = \"x-${global.a}\"\n";
    let (error, out) = resolve_error(text, Some("home"), "backup");
    assert!(matches!(error, Error::ReferenceCycle { .. }), "{error:?}");
    assert_snapshot!("diag_reference_cycle", out);
}

#[test]
fn unset_environment_variable() {
    let (error, out) = resolve_error(
        "[home]\nrepo = \"/srv/${RESTIC_HOST}/r\"\n",
        Some("home"),
        "backup",
    );
    assert!(matches!(&error, Error::UnsetVariable { name, .. } if name == "RESTIC_HOST"));
    assert_snapshot!("diag_unset_variable", out);
}

#[test]
fn malformed_references() {
    let (error, unterminated) =
        resolve_error("[home]\nrepo = \"/srv/${USER\"\n", Some("home"), "backup");
    assert!(matches!(error, Error::InvalidReference { .. }));
    let (_, empty) = resolve_error("[home]\nrepo = \"/srv/${}\"\n", Some("home"), "backup");
    let (_, array) = resolve_error(
        "[global]\nlist = [\"a\"]\n[home]\nrepo = \"/srv/${global.list}\"\n",
        Some("home"),
        "backup",
    );
    assert_snapshot!(
        "diag_invalid_reference",
        format!("{unterminated}---\n{empty}---\n{array}")
    );
}

#[test]
fn negative_count() {
    let (error, out) = resolve_error("[home]\nverbose = -1\n", Some("home"), "backup");
    assert!(matches!(error, Error::UnsupportedValue { .. }));
    assert_snapshot!("diag_negative_count", out);

    // Found by fuzzing: a count this large used to abort on a 70 GB allocation.
    let (error, out) = resolve_error("[home]\nverbose = 2936014754\n", Some("home"), "backup");
    assert!(matches!(error, Error::UnsupportedValue { .. }), "{out}");
    assert!(out.contains("above 100"), "{out}");
}

#[test]
fn preset_required_and_unknown_preset() {
    let text = "[home]\n[work]\n[\"@cloud\"]\n[\"laptop@\"]\n";
    let (error, required) = resolve_error(text, None, "backup");
    match &error {
        Error::PresetRequired { presets, total } => {
            assert_eq!(presets, &["home", "laptop@cloud", "work"]);
            assert_eq!(*total, 3);
        }
        other => panic!("expected PresetRequired, got {other:?}"),
    }
    let (error, unknown) = resolve_error(text, Some("hom"), "backup");
    match &error {
        Error::UnknownPreset { name, known } => {
            assert_eq!(name, "hom");
            assert_eq!(known.first().map(String::as_str), Some("home"));
        }
        other => panic!("expected UnknownPreset, got {other:?}"),
    }
    let (_, far) = resolve_error(text, Some("zzz"), "backup");
    let (_, none) = resolve_error("[global]\n", Some("home"), "backup");
    assert_snapshot!(
        "diag_presets",
        format!("{required}---\n{unknown}---\n{far}---\n{none}")
    );
}

#[test]
fn errors_name_the_file_line_and_column_in_their_message() {
    let (error, _) = load_error("[home]\n\n  _bogus = 1\n");
    assert_eq!(
        error.to_string(),
        "/cfg/config.toml:3:3: unknown keld key \"_bogus\""
    );
}
