//! Running restic for its output: the listings other parts of keld read
//! (`snapshots --json`, `ls --json`, `version`), prepared exactly like a run.

use std::ffi::OsString;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use keld_config::ResolvedConfig;
use keld_status::Outcome;
use keld_supervise::{CaptureError, Children, Stdin, capture};

use crate::environ::{self, EnvCommandError, EnvEntry, EnvSource, Memo};
use crate::invocation::{Host, Invocation};
use crate::prepare::{PrepareError, check_environment};

/// Runs restic commands for their output, from any thread, with stdin closed (restic
/// never waits for a password prompt) and without hooks.
///
/// Each listing is prepared like a run ([`Invocation::prepare`]: restic found the same
/// way, the same checks). `_COMMAND`s run once per distinct environment and are
/// remembered, their failures too (a password manager that refused is not asked again
/// per screen); without `run_commands` (under `--show-command`) only the literal
/// variables are set and no `_COMMAND` runs.
///
/// Every process it starts is listed in [`Lister::children`] until it is reaped, so
/// the caller can stop those still running when it is done with them: a slow listing
/// left behind would keep the repository locked.
#[derive(Debug)]
pub struct Lister {
    host: Host,
    run_commands: bool,
    children: Children,
    /// (variables, working directory) → the environment, or why it failed. Held
    /// while a `_COMMAND` runs, so two listings at once never run it twice.
    environs: Mutex<Memo<Result<Environment, String>>>,
}

/// restic's environment, as `execve` gets it.
type Environment = Vec<(OsString, OsString)>;

/// Flags of restic's listings that change the shape of what they print (snapshots in
/// groups, a compact table, ncdu's export format): a listing keld reads goes without
/// them, whatever the preset's sections set for the command typed by hand.
const OUTPUT_SHAPING_FLAGS: &[&str] = &["group-by", "compact", "ncdu"];

/// `resolved` (a preset's `snapshots`, `ls`, `diff`, `forget`, ...) as keld runs it
/// for output it reads: without the flags that change the shape of restic's output,
/// and without its configured `_arguments` unless `keep_arguments` (a listing takes
/// its own: backup paths in a prefix section are no snapshot id).
///
/// ```
/// use keld_config::{Config, Environment, Request, Source};
/// use keld_hooks::{Host, reading_invocation};
///
/// let config = Config::from_sources([Source {
///     path: "keld.toml".into(),
///     text: "[home]\nrepo = \"/srv/restic\"\n_arguments = [\"/home\"]\n\
///            [home.snapshots]\ngroup-by = \"host\"\ncompact = true\n"
///         .into(),
/// }])?;
/// let request = Request {
///     preset: Some("home".into()),
///     command: "snapshots".into(),
///     args: Vec::new(),
/// };
/// let resolved = config.resolve(&request, &Environment::default())?;
/// let invocation = reading_invocation(&resolved, &Host::default(), false);
/// assert_eq!(invocation.args, ["snapshots", "--repo", "/srv/restic"]);
/// # Ok::<(), keld_config::Error>(())
/// ```
pub fn reading_invocation(
    resolved: &ResolvedConfig,
    host: &Host,
    keep_arguments: bool,
) -> Invocation {
    let mut resolved = resolved.clone();
    if !keep_arguments {
        resolved.arguments = None;
    }
    drop_flags(&mut resolved, OUTPUT_SHAPING_FLAGS);
    Invocation::new(&resolved, host)
}

/// `resolved` without the flags whose long names are `longs` (however they were
/// spelled in the config).
pub(crate) fn drop_flags(resolved: &mut ResolvedConfig, longs: &[&str]) {
    let flags = keld_config::FlagData::restic();
    let command = resolved.command.clone();
    resolved.flags.retain(|flag| {
        let long = flags
            .flag(&command, &flag.key)
            .map_or(flag.key.as_str(), |spec| spec.long);
        !longs.contains(&long)
    });
}

/// Why a listing has no output.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    /// The invocation cannot run (restic missing, a bad value).
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// A `_COMMAND` failed (now, or earlier in this lister's life).
    #[error("{0}")]
    Environment(String),
    /// restic could not be run or read.
    #[error("could not run {program}: {source}")]
    Capture {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: CaptureError,
    },
    /// restic ran and failed.
    #[error("{}", failure_text(program, outcome, stderr))]
    Failed {
        /// The program.
        program: String,
        /// How it ended.
        outcome: Outcome,
        /// The last lines of its standard error.
        stderr: String,
    },
}

fn failure_text(program: &str, outcome: &Outcome, stderr: &str) -> String {
    let status = match outcome {
        Outcome::Exited(code) => format!("exit code {code}"),
        Outcome::Signaled(_) => "killed by a signal".to_owned(),
        Outcome::StartFailed(_) => "not started".to_owned(),
    };
    if stderr.is_empty() {
        format!("{program} failed ({status})")
    } else {
        format!("{stderr}\n({program}: {status})")
    }
}

impl Lister {
    /// A lister for `host`; `run_commands` false sets only literal variables.
    pub fn new(host: Host, run_commands: bool) -> Self {
        Self {
            host,
            run_commands,
            children: Children::new(),
            environs: Mutex::new(Memo::default()),
        }
    }

    /// The processes started and not yet reaped (to stop them: [`Children::stop_all`]).
    pub fn children(&self) -> &Children {
        &self.children
    }

    /// Run `invocation` with `extra` arguments appended and return its standard
    /// output when it succeeds.
    pub fn capture(
        &self,
        invocation: &Invocation,
        extra: &[&str],
    ) -> Result<Vec<u8>, ListingError> {
        let prepared = invocation.prepare(&self.host)?;
        let entries: Vec<EnvEntry> = invocation
            .environ
            .iter()
            .filter(|entry| self.run_commands || matches!(entry.source, EnvSource::Literal(_)))
            .cloned()
            .collect();
        let workdir = invocation.workdir.as_deref();
        let env = self
            .environment(&entries, workdir)
            .map_err(ListingError::Environment)?;
        let command = prepared.output_command(env, extra.iter().map(OsString::from))?;
        let program = prepared.program.display().to_string();
        let captured =
            capture(&command, None, &self.children).map_err(|source| ListingError::Capture {
                program: program.clone(),
                source,
            })?;
        if captured.outcome.success() {
            return Ok(captured.stdout);
        }
        Err(ListingError::Failed {
            program,
            outcome: captured.outcome,
            stderr: last_lines(&captured.stderr, 5),
        })
    }

    fn environment(
        &self,
        entries: &[EnvEntry],
        workdir: Option<&Path>,
    ) -> Result<Vec<(OsString, OsString)>, String> {
        let mut built = self.environs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(result) = built.get(entries, workdir) {
            return result;
        }
        let result = environ::build(
            entries,
            &self.host.env,
            workdir,
            Stdin::Null,
            &mut |command| capture(command, Some(environ::OUTPUT_LIMIT), &self.children),
        )
        .map_err(|error: EnvCommandError| error.to_string())
        .and_then(|env| {
            // What a `_COMMAND` printed is checked as for a run.
            check_environment(&env).map_err(|error| error.to_string())?;
            Ok(env)
        });
        built.insert(entries, workdir, result.clone());
        result
    }
}

/// The last `count` non-empty lines of `bytes`, lossily decoded.
pub(crate) fn last_lines(bytes: &[u8], count: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}
