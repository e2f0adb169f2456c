//! `keld presets`: every preset, its kind and the sections (file:line) that define
//! it, for people (text), for scripts (names, JSON) and for shell completion
//! (NUL-ended names).
//!
//! Prefix × suffix combinations are spelled out only when there are few of them (or
//! when all are asked for); otherwise one line says how the halves combine, so the
//! output grows with the sections, not their product.

use std::borrow::{Borrow, Cow};
use std::fmt::Write as _;
use std::io::{self, Write};

use super::Presets;
use crate::shell::{display, has_control};
use crate::{PresetInfo, PresetKind};

/// How to print the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// One block per preset, for people.
    Text,
    /// Names only, one per line, a name with a control character in the `$'...'`
    /// form (a newline in a name cannot end a line, an escape sequence cannot act).
    Names,
    /// Names exactly as written, each ended by a NUL byte: what shell completion
    /// reads (any text but NUL can be in a TOML key).
    NamesNul,
    /// A JSON array, for scripts.
    #[cfg(feature = "serde")]
    Json,
}

impl Format {
    fn names(nul: bool) -> Self {
        if nul { Self::NamesNul } else { Self::Names }
    }
}

impl PresetKind {
    /// The kind's name as `keld presets` shows it: `plain`, `prefix`, `suffix`,
    /// `split` or `combination`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Prefix => "prefix",
            Self::Suffix => "suffix",
            Self::Split => "split",
            Self::Combination => "combination",
        }
    }
}

impl Presets {
    /// Combinations are listed one by one up to this many (all of them when asked).
    pub const LISTED_COMBINATIONS: usize = 20;

    /// What `keld presets` says, on stderr, when the config defines none.
    pub const NONE_DEFINED: &str =
        "no presets are defined (a preset is a top-level [NAME] section other than [global])";

    /// Write the presets for people to `out`: one block per preset with its kind and
    /// its sections (`[section]  file:line`), the combinations too when there are at
    /// most [`Presets::LISTED_COMBINATIONS`] or `all`, else one line saying how the
    /// halves combine. Names and paths with control characters are escaped.
    pub fn write_text(&self, out: &mut dyn Write, all: bool) -> io::Result<()> {
        self.write(out, Format::Text, all)
    }

    /// Write the names to `out` (the combinations as [`Presets::write_text`] does),
    /// one per line with a control character in the `$'...'` form, or with `nul`
    /// exactly as written, each ended by a NUL byte (what shell completion reads).
    pub fn write_names(&self, out: &mut dyn Write, all: bool, nul: bool) -> io::Result<()> {
        self.write(out, Format::names(nul), all)
    }

    /// Write the presets to `out` as a JSON array (the combinations as
    /// [`Presets::write_text`] does), one element at a time, each
    /// `{"kind", "name", "runnable", "sections": [{"file", "line", "section"}]}` with
    /// every control character escaped ([`crate::terminal::json`]).
    #[cfg(feature = "serde")]
    pub fn write_json(&self, out: &mut dyn Write, all: bool) -> io::Result<()> {
        self.write(out, Format::Json, all)
    }

    /// `names` (from [`Presets::complete`]) as [`Presets::write_names`] writes them.
    pub fn name_lines(names: &[String], nul: bool) -> String {
        let format = Format::names(nul);
        names.iter().map(|name| name_line(name, format)).collect()
    }

    /// Write the presets to `out` as `format` says; the text ends with a newline
    /// unless it is empty.
    fn write(&self, out: &mut dyn Write, format: Format, all: bool) -> io::Result<()> {
        let count = self.combination_count();
        let spell_out = all || count <= Self::LISTED_COMBINATIONS;
        if spell_out {
            write_listed(out, self.all(), format)
        } else {
            write_listed(out, self.defined().iter(), format)?;
            if format == Format::Text {
                writeln!(
                    out,
                    "{count} combinations: each of the {} prefixes with each of the {} suffixes, \
                     `PREFIX@SUFFIX` (`keld presets --all` lists them)",
                    self.prefixes().count(),
                    self.suffixes().count()
                )?;
            }
            Ok(())
        }
    }
}

/// Writes `listed` as `format` says, each preset as it comes.
fn write_listed<P: Borrow<PresetInfo>>(
    out: &mut dyn Write,
    listed: impl Iterator<Item = P>,
    format: Format,
) -> io::Result<()> {
    match format {
        #[cfg(feature = "serde")]
        Format::Json => {
            // Streamed, one element at a time, so `--all` stays small in memory.
            out.write_all(b"[")?;
            for (index, preset) in listed.enumerate() {
                out.write_all(if index == 0 { b"\n  " } else { b",\n  " })?;
                let element =
                    serde_json::to_string(&to_json(preset.borrow())).map_err(io::Error::other)?;
                out.write_all(crate::terminal::json(element).as_bytes())?;
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

/// One preset with its sections, for people, added to `out`.
fn block(out: &mut String, preset: &PresetInfo) {
    let note = if preset.runnable {
        ""
    } else {
        ", a half: combine it or run it alone with -p"
    };
    out.push_str(&shown(&preset.name));
    let _ = writeln!(out, " ({}{note})", preset.kind.as_str());
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
    let mut last_file: Option<(&std::path::PathBuf, String)> = None;
    for (location, section) in preset.sections.iter().zip(&sections) {
        out.push_str("  [");
        out.push_str(section);
        out.push(']');
        out.extend(std::iter::repeat_n(
            ' ',
            width - section.chars().count() + 2,
        ));
        // A preset's sections sit in a few files: each path is made safe to show once.
        if last_file
            .as_ref()
            .is_none_or(|(file, _)| file.as_os_str() != location.file.as_os_str())
        {
            let file = match location.file.to_str() {
                Some(file) => shown(file).into_owned(),
                None => display(&location.file.display().to_string()),
            };
            last_file = Some((&location.file, file));
        }
        if let Some((_, file)) = &last_file {
            out.push_str(file);
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

#[cfg(feature = "serde")]
fn to_json(preset: &PresetInfo) -> serde_json::Value {
    use serde_json::{Value, json};

    let sections: Vec<Value> = preset
        .sections
        .iter()
        .map(|s| json!({ "section": s.section, "file": s.file, "line": s.line }))
        .collect();
    json!({
        "name": preset.name,
        "kind": preset.kind.as_str(),
        "runnable": preset.runnable,
        "sections": sections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Source};

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
        presets.write(&mut out, format, all).unwrap();
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
    }

    #[cfg(feature = "serde")]
    #[test]
    fn json_lists_kind_sections_and_runnable() {
        let presets = presets("[home]\n[home.backup]\n[\"@cloud\"]\n[\"db@\"]\n");
        let value: serde_json::Value =
            serde_json::from_str(&render(&presets, Format::Json, false)).unwrap();
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
