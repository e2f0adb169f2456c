//! Differential test: 1,000 random configs resolved by keld-config and by a small,
//! independent model of the precedence rules written from the rules in docs/configuration.md
//! (sections 3.1-3.6). The argv, the environment, the hooks and the working
//! directory must agree exactly.
//!
//! The model knows nothing of keld-config's internals: it sees the same random files
//! as plain data and applies the rules directly. Random choices come from a seeded
//! xorshift generator, so every run checks the same 1,000 cases.

use std::collections::BTreeMap;

use keld_config::{Config, EnvValue, Source};

use crate::render::{env, request};

const CASES: usize = 1000;
const HOME: &str = "/home/ann";

/// xorshift64*: small, deterministic, good enough to pick test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("small")
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A TOML value as the model sees it.
#[derive(Debug, Clone)]
enum Val {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<String>),
}

impl Val {
    fn toml(&self) -> String {
        match self {
            Val::Str(text) => quote(text),
            Val::Int(number) => number.to_string(),
            Val::Bool(flag) => flag.to_string(),
            Val::List(items) => {
                let items: Vec<String> = items.iter().map(|item| quote(item)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('\n', "\\n"))
}

/// A section path (`["home@", "backup", "environ"]`) → its keys.
type File = BTreeMap<Vec<String>, BTreeMap<String, Val>>;

#[derive(Debug)]
struct Case {
    files: Vec<File>,
    preset: Option<&'static str>,
    typed: &'static str,
    /// Command-line tokens after COMMAND, in groups that belong together.
    cli: Vec<Cli>,
}

/// One command-line item and what it means.
#[derive(Debug, Clone)]
enum Cli {
    /// A flag: its tokens, the flag identity it replaces, and the argv it adds.
    Flag {
        tokens: Vec<&'static str>,
        canonical: &'static str,
        emits: Vec<&'static str>,
    },
    Positional(&'static str),
    /// `--` and what follows it.
    DoubleDash(Vec<&'static str>),
}

const PRESETS: [&str; 4] = ["home", "home@cloud", "@cloud", "home@"];
const TYPED: [&str; 3] = ["backup", "snapshots", "nightly"];

/// The sections that apply to `preset` and the typed command, lowest priority first
/// (docs/configuration.md).
fn stack(preset: Option<&str>, typed: &str) -> Vec<Vec<String>> {
    let mut tables = vec!["global".to_owned()];
    match preset {
        None => {}
        Some(name) => match name.split_once('@') {
            None => tables.push(name.to_owned()),
            Some((prefix, suffix)) => {
                if !suffix.is_empty() {
                    tables.push(format!("@{suffix}"));
                }
                if !prefix.is_empty() {
                    tables.push(format!("{prefix}@"));
                }
                if !prefix.is_empty() && !suffix.is_empty() {
                    tables.push(name.to_owned());
                }
            }
        },
    }
    tables
        .into_iter()
        .flat_map(|table| [vec![table.clone()], vec![table, typed.to_owned()]])
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

fn flag_value(rng: &mut Rng, key: &str) -> Val {
    match key {
        "repo" => Val::Str((*rng.pick(&["/srv/a", "~/r", "", "/srv/b"])).to_owned()),
        "r" => Val::Str("/srv/short".to_owned()),
        "tag" => {
            let count = rng.below(3);
            Val::List(
                (0..count)
                    .map(|_| (*rng.pick(&["a", "b", "c"])).to_owned())
                    .collect(),
            )
        }
        "quiet" => Val::Bool(rng.chance(50)),
        "verbose" => Val::Int(i64::try_from(rng.below(3)).expect("small") + 1),
        "exclude" => Val::Str(
            (*rng.pick(&["*.tmp", "x\n\n  y \n", "~/cache", "${ENVX}/e", "a$$b"])).to_owned(),
        ),
        "limit-upload" => Val::Int(i64::try_from(rng.below(100)).expect("small") + 1),
        "_arguments" => match rng.below(3) {
            0 => Val::List(strings(&["~/docs", "/srv/x"])),
            1 => Val::Str("~/a /b".to_owned()),
            _ => Val::Str("p q\nr".to_owned()),
        },
        "_workdir" => Val::Str((*rng.pick(&["~/wd", "/wd"])).to_owned()),
        "_pre_hooks" | "_post_hooks" => {
            let count = rng.below(3);
            Val::List(
                (0..count)
                    .map(|_| (*rng.pick(&["echo one", "echo ${UNSET_Y} $$"])).to_owned())
                    .collect(),
            )
        }
        "_command" => Val::Str((*rng.pick(&["backup", "snapshots"])).to_owned()),
        _ => unreachable!("{key}"),
    }
}

fn environ_value(rng: &mut Rng, key: &str) -> Val {
    match key {
        "A" if rng.chance(30) => Val::Int(7),
        "A" => Val::Str((*rng.pick(&["a1", "a$$2", "${ENVX}"])).to_owned()),
        "B" => Val::Str((*rng.pick(&["~/b", "b"])).to_owned()),
        "FOO" => Val::Str("plain foo".to_owned()),
        "FOO_COMMAND" => Val::Str((*rng.pick(&["echo foo", "pass show ${UNSET_X}"])).to_owned()),
        "RESTIC_PASSWORD_COMMAND" => Val::Str("pass show restic".to_owned()),
        _ => unreachable!("{key}"),
    }
}

const FLAG_KEYS: [&str; 14] = [
    "repo",
    "r",
    "tag",
    "quiet",
    "verbose",
    "exclude",
    "limit-upload",
    "_arguments",
    "_workdir",
    "_pre_hooks",
    "_post_hooks",
    "_command",
    "tag",
    "repo",
];
const ENV_KEYS: [&str; 5] = ["A", "B", "FOO", "FOO_COMMAND", "RESTIC_PASSWORD_COMMAND"];

fn cli_items(rng: &mut Rng) -> Vec<Cli> {
    let pool = [
        Cli::Flag {
            tokens: vec!["--tag", "cli-a"],
            canonical: "tag",
            emits: vec!["--tag", "cli-a"],
        },
        Cli::Flag {
            tokens: vec!["--tag=cli-b"],
            canonical: "tag",
            emits: vec!["--tag", "cli-b"],
        },
        Cli::Flag {
            tokens: vec!["-r", "/cli-r"],
            canonical: "repo",
            emits: vec!["-r", "/cli-r"],
        },
        Cli::Flag {
            tokens: vec!["--repo", "/cli-repo"],
            canonical: "repo",
            emits: vec!["--repo", "/cli-repo"],
        },
        Cli::Flag {
            tokens: vec!["--quiet"],
            canonical: "quiet",
            emits: vec!["--quiet"],
        },
        Cli::Flag {
            tokens: vec!["--quiet=false"],
            canonical: "quiet",
            // A switch typed with `=` goes to restic as typed; it still replaces `quiet`.
            emits: vec!["--quiet=false"],
        },
        Cli::Flag {
            tokens: vec!["-q"],
            canonical: "quiet",
            emits: vec!["-q"],
        },
        Cli::Flag {
            tokens: vec!["-v"],
            canonical: "verbose",
            emits: vec!["-v"],
        },
        Cli::Flag {
            tokens: vec!["--limit-upload=9"],
            canonical: "limit-upload",
            emits: vec!["--limit-upload", "9"],
        },
        Cli::Flag {
            tokens: vec!["--exclude", "cli-x"],
            canonical: "exclude",
            emits: vec!["--exclude", "cli-x"],
        },
        Cli::Positional("/pos1"),
        Cli::Positional("/pos2"),
    ];
    let mut items: Vec<Cli> = (0..rng.below(4)).map(|_| rng.pick(&pool).clone()).collect();
    if rng.chance(15) {
        items.push(Cli::DoubleDash(vec!["-dash", "/after"]));
    }
    items
}

fn generate(rng: &mut Rng) -> Case {
    let preset = if rng.chance(10) {
        None
    } else {
        Some(*rng.pick(&PRESETS))
    };
    let typed = *rng.pick(&TYPED);
    let mut candidates: Vec<Vec<String>> = match preset {
        // No preset runs only when the config defines none (docs/configuration.md).
        None => stack(None, typed),
        Some(_) => {
            let mut all: Vec<Vec<String>> = PRESETS
                .iter()
                .flat_map(|preset| stack(Some(preset), typed))
                .collect();
            // Sections that never apply: other presets, halves and commands.
            for other in ["other", "home@tape", "@tape", "work@"] {
                all.push(vec![other.to_owned()]);
            }
            all.push(vec!["home".to_owned(), "forget".to_owned()]);
            all.push(vec!["@cloud".to_owned(), "check".to_owned()]);
            all
        }
    };
    candidates.sort();
    candidates.dedup();
    let file_count = 1 + rng.below(3);
    let mut files: Vec<File> = Vec::new();
    for _ in 0..file_count {
        let mut file = File::new();
        for section in &candidates {
            if !rng.chance(35) {
                continue;
            }
            let mut keys = BTreeMap::new();
            for _ in 0..rng.below(4) {
                let key = *rng.pick(&FLAG_KEYS);
                let value = flag_value(rng, key);
                keys.insert(key.to_owned(), value);
            }
            file.insert(section.clone(), keys);
            if rng.chance(40) {
                let mut environ = BTreeMap::new();
                for _ in 0..1 + rng.below(3) {
                    let key = *rng.pick(&ENV_KEYS);
                    environ.insert(key.to_owned(), environ_value(rng, key));
                }
                let mut path = section.clone();
                path.push("environ".to_owned());
                file.insert(path, environ);
            }
        }
        files.push(file);
    }
    if typed == "nightly" {
        // An alias always names a command keld knows; more `_command`s may override it.
        let target = *rng.pick(&["backup", "snapshots"]);
        files[0]
            .entry(vec!["global".to_owned(), "nightly".to_owned()])
            .or_default()
            .insert("_command".to_owned(), Val::Str(target.to_owned()));
    }
    Case {
        files,
        preset,
        typed,
        cli: cli_items(rng),
    }
}

fn render_file(file: &File) -> String {
    let mut text = String::new();
    // Written in reverse order, so the order in a file carries no priority.
    for (path, keys) in file.iter().rev() {
        let header: Vec<String> = path.iter().map(|part| quote(part)).collect();
        text.push_str(&format!("[{}]\n", header.join(".")));
        for (key, value) in keys {
            text.push_str(&format!("{key} = {}\n", value.toml()));
        }
    }
    text
}

fn cli_tokens(case: &Case) -> Vec<&'static str> {
    case.cli
        .iter()
        .flat_map(|item| match item {
            Cli::Flag { tokens, .. } => tokens.clone(),
            Cli::Positional(arg) => vec![*arg],
            Cli::DoubleDash(rest) => std::iter::once("--").chain(rest.iter().copied()).collect(),
        })
        .collect()
}

// ---------------------------------------------------------------- the model

/// The environment variable every case resolves with.
const ENVX: &str = "/envx";

/// `${ENVX}` is the variable, `$$` a literal `$` (docs/configuration.md): the only references the
/// generator writes into interpolated values.
fn interpolate(text: &str) -> String {
    text.replace("${ENVX}", ENVX).replace("$$", "$")
}

/// `~` and `~/...` expand to the home directory (docs/configuration.md).
fn expand(text: &str) -> String {
    if text == "~" {
        HOME.to_owned()
    } else if let Some(rest) = text.strip_prefix("~/") {
        format!("{HOME}/{rest}")
    } else {
        text.to_owned()
    }
}

/// The non-empty lines of a string, trimmed.
fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
}

/// The identity of a configured key: `r` is `repo`'s short name.
fn canonical(key: &str) -> &str {
    if key == "r" { "repo" } else { key }
}

/// What the model predicts.
#[derive(Debug, PartialEq, Eq)]
struct Prediction {
    command: String,
    argv: Vec<String>,
    env: BTreeMap<String, (bool, String)>,
    pre_hooks: Vec<String>,
    post_hooks: Vec<String>,
    workdir: Option<String>,
}

/// Every definition of `key` in the sections `paths`, lowest priority first: a later
/// section wins, then a later file.
fn definitions<'a>(case: &'a Case, paths: &[Vec<String>], key: &str) -> Vec<&'a Val> {
    let mut found = Vec::new();
    for path in paths {
        for file in &case.files {
            if let Some(value) = file.get(path).and_then(|keys| keys.get(key)) {
                found.push(value);
            }
        }
    }
    found
}

fn winner<'a>(case: &'a Case, paths: &[Vec<String>], key: &str) -> Option<&'a Val> {
    definitions(case, paths, key).pop()
}

fn flag_argv(key: &str, value: &Val) -> Vec<String> {
    let spelling = if key.len() == 1 {
        format!("-{key}")
    } else {
        format!("--{key}")
    };
    let pairs = |values: Vec<String>| {
        values
            .into_iter()
            .flat_map(|value| [spelling.clone(), value])
            .collect()
    };
    match value {
        Val::Bool(true) => vec![spelling.clone()],
        Val::Bool(false) => Vec::new(),
        Val::Int(times) if canonical(key) == "verbose" => {
            (0..*times).map(|_| spelling.clone()).collect()
        }
        Val::Int(number) => pairs(vec![number.to_string()]),
        Val::Str(text) if text.contains('\n') => {
            pairs(lines(text).into_iter().map(expand).collect())
        }
        Val::Str(text) => pairs(vec![expand(&interpolate(text))]),
        Val::List(items) => pairs(items.iter().map(|item| expand(item)).collect()),
    }
}

fn arguments(value: &Val) -> Vec<String> {
    let items: Vec<String> = match value {
        Val::List(items) => items.clone(),
        Val::Str(text) if text.contains('\n') => {
            lines(text).into_iter().map(str::to_owned).collect()
        }
        Val::Str(text) => text.split_whitespace().map(str::to_owned).collect(),
        Val::Int(number) => vec![number.to_string()],
        Val::Bool(flag) => vec![flag.to_string()],
    };
    items.iter().map(|item| expand(item)).collect()
}

fn text_of(value: &Val) -> String {
    match value {
        Val::Str(text) => text.clone(),
        Val::Int(number) => number.to_string(),
        Val::Bool(flag) => flag.to_string(),
        Val::List(_) => unreachable!("no list in environ"),
    }
}

/// (section position, file position, is the long name): the greatest wins.
type Rank = (usize, usize, bool);

fn predict(case: &Case) -> Result<Prediction, String> {
    let sections = stack(case.preset, case.typed);
    // A section exists when any file defines it or a table inside it.
    let exists = |path: &Vec<String>| {
        case.files
            .iter()
            .any(|file| file.keys().any(|defined| defined.starts_with(path)))
    };
    if case.preset.is_some()
        && !sections
            .iter()
            .any(|path| path[0] != "global" && exists(path))
    {
        return Err("unknown preset".to_owned());
    }

    let command = match winner(case, &sections, "_command") {
        Some(Val::Str(name)) => name.clone(),
        _ => case.typed.to_owned(),
    };

    // Configured flags: per identity, the definition of the latest section, then the
    // latest file, then (in one table) the long name over the short one.
    let mut best: BTreeMap<&str, (Rank, &str, &Val)> = BTreeMap::new();
    for (position, path) in sections.iter().enumerate() {
        for (file_index, file) in case.files.iter().enumerate() {
            let Some(keys) = file.get(path) else { continue };
            for (key, value) in keys {
                if key.starts_with('_') {
                    continue;
                }
                let rank = (position, file_index, canonical(key) == key);
                let entry = best.entry(canonical(key)).or_insert((rank, key, value));
                if rank >= entry.0 {
                    *entry = (rank, key, value);
                }
            }
        }
    }
    let replaced: Vec<&str> = case
        .cli
        .iter()
        .filter_map(|item| match item {
            Cli::Flag { canonical, .. } => Some(*canonical),
            _ => None,
        })
        .collect();
    let mut configured: Vec<(&str, Vec<String>)> = best
        .iter()
        .filter(|(identity, _)| !replaced.contains(identity))
        .map(|(_, (_, key, value))| (*key, flag_argv(key, value)))
        .filter(|(_, argv)| !argv.is_empty())
        .collect();
    configured.sort_by_key(|(key, _)| *key);

    let mut argv = vec![command.clone()];
    argv.extend(configured.into_iter().flat_map(|(_, argv)| argv));
    let mut positionals = Vec::new();
    for item in &case.cli {
        match item {
            Cli::Flag { emits, .. } => argv.extend(emits.iter().map(|t| (*t).to_owned())),
            Cli::Positional(arg) => positionals.push((*arg).to_owned()),
            Cli::DoubleDash(rest) => positionals.extend(rest.iter().map(|t| (*t).to_owned())),
        }
    }
    let args = if positionals.is_empty() {
        winner(case, &sections, "_arguments")
            .map(arguments)
            .unwrap_or_default()
    } else {
        positionals
    };
    if args.iter().any(|arg| arg.starts_with('-')) {
        argv.push("--".to_owned());
    }
    argv.extend(args);

    let hooks = |key: &str| match winner(case, &sections, key) {
        Some(Val::List(items)) if command == "backup" => items.clone(),
        _ => Vec::new(),
    };

    // Environment: environ sections in the same order; FOO_COMMAND makes FOO and wins
    // over a plain FOO; restic's own _COMMANDs pass through unrun (docs/configuration.md).
    let environ_paths: Vec<Vec<String>> = sections
        .iter()
        .map(|path| {
            let mut path = path.clone();
            path.push("environ".to_owned());
            path
        })
        .collect();
    let mut env = BTreeMap::new();
    let restic_own = ["RESTIC_PASSWORD_COMMAND", "RESTIC_FROM_PASSWORD_COMMAND"];
    for name in ENV_KEYS {
        let Some(value) = winner(case, &environ_paths, name) else {
            continue;
        };
        match name.strip_suffix("_COMMAND") {
            Some(base) if !restic_own.contains(&name) => {
                env.insert(base.to_owned(), (true, text_of(value)));
            }
            _ => {
                let command_name = format!("{name}_COMMAND");
                if winner(case, &environ_paths, &command_name).is_none() {
                    let text = interpolate(&text_of(value));
                    env.insert(name.to_owned(), (false, expand(&text)));
                }
            }
        }
    }

    let pre_hooks = hooks("_pre_hooks");
    let post_hooks = hooks("_post_hooks");
    Ok(Prediction {
        command,
        argv,
        env,
        pre_hooks,
        post_hooks,
        workdir: winner(case, &sections, "_workdir").map(|value| expand(&text_of(value))),
    })
}

// ---------------------------------------------------------------- the library

fn actual(case: &Case) -> Result<Prediction, String> {
    let sources = case.files.iter().enumerate().map(|(index, file)| Source {
        path: format!("/cfg/{index}.toml").into(),
        text: render_file(file),
    });
    let config = Config::from_sources(sources).map_err(|error| format!("load: {error}"))?;
    let tokens = cli_tokens(case);
    let resolved = config
        .resolve_with_flags(
            &request(case.preset, case.typed, &tokens),
            &env(&[("ENVX", ENVX)]),
            &crate::catalog::flags(),
        )
        .map_err(|error| match error {
            keld_config::Error::UnknownPreset { .. } => "unknown preset".to_owned(),
            other => format!("resolve: {other}"),
        })?;
    Ok(Prediction {
        command: resolved.command.clone(),
        argv: resolved.args(),
        env: resolved
            .environ
            .iter()
            .map(|var| {
                let value = match &var.value {
                    EnvValue::Literal(text) => (false, text.clone()),
                    EnvValue::Command(text) => (true, text.clone()),
                };
                (var.name.clone(), value)
            })
            .collect(),
        pre_hooks: resolved.active_pre_hooks().to_vec(),
        post_hooks: resolved.active_post_hooks().to_vec(),
        workdir: resolved
            .workdir
            .as_ref()
            .map(|setting| setting.value.display().to_string()),
    })
}

#[test]
fn a_thousand_random_configs_agree_with_the_model() {
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    let mut resolved = 0;
    let mut refused = 0;
    for index in 0..CASES {
        let case = generate(&mut rng);
        let expected = predict(&case);
        let got = actual(&case);
        if expected != got {
            let files: Vec<String> = case.files.iter().map(render_file).collect();
            panic!(
                "case {index} disagrees\npreset {:?}, command {}, args {:?}\n{}\nmodel:   {expected:#?}\nlibrary: {got:#?}",
                case.preset,
                case.typed,
                cli_tokens(&case),
                files
                    .iter()
                    .enumerate()
                    .map(|(i, text)| format!("--- /cfg/{i}.toml\n{text}"))
                    .collect::<String>(),
            );
        }
        match expected {
            Ok(_) => resolved += 1,
            Err(_) => refused += 1,
        }
    }
    // The generator must exercise both outcomes, mostly successful resolutions.
    assert!(
        resolved > CASES * 3 / 4,
        "{resolved} resolved, {refused} refused"
    );
    assert!(refused > 0, "no case had an unknown preset");
}
