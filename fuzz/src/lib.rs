//! What every fuzz target does with a config once it has one: resolve requests through
//! keld-config's public API and render every error the way keld shows it.
//!
//! A panic anywhere in here is a bug in keld-config: bad input must become an
//! `Err` with a diagnostic, and that diagnostic must render.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use keld_config::{Config, Environment, Error, Request, Source};
use miette::{GraphicalReportHandler, GraphicalTheme};

/// restic commands worth resolving: a backup (hooks, `_arguments`), commands with and
/// without positional arguments, and a word restic does not know.
pub const COMMANDS: [&str; 5] = ["backup", "forget", "snapshots", "check", "nightly"];

/// The environment every target resolves with.
pub fn environment() -> Environment {
    let vars: BTreeMap<String, String> = [
        ("HOME", "/home/fuzz"),
        ("USER", "fuzz"),
        ("B2_ACCOUNT_ID", "0012345"),
        ("EMPTY", ""),
        ("DOLLAR", "$HOME ${USER}"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    Environment {
        vars,
        home: Some("/home/fuzz".into()),
        ..Environment::default()
    }
}

/// Renders `err` as keld prints it; a panic here is a bug (a span outside its source).
pub fn render(err: &Error) -> String {
    let mut out = String::new();
    let _ = write!(out, "{err}");
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor());
    let _ = handler.render_report(&mut out, err);
    out
}

/// Parses `sources`; on success resolves each request (and lists the presets).
/// Returns every rendered diagnostic, for targets that check what errors may say.
pub fn exercise(sources: Vec<Source>, requests: &[Request]) -> Vec<String> {
    let env = environment();
    let mut rendered = Vec::new();
    let config = match Config::from_sources(sources) {
        Ok(config) => config,
        Err(err) => {
            rendered.push(render(&err));
            return rendered;
        }
    };
    let presets = config.presets();
    for request in requests {
        match config.resolve(request, &env) {
            Ok(resolved) => {
                let args = resolved.args();
                assert!(!args.is_empty(), "resolved args lack the command");
                let _ = resolved.active_pre_hooks();
                let _ = resolved.active_post_hooks();
                for flag in &resolved.flags {
                    let _ = flag.argv();
                }
                for warning in &resolved.warnings {
                    let _ = format!("{warning:?}");
                }
            }
            Err(err) => rendered.push(render(&err)),
        }
    }
    // The picker lists presets by name: each listed runnable name must resolve or
    // fail cleanly, never panic.
    for info in presets.all().take(8) {
        let request = Request {
            preset: Some(info.name.clone()),
            command: "backup".to_owned(),
            args: Vec::new(),
        };
        if let Err(err) = config.resolve(&request, &env) {
            rendered.push(render(&err));
        }
    }
    rendered
}

/// Requests for every command, without a preset and with each of `presets`.
pub fn requests_for(presets: &[&str], args: &[String]) -> Vec<Request> {
    let mut requests = Vec::new();
    for command in COMMANDS {
        requests.push(Request {
            preset: None,
            command: command.to_owned(),
            args: args.to_vec(),
        });
        for preset in presets {
            requests.push(Request {
                preset: Some((*preset).to_owned()),
                command: command.to_owned(),
                args: args.to_vec(),
            });
        }
    }
    requests
}
