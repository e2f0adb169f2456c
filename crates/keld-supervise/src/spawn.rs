//! Starting a child that shares keld's terminal and dies with keld.
//!
//! On Linux the child is created with `clone(CLONE_VM | CLONE_VFORK)`, the way
//! `posix_spawn` does it: no page tables are copied, and keld waits only until the
//! child has called `execve`. Unlike `posix_spawn`, the child also asks for SIGTERM
//! when keld dies (`PR_SET_PDEATHSIG`), which `std::process::Command` can only do
//! through `pre_exec`, and that forces a full `fork`.
//!
//! Everything the child needs (paths, argument and environment arrays) is built
//! before the clone: between clone and `execve` the child runs on keld's memory, so
//! it makes only async-signal-safe system calls, allocates nothing and takes no lock.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::unistd::Pid;

/// A program, its argument vector and environment, ready for `execve`.
pub(crate) struct Prepared {
    program: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
    workdir: Option<CString>,
}

impl Prepared {
    /// Convert everything to C strings; a NUL byte anywhere is an invalid input.
    pub(crate) fn new(
        program: &Path,
        args: &[OsString],
        env: &[(OsString, OsString)],
        workdir: Option<&Path>,
    ) -> io::Result<Self> {
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
        Ok(Self {
            program: c_string(program.as_os_str())?,
            argv,
            envp,
            workdir: workdir.map(|dir| c_string(dir.as_os_str())).transpose()?,
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

/// Start `prepared` with stdio inherited. `started` is called with the child's pid
/// while every signal is still blocked in the calling thread, so a signal handler
/// that runs afterwards already sees the pid.
///
/// When `execve` fails the child is reaped here and the error is `execve`'s: no
/// `PATH` search, no retry as a shell script.
#[cfg(target_os = "linux")]
pub(crate) fn spawn(prepared: &Prepared, started: impl FnOnce(Pid)) -> io::Result<Pid> {
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
    let parent = nix::unistd::getpid().as_raw();
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
            for signal in 1..libc::SIGRTMIN() {
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
            if let Some(dir) = workdir
                && libc::chdir(dir) != 0
            {
                in_workdir.store(true, Ordering::SeqCst);
                return fail();
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
                // The child has exited already; reap it so it leaves no zombie.
                let _ = nix::sys::wait::waitpid(pid, None);
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
pub(crate) fn spawn(prepared: &Prepared, started: impl FnOnce(Pid)) -> io::Result<Pid> {
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
    let child = command.spawn()?;
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    started(pid);
    Ok(pid)
}
