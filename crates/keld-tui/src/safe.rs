//! Text that reaches the terminal: control characters never raw.
//!
//! A preset name, a path, a record's field or restic's message may hold any character,
//! and a control character written raw acts on the terminal: an escape sequence moves
//! the cursor or retitles the window, a bidirectional override reorders what follows,
//! a line separator breaks the layout. Which characters those are, and how each is
//! written instead (`\x1b`, `\u202e`), is `keld_config::shell`'s one definition
//! ([`is_control`], [`escape_char`]); this module applies it twice:
//!
//! - where the screens build their text: [`name`] for a name or a path (bash's `$'...'`
//!   form, as the command line shows it) and [`one_line`] for a message's line;
//! - where cells reach the terminal: [`SafeBackend`] wraps the backend the session
//!   draws on, and a cell whose symbol still holds a control character is written as
//!   `�` (as wide as the symbol was), whatever view built it.

use std::borrow::Cow;

use keld_config::shell::{escape_char, is_control};
use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::{Cell, CellWidth};
use ratatui::layout::{Position, Size};

/// What a cell holding a control character is written as.
pub(crate) const REPLACEMENT: &str = "\u{fffd}";

/// Whether `text` holds a character that must not reach the terminal raw.
pub(crate) fn has_control(text: &str) -> bool {
    text.chars().any(is_control)
}

/// A name or a path as it may be shown: unchanged, or in bash's `$'...'` form with
/// its control characters escaped (`$'home\x1b[2K'`), as `keld status` shows it.
pub(crate) fn name(text: &str) -> Cow<'_, str> {
    if has_control(text) {
        Cow::Owned(keld_config::shell::display(text))
    } else {
        Cow::Borrowed(text)
    }
}

/// One line of a message: every control character escaped, a line break too.
pub(crate) fn one_line(text: &str) -> Cow<'_, str> {
    if !has_control(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match escape_char(c) {
            Some(escaped) => out.push_str(&escaped),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A message of several lines, each made safe with [`one_line`] (`\r\n` ends a line
/// too).
pub(crate) fn lines(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    text.lines().map(one_line)
}

/// A cell as it may be written: unchanged, or its symbol replaced by `�` (as many as
/// the symbol was wide, so the cells after it stay where they are) when it holds a
/// control character.
fn safe_cell(cell: &Cell) -> Option<Cell> {
    let symbol = cell.symbol();
    if !has_control(symbol) {
        return None;
    }
    let mut safe = cell.clone();
    safe.set_symbol(&REPLACEMENT.repeat(usize::from(cell.cell_width().max(1))));
    Some(safe)
}

/// A backend that never writes a control character: every cell passes [`safe_cell`]
/// on its way to the backend it wraps. The last line of defence: the views escape
/// what they show ([`name`], [`one_line`]), and ratatui drops C0 and C1 controls
/// itself, but not the bidirectional controls or the line separators.
#[derive(Debug)]
pub(crate) struct SafeBackend<B> {
    inner: B,
}

impl<B> SafeBackend<B> {
    pub(crate) fn new(inner: B) -> Self {
        Self { inner }
    }
}

impl<B: Backend> Backend for SafeBackend<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let cells: Vec<(u16, u16, &Cell)> = content.collect();
        if !cells.iter().any(|(_, _, cell)| has_control(cell.symbol())) {
            return self.inner.draw(cells.into_iter());
        }
        let safe: Vec<(u16, u16, Cow<'_, Cell>)> = cells
            .into_iter()
            .map(|(x, y, cell)| {
                let cell = safe_cell(cell).map_or(Cow::Borrowed(cell), Cow::Owned);
                (x, y, cell)
            })
            .collect();
        self.inner
            .draw(safe.iter().map(|(x, y, cell)| (*x, *y, cell.as_ref())))
    }

    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::text::Line;
    use ratatui::{Terminal, TerminalOptions, Viewport};

    use super::*;

    /// Characters that act on a terminal, one of each kind. (A cell holding one ASCII
    /// control character alone is refused by ratatui itself, in debug builds.)
    const HOSTILE: [&str; 7] = [
        "\u{1b}]0;owned\u{7}",
        "\u{1b}[2J",
        "\u{9b}31m",
        "\u{202e}",
        "\u{2028}",
        "\u{200f}",
        "x\u{7f}",
    ];

    #[test]
    fn names_and_lines_are_escaped_with_keld_configs_definition() {
        assert_eq!(name("home@nas"), "home@nas");
        assert_eq!(name("home\u{1b}[2K"), r"$'home\x1b[2K'");
        assert_eq!(one_line("a\nb\u{202e}c"), r"a\nb\u202ec");
        assert_eq!(
            lines("restic: \u{9b}1m\r\nsecond").collect::<Vec<_>>(),
            [r"restic: \u009b1m", "second"]
        );
        for text in HOSTILE {
            assert!(!has_control(&name(text)), "{text:?}");
            assert!(!has_control(&one_line(text)), "{text:?}");
        }
    }

    /// A writer whose bytes the test keeps.
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl std::io::Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What the session's terminal writes for one frame whose cells were set to
    /// `symbols` directly (as no view does: the views escape first).
    fn written(symbols: &[&str]) -> Vec<u8> {
        let out = Shared::default();
        let backend = SafeBackend::new(CrosstermBackend::new(out.clone()));
        let mut terminal = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 20, 10)),
            },
        )
        .expect("a terminal writing into memory");
        terminal
            .draw(|frame| {
                frame.render_widget(Line::raw("plain"), Rect::new(0, 9, 20, 1));
                // One a row: a symbol as wide as several cells hides the ones after it.
                for (y, symbol) in symbols.iter().enumerate() {
                    let y = u16::try_from(y).expect("few");
                    frame.buffer_mut()[(0, y)].set_symbol(symbol);
                }
            })
            .expect("draws");
        drop(terminal);
        out.0.take()
    }

    #[test]
    fn the_backend_writes_no_control_character_whatever_a_cell_holds() {
        let bytes = written(&HOSTILE);
        let text = String::from_utf8(bytes.clone()).expect("UTF-8");
        for hostile in HOSTILE {
            assert!(!text.contains(hostile), "{hostile:?} reached the terminal");
        }
        // What the terminal gets besides crossterm's own sequences (each starts with
        // ESC `[` and ends at its final byte): text without any control character.
        let mut shown = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                assert_eq!(chars.next(), Some('['), "only CSI sequences: {text:?}");
                while chars.next().is_some_and(|c| !('@'..='~').contains(&c)) {}
                continue;
            }
            shown.push(c);
        }
        assert!(!has_control(&shown), "{shown:?}");
        // Each as wide as ratatui counted the symbol, so the cells after it stay put.
        let wide: usize = HOSTILE
            .iter()
            .map(|symbol| usize::from(symbol.cell_width().max(1)))
            .sum();
        assert_eq!(shown.matches(REPLACEMENT).count(), wide, "{shown:?}");
        assert!(shown.contains("plain"), "{shown:?}");
    }

    #[test]
    fn clean_cells_pass_unchanged() {
        let bytes = written(&["a", "字", "b"]);
        let text = String::from_utf8(bytes).expect("UTF-8");
        assert!(
            text.contains('字') && !text.contains(REPLACEMENT),
            "{text:?}"
        );
    }
}
