//! A readable rendering of resolutions and diagnostics for snapshots.

use std::fmt::Write as _;
use std::path::Path;

use keld_config::{
    Config, EnvValue, Environment, Error, Flag, FlagValue, Origin, Overridden, Request,
    ResolvedConfig, Setting, Source,
};

use crate::catalog;

/// In-memory files named `/cfg/<name>`.
pub(crate) fn config(files: &[(&str, &str)]) -> Config {
    try_config(files).unwrap_or_else(|error| panic!("config should load: {}", report(&error)))
}

pub(crate) fn try_config(files: &[(&str, &str)]) -> Result<Config, Error> {
    Config::from_sources(files.iter().map(|(name, text)| Source {
        path: format!("/cfg/{name}").into(),
        text: (*text).to_owned(),
    }))
}

/// An environment with HOME `/home/ann` and the given variables.
pub(crate) fn env(vars: &[(&str, &str)]) -> Environment {
    Environment {
        vars: vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        home: Some("/home/ann".into()),
        ..Environment::default()
    }
}

pub(crate) fn request(preset: Option<&str>, command: &str, args: &[&str]) -> Request {
    Request {
        preset: preset.map(str::to_owned),
        command: command.to_owned(),
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
    }
}

/// Resolves with the fixed test flag table and renders the result.
pub(crate) fn resolve(config: &Config, request: &Request, env: &Environment) -> String {
    match config.resolve_with_flags(request, env, &catalog::flags()) {
        Ok(resolved) => render(&resolved),
        Err(error) => format!("error: {}", report(&error)),
    }
}

/// Shortcut: one file `/cfg/config.toml`, no environment variables.
pub(crate) fn resolve_one(
    text: &str,
    preset: Option<&str>,
    command: &str,
    args: &[&str],
) -> String {
    resolve(
        &config(&[("config.toml", text)]),
        &request(preset, command, args),
        &env(&[]),
    )
}

fn origin(origin: &Origin) -> String {
    match origin {
        Origin::File {
            path,
            line,
            column,
            section,
        } => format!("{}:{line}:{column} [{section}]", path.display()),
        Origin::CommandLine { index } => format!("command line #{index}"),
    }
}

fn overridden(out: &mut String, list: &[Overridden]) {
    for entry in list {
        let _ = writeln!(
            out,
            "      over {} = {}",
            origin(&entry.origin),
            entry.value
        );
    }
}

fn flag_value(flag: &Flag) -> String {
    match &flag.value {
        FlagValue::Switch => "switch".to_owned(),
        FlagValue::Count(times) => format!("count {times}"),
        FlagValue::Values(values) => format!("values {values:?}"),
        FlagValue::Attached(value) => format!("attached {value:?}"),
    }
}

fn setting<T>(
    out: &mut String,
    name: &str,
    setting: Option<&Setting<T>>,
    show: impl Fn(&T) -> String,
) {
    if let Some(setting) = setting {
        let _ = writeln!(out, "{name}: {}", show(&setting.value));
        let _ = writeln!(out, "      from {}", origin(&setting.origin));
        overridden(out, &setting.overridden);
    }
}

/// argv, then one block per part with its provenance.
pub(crate) fn render(resolved: &ResolvedConfig) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "argv: {}", resolved.args().join(" "));
    let _ = writeln!(
        out,
        "preset: {}  command: {} (typed {})",
        resolved.preset.as_deref().unwrap_or("-"),
        resolved.command,
        resolved.typed_command
    );
    let _ = writeln!(out, "sections: {}", resolved.sections.join(", "));
    for flag in &resolved.flags {
        let _ = writeln!(out, "flag {}: {}", flag.spelling(), flag_value(flag));
        let _ = writeln!(out, "      from {}", origin(&flag.origin));
        overridden(&mut out, &flag.overridden);
    }
    setting(&mut out, "arguments", resolved.arguments.as_ref(), |v| {
        format!("{v:?}")
    });
    setting(
        &mut out,
        "workdir",
        resolved.workdir.as_ref(),
        |v: &std::path::PathBuf| v.display().to_string(),
    );
    for var in &resolved.environ {
        let value = match &var.value {
            EnvValue::Literal(text) => format!("literal {text:?}"),
            EnvValue::Command(text) => format!("command {text:?}"),
        };
        let _ = writeln!(out, "env {}: {value}", var.name);
        let _ = writeln!(out, "      from {}", origin(&var.origin));
        overridden(&mut out, &var.overridden);
    }
    setting(&mut out, "pre-hooks", resolved.pre_hooks.as_ref(), |v| {
        format!("{v:?}")
    });
    setting(&mut out, "post-hooks", resolved.post_hooks.as_ref(), |v| {
        format!("{v:?}")
    });
    for warning in &resolved.warnings {
        let _ = writeln!(
            out,
            "warning: {} ({}) at {}",
            warning.message,
            warning.help.as_deref().unwrap_or("-"),
            warning
                .origin
                .as_ref()
                .map_or_else(|| "-".to_owned(), origin)
        );
    }
    out
}

/// A diagnostic rendered without colour or unicode, lines not wrapped: how miette
/// wraps depends on textwrap's features, which differ between `cargo test -p
/// keld-config` and `cargo test --workspace`.
pub(crate) fn report(error: &Error) -> String {
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none())
        .with_width(100)
        .with_wrap_lines(false)
        .with_links(false);
    let mut out = String::new();
    handler
        .render_report(&mut out, error)
        .expect("rendering into a String cannot fail");
    out
}

/// Replaces a temporary directory with `[TMP]`.
pub(crate) fn redact(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "[TMP]")
}
