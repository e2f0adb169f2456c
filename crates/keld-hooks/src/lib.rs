//! The backup lifecycle: pre-hooks, restic, post-hooks.
//!
//! # How it works
//!
//! [`run`] takes a [`RunOptions`] and goes through these steps, stopping at the
//! first that ends the run:
//!
//! 1. find restic (`KELD_EXECUTABLE` or `restic` in `PATH`) — missing: exit 127,
//!    nothing runs;
//! 2. build restic's environment, running each `NAME_COMMAND` — failure: exit 1;
//! 3. run the pre-hooks in order with `sh -c` — a failure stops everything (exit 1),
//!    exit 75 skips the backup (exit 0), a signal stops the run (exit 128 + N);
//! 4. run restic, supervised (signals from other processes forwarded);
//! 5. run every post-hook with `KELD_RESTIC_STATUS` and, when restic started,
//!    `KELD_RESTIC_EXIT_CODE`;
//! 6. exit with restic's code, or 1 when restic succeeded but a post-hook failed, or
//!    126/127 when restic could not start.
//!
//! Commands other than `backup` go through the same steps with empty hook lists.
//!
//! ```
//! use keld_hooks::{RunOptions, run};
//!
//! let dir = tempfile::tempdir()?;
//! let options = RunOptions {
//!     // Any program stands in for restic here.
//!     program: Some("true".into()),
//!     args: vec!["backup".into()],
//!     base_env: vec![("PATH".into(), "/usr/bin:/bin".into())],
//!     workdir: Some(dir.path().to_owned()),
//!     pre_hooks: vec!["echo dump > db.sql".into()],
//!     post_hooks: vec![r#"test "$KELD_RESTIC_STATUS" = success && rm db.sql"#.into()],
//!     command: "backup".into(),
//!     ..RunOptions::default()
//! };
//! let finished = run(&options, &mut |event| eprintln!("{event:?}"))?;
//! assert_eq!(finished.exit_code, 0);
//! assert!(!dir.path().join("db.sql").exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod lifecycle;
mod options;
mod report;

pub use keld_supervise::{EnvEntry, EnvSource};
pub use lifecycle::run;
pub use options::RunOptions;
pub use report::{Event, Finished, HookError, HookFailure, HookPhase, RunError, SKIP_EXIT_CODE};
