//! Secret values never reach a diagnostic, an error message, provenance or `Debug`.
//!
//! Every case puts a marker value where a secret would be and renders the error
//! every way a user or a log could see it.

use insta::assert_snapshot;
use keld_config::{Config, EnvValue, Error, Source};

use crate::render::{config, env, report, request, try_config};

/// Stands for a password in every file below.
const MARKER: &str = "MARKER-s3cr3t-1234";
/// Stands for a secret written as a bare number.
const NUMBER: &str = "4242424242";

/// Every text form of an error: graphical and narrated reports, `Display`, `Debug`.
fn all_forms(error: &Error) -> String {
    let mut narrated = String::new();
    miette::NarratableReportHandler::new()
        .render_report(&mut narrated, error)
        .expect("rendering into a String cannot fail");
    format!("{}\n{narrated}\n{error}\n{error:?}", report(error))
}

/// Asserts no form of `error` shows a secret, and returns the graphical report.
fn shown_without_secrets(error: &Error) -> String {
    let forms = all_forms(error);
    assert!(!forms.contains(MARKER), "the marker leaked:\n{forms}");
    assert!(!forms.contains(NUMBER), "the number leaked:\n{forms}");
    assert!(
        !forms.contains("s3cr3t"),
        "part of the marker leaked:\n{forms}"
    );
    report(error)
}

fn load_error(text: &str) -> Error {
    try_config(&[("config.toml", text)]).expect_err("the file must be rejected")
}

fn resolve_error(text: &str) -> Error {
    config(&[("config.toml", text)])
        .resolve_with_flags(
            &request(Some("home"), "backup", &[]),
            &env(&[]),
            &crate::catalog::flags(),
        )
        .expect_err("resolution must fail")
}

/// Renders several cases into one snapshot, checking each for leaks.
fn cases(errors: impl IntoIterator<Item = Error>) -> String {
    errors
        .into_iter()
        .map(|error| shown_without_secrets(&error))
        .collect::<Vec<_>>()
        .join("---\n")
}

#[test]
fn syntax_errors_on_and_next_to_a_secret() {
    let unterminated = load_error(&format!("[home.environ]\nRESTIC_PASSWORD = \"{MARKER}\n"));
    assert!(matches!(unterminated, Error::Syntax { .. }));
    let literal = load_error(&format!(
        "[home]\nrepo = \"/srv\"\n[home.environ]\nB2_ACCOUNT_KEY = '{MARKER}' oops\n"
    ));
    let neighbour = load_error(&format!(
        "[home.environ]\nAWS_SECRET_ACCESS_KEY = {NUMBER}\nRESTIC_PASSWORD = \"{MARKER}\"\n[home\n"
    ));
    let multi_line = load_error(&format!(
        "[home.environ]\nRESTIC_PASSWORD = \"\"\"\n{MARKER}\n{MARKER}\"\"\" = 1\n"
    ));
    let multi_byte = load_error(&format!(
        "[home.environ]\nRESTIC_PASSWORD = \"{MARKER}-pässwörd\" x\n"
    ));
    let unquoted = load_error(&format!(
        "[home]\nrepo = \"/srv\"\napi-key = {MARKER} {MARKER} # forgot the quotes\n"
    ));
    assert_snapshot!(
        "secret_syntax",
        cases([
            unterminated,
            literal,
            neighbour,
            multi_line,
            multi_byte,
            unquoted
        ])
    );
}

#[test]
fn structural_errors_next_to_a_secret() {
    let duplicate = load_error(&format!(
        "[home.environ]\nRESTIC_PASSWORD = \"{MARKER}\"\nRESTIC_PASSWORD = \"{MARKER}\"\n"
    ));
    assert!(matches!(duplicate, Error::DuplicateKey { .. }));
    let array = load_error(&format!(
        "[home.environ]\nRESTIC_PASSWORD = [\"{MARKER}\", \"{MARKER}\"]\n"
    ));
    assert!(matches!(array, Error::UnsupportedValue { .. }));
    let date = load_error(&format!(
        "[home.environ]\nAWS_SECRET_ACCESS_KEY = {NUMBER}\nWHEN = 2024-01-01\n"
    ));
    let inline = load_error(&format!(
        "[home]\nenviron = {{ RESTIC_PASSWORD = \"{MARKER}\", GITHUB_TOKEN = {NUMBER} }}\n"
    ));
    let outside = load_error(&format!("RESTIC_PASSWORD = \"{MARKER}\"\n[home]\n"));
    assert!(matches!(outside, Error::OutsideSection { .. }));
    let special = load_error(&format!("[home]\napi-token = \"{MARKER}\"\n_bogus = 1\n"));
    assert!(matches!(special, Error::UnknownSpecialKey { .. }));
    let nested = load_error(&format!(
        "[home.environ.more]\nRESTIC_PASSWORD = \"{MARKER}\"\n"
    ));
    assert!(matches!(nested, Error::NestedTooDeep { .. }));
    let name = load_error(&format!(
        "[\"a@b@c\".environ]\nRESTIC_PASSWORD = \"{MARKER}\"\n"
    ));
    assert!(matches!(name, Error::InvalidSectionName { .. }));
    assert_snapshot!(
        "secret_structure",
        cases([
            duplicate, array, date, inline, outside, special, nested, name
        ])
    );
}

#[test]
fn reference_errors_inside_and_next_to_a_secret() {
    let missing = resolve_error(&format!(
        "[home.environ]\nRESTIC_PASSWORD = \"{MARKER}${{{MARKER}.x}}\"\n"
    ));
    assert!(matches!(missing, Error::MissingReference { .. }));
    let unset = resolve_error(&format!(
        "[home.environ]\nRESTIC_PASSWORD = \"${{{MARKER}}}\"\n"
    ));
    match &unset {
        Error::UnsetVariable { name, .. } => assert_eq!(name, &"*".repeat(MARKER.len())),
        other => panic!("expected UnsetVariable, got {other:?}"),
    }
    let unterminated = resolve_error(&format!(
        "[home.environ]\nRESTIC_PASSWORD = \"{MARKER}${{{MARKER}\"\n"
    ));
    assert!(matches!(unterminated, Error::InvalidReference { .. }));
    let cycle = resolve_error(&format!(
        "[global]\na = \"${{home.repo}}\"\n[home]\nrepo = \"${{global.a}}\"\n[home.environ]\nRESTIC_PASSWORD = \"{MARKER}\"\n"
    ));
    assert!(matches!(cycle, Error::ReferenceCycle { .. }));
    let count = resolve_error(&format!(
        "[home]\nverbose = -1\naccess-key = \"{MARKER}\"\n"
    ));
    assert!(matches!(count, Error::UnsupportedValue { .. }));
    assert_snapshot!(
        "secret_references",
        cases([missing, unset, unterminated, cycle, count])
    );
}

#[test]
fn an_unset_variable_is_named_even_in_a_secret() {
    // The name of a variable is not the secret; the value around it stays masked.
    let error = resolve_error(&format!(
        "[home.environ]\nRESTIC_PASSWORD = \"{MARKER}${{NOPE}}\"\n"
    ));
    match &error {
        Error::UnsetVariable { name, .. } => assert_eq!(name, "NOPE"),
        other => panic!("expected UnsetVariable, got {other:?}"),
    }
    let out = shown_without_secrets(&error);
    assert!(
        out.contains("environment variable NOPE is not set"),
        "{out}"
    );
    assert_snapshot!("secret_unset_variable_named", out);
}

#[test]
fn url_passwords_are_masked_in_any_value() {
    let missing = resolve_error(&format!(
        "[home]\nrepo = \"rest:https://u:{MARKER}@h/${{home.nope}}\"\n"
    ));
    assert!(
        matches!(missing, Error::MissingReference { .. }),
        "{missing:?}"
    );
    let syntax = load_error(&format!(
        "[home]\nrepo = \"rest:https://u:{MARKER}@h/\"\nx = = 1\n"
    ));
    assert!(matches!(syntax, Error::Syntax { .. }), "{syntax:?}");
    let array = load_error(&format!(
        "[home]\n_arguments = [\"s3:https://k:{MARKER}@h/b\"]\n_nope = 1\n"
    ));
    assert!(
        matches!(array, Error::UnknownSpecialKey { .. }),
        "{array:?}"
    );
    assert_snapshot!("secret_url_passwords", cases([missing, syntax, array]));
}

#[test]
fn azure_sas_is_secret() {
    let error = load_error(&format!(
        "[home.environ]\nAZURE_ACCOUNT_SAS = \"{MARKER}\"\nx = = 1\n"
    ));
    assert_snapshot!("secret_azure_sas", cases([error]));
}

#[test]
fn a_reference_outside_secrets_is_still_named() {
    let error = resolve_error("[home.environ]\nRESTIC_REPOSITORY = \"${HOST_NAME}\"\n");
    assert!(
        error
            .to_string()
            .contains("environment variable HOST_NAME is not set"),
        "{error}"
    );
}

#[test]
fn open_values_stay_readable() {
    // Commands, file names, key ids and switches are not secrets; nor is any other line.
    let text = "[home]\n\
                password-file = \"/etc/keld/pass\"\n\
                key-hint = \"abc123\"\n\
                insecure-no-password = true\n\
                repo = \"/srv/restic\"\n\
                [home.environ]\n\
                RESTIC_PASSWORD_COMMAND = \"pass show restic\"\n\
                RESTIC_PASSWORD_FILE = \"/etc/keld/pass\"\n\
                RESTIC_REPOSITORY = \"s3:host/bucket\"\n\
                [home.backup]\n\
                _bogus = 1\n";
    let error = load_error(text);
    let Error::UnknownSpecialKey { src, .. } = &error else {
        panic!("expected UnknownSpecialKey, got {error:?}");
    };
    assert_eq!(src.text(), text, "nothing here is secret");
    // The whole file as context: every line is shown as written.
    let mut rendered = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none())
        .with_context_lines(20)
        .render_report(&mut rendered, &error)
        .expect("rendering into a String cannot fail");
    for line in text.lines() {
        assert!(rendered.contains(line), "{line:?} missing from\n{rendered}");
    }
    assert!(rendered.contains("RESTIC_REPOSITORY = \"s3:host/bucket\""));
    assert!(rendered.contains("RESTIC_PASSWORD_FILE = \"/etc/keld/pass\""));
}

#[test]
fn the_shown_text_masks_only_secret_values() {
    let text = format!(
        "[home]\nrepo = \"/srv\" # {MARKER} in a comment is the user's own business\n\
         [home.environ]\nRESTIC_PASSWORD = \"{MARKER}\" # keep\nRESTIC_REPOSITORY = \"/srv\"\n[home.backup]\n_bogus = 1\n"
    );
    let error = load_error(&text);
    let Error::UnknownSpecialKey { src, .. } = &error else {
        panic!("expected UnknownSpecialKey, got {error:?}");
    };
    let stars = "*".repeat(MARKER.len());
    let expected = text.replace(
        &format!("\"{MARKER}\" # keep"),
        &format!("\"{stars}\" # keep"),
    );
    assert_eq!(src.text(), expected);
    assert_eq!(src.text().len(), text.len());
}

#[test]
fn overridden_secret_values_are_masked_but_the_value_is_kept() {
    let cfg = config(&[
        (
            "base.toml",
            &format!("[global.environ]\nRESTIC_PASSWORD = \"{MARKER}-old\"\nHOST = \"a\"\n"),
        ),
        (
            "user.toml",
            &format!("[home.environ]\nRESTIC_PASSWORD = \"{MARKER}\"\nHOST = \"b\"\n"),
        ),
    ]);
    let resolved = cfg
        .resolve_with_flags(
            &request(Some("home"), "backup", &[]),
            &env(&[]),
            &crate::catalog::flags(),
        )
        .expect("the config resolves");
    let password = resolved
        .environ
        .iter()
        .find(|var| var.name == "RESTIC_PASSWORD")
        .expect("RESTIC_PASSWORD is set");
    // restic needs the real value; only the shown provenance is masked.
    assert_eq!(password.value, EnvValue::Literal(MARKER.to_owned()));
    let old: Vec<&str> = password
        .overridden
        .iter()
        .map(|old| old.value.as_str())
        .collect();
    assert_eq!(old, [format!("\"{}\"", "*".repeat(MARKER.len() + 4))]);
    let host = resolved.environ.iter().find(|var| var.name == "HOST");
    let host_old: Vec<&str> = host
        .expect("HOST is set")
        .overridden
        .iter()
        .map(|old| old.value.as_str())
        .collect();
    assert_eq!(host_old, ["\"a\""], "non-secret provenance is unchanged");
}

#[test]
fn debug_output_shows_no_file_text() {
    let source = Source {
        path: "/cfg/config.toml".into(),
        text: format!("[home.environ]\nRESTIC_PASSWORD = \"{MARKER}\"\n"),
    };
    let debug = format!("{source:?}");
    assert!(!debug.contains(MARKER), "{debug}");
    assert!(debug.contains("/cfg/config.toml"), "{debug}");
    let cfg = Config::from_sources([source]).expect("the config loads");
    let debug = format!("{cfg:?} {cfg:#?}");
    assert!(!debug.contains(MARKER), "{debug}");
    assert!(debug.contains("home"), "{debug}");
}

#[test]
fn debug_of_resolved_types_hides_secret_values() {
    let cfg = config(&[
        (
            "base.toml",
            &format!(
                "[global]\napi-token = \"{MARKER}-flag-old\"\n\
                 [global.environ]\nRESTIC_PASSWORD = \"{MARKER}-old\"\nAWS_SECRET_ACCESS_KEY = {NUMBER}\n"
            ),
        ),
        (
            "user.toml",
            &format!(
                "[home]\napi-token = \"{MARKER}-flag\"\ntag = [\"daily\"]\n\
                 [home.environ]\nRESTIC_PASSWORD = \"{MARKER}\"\nHOST = \"visible-host\"\n\
                 B2_ACCOUNT_KEY_COMMAND = \"pass show b2\"\n"
            ),
        ),
    ]);
    let resolved = cfg
        .resolve_with_flags(
            &request(Some("home"), "backup", &["/data"]),
            &env(&[]),
            &crate::catalog::flags(),
        )
        .expect("the config resolves");
    // The values are there for restic...
    let password = resolved
        .environ
        .iter()
        .find(|var| var.name == "RESTIC_PASSWORD");
    assert_eq!(
        password.map(|var| &var.value),
        Some(&EnvValue::Literal(MARKER.to_owned()))
    );
    assert!(
        resolved
            .args()
            .iter()
            .any(|arg| arg == &format!("{MARKER}-flag"))
    );
    // ...and no Debug form of any resolved type shows them.
    let mut forms = vec![format!("{resolved:?}"), format!("{resolved:#?}")];
    forms.extend(resolved.environ.iter().map(|var| format!("{var:?}")));
    forms.extend(resolved.flags.iter().map(|flag| format!("{flag:#?}")));
    for var in &resolved.environ {
        forms.extend(var.overridden.iter().map(|old| format!("{old:?}")));
    }
    forms.push(format!("{:?}", resolved.arguments));
    for form in &forms {
        assert!(!form.contains("s3cr3t"), "a secret leaked: {form}");
        assert!(!form.contains(NUMBER), "a secret number leaked: {form}");
    }
    let debug = format!("{resolved:?}");
    // What is not secret stays useful.
    for visible in [
        "visible-host",
        "pass show b2",
        "daily",
        "/data",
        "<redacted>",
        "api-token",
    ] {
        assert!(debug.contains(visible), "{visible} missing from {debug}");
    }
}
