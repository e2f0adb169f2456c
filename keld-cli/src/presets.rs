//! `keld presets`: every preset, its kind and the sections (file:line) that define it.
//!
//! Prefix × suffix combinations are spelled out only when there are few of them (or
//! with `--all`); otherwise one line says how the halves combine, so the output grows
//! with the sections, not their product.

use std::borrow::{Borrow, Cow};
use std::fmt::Write as _;
use std::io::{self, Write};

use keld_config::shell::{display, has_control};
use keld_config::{PresetInfo, PresetKind, Presets};
use serde_json::{Value, json};

/// Combinations are listed one by one up to this many (more with `--all`).
pub(crate) const LISTED_COMBINATIONS: usize = 20;

/// How to print the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// One block per preset, for people.
    Text,
    /// Names only, one per line, a name with a control character in the `$'...'`
    /// form (a newline in a name cannot end a line, an escape sequence cannot act).
    Names,
    /// Names exactly as written, each ended by a NUL byte: what shell completion
    /// reads (any text but NUL can be in a TOML key).
    NamesNul,
    /// A JSON array, for scripts.
    Json,
}

/// What `keld presets` says, on stderr, when the config defines none.
pub(crate) const NONE_DEFINED: &str =
    "no presets are defined (a preset is a top-level [NAME] section other than [global])";

/// Write the presets to `out`, the combinations too when there are at most
/// [`LISTED_COMBINATIONS`] or `all`; the text ends with a newline unless it is empty.
pub(crate) fn write(
    out: &mut dyn Write,
    presets: &Presets,
    format: Format,
    all: bool,
) -> io::Result<()> {
    let count = presets.combination_count();
    let spell_out = all || count <= LISTED_COMBINATIONS;
    if spell_out {
        write_listed(out, presets.all(), format)
    } else {
        write_listed(out, presets.defined().iter(), format)?;
        if format == Format::Text {
            writeln!(
                out,
                "{count} combinations: each of the {} prefixes with each of the {} suffixes, \
                 `PREFIX@SUFFIX` (`keld presets --all` lists them)",
                presets.prefixes().count(),
                presets.suffixes().count()
            )?;
        }
        Ok(())
    }
}

/// Writes `listed` as `format` says, each preset as it comes.
fn write_listed<P: Borrow<PresetInfo>>(
    out: &mut dyn Write,
    listed: impl Iterator<Item = P>,
    format: Format,
) -> io::Result<()> {
    match format {
        Format::Json => {
            // Streamed, one element at a time, so `--all` stays small in memory.
            out.write_all(b"[")?;
            for (index, preset) in listed.enumerate() {
                out.write_all(if index == 0 { b"\n  " } else { b",\n  " })?;
                let element =
                    serde_json::to_string(&to_json(preset.borrow())).map_err(io::Error::other)?;
                out.write_all(keld_config::terminal::json(element).as_bytes())?;
            }
            out.write_all(b"\n]\n")
        }
        Format::Names | Format::NamesNul => {
            for preset in listed {
                out.write_all(name_line(&preset.borrow().name, format).as_bytes())?;
            }
            Ok(())
        }
        Format::Text => {
            let mut text = String::new();
            for preset in listed {
                text.clear();
                block(&mut text, preset.borrow());
                out.write_all(text.as_bytes())?;
            }
            Ok(())
        }
    }
}

/// One name as [`Format::Names`] (escaped, newline) or [`Format::NamesNul`] (raw,
/// NUL) writes it.
fn name_line(name: &str, format: Format) -> String {
    if format == Format::NamesNul {
        format!("{name}\0")
    } else {
        format!("{}\n", display(name))
    }
}

/// `names` (from [`Presets::complete`]) one per line or NUL-ended, as `format` says.
pub(crate) fn names(names: &[String], format: Format) -> String {
    names.iter().map(|name| name_line(name, format)).collect()
}

fn kind_name(kind: PresetKind) -> &'static str {
    match kind {
        PresetKind::Plain => "plain",
        PresetKind::Prefix => "prefix",
        PresetKind::Suffix => "suffix",
        PresetKind::Split => "split",
        PresetKind::Combination => "combination",
    }
}

/// One preset with its sections, for people, added to `out`.
fn block(out: &mut String, preset: &PresetInfo) {
    let note = if preset.runnable {
        ""
    } else {
        ", a half: combine it or run it alone with -p"
    };
    out.push_str(&shown(&preset.name));
    let _ = writeln!(out, " ({}{note})", kind_name(preset.kind));
    let sections: Vec<Cow<'_, str>> = preset
        .sections
        .iter()
        .map(|location| shown(&location.section))
        .collect();
    let width = sections
        .iter()
        .map(|section| section.chars().count())
        .max()
        .unwrap_or(0);
    for (location, section) in preset.sections.iter().zip(&sections) {
        out.push_str("  [");
        out.push_str(section);
        out.push(']');
        out.extend(std::iter::repeat_n(
            ' ',
            width - section.chars().count() + 2,
        ));
        match location.file.to_str() {
            Some(file) => out.push_str(&shown(file)),
            None => out.push_str(&display(&location.file.display().to_string())),
        }
        let _ = writeln!(out, ":{}", location.line);
    }
}

/// `text` as [`display`] shows it, copied only when it must be escaped.
fn shown(text: &str) -> Cow<'_, str> {
    if has_control(text) {
        Cow::Owned(display(text))
    } else {
        Cow::Borrowed(text)
    }
}

fn to_json(preset: &PresetInfo) -> Value {
    let sections: Vec<Value> = preset
        .sections
        .iter()
        .map(|s| json!({ "section": s.section, "file": s.file, "line": s.line }))
        .collect();
    json!({
        "name": preset.name,
        "kind": kind_name(preset.kind),
        "runnable": preset.runnable,
        "sections": sections,
    })
}

#[cfg(test)]
mod tests {
    use keld_config::{Config, Source};

    use super::*;

    fn presets(text: &str) -> Presets {
        Config::from_sources([Source {
            path: "/c.toml".into(),
            text: text.to_owned(),
        }])
        .unwrap()
        .presets()
    }

    fn render(presets: &Presets, format: Format, all: bool) -> String {
        let mut out = Vec::new();
        write(&mut out, presets, format, all).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_lists_sections_with_file_and_line_and_few_combinations() {
        let presets = presets("[home]\n[home.backup]\n[\"@cloud\"]\n[\"db@\"]\n");
        assert_eq!(
            render(&presets, Format::Text, false),
            "@cloud (suffix, a half: combine it or run it alone with -p)\n  [@cloud]  /c.toml:3\n\
             db@ (prefix, a half: combine it or run it alone with -p)\n  [db@]  /c.toml:4\n\
             db@cloud (combination)\n  [@cloud]  /c.toml:3\n  [db@]     /c.toml:4\n\
             home (plain)\n  [home]         /c.toml:1\n  [home.backup]  /c.toml:2\n"
        );
        assert_eq!(
            render(&presets, Format::Names, false),
            "@cloud\ndb@\ndb@cloud\nhome\n"
        );
        let value: Value = serde_json::from_str(&render(&presets, Format::Json, false)).unwrap();
        assert_eq!(value[2]["kind"], "combination");
        assert_eq!(value[3]["sections"][1]["line"], 2);
        assert_eq!(value[0]["runnable"], false);
    }

    #[test]
    fn many_combinations_are_one_line_unless_asked() {
        let mut text = String::new();
        for n in 0..30 {
            text.push_str(&format!("[\"p{n}@\"]\n[\"@s{n}\"]\n"));
        }
        let presets = presets(&text);
        let shown = render(&presets, Format::Text, false);
        assert_eq!(shown.lines().count(), 60 * 2 + 1);
        assert!(shown.ends_with(
            "900 combinations: each of the 30 prefixes with each of the 30 suffixes, \
             `PREFIX@SUFFIX` (`keld presets --all` lists them)\n"
        ));
        assert_eq!(render(&presets, Format::Names, false).lines().count(), 60);
        assert_eq!(render(&presets, Format::Names, true).lines().count(), 960);
    }
}
