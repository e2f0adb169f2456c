//! Keys as the screens understand them.

/// A key press, as the screens understand it (the terminal layer decodes the bytes
/// the terminal sends into these, so tests need no terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// ↑
    Up,
    /// ↓
    Down,
    /// ←
    Left,
    /// →
    Right,
    /// Page Up
    PageUp,
    /// Page Down
    PageDown,
    /// Home
    Home,
    /// End
    End,
    /// Enter
    Enter,
    /// Esc
    Esc,
    /// Backspace
    Backspace,
    /// Delete (the key that deletes forward)
    Delete,
    /// Tab
    Tab,
    /// Shift-Tab
    BackTab,
    /// A printable character; `' '` is Space.
    Char(char),
    /// Ctrl and a letter (`'u'` for Ctrl-U), other than Ctrl-C.
    Ctrl(char),
    /// Ctrl-C: leave without running anything.
    Interrupt,
}
