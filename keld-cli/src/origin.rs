//! How a value's origin is written for people: `file:line:column [section]`.

use keld_config::Origin;

/// `~/.config/keld/config.toml:3:1 [home.backup]` or `command line, argument 2`.
pub(crate) fn describe(origin: &Origin) -> String {
    match origin {
        Origin::File {
            path,
            line,
            column,
            section,
        } => format!("{}:{line}:{column} [{section}]", path.display()),
        Origin::CommandLine { index } => format!("command line, argument {}", index + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_command_line_origins() {
        let file = Origin::File {
            path: "/etc/keld/config.toml".into(),
            line: 3,
            column: 1,
            section: "home.backup".into(),
        };
        assert_eq!(describe(&file), "/etc/keld/config.toml:3:1 [home.backup]");
        let cli = Origin::CommandLine { index: 0 };
        assert_eq!(describe(&cli), "command line, argument 1");
    }
}
