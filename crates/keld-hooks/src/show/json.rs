//! The `--json` form of `--show-command`, for scripts and other tools.
//!
//! The top-level keys are the same with and without `--verbose`; `--verbose` adds one
//! `provenance` object, so a script written against the short form keeps working.
//! Values are exact; every control character is a JSON escape, those `serde_json`
//! leaves raw included ([`keld_config::terminal::json`]).

use keld_config::{Origin, Overridden, REDACTED, RedactedSetting, ShownValue};
use serde_json::{Value, json};

use super::View;

pub(super) fn render(view: &View, verbose: bool) -> String {
    crate::json::pretty_json(&document(view, verbose))
}

/// The JSON document of one resolution.
pub(super) fn document(view: &View, verbose: bool) -> Value {
    let resolved = &view.redacted;
    let environment: Vec<Value> = resolved
        .environ
        .iter()
        .map(|var| match &var.value {
            ShownValue::Literal(value) => json!({ "name": var.name, "value": value }),
            ShownValue::Redacted => {
                json!({ "name": var.name, "value": REDACTED, "redacted": true })
            }
            ShownValue::Command(command) => json!({ "name": var.name, "command": command }),
        })
        .collect();
    let mut document = json!({
        "preset": resolved.preset,
        "typed_command": resolved.typed_command,
        "command": resolved.command,
        "config_files": resolved.files,
        "sections": resolved.sections,
        "workdir": resolved.workdir.as_ref().map(|setting| &setting.value),
        "environment": environment,
        "pre_hooks": view.active_hooks(true),
        "post_hooks": view.active_hooks(false),
        "argv": view.argv,
        "shell": view.shell_line(),
    });
    let rows = resolved.operations.rows();
    if !rows.is_empty() {
        // Only when a key resolved, so the output of configs without them stays as it was.
        document["operations"] = operations(&resolved.operations);
    }
    if verbose {
        document["provenance"] = provenance(view);
        if !rows.is_empty() {
            let rows: Vec<Value> = rows
                .iter()
                .map(|row| {
                    json!({
                        "key": row.key,
                        "origin": origin(&row.origin),
                        "overridden": overridden(&row.overridden),
                    })
                })
                .collect();
            document["provenance"]["operations"] = Value::Array(rows);
        }
    }
    document
}

/// The keys for unattended operation that resolved, by name without the `_`.
fn operations(ops: &keld_config::RedactedOperations) -> Value {
    let value = |setting: Option<Value>| setting.unwrap_or(Value::Null);
    let all = json!({
        "lock": value(ops.lock.as_ref().map(|s| json!(s.value))),
        "lock_wait": value(ops.lock_wait.as_ref().map(|s| json!(s.value))),
        "success_exit_codes": value(ops.success_exit_codes.as_ref().map(|s| json!(s.value))),
        "hook_timeout": value(ops.hook_timeout.as_ref().map(|s| json!(s.value))),
        "metrics_dir": value(ops.metrics_dir.as_ref().map(|s| json!(s.value))),
        "healthchecks": value(ops.healthchecks.as_ref().map(|s| json!(s.value))),
        "ntfy": value(ops.ntfy.as_ref().map(|s| json!(s.value))),
        "webhook": value(ops.webhook.as_ref().map(|s| json!(s.value))),
        "schedule": value(ops.schedule.as_ref().map(|s| json!(s.value))),
        "schedule_delay": value(ops.schedule_delay.as_ref().map(|s| json!(s.value))),
    });
    match all {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

fn provenance(view: &View) -> Value {
    let resolved = &view.redacted;
    let flags: Vec<Value> = resolved
        .flags
        .iter()
        .map(|flag| {
            json!({
                "key": flag.key,
                "argv": flag.argv,
                "origin": origin(&flag.origin),
                "overridden": overridden(&flag.overridden),
            })
        })
        .collect();
    let environment: Vec<Value> = resolved
        .environ
        .iter()
        .map(|var| {
            json!({
                "name": var.name,
                "origin": origin(&var.origin),
                "overridden": overridden(&var.overridden),
            })
        })
        .collect();
    json!({
        "flags": flags,
        "arguments": resolved.arguments.as_ref().map(setting),
        "workdir": resolved.workdir.as_ref().map(setting),
        "environment": environment,
        "pre_hooks": resolved.pre_hooks.as_ref().map(setting),
        "post_hooks": resolved.post_hooks.as_ref().map(setting),
        "hooks_apply": view.hooks_run(),
    })
}

fn setting<T: serde::Serialize>(setting: &RedactedSetting<T>) -> Value {
    json!({
        "value": setting.value,
        "origin": origin(&setting.origin),
        "overridden": overridden(&setting.overridden),
    })
}

fn overridden(items: &[Overridden]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|old| json!({ "value": old.value, "origin": origin(&old.origin) }))
            .collect(),
    )
}

/// `{"file": ..., "line": ..., "column": ..., "section": ...}` or `{"argument": N}`.
fn origin(origin: &Origin) -> Value {
    match origin {
        Origin::File {
            path,
            line,
            column,
            section,
        } => json!({ "file": path, "line": line, "column": column, "section": section }),
        Origin::CommandLine { index } => json!({ "command_line_argument": index + 1 }),
    }
}
