//! Spawning a child on keld's terminal and waiting for it while signals are caught.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use keld_status::{Outcome, StartFailure};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;
use signal_hook::SigId;
use signal_hook::iterator::Handle;

use crate::signals::{CAUGHT_SIGNALS, CaughtSignal, SignalIterator, SignalSource, forward};

/// What to run: a plain description with no behaviour of its own.
///
/// The child gets exactly `env` (keld's environment is not inherited implicitly),
/// inherits stdin, stdout and stderr, and stays in keld's process group so the
/// terminal treats it as the foreground job, as if it ran alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildCommand {
    /// The program, ideally an absolute path from [`crate::find_program`].
    pub program: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<OsString>,
    /// The complete environment of the child.
    pub env: Vec<(OsString, OsString)>,
    /// The working directory; keld's own when `None`.
    pub workdir: Option<PathBuf>,
}

impl ChildCommand {
    /// A command running `program` with `args` and nothing else set.
    pub fn new(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = impl Into<OsString>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// A `/bin/sh -c <script>` command: how hooks and `_COMMAND`s run.
    pub fn shell(script: &str) -> Self {
        Self::new("/bin/sh", ["-c", script])
    }

    /// The `std` command: environment replaced, stdio inherited, and on Linux the
    /// child is told to receive SIGTERM when the spawning thread dies.
    pub(crate) fn to_std(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
        if let Some(dir) = &self.workdir {
            command.current_dir(dir);
        }
        die_with_parent(&mut command);
        command
    }
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use nix::sys::signal::Signal;

    let parent = nix::unistd::getpid();
    #[allow(unsafe_code)]
    // SAFETY: `pre_exec` runs in the forked child before `exec`, where only
    // async-signal-safe work is allowed. The closure makes two system calls (`prctl`,
    // `getppid`) and builds an `io::Error` from a raw errno, which does not allocate;
    // it touches no lock and no heap.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
            // keld may have died between fork and prctl, in which case the death
            // signal will never come: the child was re-parented already. Refuse to
            // start rather than run unsupervised.
            if nix::unistd::getppid() != parent {
                return Err(io::Error::from(nix::errno::Errno::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// The child could not be started: nothing ran.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", program.display(), self.reason())]
pub struct StartError {
    /// The program that was to run.
    pub program: PathBuf,
    /// Why it did not start.
    pub failure: StartFailure,
    /// The operating system's error.
    #[source]
    pub source: io::Error,
}

impl StartError {
    /// Classify a spawn error: the program vanished (127) or exists but cannot run
    /// (126: no execute permission, bad interpreter, wrong format, missing workdir).
    pub(crate) fn new(program: &Path, source: io::Error) -> Self {
        let failure = if source.kind() == io::ErrorKind::NotFound && !program.exists() {
            StartFailure::NotFound
        } else {
            StartFailure::NotExecutable
        };
        Self {
            program: program.to_owned(),
            failure,
            source,
        }
    }

    /// Why, in words: the operating system's error, except that "not found" for a
    /// file that exists means the interpreter on its `#!` line is missing.
    fn reason(&self) -> String {
        if self.failure == StartFailure::NotExecutable
            && self.source.kind() == io::ErrorKind::NotFound
        {
            "the interpreter named on its #! line does not exist".to_owned()
        } else {
            self.source.to_string()
        }
    }

    /// The outcome that stands for this failure (`StartFailed`).
    pub const fn outcome(&self) -> Outcome {
        Outcome::StartFailed(self.failure)
    }
}

/// Errors from [`Supervisor`].
#[derive(Debug, thiserror::Error)]
pub enum SuperviseError {
    /// The signal handlers could not be installed.
    #[error("cannot catch signals: {0}")]
    Signals(#[source] io::Error),
    /// Waiting for the child failed; its outcome is unknown.
    #[error("waiting for {}: {source}", program.display())]
    Wait {
        /// The program waited for.
        program: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

#[derive(Debug, Default)]
struct State {
    child: Option<Pid>,
    caught: Vec<CaughtSignal>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not stop signal forwarding: the state stays usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn deliver(&self, signal: i32, source: SignalSource) {
        let mut state = self.lock();
        let forwarded_to = match state.child {
            Some(pid) if source.forwards() && forward(pid, signal) => {
                u32::try_from(pid.as_raw()).ok()
            }
            _ => None,
        };
        if source.forwards() {
            crate::environ::forward_to_commands(signal);
        }
        state.caught.push(CaughtSignal {
            signal,
            source,
            forwarded_to,
        });
    }
}

/// Runs children one at a time while SIGINT, SIGTERM, SIGHUP and SIGQUIT are caught.
///
/// While it exists, those signals no longer end keld: each is recorded (see
/// [`Supervisor::take_caught`]) and, when another process sent it and a child is
/// running, forwarded to that child as the same signal. A signal the terminal raised
/// reached the child through the process group already and is not sent again.
///
/// The signals are caught by a handler, never ignored: an ignored disposition would be
/// inherited across `exec` and restic could not be interrupted.
///
/// On Linux each child receives SIGTERM when the thread that started it dies, so call
/// [`Supervisor::run`] from a thread that outlives the child (normally the main one).
#[derive(Debug)]
pub struct Supervisor {
    shared: Arc<Shared>,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
    /// The number of the last caught signal, set inside the signal handler itself.
    /// The signal thread learns of a signal a moment later; a check between two
    /// children must not miss one that was delivered before the first child ended.
    arrived: Arc<AtomicUsize>,
    arrived_ids: Vec<SigId>,
}

impl Supervisor {
    /// Install the signal handlers and start the thread that reacts to signals.
    pub fn install() -> Result<Self, SuperviseError> {
        let mut signals = SignalIterator::new(CAUGHT_SIGNALS).map_err(SuperviseError::Signals)?;
        let handle = signals.handle();
        let arrived = Arc::new(AtomicUsize::new(0));
        let mut arrived_ids = Vec::with_capacity(CAUGHT_SIGNALS.len());
        for signal in CAUGHT_SIGNALS {
            let value = usize::try_from(signal).unwrap_or(usize::MAX);
            let id = signal_hook::flag::register_usize(signal, Arc::clone(&arrived), value)
                .map_err(SuperviseError::Signals)?;
            arrived_ids.push(id);
        }
        let shared = Arc::new(Shared::default());
        let listener = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("keld-signals".to_owned())
            .stack_size(64 * 1024)
            .spawn(move || {
                for origin in signals.forever() {
                    listener.deliver(origin.signal, SignalSource::of(&origin));
                }
            })
            .map_err(SuperviseError::Signals)?;
        Ok(Self {
            shared,
            handle,
            thread: Some(thread),
            arrived,
            arrived_ids,
        })
    }

    /// Run `command` to completion and return how it ended.
    ///
    /// An exit code is [`Outcome::Exited`]; death by signal N is [`Outcome::Signaled`]
    /// (read as 128 + N), never success.
    pub fn run(&self, command: &ChildCommand) -> Result<Outcome, RunError> {
        check_format(&command.program)
            .map_err(|source| RunError::Start(StartError::new(&command.program, source)))?;
        let mut std_command = command.to_std();
        let mut child = {
            // Holding the lock across spawn means a signal arriving meanwhile is
            // handled only once the child's pid is known, so it is not lost.
            let mut state = self.shared.lock();
            let child = std_command
                .spawn()
                .map_err(|source| RunError::Start(StartError::new(&command.program, source)))?;
            state.child = i32::try_from(child.id()).ok().map(Pid::from_raw);
            child
        };
        // Wait without reaping first: until the pid is cleared below the child stays a
        // zombie, so a forwarded signal can never hit an unrelated process that reused
        // its pid.
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        let exited = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
        while let Err(nix::errno::Errno::EINTR) = waitid(Id::Pid(pid), exited) {}
        self.shared.lock().child = None;
        let status = child.wait().map_err(|source| {
            RunError::Wait(SuperviseError::Wait {
                program: command.program.clone(),
                source,
            })
        })?;
        Ok(outcome_of(status))
    }

    /// The signal keld received since the last [`Supervisor::take_caught`], if any:
    /// the oldest one the signal thread has handled, or else one that the handler has
    /// seen and the thread not yet. Use it to decide whether to start another child.
    pub fn signal_received(&self) -> Option<i32> {
        self.first_caught().map(|caught| caught.signal).or_else(|| {
            match self.arrived.load(Ordering::SeqCst) {
                0 => None,
                signal => i32::try_from(signal).ok(),
            }
        })
    }

    /// The signals caught since the last call, oldest first, and forget them.
    pub fn take_caught(&self) -> Vec<CaughtSignal> {
        self.arrived.store(0, Ordering::SeqCst);
        std::mem::take(&mut self.shared.lock().caught)
    }

    /// The oldest signal caught since the last [`Supervisor::take_caught`], kept.
    pub fn first_caught(&self) -> Option<CaughtSignal> {
        self.shared.lock().caught.first().copied()
    }

    /// [`crate::resolve_environ`] under this supervisor: once a signal has been caught,
    /// no further `_COMMAND` starts (the one running when it came receives it if it
    /// came from another process) and the result is [`EnvCommandError::Interrupted`].
    pub fn resolve_environ(
        &self,
        entries: &[crate::EnvEntry],
        base: &[(std::ffi::OsString, std::ffi::OsString)],
        workdir: Option<&std::path::Path>,
    ) -> Result<Vec<(std::ffi::OsString, std::ffi::OsString)>, crate::EnvCommandError> {
        crate::environ::resolve_environ_until(entries, base, workdir, crate::OUTPUT_LIMIT, &|| {
            self.signal_received()
        })
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        for id in self.arrived_ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Refuse a file that `exec` would reject with "exec format error".
///
/// `std` starts programs with `execvp`, which on that error runs the file as a shell
/// script instead; for a restic binary that is only garbage output and exit 127 from
/// inside `sh`. A startable file begins with `#!`, or is an ELF file for this machine;
/// anything else is reported as not startable (126) before it runs. An unreadable file
/// is left to `exec` to judge.
fn check_format(program: &Path) -> io::Result<()> {
    use std::io::Read;

    let Ok(file) = std::fs::File::open(program) else {
        return Ok(());
    };
    let mut header = Vec::with_capacity(ELF_HEADER_CHECKED);
    // A directory or an unreadable file: let exec report it.
    if file
        .take(ELF_HEADER_CHECKED as u64)
        .read_to_end(&mut header)
        .is_err()
    {
        return Ok(());
    }
    if header.starts_with(b"#!") || is_native_elf(&header) {
        Ok(())
    } else {
        Err(io::Error::from(nix::errno::Errno::ENOEXEC))
    }
}

/// Bytes of the ELF header needed to read class, byte order and machine.
const ELF_HEADER_CHECKED: usize = 20;

fn is_native_elf(header: &[u8]) -> bool {
    if header.len() < ELF_HEADER_CHECKED || !header.starts_with(b"\x7fELF") {
        return false;
    }
    let class = if cfg!(target_pointer_width = "64") {
        2
    } else {
        1
    };
    let data = if cfg!(target_endian = "little") { 1 } else { 2 };
    let machine = if cfg!(target_endian = "little") {
        u16::from_le_bytes([header[18], header[19]])
    } else {
        u16::from_be_bytes([header[18], header[19]])
    };
    let machine_ok = match std::env::consts::ARCH {
        "x86_64" => machine == 62,
        "aarch64" => machine == 183,
        "x86" => machine == 3,
        "arm" => machine == 40,
        "riscv64" => machine == 243,
        // Unknown to this table: trust the kernel.
        _ => true,
    };
    header[4] == class && header[5] == data && machine_ok
}

/// Why [`Supervisor::run`] has no outcome from a running child.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The child never started.
    #[error(transparent)]
    Start(StartError),
    /// The child started but waiting for it failed.
    #[error(transparent)]
    Wait(SuperviseError),
}

/// The outcome for an exit status: the code, or the signal that killed the child.
pub fn outcome_of(status: ExitStatus) -> Outcome {
    if let Some(signal) = status.signal() {
        return Outcome::Signaled(signal);
    }
    match status.code() {
        Some(code) => Outcome::Exited(u8::try_from(code & 0xff).unwrap_or(u8::MAX)),
        // Only stopped/continued statuses have neither; `wait` does not report those.
        None => Outcome::Exited(u8::MAX),
    }
}
