//! Property tests: resolution never panics, and precedence matches a tiny model.

use std::collections::BTreeMap;

use keld_config::{Config, FlagValue, Origin, Source};
use proptest::prelude::*;

use crate::render::{env, request};

fn header() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "[global]",
        "[global.backup]",
        "[home]",
        "[home.backup]",
        "[\"home@\"]",
        "[\"@cloud\"]",
        "[\"home@cloud\".backup]",
        "[home.environ]",
        "[home.backup.environ]",
        "[a.b.c]",
        "[[home]]",
        "[\"a@b@c\"]",
        "[\"\"]",
        "[home",
        "[global.environ]",
    ])
    .prop_map(str::to_owned)
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "repo",
        "r",
        "tag",
        "verbose",
        "v",
        "quiet",
        "_arguments",
        "_workdir",
        "_command",
        "_pre_hooks",
        "_post_hooks",
        "_bogus",
        "X_COMMAND",
        "X",
        "environ",
        "\"a.b\"",
        "a.b",
    ])
    .prop_map(str::to_owned)
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "\"plain\"",
            "\"~/x\"",
            "\"${global.repo}\"",
            "\"${home.tag}\"",
            "\"${UNSET}\"",
            "\"${USER}\"",
            "\"$$ $x ${\"",
            "\"${}\"",
            "\"${home.repo}-${home.repo}\"",
            "true",
            "false",
            "-3",
            "2",
            "0.5",
            "[]",
            "[\"a\", \"b\"]",
            "[1, \"a\"]",
            "[[1]]",
            "{ a = 1 }",
            "1979-05-27",
            "\"\"\"\na\n\nb\n\"\"\"",
            "\"backup\"",
            "\"\"",
            "[true]",
            "nan",
        ])
        .prop_map(str::to_owned),
        "[a-z$~{}. \\-]{0,12}".prop_map(|text| format!("{text:?}")),
    ]
}

fn document() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => structured_document(),
        1 => "(\\PC|\n){0,120}",
    ]
}

fn structured_document() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            header(),
            (key(), value()).prop_map(|(key, value)| format!("{key} = {value}")),
        ],
        0..16,
    )
    .prop_map(|lines| lines.join("\n"))
}

fn args() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(vec![
            "--tag",
            "x",
            "-r",
            "--repo=/r",
            "-vvv",
            "--",
            "-",
            "--quiet=false",
            "-qZ",
            "--v=2",
            "/path",
            "-r=",
            "--=",
            "-=",
        ])
        .prop_map(str::to_owned),
        0..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn resolution_never_panics(
        first in document(),
        second in document(),
        preset in prop::option::of(prop::sample::select(vec!["home", "home@cloud", "@cloud", "home@", "x", "", "a@b@c", "global"])),
        command in prop::sample::select(vec!["backup", "snapshots", "nightly", "", "environ"]),
        args in args(),
    ) {
        let loaded = Config::from_sources([
            Source { path: "/a.toml".into(), text: first },
            Source { path: "/b.toml".into(), text: second },
        ]);
        if let Ok(config) = loaded {
            let _ = config.presets();
            let request = request(preset, command, &args.iter().map(String::as_str).collect::<Vec<_>>());
            let vars = env(&[("USER", "ann")]);
            if let Ok(resolved) = config.resolve_with_flags(&request, &vars, &crate::catalog::flags()) {
                let _ = resolved.args();
            }
            let _ = config.resolve(&request, &vars);
        }
    }
}

/// The sections of `home@cloud backup`, lowest priority first.
const STACK: &[(&str, &str)] = &[
    ("global", "[global]"),
    ("global.backup", "[global.backup]"),
    ("@cloud", "[\"@cloud\"]"),
    ("@cloud.backup", "[\"@cloud\".backup]"),
    ("home@", "[\"home@\"]"),
    ("home@.backup", "[\"home@\".backup]"),
    ("home@cloud", "[\"home@cloud\"]"),
    ("home@cloud.backup", "[\"home@cloud\".backup]"),
];
const KEYS: &[&str] = &["alpha", "beta", "gamma", "delta"];

/// For each (file, section): the keys it defines.
type Layout = Vec<Vec<Vec<bool>>>;

fn layout() -> impl Strategy<Value = Layout> {
    prop::collection::vec(
        prop::collection::vec(
            prop::collection::vec(any::<bool>(), KEYS.len()),
            STACK.len(),
        ),
        1..4,
    )
}

/// The value a key is given in one file and section: unique, so its source is visible.
fn marker(file: usize, section: usize, key: usize) -> String {
    format!("f{file}-s{section}-k{key}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_highest_priority_definition_wins(layout in layout()) {
        let mut sources = Vec::new();
        for (file, sections) in layout.iter().enumerate() {
            let mut text = String::new();
            // Sections are written in reverse so file order does not imply priority.
            for (section, keys) in sections.iter().enumerate().rev() {
                text.push_str(STACK[section].1);
                text.push('\n');
                for (key, defined) in keys.iter().enumerate() {
                    if *defined {
                        text.push_str(&format!("{} = \"{}\"\n", KEYS[key], marker(file, section, key)));
                    }
                }
            }
            sources.push(Source { path: format!("/f{file}.toml").into(), text });
        }
        // The model: scan sections lowest first, files lowest first; the last definition wins.
        let mut expected: BTreeMap<&str, (String, usize, usize)> = BTreeMap::new();
        for section in 0..STACK.len() {
            for (file, sections) in layout.iter().enumerate() {
                for (key, defined) in sections[section].iter().enumerate() {
                    if *defined {
                        expected.insert(KEYS[key], (marker(file, section, key), file, section));
                    }
                }
            }
        }
        let config = Config::from_sources(sources).expect("valid config");
        let resolved = config
            .resolve_with_flags(&request(Some("home@cloud"), "backup", &[]), &env(&[]), &crate::catalog::flags())
            .expect("resolves");
        let actual: BTreeMap<&str, (String, usize, usize)> = resolved
            .flags
            .iter()
            .map(|flag| {
                let FlagValue::Values(values) = &flag.value else { panic!("string flags") };
                let Origin::File { path, section, .. } = &flag.origin else { panic!("from a file") };
                let file: usize = path.display().to_string()[2..3].parse().expect("file number");
                let section = STACK.iter().position(|(name, _)| name == section).expect("known section");
                let key = KEYS.iter().find(|key| **key == flag.key).expect("known key");
                (*key, (values[0].clone(), file, section))
            })
            .collect();
        prop_assert_eq!(actual, expected);
    }
}
