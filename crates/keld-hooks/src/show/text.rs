//! The plain and provenance (`--verbose`) text forms of `--show-command`.

use std::fmt::Write as _;

use keld_config::{Origin, Overridden, RedactedSetting, shell};

use super::View;

const NONE: &str = "(none)";

/// Origin comments line up, except after a value longer than this: one long value
/// should not push every comment off the screen.
const MAX_ALIGN: usize = 48;

/// The plain form: what runs, without where each value came from.
pub(super) fn plain(view: &View) -> String {
    let resolved = &view.redacted;
    let mut out = String::new();
    header(&mut out, view);
    match &resolved.workdir {
        Some(dir) => line(&mut out, &format!("workdir: {}", path(&dir.value))),
        None => line(&mut out, "workdir: (current directory)"),
    }
    list(
        &mut out,
        "environment",
        resolved
            .environ
            .iter()
            .map(|var| format!("{}={}", shell::display(&var.name), var.value.display())),
    );
    for (title, hooks) in [
        ("pre-hooks", view.active_hooks(true)),
        ("post-hooks", view.active_hooks(false)),
    ] {
        if !hooks.is_empty() {
            list(
                &mut out,
                title,
                hooks.iter().map(|hook| shell::display(hook)),
            );
        }
    }
    for row in resolved.operations.rows() {
        line(&mut out, &format!("{}: {}", row.key, row.shown));
    }
    line(&mut out, &format!("command: {}", view.shell_line()));
    out
}

/// The provenance form: every value with its file:line:column and section, and the
/// values it overrode (model: `jj config list --include-overridden`,
/// `cargo config get --show-origin`).
pub(super) fn verbose(view: &View) -> String {
    let resolved = &view.redacted;
    let mut out = String::new();
    header(&mut out, view);

    let mut flags = Block::default();
    for flag in &resolved.flags {
        flags.entry(shell::join(&flag.argv), &flag.origin);
        flags.overridden_all(&flag.overridden);
    }
    flags.write(&mut out, "flags");

    let mut arguments = Block::default();
    if let Some(setting) = &resolved.arguments {
        let shown = if setting.value.is_empty() {
            "(cleared)".to_owned()
        } else {
            shell::join(&setting.value)
        };
        arguments.setting(shown, setting);
    }
    arguments.write(&mut out, "arguments");

    match &resolved.workdir {
        Some(setting) => {
            let mut workdir = Block::default();
            workdir.setting(path(&setting.value), setting);
            workdir.write(&mut out, "workdir");
        }
        None => line(&mut out, "workdir: (current directory)"),
    }

    let mut environment = Block::default();
    for var in &resolved.environ {
        environment.entry(
            format!("{}={}", shell::display(&var.name), var.value.display()),
            &var.origin,
        );
        environment.overridden_all(&var.overridden);
    }
    environment.write(&mut out, "environment");

    for (title, setting) in [
        ("pre-hooks", &resolved.pre_hooks),
        ("post-hooks", &resolved.post_hooks),
    ] {
        let Some(setting) = setting else { continue };
        let title = if let Some(why) = view.hooks_not_run() {
            format!("{title} (not run: {why})")
        } else if setting.value.is_empty() {
            format!("{title} (cleared)")
        } else {
            title.to_owned()
        };
        let _ = writeln!(out, "{title}:  # {}", origin(&setting.origin));
        let mut hooks = Block::default();
        for hook in &setting.value {
            hooks.plain(shell::display(hook));
        }
        hooks.overridden_all(&setting.overridden);
        hooks.indented().write_bare(&mut out);
    }

    let rows = resolved.operations.rows();
    if !rows.is_empty() {
        let mut operations = Block::default();
        for row in rows {
            operations.entry(format!("{} = {}", row.key, row.shown), &row.origin);
            operations.overridden_all(&row.overridden);
        }
        operations.write(&mut out, "operations");
    }

    line(&mut out, &format!("command: {}", view.shell_line()));
    out
}

/// Preset, command, config files and sections: the same in both text forms.
fn header(out: &mut String, view: &View) {
    let resolved = &view.redacted;
    line(
        out,
        &format!(
            "preset: {}",
            resolved
                .preset
                .as_deref()
                .map_or(NONE.into(), shell::display)
        ),
    );
    if resolved.typed_command != resolved.command {
        line(
            out,
            &format!(
                "restic command: {} (`{}` is an alias set by _command)",
                shell::display(&resolved.command),
                shell::display(&resolved.typed_command)
            ),
        );
    }
    list(out, "config files", resolved.files.iter().map(|f| path(f)));
    list(
        out,
        "sections",
        resolved
            .sections
            .iter()
            .map(|section| shell::display(section)),
    );
}

/// Where a value came from, as it may be shown (`--show-command --verbose`, and the
/// help of an error that names a value's place): `file:line:column [section]` with
/// control characters in the path and the section escaped.
pub fn origin(origin: &Origin) -> String {
    match origin {
        Origin::File {
            path: file,
            line,
            column,
            section,
        } => format!(
            "{}:{line}:{column} [{}]",
            path(file),
            shell::display(section)
        ),
        Origin::CommandLine { .. } => origin.to_string(),
    }
}

/// A path as it may be shown: control characters escaped.
fn path(path: &std::path::Path) -> String {
    shell::display(&path.display().to_string())
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// `title:` followed by indented items, or `title: (none)`.
fn list(out: &mut String, title: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        line(out, &format!("{title}: {NONE}"));
        return;
    }
    line(out, &format!("{title}:"));
    for item in items {
        line(out, &format!("  {item}"));
    }
}

/// Lines with an aligned `# origin` comment, as in `cargo config get --show-origin`.
#[derive(Default)]
struct Block {
    rows: Vec<(String, Option<String>)>,
}

impl Block {
    fn entry(&mut self, text: String, origin: &Origin) {
        self.rows.push((text, Some(self::origin(origin))));
    }

    fn setting<T>(&mut self, shown: String, setting: &RedactedSetting<T>) {
        self.entry(shown, &setting.origin);
        self.overridden_all(&setting.overridden);
    }

    /// Replaced definitions: commented out, like jj's `--include-overridden`.
    fn overridden_all(&mut self, overridden: &[Overridden]) {
        for old in overridden {
            self.rows.push((
                format!("# overridden: {}", shell::display(&old.value)),
                Some(origin(&old.origin)),
            ));
        }
    }

    fn plain(&mut self, text: String) {
        self.rows.push((text, None));
    }

    /// `title:` then the rows indented; `title: (none)` when there are none.
    fn write(self, out: &mut String, title: &str) {
        if self.rows.is_empty() {
            line(out, &format!("{title}: {NONE}"));
            return;
        }
        line(out, &format!("{title}:"));
        self.indented().write_bare(out);
    }

    fn indented(self) -> Self {
        Self {
            rows: self
                .rows
                .into_iter()
                .map(|(text, origin)| (format!("  {text}"), origin))
                .collect(),
        }
    }

    fn write_bare(self, out: &mut String) {
        let width = self
            .rows
            .iter()
            .filter(|(_, origin)| origin.is_some())
            .map(|(text, _)| text.chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_ALIGN);
        for (text, origin) in self.rows {
            match origin {
                Some(origin) => {
                    let _ = writeln!(out, "{text:<width$}  # {origin}");
                }
                None => line(out, &text),
            }
        }
    }
}
