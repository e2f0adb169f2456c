//! What `keld schedule` and `keld unschedule` print (docs/operations.md,
//! "Schedules"): the `--list` table or JSON, a plan for `--dry-run`, what an applied
//! plan changed, and the note about user timers without lingering.

use std::path::{Path, PathBuf};

use keld_config::{Environment, shell};
use serde_json::json;

use crate::invocation::Host;
use crate::record::read_all;
use crate::schedule::{Launcher, Plan, Scope, Timer, next_elapses, stem};
use crate::status::local_minute;

/// What `keld schedule` says when the timers already match the config.
pub const NOTHING_TO_DO: &str = "the timers already match the config; nothing to do\n";

impl Launcher {
    /// The launcher of the keld at `keld` (its absolute path) started with
    /// `--config` `config`, else with `KELD_CONFIG_FILE` from `env`; a relative config
    /// path is taken from `cwd`.
    pub fn new(keld: PathBuf, config: Option<PathBuf>, env: &Environment, cwd: &Path) -> Self {
        let config = config
            .or_else(|| env.vars.get("KELD_CONFIG_FILE").map(PathBuf::from))
            .map(|path| cwd.join(path));
        Self { keld, config }
    }
}

impl Plan {
    /// `--dry-run`: each unit file to write under `dir` after a `# PATH` line, the
    /// files to remove as `rm PATH`, then the `systemctl` commands for `scope`.
    pub fn dry_run_text(&self, dir: &Path, scope: Scope) -> String {
        let mut out = String::new();
        for unit in &self.write {
            out.push_str(&format!(
                "# {}\n{}\n",
                dir.join(&unit.name).display(),
                unit.text
            ));
        }
        for name in &self.remove {
            out.push_str(&format!("rm {}\n", dir.join(name).display()));
        }
        for command in self.commands(scope) {
            out.push_str(&shell::join(&command));
            out.push('\n');
        }
        out
    }

    /// What applying this plan in `dir` changed, a line per file and timer.
    pub fn applied_text(&self, dir: &Path) -> String {
        let mut out = String::new();
        for unit in &self.write {
            out.push_str(&format!("wrote {}\n", dir.join(&unit.name).display()));
        }
        for name in &self.remove {
            out.push_str(&format!("removed {}\n", dir.join(name).display()));
        }
        for name in &self.enable {
            out.push_str(&format!("enabled and started {name}\n"));
        }
        for name in &self.disable {
            out.push_str(&format!("disabled and stopped {name}\n"));
        }
        out
    }
}

/// systemd starts a user's timers only while the user is logged in, unless lingering
/// is enabled (`/var/lib/systemd/linger/<user>`): a backup timer on a server would
/// otherwise never fire. The note says so when it is not enabled for the user `env`
/// names (`USER`, else `LOGNAME`).
pub fn linger_note(env: &Environment) -> Option<String> {
    let user = env.vars.get("USER").or_else(|| env.vars.get("LOGNAME"))?;
    let lingering = Path::new("/var/lib/systemd/linger").join(user).exists();
    (!lingering).then(|| {
        format!(
            "note: user timers run only while {user} is logged in; `loginctl enable-linger {user}` \
             lets them run after logout and from boot",
            user = shell::display(user)
        )
    })
}

/// `keld schedule --list`: preset, command, calendar, next run (from systemd for
/// `scope`, when it answers) and the last run's result (from `host`'s records) of
/// each `wanted` timer, as a table or, with `json`, a JSON array.
pub fn schedule_list(wanted: &[Timer], host: &Host, scope: Scope, json: bool) -> String {
    let timer_names: Vec<String> = wanted
        .iter()
        .map(|timer| format!("{}.timer", stem(&timer.preset, &timer.command)))
        .collect();
    let next = next_elapses(host, scope, &timer_names);
    let records = host
        .state_dir()
        .and_then(|dir| read_all(&dir).ok())
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
        return text;
    }
    if wanted.is_empty() {
        return "no preset has a _schedule\n".to_owned();
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
            shell::display(&timer.preset),
            shell::display(&timer.command),
            shell::display(&timer.calendars.join(", ")),
            next.clone().unwrap_or_else(|| "-".to_owned()),
            last(timer).map_or_else(
                || "never".to_owned(),
                |record| format!("{} ({})", record.result, local_minute(&record.finished)),
            ),
        ]);
    }
    crate::table::aligned(&lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Unit;

    #[test]
    fn a_plan_is_shown_as_files_and_commands_or_as_what_changed() {
        let plan = Plan {
            write: vec![Unit {
                name: "keld-a.timer".to_owned(),
                text: "[Timer]\n".to_owned(),
            }],
            remove: vec!["keld-b.timer".to_owned()],
            enable: vec!["keld-a.timer".to_owned()],
            restart: Vec::new(),
            disable: vec!["keld-b.timer".to_owned()],
        };
        let dir = Path::new("/u");
        assert_eq!(
            plan.dry_run_text(dir, Scope::System),
            "# /u/keld-a.timer\n[Timer]\n\nrm /u/keld-b.timer\n\
             systemctl disable --now keld-b.timer\nsystemctl daemon-reload\n\
             systemctl enable --now keld-a.timer\n"
        );
        assert_eq!(
            plan.applied_text(dir),
            "wrote /u/keld-a.timer\nremoved /u/keld-b.timer\n\
             enabled and started keld-a.timer\ndisabled and stopped keld-b.timer\n"
        );
    }

    #[test]
    fn the_launcher_takes_the_config_from_the_command_line_else_the_environment() {
        let env = Environment {
            vars: [("KELD_CONFIG_FILE".to_owned(), "k.toml".to_owned())].into(),
            ..Environment::default()
        };
        let cwd = Path::new("/w");
        let given = Launcher::new("/k".into(), Some("c.toml".into()), &env, cwd);
        assert_eq!(given.config, Some(PathBuf::from("/w/c.toml")));
        let from_env = Launcher::new("/k".into(), None, &env, cwd);
        assert_eq!(from_env.config, Some(PathBuf::from("/w/k.toml")));
    }
}
