//! A fixed config and an arbitrary command line after COMMAND: flags that replace
//! configured keys (long, short, `=value`, counted, negated), positionals that replace
//! `_arguments`, and `--`.
#![no_main]

use arbitrary::Arbitrary;
use keld_config::{Request, Source};
use keld_fuzz::{COMMANDS, exercise};
use libfuzzer_sys::fuzz_target;

const CONFIG: &str = r#"
[global]
repo = "/srv/restic"
base = "/data"

[global.backup]
exclude-caches = true
exclude = """
*.tmp
~/.cache
"""

[home]
password-file = "${global.base}/pass"
tag = ["home", "daily"]
verbose = 2

[home.environ]
B2_ACCOUNT_ID = "0012345"

[home.backup]
_arguments = ["~/Documents", "/etc"]
_pre_hooks = ["true"]
one-file-system = true
host = "h1"

[home.nightly]
_command = "backup"
limit-upload = 100

["home@"]
_arguments = ["~"]

["@cloud"]
repo = "s3:example/bucket"

["@cloud".forget]
keep-daily = 7
prune = true
"#;

/// Flags known to restic (switches, values, repeated, counted, short) and some that
/// are not.
const FLAGS: [&str; 18] = [
    "tag",
    "exclude",
    "exclude-caches",
    "repo",
    "r",
    "verbose",
    "v",
    "quiet",
    "q",
    "host",
    "keep-daily",
    "prune",
    "one-file-system",
    "x",
    "dry-run",
    "json",
    "no-such-flag",
    "password-file",
];

#[derive(Debug, Arbitrary)]
enum Token {
    Long(u8),
    LongEq(u8, String),
    LongBool(u8, bool),
    Short(u8),
    ShortJoined(u8, String),
    ShortCluster(Vec<u8>),
    DoubleDash,
    SingleDash,
    Raw(String),
}

#[derive(Debug, Arbitrary)]
struct Input {
    preset: u8,
    command: u8,
    other_command: Option<String>,
    tokens: Vec<Token>,
}

fn flag(n: u8) -> &'static str {
    FLAGS[usize::from(n) % FLAGS.len()]
}

fn short(n: u8) -> char {
    ['r', 'v', 'q', 'x', 'p', 'n', 'e'][usize::from(n) % 7]
}

fn render(token: &Token) -> String {
    match token {
        Token::Long(n) => format!("--{}", flag(*n)),
        Token::LongEq(n, value) => format!("--{}={value}", flag(*n)),
        Token::LongBool(n, value) => format!("--{}={value}", flag(*n)),
        Token::Short(n) => format!("-{}", short(*n)),
        Token::ShortJoined(n, value) => format!("-{}{value}", short(*n)),
        Token::ShortCluster(ns) => {
            let mut text = String::from("-");
            text.extend(ns.iter().take(6).map(|n| short(*n)));
            text
        }
        Token::DoubleDash => "--".to_owned(),
        Token::SingleDash => "-".to_owned(),
        Token::Raw(text) => text.clone(),
    }
}

fuzz_target!(|input: Input| {
    let presets = [
        None,
        Some("home"),
        Some("home@cloud"),
        Some("@cloud"),
        Some("home@"),
    ];
    let preset = presets[usize::from(input.preset) % presets.len()].map(str::to_owned);
    let command = input
        .other_command
        .unwrap_or_else(|| COMMANDS[usize::from(input.command) % COMMANDS.len()].to_owned());
    let args: Vec<String> = input.tokens.iter().take(32).map(render).collect();
    let sources = vec![Source {
        path: "/etc/keld/config.toml".into(),
        text: CONFIG.to_owned(),
    }];
    exercise(
        sources,
        &[Request {
            preset,
            command,
            args,
        }],
    );
});
