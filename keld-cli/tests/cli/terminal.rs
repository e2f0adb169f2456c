//! keld on a pseudo-terminal, outside the interactive mode's screens (those are
//! `features/navigation.feature` and `features/restore_flow.feature`).

use std::time::Duration;

use crate::TWO_PRESETS;
use crate::support::Sandbox;
use crate::support::pty::Terminal;

#[test]
fn on_a_terminal_errors_are_coloured_unless_no_color() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    // KELD_NONINTERACTIVE: on a terminal a bare `keld` would start the interactive mode.
    let mut keld = sandbox.keld(&[]);
    keld.env("TERM", "xterm").env("KELD_NONINTERACTIVE", "1");
    let (coloured, code) = Terminal::run(&keld);
    assert_eq!(code, 1, "{coloured}");
    assert!(coloured.contains("no command given"), "{coloured}");
    assert!(
        coloured.contains('\u{1b}'),
        "colour on a terminal: {coloured:?}"
    );

    let (plain, code) = Terminal::run(keld.env("NO_COLOR", "1"));
    assert_eq!(code, 1, "{plain}");
    assert!(plain.contains("no command given"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
}

#[test]
fn on_a_terminal_with_keld_noninteractive_a_missing_preset_is_the_same_error() {
    // Without KELD_NONINTERACTIVE the interactive mode asks for the preset instead
    // (features/navigation.feature).
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    let (output, code) = Terminal::run(
        sandbox
            .keld(&["snapshots"])
            .env("TERM", "xterm")
            .env("KELD_NONINTERACTIVE", "1"),
    );
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("--preset"), "{output}");
    assert!(output.contains("home, work"), "{output}");
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn the_command_menu_is_on_the_screen_within_5_seconds() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    let mut terminal = Terminal::spawn(sandbox.keld(&[]).env("TERM", "xterm-256color"), 30, 100);
    let first = terminal.time_to("Command");
    println!("first screen after {first:?}");
    assert!(
        first < Duration::from_secs(5),
        "the first screen took {first:?}"
    );
    terminal.send("\x1b");
    assert_eq!(terminal.wait_exit(), 130, "{}", terminal.transcript());
    assert!(
        !terminal.on_alternate_screen(),
        "the terminal is given back"
    );
}
