//! `keld presets`: every preset, its kind and the sections (file:line) that define it.

use std::fmt::Write as _;

use keld_config::{PresetInfo, PresetKind, shell};
use serde_json::{Value, json};

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

/// Render the presets; the text ends with a newline unless it is empty.
pub(crate) fn render(presets: &[PresetInfo], format: Format) -> String {
    match format {
        Format::Text => text(presets),
        Format::Names => presets
            .iter()
            .map(|p| format!("{}\n", shell::display(&p.name)))
            .collect(),
        Format::NamesNul => presets.iter().map(|p| format!("{}\0", p.name)).collect(),
        Format::Json => {
            let list: Vec<Value> = presets.iter().map(to_json).collect();
            crate::escape::json_text(&list)
        }
    }
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

/// What `keld presets` says, on stderr, when the config defines none.
pub(crate) const NONE_DEFINED: &str =
    "no presets are defined (a preset is a top-level [NAME] section other than [global])";

fn text(presets: &[PresetInfo]) -> String {
    let mut out = String::new();
    for preset in presets {
        let note = if preset.runnable {
            ""
        } else {
            ", a half: combine it or run it alone with -p"
        };
        let _ = writeln!(
            out,
            "{} ({}{note})",
            shell::display(&preset.name),
            kind_name(preset.kind)
        );
        let headers: Vec<String> = preset
            .sections
            .iter()
            .map(|s| format!("[{}]", shell::display(&s.section)))
            .collect();
        let width = headers
            .iter()
            .map(|header| header.chars().count())
            .max()
            .unwrap_or(0);
        for (location, header) in preset.sections.iter().zip(headers) {
            let _ = writeln!(
                out,
                "  {header:<width$}  {}:{}",
                shell::display(&location.file.display().to_string()),
                location.line
            );
        }
    }
    out
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
    use super::*;
    use keld_config::SectionLocation;

    fn sample() -> Vec<PresetInfo> {
        vec![
            PresetInfo {
                name: "home".into(),
                kind: PresetKind::Plain,
                runnable: true,
                sections: vec![
                    SectionLocation {
                        section: "home".into(),
                        file: "/c.toml".into(),
                        line: 4,
                    },
                    SectionLocation {
                        section: "home.backup".into(),
                        file: "/c.toml".into(),
                        line: 9,
                    },
                ],
            },
            PresetInfo {
                name: "@cloud".into(),
                kind: PresetKind::Suffix,
                runnable: false,
                sections: vec![SectionLocation {
                    section: "@cloud".into(),
                    file: "/d.toml".into(),
                    line: 1,
                }],
            },
        ]
    }

    #[test]
    fn text_lists_sections_with_file_and_line() {
        assert_eq!(
            render(&sample(), Format::Text),
            "home (plain)\n  [home]         /c.toml:4\n  [home.backup]  /c.toml:9\n\
             @cloud (suffix, a half: combine it or run it alone with -p)\n  [@cloud]  /d.toml:1\n"
        );
    }

    #[test]
    fn names_are_one_per_line() {
        assert_eq!(render(&sample(), Format::Names), "home\n@cloud\n");
        assert_eq!(render(&[], Format::Names), "");
    }

    #[test]
    fn json_has_kind_and_sections() {
        let value: Value = serde_json::from_str(&render(&sample(), Format::Json)).unwrap();
        assert_eq!(value[0]["kind"], "plain");
        assert_eq!(value[0]["sections"][1]["line"], 9);
        assert_eq!(value[1]["runnable"], false);
    }
}
