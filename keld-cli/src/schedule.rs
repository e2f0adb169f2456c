//! `keld schedule` and `keld unschedule`: systemd timers from the config's `_schedule`
//! keys (docs/operations.md, "Schedules"). The unit files and the sync plan come from
//! keld-hooks; this module finds the wanted timers and prints.

use std::path::{Path, PathBuf};

use keld_config::{Config, PresetKind, Request};
use keld_hooks::{Launcher, Plan, Scope, Timer};
use serde_json::json;

use crate::cli::{Cli, ScheduleArgs, ScopeArgs, UnscheduleArgs};
use crate::context::Context;
use crate::error::CliError;

/// `--system`, `--user`, or the default: system units for root, user units otherwise.
fn scope(args: ScopeArgs, ctx: &Context) -> Scope {
    if args.system || (!args.user && ctx.euid == 0) {
        Scope::System
    } else {
        Scope::User
    }
}

/// Where the scope's unit files live: `/etc/systemd/system`, or
/// `$XDG_CONFIG_HOME/systemd/user` (default `~/.config/systemd/user`).
fn unit_dir(scope: Scope, ctx: &Context) -> Result<PathBuf, CliError> {
    match scope {
        Scope::System => Ok(PathBuf::from("/etc/systemd/system")),
        Scope::User => {
            let config_home = ctx
                .env
                .var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|dir| dir.is_absolute())
                .or_else(|| ctx.env.home.as_ref().map(|home| home.join(".config")))
                .ok_or(CliError::NoUnitDir)?;
            Ok(config_home.join("systemd/user"))
        }
    }
}

/// The timers the config asks for: one per `[P.CMD]` section of a plain preset or a
/// full `prefix@suffix` preset whose `_schedule` resolves non-empty. Each calendar is
/// checked with `systemd-analyze calendar` when it is installed.
fn wanted(config: &Config, ctx: &Context) -> Result<Vec<Timer>, CliError> {
    let host = ctx.host();
    let mut timers = Vec::new();
    for preset in config.presets() {
        if !matches!(preset.kind, PresetKind::Plain | PresetKind::Split) {
            continue;
        }
        let prefix = format!("{}.", preset.name);
        let mut commands: Vec<String> = preset
            .sections
            .iter()
            .filter_map(|section| section.section.strip_prefix(&prefix))
            .filter(|command| !command.contains('.') && *command != "environ")
            .map(str::to_owned)
            .collect();
        commands.sort();
        commands.dedup();
        for command in commands {
            let request = Request {
                preset: Some(preset.name.clone()),
                command: command.clone(),
                args: Vec::new(),
            };
            let resolved = config.resolve(&request, &ctx.env)?;
            let Some(schedule) = &resolved.operations.schedule else {
                continue;
            };
            if schedule.value.is_empty() {
                continue;
            }
            for calendar in &schedule.value {
                keld_hooks::check_calendar(&host, calendar).map_err(|message| {
                    CliError::BadCalendar {
                        calendar: calendar.clone(),
                        at: schedule.origin.to_string(),
                        message,
                    }
                })?;
            }
            timers.push(Timer {
                preset: preset.name.clone(),
                command,
                calendars: schedule.value.clone(),
                delay: resolved
                    .operations
                    .schedule_delay
                    .as_ref()
                    .map(|setting| setting.value),
                remote: remote_repository(&resolved),
            });
        }
    }
    Ok(timers)
}

/// Whether the resolved repository is anything but a local path (`/...`, `local:`),
/// or unknown (a `repository-file`, or keld's environment at run time): then the
/// timer waits for the network.
fn remote_repository(resolved: &keld_config::ResolvedConfig) -> bool {
    let from_flag = resolved.flag_values("repo").pop();
    let from_environ = resolved.environ.iter().find_map(|var| match &var.value {
        keld_config::EnvValue::Literal(value) if var.name == "RESTIC_REPOSITORY" => {
            Some(value.clone())
        }
        _ => None,
    });
    match from_flag.or(from_environ) {
        Some(repository) => !(repository.starts_with('/') || repository.starts_with("local:")),
        None => true,
    }
}

/// keld's own absolute path and the config file it was started with, for
/// `ExecStart=`.
fn launcher(cli: &Cli, ctx: &Context) -> Result<Launcher, CliError> {
    let keld = std::env::current_exe().map_err(CliError::OwnPath)?;
    let config = cli
        .config
        .clone()
        .or_else(|| ctx.env.config_file())
        .map(|path| ctx.cwd.join(path));
    Ok(Launcher { keld, config })
}

/// `keld schedule`.
pub(crate) fn schedule(
    args: &ScheduleArgs,
    cli: &Cli,
    config: &Config,
    ctx: &Context,
) -> Result<u8, CliError> {
    let scope = scope(args.scope, ctx);
    let dir = unit_dir(scope, ctx)?;
    let wanted = wanted(config, ctx)?;
    if args.list {
        return list(&wanted, scope, ctx, args.json);
    }
    let plan = keld_hooks::plan_schedule(&dir, &wanted, &launcher(cli, ctx)?)?;
    carry_out(&plan, &dir, scope, args.dry_run, ctx)
}

/// `keld unschedule`.
pub(crate) fn unschedule(args: &UnscheduleArgs, ctx: &Context) -> Result<u8, CliError> {
    let scope = scope(args.scope, ctx);
    let dir = unit_dir(scope, ctx)?;
    let plan = keld_hooks::unschedule_plan(&dir)?;
    carry_out(&plan, &dir, scope, args.dry_run, ctx)
}

/// Print (`--dry-run`) or apply `plan`, saying what changed.
fn carry_out(
    plan: &Plan,
    dir: &Path,
    scope: Scope,
    dry_run: bool,
    ctx: &Context,
) -> Result<u8, CliError> {
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str("the timers already match the config; nothing to do\n");
        return crate::write_stdout(out.as_bytes());
    }
    if dry_run {
        for unit in &plan.write {
            out.push_str(&format!(
                "# {}\n{}\n",
                dir.join(&unit.name).display(),
                unit.text
            ));
        }
        for name in &plan.remove {
            out.push_str(&format!("rm {}\n", dir.join(name).display()));
        }
        for command in plan.commands(scope) {
            out.push_str(&keld_config::shell::join(&command));
            out.push('\n');
        }
        return crate::write_stdout(out.as_bytes());
    }
    let host = ctx.host();
    keld_hooks::apply_schedule(plan, dir, scope, &mut |command| {
        keld_hooks::systemctl(&host, command)
    })?;
    for unit in &plan.write {
        out.push_str(&format!("wrote {}\n", dir.join(&unit.name).display()));
    }
    for name in &plan.remove {
        out.push_str(&format!("removed {}\n", dir.join(name).display()));
    }
    for name in &plan.enable {
        out.push_str(&format!("enabled and started {name}\n"));
    }
    for name in &plan.disable {
        out.push_str(&format!("disabled and stopped {name}\n"));
    }
    crate::write_stdout(out.as_bytes())
}

/// `keld schedule --list`: preset, command, calendar, next run (from systemd when it
/// answers) and the last run's result (from the records).
fn list(wanted: &[Timer], scope: Scope, ctx: &Context, json: bool) -> Result<u8, CliError> {
    let host = ctx.host();
    let timer_names: Vec<String> = wanted
        .iter()
        .map(|timer| {
            format!(
                "{}.timer",
                keld_hooks::unit_stem(&timer.preset, &timer.command)
            )
        })
        .collect();
    let next = keld_hooks::next_elapses(&host, scope, &timer_names);
    let records = host
        .state_dir()
        .and_then(|dir| keld_hooks::read_records(&dir).ok())
        .unwrap_or_default();
    let last = |timer: &Timer| {
        records
            .iter()
            .rev()
            .find(|record| record.preset == timer.preset && record.alias == timer.command)
    };
    if json {
        let rows: Vec<serde_json::Value> = wanted
            .iter()
            .zip(&next)
            .map(|(timer, next)| {
                json!({
                    "preset": timer.preset,
                    "command": timer.command,
                    "calendar": timer.calendars,
                    "next": next,
                    "last": last(timer),
                })
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&rows).unwrap_or_default();
        text.push('\n');
        return crate::write_stdout(text.as_bytes());
    }
    if wanted.is_empty() {
        return crate::write_stdout(b"no preset has a _schedule\n");
    }
    let mut lines = vec![[
        "PRESET".to_owned(),
        "COMMAND".to_owned(),
        "CALENDAR".to_owned(),
        "NEXT".to_owned(),
        "LAST".to_owned(),
    ]];
    for (timer, next) in wanted.iter().zip(&next) {
        lines.push([
            keld_config::shell::display(&timer.preset),
            keld_config::shell::display(&timer.command),
            keld_config::shell::display(&timer.calendars.join(", ")),
            next.clone().unwrap_or_else(|| "-".to_owned()),
            last(timer).map_or_else(
                || "never".to_owned(),
                |record| format!("{} ({})", record.result, record.finished),
            ),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|column| {
            lines
                .iter()
                .map(|line| line[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in lines {
        let text: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(column, cell)| format!("{cell:<width$}", width = widths[column]))
            .collect();
        out.push_str(text.join("  ").trim_end());
        out.push('\n');
    }
    crate::write_stdout(out.as_bytes())
}
