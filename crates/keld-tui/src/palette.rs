//! Colours for a dark or a light terminal background.
//!
//! Colour marks only what can be acted on: the highlighted row, selection marks and
//! the keys in the help bar. Everything else is the terminal's own foreground, so the
//! session reads the same on any theme and with colour stripped.

use std::collections::BTreeMap;

use ratatui::style::{Color, Modifier, Style};

/// The terminal's background brightness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Background {
    /// Light text on a dark background (the default when unknown).
    Dark,
    /// Dark text on a light background.
    Light,
}

/// Guess the background from `COLORFGBG` (`"15;0"`: foreground 15 on background 0),
/// which rxvt, Konsole, iTerm2 and others set. Dark when unknown.
pub(crate) fn detect_background(env: &BTreeMap<String, String>) -> Background {
    let background = env
        .get("COLORFGBG")
        .and_then(|value| value.rsplit(';').next())
        .and_then(|last| last.trim().parse::<u8>().ok());
    match background {
        // ANSI 7 (light grey) and the bright colours 9-15 are light backgrounds.
        Some(7 | 9..=15) => Background::Light,
        _ => Background::Dark,
    }
}

/// The styles the view draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// The row the cursor is on.
    pub(crate) cursor: Style,
    /// A selection mark (`[x]`, `[-]`) in the tree.
    pub(crate) mark: Style,
    /// A key name in the help bar.
    pub(crate) key: Style,
    /// Text the user is typing.
    pub(crate) input: Style,
    /// Headings and the command line to confirm: emphasis without colour.
    pub(crate) strong: Style,
    /// Secondary text (sizes, descriptions): dimmed, not coloured.
    pub(crate) faint: Style,
}

impl Palette {
    /// The palette for a background.
    pub fn for_background(background: Background) -> Self {
        let (accent, selection) = match background {
            Background::Dark => (Color::Cyan, Color::LightGreen),
            Background::Light => (Color::Blue, Color::Green),
        };
        Self {
            cursor: Style::new()
                .fg(accent)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
            mark: Style::new().fg(selection).add_modifier(Modifier::BOLD),
            key: Style::new().fg(accent).add_modifier(Modifier::BOLD),
            input: Style::new().fg(accent).add_modifier(Modifier::UNDERLINED),
            strong: Style::new().add_modifier(Modifier::BOLD),
            faint: Style::new().add_modifier(Modifier::DIM),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn colorfgbg_decides_and_unknown_is_dark() {
        assert_eq!(detect_background(&env(&[])), Background::Dark);
        assert_eq!(
            detect_background(&env(&[("COLORFGBG", "15;0")])),
            Background::Dark
        );
        assert_eq!(
            detect_background(&env(&[("COLORFGBG", "0;15")])),
            Background::Light
        );
        assert_eq!(
            detect_background(&env(&[("COLORFGBG", "0;7")])),
            Background::Light
        );
        // rxvt's three-part form: foreground;xpm;background.
        assert_eq!(
            detect_background(&env(&[("COLORFGBG", "0;default;15")])),
            Background::Light
        );
        assert_eq!(
            detect_background(&env(&[("COLORFGBG", "default;default")])),
            Background::Dark
        );
        assert_eq!(
            detect_background(&env(&[("COLORFGBG", "")])),
            Background::Dark
        );
    }

    #[test]
    fn palettes_differ_and_plain_text_has_no_colour() {
        let dark = Palette::for_background(Background::Dark);
        let light = Palette::for_background(Background::Light);
        assert_ne!(dark.cursor, light.cursor);
        for palette in [dark, light] {
            assert_eq!(palette.strong.fg, None);
            assert_eq!(palette.faint.fg, None);
            assert!(palette.key.fg.is_some());
        }
    }
}
