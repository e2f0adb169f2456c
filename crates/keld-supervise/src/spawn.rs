//! Starting a child that shares the caller's terminal and dies with the caller.
//!
//! This is the crate's one module of process-creation `unsafe` code. On Linux the
//! child is created with `clone(CLONE_VM | CLONE_VFORK)`, the way `posix_spawn` does
//! it: no page tables are copied, and the caller waits only until the child has
//! called `execve`. Unlike `posix_spawn`, the child also asks for SIGTERM when its
//! parent dies (`PR_SET_PDEATHSIG`), which `std::process::Command` can only do
//! through `pre_exec`, and that forces a full `fork` (`benches/spawn.rs` measures the
//! difference; `docs/performance.md` reports it).
//!
//! # Safety argument
//!
//! Everything the child needs (paths, argument and environment arrays, the
//! `/dev/null` descriptor) is built before the clone: between clone and `execve` the
//! child runs on the caller's memory and stack-allocated arrays, so it makes only
//! async-signal-safe system calls, allocates nothing and takes no lock. Every signal
//! is blocked in the calling thread across the clone, so no handler of the caller's
//! runs on the child's side of the shared memory; the child resets handled signals to
//! their default before it unblocks them. `CLONE_VFORK` suspends the calling thread
//! until the child has exec'd or exited, so the borrowed data outlives every use.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use std::sync::atomic::AtomicI32;

use nix::unistd::Pid;

use crate::child::{ChildCommand, StartError, Stdin};

/// Where a started child's pid is published for a signal handler, from the moment it
/// can receive signals at all.
pub(crate) trait Publish {
    /// The slot the child itself stores its pid in, before it unblocks signals.
    fn slot(&self) -> &AtomicI32;
    /// The child's `execve` failed: clear the slot and wait until no handler uses
    /// the pid any more, so the child can be reaped.
    fn withdraw(&self, pid: Pid);
}

/// Where a child's standard output and error go instead of keld's own.
pub(crate) type Output<'fd> = (BorrowedFd<'fd>, BorrowedFd<'fd>);

/// How often starting a program that is busy ("Text file busy") is tried again,
/// after 4, 8, 16, 32 and 64 ms.
const TEXT_BUSY_RETRIES: u32 = 5;

/// Start `command` with stdout and stderr inherited or sent to `output`; the pid goes
/// to `publish` and to `started` before any signal handler can run (see [`spawn`]).
/// Returns the program that runs and its pid.
///
/// A `program` without `/` is looked up in the `PATH` of the command's environment;
/// a file `exec` rejects is reported as not startable, never retried as a shell
/// script. A program that is "busy" (open for writing: a descriptor another thread's
/// child still holds for a moment, or a package update) is tried again for up to
/// about an eighth of a second.
pub(crate) fn start(
    command: &ChildCommand,
    output: Option<Output<'_>>,
    publish: Option<&dyn Publish>,
    started: impl FnOnce(Pid),
) -> Result<(PathBuf, Pid), StartError> {
    let program = if command.program.as_os_str().as_bytes().contains(&b'/') {
        command.program.clone()
    } else {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        crate::path::find_program(command.program.as_os_str(), &command.env, &cwd)
            .map_err(|error| StartError::not_found(&command.program, &error))?
    };
    let prepared = Prepared::new(&program, command, output)
        .map_err(|source| StartError::new(&program, source))?;
    wait_for_children().map_err(|source| StartError::new(&program, source))?;
    let mut started = Some(started);
    let mut attempt = 0;
    loop {
        let result = spawn(&prepared, publish, |pid| {
            if let Some(started) = started.take() {
                started(pid);
            }
        });
        match result {
            Err(error)
                if error.raw_os_error() == Some(nix::libc::ETXTBSY)
                    && attempt < TEXT_BUSY_RETRIES =>
            {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(2 << attempt));
            }
            Ok(pid) => return Ok((program, pid)),
            Err(source) => return Err(StartError::new(&program, source)),
        }
    }
}

/// Whether `signal`'s disposition is "ignore".
pub(crate) fn is_ignored(signal: i32) -> bool {
    let mut current = std::mem::MaybeUninit::<nix::libc::sigaction>::zeroed();
    #[allow(unsafe_code)]
    // SAFETY: reads the disposition into a zeroed `sigaction`; installs nothing.
    unsafe {
        nix::libc::sigaction(signal, std::ptr::null(), current.as_mut_ptr()) == 0
            && current.assume_init().sa_sigaction == nix::libc::SIG_IGN
    }
}

/// Children must be waited for: an ignored SIGCHLD (inherited across `exec` from
/// keld's parent) makes the kernel reap them itself, and their exit status is lost.
fn wait_for_children() -> io::Result<()> {
    if is_ignored(nix::libc::SIGCHLD) {
        #[allow(unsafe_code)]
        // SAFETY: replaces "ignore" by the default; no handler is lost.
        unsafe {
            nix::sys::signal::signal(
                nix::sys::signal::Signal::SIGCHLD,
                nix::sys::signal::SigHandler::SigDfl,
            )
        }
        .map_err(io::Error::from)?;
    }
    Ok(())
}

/// Reap `pid` and return how it ended.
pub(crate) fn reap(pid: Pid) -> io::Result<ExitStatus> {
    let mut status = 0;
    loop {
        #[allow(unsafe_code)]
        // SAFETY: `waitpid` writes one `c_int` through a valid pointer. (`nix`'s
        // `waitpid` refuses statuses with signal numbers it has no name for.)
        let reaped = unsafe { nix::libc::waitpid(pid.as_raw(), &raw mut status, 0) };
        if reaped == pid.as_raw() {
            return Ok(ExitStatus::from_raw(status));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// A program, its argument vector and environment, ready for `execve`.
struct Prepared<'fd> {
    program: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
    workdir: Option<CString>,
    output: Option<Output<'fd>>,
    /// `/dev/null`, opened close-on-exec, when standard input is [`Stdin::Null`].
    null_stdin: Option<std::fs::File>,
}

impl<'fd> Prepared<'fd> {
    /// Convert everything to C strings; a NUL byte anywhere is an invalid input.
    fn new(
        program: &Path,
        command: &ChildCommand,
        output: Option<Output<'fd>>,
    ) -> io::Result<Self> {
        let (args, env, workdir) = (&command.args, &command.env, command.workdir.as_deref());
        let argv = std::iter::once(program.as_os_str())
            .chain(args.iter().map(OsString::as_os_str))
            .map(c_string)
            .collect::<io::Result<_>>()?;
        let envp = env
            .iter()
            .map(|(key, value)| {
                if key.is_empty() || key.as_bytes().contains(&b'=') {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "an environment variable name is empty or contains '='",
                    ));
                }
                let mut entry = Vec::with_capacity(key.len() + value.len() + 1);
                entry.extend_from_slice(key.as_bytes());
                entry.push(b'=');
                entry.extend_from_slice(value.as_bytes());
                c_string(OsStr::from_bytes(&entry))
            })
            .collect::<io::Result<_>>()?;
        let null_stdin = match command.stdin {
            Stdin::Inherit => None,
            // std opens files close-on-exec; the copy on 0 made in the child is not.
            Stdin::Null => Some(std::fs::File::open("/dev/null")?),
        };
        Ok(Self {
            program: c_string(program.as_os_str())?,
            argv,
            envp,
            workdir: workdir.map(|dir| c_string(dir.as_os_str())).transpose()?,
            output,
            null_stdin,
        })
    }
}

fn c_string(text: &OsStr) -> io::Result<CString> {
    CString::new(text.as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "an argument, variable or path contains a NUL byte",
        )
    })
}

/// Start `prepared` (stdio inherited unless redirected).
///
/// With `publish`, the child itself stores its pid in the published slot before it
/// unblocks signals, so a signal handler on any thread finds it from the moment the
/// child can receive signals at all. `started` is called with the pid while every
/// signal is still blocked in the calling thread.
///
/// When `execve` fails the child is reaped here (after `publish.child` is cleared
/// and no handler uses it) and the error is `execve`'s: no `PATH` search, no retry
/// as a shell script.
#[cfg(target_os = "linux")]
fn spawn(
    prepared: &Prepared<'_>,
    publish: Option<&dyn Publish>,
    started: impl FnOnce(Pid),
) -> io::Result<Pid> {
    use nix::libc;
    use nix::sched::CloneFlags;
    use nix::sys::signal::{SigSet, SigmaskHow, pthread_sigmask};
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

    /// The child only makes a handful of system calls before `execve`.
    const CHILD_STACK: usize = 64 * 1024;

    // NULL-terminated arrays of pointers into `prepared`, as execve wants them.
    let pointers = |strings: &[CString]| -> Vec<*const libc::c_char> {
        strings
            .iter()
            .map(|text| text.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect()
    };
    let argv = pointers(&prepared.argv);
    let envp = pointers(&prepared.envp);
    let program = prepared.program.as_ptr();
    let workdir = prepared.workdir.as_ref().map(|dir| dir.as_ptr());
    let output = prepared
        .output
        .map(|(stdout, stderr)| [(stdout.as_raw_fd(), 1), (stderr.as_raw_fd(), 2)]);
    let stdin = prepared.null_stdin.as_ref().map(AsRawFd::as_raw_fd);
    let parent = nix::unistd::getpid().as_raw();
    let child_slot = publish.map(Publish::slot);
    // The child writes its errno here when it cannot exec; it shares this memory.
    let failure = AtomicI32::new(0);
    let in_workdir = AtomicBool::new(false);
    let mut stack = vec![0_u8; CHILD_STACK];

    // Block every signal so no handler of keld's runs on the child's side of the
    // shared memory; the child restores an empty mask just before `execve`.
    let mut saved = SigSet::empty();
    pthread_sigmask(
        SigmaskHow::SIG_SETMASK,
        Some(&SigSet::all()),
        Some(&mut saved),
    )
    .map_err(io::Error::from)?;

    let child = Box::new(|| -> isize {
        // SAFETY: only async-signal-safe system calls on memory prepared above; the
        // child allocates nothing and never returns into keld's code.
        #[allow(unsafe_code)]
        unsafe {
            let fail = || -> isize {
                failure.store(*libc::__errno_location(), Ordering::SeqCst);
                libc::_exit(127)
            };
            // Handlers installed by keld must not run in the child: back to the
            // default for each (exec would do it, but a signal may come first).
            // SIGPIPE, ignored by Rust programs, is reset as `std` does for children.
            for signal in 1..=libc::SIGRTMAX() {
                let mut current: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, std::ptr::null(), &raw mut current) != 0 {
                    continue;
                }
                let handled =
                    current.sa_sigaction != libc::SIG_DFL && current.sa_sigaction != libc::SIG_IGN;
                if handled || signal == libc::SIGPIPE {
                    let mut default: libc::sigaction = std::mem::zeroed();
                    default.sa_sigaction = libc::SIG_DFL;
                    libc::sigaction(signal, &raw const default, std::ptr::null_mut());
                }
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0) != 0 {
                return fail();
            }
            // keld may have died between clone and prctl, and then the death signal
            // never comes: refuse to run unsupervised.
            if libc::getppid() != parent {
                *libc::__errno_location() = libc::ESRCH;
                return fail();
            }
            if let Some(fd) = stdin
                && libc::dup2(fd, 0) < 0
            {
                return fail();
            }
            for (fd, target) in output.into_iter().flatten() {
                // The pipe ends are close-on-exec; their copies on 1 and 2 are not.
                // (keld's own 0, 1 and 2 are always open, so a pipe end is never
                // already one of them.)
                if libc::dup2(fd, target) < 0 {
                    return fail();
                }
            }
            if let Some(dir) = workdir
                && libc::chdir(dir) != 0
            {
                in_workdir.store(true, Ordering::SeqCst);
                return fail();
            }
            // Published last: a signal forwarded from now on is pending here until
            // the unmask below, and then has its default effect or reaches restic.
            if let Some(slot) = child_slot {
                slot.store(libc::getpid(), Ordering::SeqCst);
            }
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&raw mut empty);
            libc::sigprocmask(libc::SIG_SETMASK, &raw const empty, std::ptr::null_mut());
            libc::execve(program, argv.as_ptr(), envp.as_ptr());
            fail()
        }
    });
    // SAFETY: CLONE_VFORK suspends this thread until the child has exec'd or exited,
    // so the closure, the arrays and the stack outlive every use by the child; the
    // closure is async-signal-safe (see above).
    #[allow(unsafe_code)]
    let cloned = unsafe {
        nix::sched::clone(
            child,
            &mut stack,
            CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK,
            Some(libc::SIGCHLD),
        )
    };
    let result = match cloned {
        Err(errno) => Err(io::Error::from(errno)),
        Ok(pid) => match failure.load(Ordering::SeqCst) {
            0 => {
                started(pid);
                Ok(pid)
            }
            errno => {
                // The child has exited already; reap it so it leaves no zombie, once
                // no signal handler can still send it a signal.
                if let Some(publish) = publish {
                    publish.withdraw(pid);
                }
                let _ = reap(pid);
                let error = io::Error::from_raw_os_error(errno);
                match &prepared.workdir {
                    Some(dir) if in_workdir.load(Ordering::SeqCst) => Err(io::Error::new(
                        error.kind(),
                        format!(
                            "cannot change to the working directory {}: {error}",
                            dir.to_string_lossy()
                        ),
                    )),
                    _ => Err(error),
                }
            }
        },
    };
    // Restoring a mask saved from this very thread cannot fail.
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&saved), None);
    result
}

/// Elsewhere: `std` starts the child, without the death signal.
#[cfg(not(target_os = "linux"))]
fn spawn(
    prepared: &Prepared<'_>,
    publish: Option<&dyn Publish>,
    started: impl FnOnce(Pid),
) -> io::Result<Pid> {
    use std::os::unix::ffi::OsStrExt;
    use std::process::{Command, Stdio};

    let os = |text: &CString| OsStr::from_bytes(text.as_bytes()).to_owned();
    let mut command = Command::new(os(&prepared.program));
    command
        .args(prepared.argv.iter().skip(1).map(os))
        .env_clear()
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    if let Some((stdout, stderr)) = prepared.output {
        command
            .stdout(Stdio::from(stdout.try_clone_to_owned()?))
            .stderr(Stdio::from(stderr.try_clone_to_owned()?));
    }
    for entry in &prepared.envp {
        let bytes = entry.as_bytes();
        let split = bytes.iter().position(|&byte| byte == b'=').unwrap_or(0);
        command.env(
            OsStr::from_bytes(&bytes[..split]),
            OsStr::from_bytes(&bytes[split + 1..]),
        );
    }
    if let Some(dir) = &prepared.workdir {
        command.current_dir(os(dir));
    }
    if let Some(null) = &prepared.null_stdin {
        command.stdin(Stdio::from(null.try_clone()?));
    }
    let child = command.spawn()?;
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    if let Some(publish) = publish {
        publish
            .slot()
            .store(pid.as_raw(), std::sync::atomic::Ordering::SeqCst);
    }
    started(pid);
    Ok(pid)
}
