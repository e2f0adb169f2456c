//! `keld man`: keld's manual page, generated from the clap definition.

use clap::CommandFactory;

use crate::cli::Cli;

/// keld's manual page in roff: clap's sections for the synopsis and options, and
/// keld's own for its subcommands, COMMAND, the environment and the exit status.
pub(crate) fn page() -> Vec<u8> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    // Rendering into a Vec cannot fail for I/O reasons.
    let _ = man
        .render_title(&mut out)
        .and_then(|()| man.render_name_section(&mut out))
        .and_then(|()| man.render_synopsis_section(&mut out))
        .and_then(|()| man.render_description_section(&mut out))
        .and_then(|()| man.render_options_section(&mut out));
    out.extend_from_slice(subcommands_section(&command).as_bytes());
    out.extend_from_slice(MAN_SECTIONS.as_bytes());
    let _ = man.render_version_section(&mut out);
    without_repeated_preamble(&out)
}

/// keld's own subcommands as `keld NAME` entries: clap_mangen would name them as
/// separate pages (`keld-presets(1)`) that do not exist.
fn subcommands_section(command: &clap::Command) -> String {
    let mut section =
        String::from(".SH \"KELD'S OWN COMMANDS\"\nAny other COMMAND goes to restic.\n");
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        section.push_str(&format!(
            ".TP\n.B keld {}\n{}\n",
            sub.get_name(),
            about.replace('-', "\\-")
        ));
    }
    section
}

/// Each clap_mangen render call starts with the same two-line quote-string preamble;
/// keep the first.
fn without_repeated_preamble(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let mut seen = false;
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with(".ie \\n(.g .ds Aq") {
            let pair = lines.next_if(|next| next.starts_with(".el .ds Aq"));
            if seen {
                continue;
            }
            seen = true;
            out.push_str(line);
            out.push('\n');
            if let Some(pair) = pair {
                out.push_str(pair);
                out.push('\n');
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

/// The sections clap cannot know, in roff (`\-` is a literal minus sign).
const MAN_SECTIONS: &str = r#".SH "COMMAND AND RESTIC ARGUMENTS"
COMMAND is a restic command (backup, snapshots, forget, restore, ...) or an alias
defined with \fB_command\fR in the config.
Keld's own options come before COMMAND; every token after it is passed to restic,
even \fB\-p\fR and \fB\-\-help\fR: \fBkeld \-p home backup \-\-help\fR shows restic's
help for backup.
Flags after COMMAND replace the configured key of the same name; positional arguments
replace \fB_arguments\fR.
.SH ENVIRONMENT
.TP
.B KELD_ALLOW_UNSAFE_CONFIG
Any non\-empty value: use every config file whatever it sets (hooks, \fB_COMMAND\fRs,
\fBPATH\fR, \fBpassword\-command\fR, \fBrepo\fR, ...) even when other users could write it
(group\- or world\-writable, owned by another user, or reached through a directory or link
another user controls).
Without it such a file is refused.
.TP
.B KELD_CONFIG_FILE
The only config file read; replaces every other source (like \fB\-\-config\fR).
.TP
.B KELD_CONFIG_PATHS
Colon\-separated extra config files or globs, read after the defaults.
.TP
.B KELD_DRYRUN
Any non\-empty value: behave as \fB\-\-show\-command\fR.
.TP
.B KELD_EXECUTABLE
Path or name of the restic binary (default \fBrestic\fR, looked up in \fBPATH\fR).
.TP
.B KELD_NONINTERACTIVE
Any non\-empty value: never start the interactive mode, even on a terminal.
.TP
.B XDG_CONFIG_HOME
Where the user config lives (default \fI~/.config\fR, so \fI~/.config/keld/config.toml\fR).
.TP
.B XDG_CACHE_HOME
Where the layout of a large config (64 KiB or more) is kept between runs (default \fI~/.cache\fR, so \fI~/.cache/keld/\fR); it holds no values, and deleting it is always safe.
.TP
.B NO_COLOR
Any non\-empty value: no colour in keld's messages.
.SH "EXIT STATUS"
.TP
.B 0
Success; also \fB\-\-show\-command\fR, and a backup a pre\-hook skipped by exiting 75.
.TP
.I restic's code
restic ran and exited non\-zero; kept even when a post\-hook failed.
.TP
.B 128+N
restic was killed by signal N, or keld received signal N while \fB_COMMAND\fRs or
pre\-hooks ran (then nothing further runs). A pre\-hook that dies of a signal itself is
a failing pre\-hook: exit 1.
.TP
.B 1
Keld's own error before restic (config, \fB_COMMAND\fR, a failing pre\-hook, no command,
no preset, no paths), or restic exited 0 and a post\-hook failed.
.TP
.B 2
Usage error in keld's own options.
.TP
.B 126
restic exists but could not be executed.
.TP
.B 127
restic was not found; nothing ran.
.SH FILES
.TP
.I /usr/share/keld/config.toml, /etc/keld/config.toml
System configs (and their \fIconf.d/*.toml\fR), read first.
.TP
.I $XDG_CONFIG_HOME/keld/config.toml
The user config (and its \fIconf.d/*.toml\fR).
.SH "SEE ALSO"
.BR restic (1)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_page_is_roff_for_keld() {
        let page = String::from_utf8(page()).expect("utf-8");
        assert!(page.contains(".TH keld 1"), "{page}");
        for section in [
            "NAME",
            "SYNOPSIS",
            "OPTIONS",
            "\"KELD'S OWN COMMANDS\"",
            "ENVIRONMENT",
            "\"EXIT STATUS\"",
            "VERSION",
        ] {
            assert!(
                page.contains(&format!(".SH {section}")),
                "{section}: {page}"
            );
        }
        assert!(
            !page.contains(".SH EXTRA"),
            "the environment is not repeated"
        );
        assert!(page.contains(".B keld presets"), "{page}");
        assert!(
            !page.contains("keld\\-presets(1)"),
            "no references to pages that do not exist: {page}"
        );
        assert_eq!(page.matches(".ds Aq").count(), 2, "one preamble: {page}");
    }
}
