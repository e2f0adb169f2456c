//! keld's JSON output: pretty, with the control characters `serde_json` leaves raw
//! escaped ([`keld_config::terminal::json`]), so every value stays exact and nothing
//! in it acts on a terminal.

/// `value` as pretty JSON ending in a newline, escaped by
/// [`keld_config::terminal::json`]: what every `--json` form of keld prints.
pub fn pretty_json(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .map(keld_config::terminal::json)
        .unwrap_or_else(|err| serde_json::json!({ "error": err.to_string() }).to_string());
    text.push('\n');
    text
}
