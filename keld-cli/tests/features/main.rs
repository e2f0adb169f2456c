//! Runs the scenarios of `features/*.feature` (at the workspace root) with the `cucumber`
//! crate, against the real `keld` binary: `backup_hooks.feature` without a terminal,
//! `navigation.feature` and `restore_flow.feature` on a pseudo-terminal.
//!
//! Every scenario runs in one [`world::KeldWorld`], built on the same
//! [`support::Sandbox`] and stand-in restic as the test harness (`tests/cli/`).
//!
//! Like a libtest harness, this runner takes filters: a scenario runs when its name,
//! `FEATURE::SCENARIO` (`navigation::Bare keld starts at the command menu`), contains
//! one of them, or one of them is a tag of the scenario, its rule or its feature
//! (`cargo test -p keld-cli real_restic` runs the `@real_restic` feature);
//! `--exact`, `--skip`, `--ignored` (no scenario is ignored) and `--list` work as
//! there, and libtest's other options are accepted and ignored.

#[path = "../support/mod.rs"]
mod support;

mod hooks;
mod screens;
mod world;

use std::path::Path;

use cucumber::World as _;
use cucumber::gherkin::{self, GherkinEnv};
use cucumber::writer::Stats as _;

use world::KeldWorld;

/// The feature files, and whether their scenarios run one at a time (those drive a
/// terminal and real processes, and wait for what they see).
const FEATURES: [(&str, bool); 3] = [
    ("backup_hooks", false),
    ("navigation", true),
    ("restore_flow", true),
];

fn main() {
    let selection = Selection::parse(std::env::args().skip(1)).unwrap_or_else(|err| {
        eprintln!("features: {err}");
        std::process::exit(2);
    });
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features");
    let mut failed = Vec::new();
    let mut ran = 0;
    for (stem, one_at_a_time) in FEATURES {
        let path = dir.join(format!("{stem}.feature"));
        let feature = gherkin::Feature::parse_path(&path, GherkinEnv::default())
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let selected: Vec<String> = scenarios(&feature)
            .filter(|(rule, scenario)| selection.selects(stem, &feature, *rule, scenario))
            .map(|(_, scenario)| format!("{stem}::{}", scenario.name))
            .collect();
        if selection.list {
            for name in selected {
                println!("{name}: test");
            }
            continue;
        }
        if selected.is_empty() {
            continue;
        }
        ran += selected.len();
        let filter = {
            let selection = selection.clone();
            move |feature: &gherkin::Feature,
                  rule: Option<&gherkin::Rule>,
                  scenario: &gherkin::Scenario| {
                selection.selects(stem, feature, rule, scenario)
            }
        };
        let cucumber = KeldWorld::cucumber().with_default_cli().fail_on_skipped();
        let cucumber = if one_at_a_time {
            cucumber.max_concurrent_scenarios(1)
        } else {
            cucumber
        };
        // Failed, skipped (an unknown step) and unparsable steps all count as failed.
        let writer = futures::executor::block_on(cucumber.filter_run(&path, filter));
        if writer.execution_has_failed() {
            failed.push(stem);
        }
    }
    if ran == 0 && !selection.list {
        println!("features: no scenario selected");
    }
    if !failed.is_empty() {
        eprintln!("features: scenarios failed in {}", failed.join(", "));
        std::process::exit(101);
    }
}

/// Every scenario of `feature`, with its rule.
fn scenarios(
    feature: &gherkin::Feature,
) -> impl Iterator<Item = (Option<&gherkin::Rule>, &gherkin::Scenario)> {
    feature
        .scenarios
        .iter()
        .map(|scenario| (None, scenario))
        .chain(feature.rules.iter().flat_map(|rule| {
            rule.scenarios
                .iter()
                .map(move |scenario| (Some(rule), scenario))
        }))
}

/// Which scenarios to run, from libtest-style arguments.
#[derive(Clone, Debug, Default)]
struct Selection {
    filters: Vec<String>,
    skip: Vec<String>,
    exact: bool,
    ignored_only: bool,
    list: bool,
}

impl Selection {
    fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut selection = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--exact" => selection.exact = true,
                "--ignored" => selection.ignored_only = true,
                "--list" => selection.list = true,
                "--skip" => selection
                    .skip
                    .push(args.next().ok_or("--skip needs a value")?),
                "--include-ignored"
                | "--nocapture"
                | "--no-capture"
                | "--show-output"
                | "--quiet"
                | "-q"
                | "--report-time"
                | "--shuffle"
                | "--test"
                | "--force-run-in-process" => {}
                "--test-threads" | "--color" | "--format" | "--logfile" | "--shuffle-seed"
                | "-Z" => {
                    args.next().ok_or(format!("{arg} needs a value"))?;
                }
                _ => {
                    if let Some(value) = arg.strip_prefix("--skip=") {
                        selection.skip.push(value.to_owned());
                    } else if arg.starts_with("--") && arg.contains('=') {
                        // `--test-threads=1` and the like.
                    } else if arg.starts_with('-') {
                        return Err(format!("unknown option {arg}"));
                    } else {
                        selection.filters.push(arg);
                    }
                }
            }
        }
        Ok(selection)
    }

    fn selects(
        &self,
        stem: &str,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
    ) -> bool {
        if self.ignored_only {
            return false;
        }
        let name = format!("{stem}::{}", scenario.name);
        let tags: Vec<&String> = feature
            .tags
            .iter()
            .chain(rule.iter().flat_map(|rule| rule.tags.iter()))
            .chain(scenario.tags.iter())
            .collect();
        let matches = |filter: &String| {
            if self.exact {
                name == *filter
            } else {
                name.contains(filter.as_str()) || tags.contains(&filter)
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skip.iter().any(matches)
    }
}
