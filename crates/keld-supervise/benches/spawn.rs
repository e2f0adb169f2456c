//! What the hand-written spawn is worth: starting and reaping a no-op child through
//! [`Supervisor::run`] (`clone(CLONE_VM | CLONE_VFORK)` with the death signal), against
//! `std::process::Command` with the same death signal, which needs `pre_exec` and so
//! a full `fork`, and against plain `Command` (posix_spawn, no death signal).
//!
//! Run with `cargo bench -p keld-supervise`; `cargo xtask bench` repeats the table in
//! docs/performance.md. The child is `/bin/true`; each sample starts and reaps one.

use std::os::unix::process::CommandExt as _;
use std::process::Command;

use keld_supervise::{ChildCommand, Supervisor};

fn main() {
    divan::main();
}

fn env() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    vec![("PATH".into(), "/usr/bin:/bin".into())]
}

#[divan::bench(sample_count = 300)]
fn supervisor_run_clone_vfork(bencher: divan::Bencher<'_, '_>) {
    let supervisor = Supervisor::install().expect("signal handlers");
    let mut command = ChildCommand::new("/bin/true", Vec::<String>::new());
    command.env = env();
    bencher.bench_local(|| {
        let outcome = supervisor.run(&command).expect("runs");
        assert!(outcome.success());
    });
}

#[divan::bench(sample_count = 300)]
fn std_command_with_pre_exec_fork(bencher: divan::Bencher<'_, '_>) {
    bencher.bench_local(|| {
        let mut command = Command::new("/bin/true");
        command.env_clear().envs(env());
        #[allow(unsafe_code)]
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if nix::libc::prctl(nix::libc::PR_SET_PDEATHSIG, nix::libc::SIGTERM, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let status = command.status().expect("runs");
        assert!(status.success());
    });
}

#[divan::bench(sample_count = 300)]
fn std_command_posix_spawn_without_death_signal(bencher: divan::Bencher<'_, '_>) {
    bencher.bench_local(|| {
        let status = Command::new("/bin/true")
            .env_clear()
            .envs(env())
            .status()
            .expect("runs");
        assert!(status.success());
    });
}
