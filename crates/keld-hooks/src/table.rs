//! Text tables for people: columns two spaces apart, each as wide as its widest cell.

/// `lines` (the header first) as aligned text, one line each, without trailing spaces.
pub(crate) fn aligned<const N: usize>(lines: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for line in lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in lines {
        let mut text = String::new();
        for (cell, width) in line.iter().zip(widths) {
            text.push_str(cell);
            text.extend(std::iter::repeat_n(' ', width - cell.chars().count() + 2));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let lines = [
            ["PRESET".to_owned(), "RESULT".to_owned()],
            ["home@nas".to_owned(), "ok".to_owned()],
            ["ü".to_owned(), String::new()],
        ];
        assert_eq!(aligned(&lines), "PRESET    RESULT\nhome@nas  ok\nü\n");
    }
}
