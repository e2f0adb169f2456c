//! `keld schedule` and `keld unschedule`: systemd timers from the config's `_schedule`
//! keys (docs/operations.md, "Schedules"). The unit files and the sync plan come from
//! keld-hooks; this module finds the wanted timers and prints.

use std::path::{Path, PathBuf};

use keld_config::Config;
use keld_hooks::{Launcher, Plan, Scope, Timer, WantedError};
use serde_json::json;

use crate::cli::{Cli, ScheduleArgs, ScopeArgs, UnscheduleArgs};
use crate::context::Context;
use crate::error::CliError;

fn scope(args: ScopeArgs, ctx: &Context) -> Scope {
    Scope::choose(args.system, args.user, ctx.euid)
}

fn unit_dir(scope: Scope, ctx: &Context) -> Result<PathBuf, CliError> {
    scope.unit_dir(&ctx.host()).ok_or(CliError::NoUnitDir)
}

fn wanted(config: &Config, ctx: &Context) -> Result<Vec<Timer>, CliError> {
    keld_hooks::wanted_timers(config, &ctx.env, &ctx.host()).map_err(|error| match error {
        WantedError::Config(error) => CliError::Config(error),
        WantedError::BadCalendar {
            calendar,
            at,
            message,
        } => CliError::BadCalendar {
            calendar,
            at,
            message,
        },
    })
}

/// keld's own absolute path and the config file it was started with, for
/// `ExecStart=`.
fn launcher(cli: &Cli, ctx: &Context) -> Result<Launcher, CliError> {
    let keld = std::env::current_exe().map_err(CliError::OwnPath)?;
    let config = cli
        .config
        .clone()
        .or_else(|| ctx.env.vars.get("KELD_CONFIG_FILE").map(PathBuf::from))
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
    if scope == Scope::User
        && !plan.enable.is_empty()
        && let Some(note) = linger_note(ctx)
    {
        crate::write_stderr(&format!("{note}\n"));
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

/// systemd starts a user's timers only while the user is logged in, unless lingering
/// is enabled (`/var/lib/systemd/linger/<user>`): a backup timer on a server would
/// otherwise never fire. The note says so when it is not enabled.
fn linger_note(ctx: &Context) -> Option<String> {
    let user = ctx
        .env
        .vars
        .get("USER")
        .or_else(|| ctx.env.vars.get("LOGNAME"))?;
    let lingering = Path::new("/var/lib/systemd/linger").join(user).exists();
    (!lingering).then(|| {
        format!(
            "note: user timers run only while {user} is logged in; `loginctl enable-linger {user}` \
             lets them run after logout and from boot",
            user = keld_config::shell::display(user)
        )
    })
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
                |record| {
                    format!(
                        "{} ({})",
                        record.result,
                        keld_hooks::local_minute(&record.finished)
                    )
                },
            ),
        ]);
    }
    let out = crate::table::aligned(&lines);
    crate::write_stdout(out.as_bytes())
}
