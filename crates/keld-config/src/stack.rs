//! One resolution: the applicable sections as an ordered stack whose order *is* the
//! precedence, then flags, special keys, environment and command-line overrides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::effect::Effect;
use crate::error::Error;
use crate::flags::FlagData;
use crate::interpolate::{Interpolator, Traced};
use crate::overrides::{self, CliArgs};
use crate::presets::{self, Presets};
use crate::secure::Doubt;
use crate::source::Span;
use crate::special;
use crate::tree::{Definition, Table};
use crate::trust::{self, Guard};
use crate::value::Value;
use crate::values::{self, FlagProblem, HomeNotUtf8, expand_home};
use crate::{
    EnvValue, EnvVar, Environment, Flag, Operations, Origin, Overridden, Request, ResolvedConfig,
    Setting, Warning,
};

/// restic's own `_COMMAND` variables, passed through unrun.
const RESTIC_COMMAND_VARS: &[&str] = &["RESTIC_PASSWORD_COMMAND", "RESTIC_FROM_PASSWORD_COMMAND"];

/// One existing section of the stack.
struct Layer<'a> {
    section: String,
    table: Table<'a>,
}

/// A definition together with the section it sits in.
#[derive(Clone, Copy)]
struct Found<'a> {
    section: &'a str,
    key: &'a str,
    definition: Definition<'a>,
}

impl Found<'_> {
    fn origin(&self) -> Origin {
        file_origin(self.section, &self.definition.key())
    }

    fn overridden(&self) -> Overridden {
        Overridden {
            origin: self.origin(),
            // As written, with a secret value masked: provenance is for showing.
            value: crate::redact::shown_value(
                self.definition.key().text(),
                self.definition.span().text(),
            ),
        }
    }
}

fn file_origin(section: &str, key: &Span) -> Origin {
    let (line, column) = key.source.line_column(key.range.start);
    Origin::File {
        path: key.source.path().to_owned(),
        line,
        column,
        section: section.to_owned(),
    }
}

/// Every definition of `key` in the stack, lowest priority first (the last one wins).
fn definitions<'a>(layers: &'a [Layer<'a>], key: &str) -> Vec<Found<'a>> {
    layers
        .iter()
        .filter_map(|layer| {
            let (name, definitions) = layer.table.get_key_value(key)?;
            Some((layer, name, definitions))
        })
        .flat_map(|(layer, name, definitions)| {
            definitions.iter().map(move |definition| Found {
                section: &layer.section,
                key: name,
                definition,
            })
        })
        .collect()
}

/// Lower-priority definitions, highest priority first.
fn overridden_by(found: &[Found<'_>]) -> Vec<Overridden> {
    found.iter().rev().skip(1).map(Found::overridden).collect()
}

fn setting<T>(found: &[Found<'_>], value: T) -> Option<Setting<T>> {
    let winner = found.last()?;
    Some(Setting {
        value,
        origin: winner.origin(),
        overridden: overridden_by(found),
    })
}

/// `~` in the value of `found` with a home directory that is not UTF-8.
fn home_not_utf8(found: &Found<'_>) -> Error {
    let span = found.definition.span();
    Error::NotUtf8Value {
        name: "the home directory".to_owned(),
        help: "`~` in a config value stands for the home directory (HOME, or your \
               account's), which is not UTF-8 text here: write the path out in full, or \
               set HOME to a UTF-8 path"
            .to_owned(),
        at: span.location(),
        src: span.source.clone(),
        span: span.miette(),
    }
}

/// `text` with `~` expanded, for the value of `found`.
fn expand(text: &str, home: Option<&Path>, found: &Found<'_>) -> Result<String, Error> {
    expand_home(text, home).map_err(|HomeNotUtf8| home_not_utf8(found))
}

/// The error for a value of `found` that cannot become what its key needs.
fn flag_problem(found: &Found<'_>, problem: FlagProblem) -> Error {
    match problem {
        FlagProblem::Kind { what, help } => unsupported(found, &what, &help),
        FlagProblem::HomeNotUtf8 => home_not_utf8(found),
    }
}

fn unsupported(found: &Found<'_>, what: &str, help: &str) -> Error {
    let span = found.definition.span();
    Error::UnsupportedValue {
        key: format!("{}.{}", found.section, found.key),
        what: what.to_owned(),
        help: help.to_owned(),
        at: span.location(),
        src: span.source.clone(),
        span: span.miette(),
    }
}

impl Guard<'_> {
    /// [`Guard::check`] for a found definition.
    fn found(
        &self,
        effect: Option<Effect>,
        found: &Found<'_>,
        traced: &[Traced<'_>],
    ) -> Result<(), Error> {
        self.check(effect, found.section, found.key, found.definition, traced)
    }
}

/// What keld's key `name` decides, for the trust check (trust.rs).
fn special_effect(name: &str) -> Option<Effect> {
    special::lookup(name).and_then(|key| key.effect)
}

/// Resolves `request` against the merged files, `doubts` saying which of them another
/// user could have written (see trust.rs: what such a file may not decide is refused
/// when it has a part in the final arguments and environment).
pub(crate) fn resolve(
    root: Table<'_>,
    files: &[PathBuf],
    doubts: &[Option<Doubt>],
    request: &Request,
    env: &Environment,
    flags: &FlagData<'_>,
) -> Result<ResolvedConfig, Error> {
    let guard = Guard::new(doubts);
    let preset = choose_preset(root, request.preset.as_deref())?;
    let home = env.home.as_deref();
    let mut stack = Vec::new();
    let mut environ_stack = Vec::new();
    let mut sections = Vec::new();
    let mut preset_found = false;
    for path in presets::section_paths(preset.as_deref(), &request.command) {
        let Some(table) = root.table_at(path.iter().map(String::as_str)) else {
            continue;
        };
        preset_found |= path[0] != "global";
        let section = path.join(".");
        sections.push(section.clone());
        stack.push(Layer {
            section: section.clone(),
            table,
        });
        if let Some(environ) = table.table("environ") {
            let section = format!("{section}.environ");
            sections.push(section.clone());
            environ_stack.push(Layer {
                section,
                table: environ,
            });
        }
    }
    if let Some(name) = &preset
        && !preset_found
    {
        return Err(Error::UnknownPreset {
            name: name.clone(),
            known: Presets::of(root).nearest(name, PRESETS_SHOWN),
        });
    }

    let mut interpolator = Interpolator::new(root, env, guard.active());
    let command_definitions = definitions(&stack, "_command");
    let command = match command_definitions.last() {
        Some(found) => {
            let name = text_of(&mut interpolator, found)?;
            check_special(found, &Value::String(name.clone()))?;
            let effect = special_effect("_command").filter(|_| !name.is_empty());
            guard.found(effect, found, interpolator.traced())?;
            Some(name).filter(|name| !name.is_empty())
        }
        None => None,
    }
    .unwrap_or_else(|| request.command.clone());

    let workdir_definitions = definitions(&stack, "_workdir");
    let workdir = match workdir_definitions.last() {
        Some(found) => {
            let text = text_of(&mut interpolator, found)?;
            guard.found(special_effect("_workdir"), found, interpolator.traced())?;
            setting(
                &workdir_definitions,
                PathBuf::from(expand(&text, home, found)?),
            )
        }
        None => None,
    };

    let argument_definitions = definitions(&stack, "_arguments");
    let mut arguments_traced = Vec::new();
    let mut arguments = match argument_definitions.last() {
        Some(found) => {
            let value = interpolator.resolve(found.section, "_arguments", found.definition)?;
            arguments_traced = interpolator.traced().to_vec();
            let list =
                values::arguments(&value, home).map_err(|problem| flag_problem(found, problem))?;
            setting(&argument_definitions, list)
        }
        None => None,
    };

    let hooks = |key: &str| -> Result<Option<Setting<Vec<String>>>, Error> {
        let found = definitions(&stack, key);
        let Some(winner) = found.last() else {
            return Ok(None);
        };
        let Some(list) = values::string_list(&winner.definition.value()) else {
            return Ok(None);
        };
        let effect = special_effect(key).filter(|_| !list.is_empty());
        guard.found(effect, winner, &[])?;
        Ok(setting(&found, list))
    };
    let pre_hooks = hooks("_pre_hooks")?;
    let post_hooks = hooks("_post_hooks")?;
    let operations = operations(&stack, home, &mut interpolator, &guard)?;

    let mut warnings = Vec::new();
    let configured = config_flags(
        &stack,
        &command,
        flags,
        home,
        &mut interpolator,
        &mut warnings,
        guard.active(),
    )?;
    let cli = overrides::parse(&request.args, &command, flags);
    let flags_out = apply_cli_flags(configured, &cli, &command, flags, &guard)?;
    // `--stdin-from-command` makes restic run its positional arguments: configured
    // arguments are then a command.
    let runs_arguments = guard.active()
        && flags_out
            .iter()
            .any(|flag| flags.canonical(&command, &flag.key) == "stdin-from-command");
    if runs_arguments
        && cli.positionals.is_empty()
        && let Some(found) = argument_definitions.last()
    {
        guard.found(Some(Effect::RunsCommands), found, &arguments_traced)?;
    }
    if let Some((first, _)) = cli.positionals.first() {
        let mut overridden = Vec::new();
        if let Some(configured) = arguments.take() {
            overridden.push(Overridden {
                origin: configured.origin,
                value: render_list(&configured.value),
            });
            overridden.extend(configured.overridden);
        }
        arguments = Some(Setting {
            value: cli.positionals.iter().map(|(_, arg)| arg.clone()).collect(),
            origin: Origin::CommandLine { index: *first },
            overridden,
        });
    }

    let environ = environment(&environ_stack, home, &mut interpolator, &guard)?;

    Ok(ResolvedConfig {
        preset,
        typed_command: request.command.clone(),
        command,
        flags: flags_out,
        arguments,
        workdir,
        environ,
        pre_hooks,
        post_hooks,
        operations,
        files: files.to_vec(),
        sections,
        warnings,
    })
}

/// The value of the keld key `name` from the stack: interpolated, then checked as
/// every file's literal values are (type and format), at the definition's place.
fn special_value<'a>(
    stack: &'a [Layer<'a>],
    name: &str,
    interpolator: &mut Interpolator<'a>,
    guard: &Guard<'_>,
) -> Result<Option<(Value, Vec<Found<'a>>)>, Error> {
    let found = definitions(stack, name);
    let Some(winner) = found.last().copied() else {
        return Ok(None);
    };
    let value = interpolator.resolve(winner.section, name, winner.definition)?;
    check_special(&winner, &value)?;
    guard.found(special_effect(name), &winner, interpolator.traced())?;
    Ok(Some((value, found)))
}

/// Checks the value of a keld key once interpolated, as every file's literal values
/// are (type and format).
fn check_special(found: &Found<'_>, value: &Value) -> Result<(), Error> {
    let Some(key) = special::lookup(found.key) else {
        return Ok(());
    };
    special::check_value(key, value).map_err(|problem| match problem {
        special::Problem::Type(what, help) | special::Problem::Invalid(what, help) => {
            unsupported(found, &what, &help)
        }
        special::Problem::Unknown(help) | special::Problem::Misplaced(help) => {
            unsupported(found, "not allowed", &help)
        }
    })
}

/// The keys for unattended operation (docs/operations.md), resolved and checked.
fn operations<'a>(
    stack: &'a [Layer<'a>],
    home: Option<&Path>,
    interpolator: &mut Interpolator<'a>,
    guard: &Guard<'_>,
) -> Result<Operations, Error> {
    let mut operations = Operations::default();
    let mut get = |name: &str| special_value(stack, name, interpolator, guard);
    let text = |value: &Value| value.scalar_text().unwrap_or_default();
    let duration = |value: &Value| special::duration(&text(value)).unwrap_or_default();
    if let Some((value, found)) = get("_lock")? {
        operations.lock = setting(&found, matches!(value, Value::Boolean(true)));
    }
    if let Some((value, found)) = get("_lock_wait")? {
        operations.lock_wait = setting(&found, duration(&value));
    }
    if let Some((value, found)) = get("_hook_timeout")? {
        operations.hook_timeout = setting(&found, duration(&value));
    }
    if let Some((value, found)) = get("_success_exit_codes")? {
        let codes = match &value {
            Value::Array(items) => items
                .iter()
                .filter_map(|item| match item {
                    Value::Integer(code) => u8::try_from(*code).ok(),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        operations.success_exit_codes = setting(&found, codes);
    }
    if let Some((value, found)) = get("_metrics_dir")? {
        let winner = found.last().copied();
        let dir = match winner {
            Some(winner) => expand(&text(&value), home, &winner)?,
            None => text(&value),
        };
        operations.metrics_dir = setting(&found, PathBuf::from(dir));
    }
    for (name, slot) in [
        ("_healthchecks", &mut operations.healthchecks),
        ("_ntfy", &mut operations.ntfy),
        ("_webhook", &mut operations.webhook),
    ] {
        if let Some((value, found)) = get(name)? {
            *slot = setting(&found, text(&value));
        }
    }
    if let Some((value, found)) = get("_schedule")? {
        let calendars = match &value {
            Value::Array(items) => items.iter().filter_map(Value::scalar_text).collect(),
            other => other.scalar_text().into_iter().collect(),
        };
        operations.schedule = setting(&found, calendars);
    }
    if let Some((value, found)) = get("_schedule_delay")? {
        operations.schedule_delay = setting(&found, duration(&value));
    }
    Ok(operations)
}

/// A string-valued special key (`_command`, `_workdir`), interpolated.
fn text_of<'a>(interpolator: &mut Interpolator<'a>, found: &Found<'a>) -> Result<String, Error> {
    let value = interpolator.resolve(found.section, found.key, found.definition)?;
    value
        .scalar_text()
        .ok_or_else(|| unsupported(found, "an array", "this key holds one string"))
}

/// `--preset`, or the single runnable preset, or none (docs/configuration.md).
fn choose_preset(root: Table<'_>, requested: Option<&str>) -> Result<Option<String>, Error> {
    if let Some(name) = requested {
        let reason = crate::document::preset_name_problem(name)
            .or((name == "global").then_some("[global] applies to every preset; it is not one"));
        if let Some(reason) = reason {
            return Err(Error::InvalidPresetName {
                name: name.to_owned(),
                reason: reason.to_owned(),
            });
        }
        return Ok(Some(name.to_owned()));
    }
    let presets = Presets::of(root);
    match presets.runnable_count() {
        0 => Ok(None),
        1 => Ok(presets.runnable_names().next()),
        total => Err(Error::PresetRequired {
            presets: presets.runnable_names().take(PRESETS_SHOWN).collect(),
            total,
        }),
    }
}

/// How many preset names a message lists at most.
const PRESETS_SHOWN: usize = 20;

/// (section position, file position, is the long name): sorts definitions of one flag.
type Rank = (usize, usize, bool);

/// A configured flag after resolution, before command-line overrides.
struct Configured<'a> {
    canonical: String,
    /// `None` when the winning value emits nothing (`false`, `[]`).
    flag: Option<Flag>,
    /// Every definition, highest priority first (the winner included).
    definitions: Vec<Overridden>,
    /// When the trust check is on and the flag has an effect: the effect, the winning
    /// definition and the definitions its references led to, judged if the flag is
    /// not replaced on the command line.
    judged: Option<(Effect, Found<'a>, Vec<Traced<'a>>)>,
}

fn config_flags<'a>(
    stack: &'a [Layer<'a>],
    command: &str,
    flags: &FlagData<'_>,
    home: Option<&Path>,
    interpolator: &mut Interpolator<'a>,
    warnings: &mut Vec<Warning>,
    judge: bool,
) -> Result<Vec<Configured<'a>>, Error> {
    // (layer, file, long name?) orders the definitions of one flag: a later section
    // wins, then a later file, and within one table of one file the long name wins
    // over its short alias (`repo` over `r`).
    let mut groups: BTreeMap<String, Vec<(Rank, Found<'_>)>> = BTreeMap::new();
    for (position, layer) in stack.iter().enumerate() {
        for (key, found) in layer.table.values() {
            if key.starts_with('_') {
                continue;
            }
            let canonical = flags.canonical(command, key);
            let is_long = canonical == key;
            groups
                .entry(canonical)
                .or_default()
                .extend(found.iter().map(|definition| {
                    let rank = (position, definition.order(), is_long);
                    let found = Found {
                        section: &layer.section,
                        key,
                        definition,
                    };
                    (rank, found)
                }));
        }
    }
    let groups = groups.into_iter().map(|(canonical, mut ranked)| {
        ranked.sort_by_key(|(rank, _)| *rank);
        let found: Vec<Found<'_>> = ranked.into_iter().map(|(_, found)| found).collect();
        (canonical, found)
    });
    let command_known = flags.command(command).is_some();
    let mut configured = Vec::with_capacity(groups.len());
    for (canonical, found) in groups {
        let Some(winner) = found.last() else { continue };
        let key = winner.key.to_owned();
        let kind = flags.kind(command, &key);
        if command_known && kind.is_none() {
            warnings.push(unknown_flag_warning(&key, command, flags, winner.origin()));
        }
        let value = interpolator.resolve(winner.section, &key, winner.definition)?;
        let judged = if judge {
            trust::flag_effect(flags, Some(command), &key, &value)
                .map(|effect| (effect, *winner, interpolator.traced().to_vec()))
        } else {
            None
        };
        let flag_value = values::flag_value(&value, &key, kind, home)
            .map_err(|problem| flag_problem(winner, problem))?;
        let flag = flag_value.map(|value| Flag {
            key: key.clone(),
            value,
            origin: winner.origin(),
            overridden: overridden_by(&found),
        });
        configured.push(Configured {
            canonical,
            flag,
            definitions: found.iter().rev().map(Found::overridden).collect(),
            judged,
        });
    }
    configured.sort_by(|a, b| {
        let key = |c: &Configured<'_>| c.flag.as_ref().map(|flag| flag.key.clone());
        key(a).cmp(&key(b))
    });
    Ok(configured)
}

fn unknown_flag_warning(key: &str, command: &str, flags: &FlagData<'_>, origin: Origin) -> Warning {
    let nearest = flags
        .long_names(command)
        .map(|name| (strsim::jaro_winkler(key, name), name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    Warning {
        message: format!("{key:?} is not a flag of restic {command}"),
        help: Some(match nearest {
            Some((_, name)) => format!("did you mean {name:?}?"),
            None => format!("see `restic {command} --help` for its flags"),
        }),
        origin: Some(origin),
    }
}

/// Command-line flags replace configured flags of the same identity whole, and come
/// after them in the order given.
fn apply_cli_flags(
    configured: Vec<Configured<'_>>,
    cli: &CliArgs,
    command: &str,
    flags: &FlagData<'_>,
    guard: &Guard<'_>,
) -> Result<Vec<Flag>, Error> {
    let cli_canonical: Vec<String> = cli
        .flags
        .iter()
        .map(|flag| flags.canonical(command, &flag.key))
        .collect();
    let mut replaced: BTreeMap<&str, Vec<Overridden>> = BTreeMap::new();
    let mut out = Vec::new();
    for entry in &configured {
        if cli_canonical.contains(&entry.canonical) {
            replaced.insert(&entry.canonical, entry.definitions.clone());
        } else if let Some(flag) = &entry.flag {
            if let Some((effect, found, traced)) = &entry.judged {
                guard.found(Some(*effect), found, traced)?;
            }
            out.push(flag.clone());
        }
    }
    for (flag, canonical) in cli.flags.iter().zip(&cli_canonical) {
        out.push(Flag {
            key: flag.key.clone(),
            value: flag.value.clone(),
            origin: Origin::CommandLine { index: flag.index },
            overridden: replaced.remove(canonical.as_str()).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// `environ` sections: later sections win; `FOO_COMMAND` becomes `FOO` produced by a command.
fn environment<'a>(
    stack: &'a [Layer<'a>],
    home: Option<&Path>,
    interpolator: &mut Interpolator<'a>,
    guard: &Guard<'_>,
) -> Result<Vec<EnvVar>, Error> {
    let mut names: Vec<&str> = stack
        .iter()
        .flat_map(|layer| layer.table.values().into_iter().map(|(name, _)| name))
        .collect();
    names.sort_unstable();
    names.dedup();
    let bases: Vec<&str> = names
        .iter()
        .filter_map(|name| command_variable_base(name))
        .collect();
    let mut out: BTreeMap<String, EnvVar> = BTreeMap::new();
    let mut shadowed: BTreeMap<String, Vec<Overridden>> = BTreeMap::new();
    for name in names {
        let found = definitions(stack, name);
        let Some(winner) = found.last() else { continue };
        if let Some(base) = command_variable_base(name) {
            let text = winner.definition.value().scalar_text().ok_or_else(|| {
                unsupported(winner, "an array", "a _COMMAND value is one shell command")
            })?;
            if guard.active() {
                guard.found(trust::environ_effect(name), winner, &[])?;
            }
            let mut overridden = overridden_by(&found);
            overridden.extend(shadowed.remove(base).unwrap_or_default());
            out.insert(
                base.to_owned(),
                EnvVar {
                    name: base.to_owned(),
                    value: EnvValue::Command(text),
                    origin: winner.origin(),
                    overridden,
                },
            );
        } else if bases.contains(&name) {
            // The command wins over a plain variable of the same name; the plain
            // definitions are kept as overridden, and never interpolated.
            shadowed.insert(
                name.to_owned(),
                found.iter().rev().map(Found::overridden).collect(),
            );
        } else {
            let value = interpolator.resolve(winner.section, name, winner.definition)?;
            if guard.active() {
                guard.found(trust::environ_effect(name), winner, interpolator.traced())?;
            }
            let text = value.scalar_text().ok_or_else(|| {
                unsupported(
                    winner,
                    "an array",
                    "an environment variable holds one string",
                )
            })?;
            out.insert(
                name.to_owned(),
                EnvVar {
                    name: name.to_owned(),
                    value: EnvValue::Literal(expand(&text, home, winner)?),
                    origin: winner.origin(),
                    overridden: overridden_by(&found),
                },
            );
        }
    }
    Ok(out.into_values().collect())
}

fn render_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// `FOO` for a `FOO_COMMAND` keld runs; `None` for other names and restic's own.
fn command_variable_base(name: &str) -> Option<&str> {
    name.strip_suffix("_COMMAND")
        .filter(|base| !base.is_empty() && !RESTIC_COMMAND_VARS.contains(&name))
}
