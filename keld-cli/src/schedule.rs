//! `keld schedule` and `keld unschedule`: systemd timers from the config's `_schedule`
//! keys (docs/operations.md, "Schedules"). The wanted timers, the unit files, the
//! sync plan and what is printed about them come from keld-hooks; this module
//! chooses the scope, carries the plan out and prints.

use std::path::{Path, PathBuf};

use keld_config::Config;
use keld_hooks::{Launcher, Plan, Scope, Timer, WantedError};

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
        let text = keld_hooks::schedule_list(&wanted, &ctx.host(), scope, args.json);
        return crate::write_stdout(text.as_bytes());
    }
    let keld = std::env::current_exe().map_err(CliError::OwnPath)?;
    let launcher = Launcher::new(keld, cli.config.clone(), &ctx.env, &ctx.cwd);
    let plan = keld_hooks::plan_schedule(&dir, &wanted, &launcher)?;
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
    if plan.is_empty() {
        return crate::write_stdout(keld_hooks::NOTHING_TO_DO.as_bytes());
    }
    if scope == Scope::User
        && !plan.enable.is_empty()
        && let Some(note) = keld_hooks::linger_note(&ctx.env)
    {
        crate::write_stderr(&format!("{note}\n"));
    }
    if dry_run {
        return crate::write_stdout(plan.dry_run_text(dir, scope).as_bytes());
    }
    let host = ctx.host();
    keld_hooks::apply_schedule(plan, dir, scope, &mut |command| {
        keld_hooks::systemctl(&host, command)
    })?;
    crate::write_stdout(plan.applied_text(dir).as_bytes())
}
