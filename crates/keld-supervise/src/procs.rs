//! Processes by pid: a process's descendants, and sending one a signal.
//!
//! `sh -c 'a | b'` forks `a` and `b`; a signal sent to `sh` alone kills `sh` and leaves
//! them running, still holding any pipe the caller reads. On Linux the tree is read
//! from `/proc`; elsewhere only the process itself is known.

use nix::sys::signal::Signal;
use nix::unistd::Pid;

/// `pid` and every process below it, parents before their children.
pub(crate) fn tree(pid: Pid) -> Vec<Pid> {
    let parents = parent_links();
    let mut found = vec![pid];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parents
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(child, _)| *child),
        );
        next += 1;
    }
    found
}

/// Send `signal` to `pid`; false when it is gone (or the number is no signal).
pub(crate) fn send(pid: Pid, signal: i32) -> bool {
    match Signal::try_from(signal) {
        Ok(signal) => nix::sys::signal::kill(pid, signal).is_ok(),
        Err(_) => false,
    }
}

/// Send `signal` to `pid` and every process below it.
///
/// A process that is forking at that moment could otherwise add a child the scan of
/// `/proc` does not see yet, and a shell killed a moment later leaves that child to
/// init, out of reach. So the tree is frozen first: each member gets SIGSTOP, and the
/// scan is repeated once every member has stopped (a stopped process has finished
/// any fork), until it finds no new member. Then every member gets `signal`, and
/// SIGCONT so it can act on it.
pub(crate) fn send_to_tree(pid: Pid, signal: i32) {
    let frozen = freeze_tree(pid);
    for &member in &frozen {
        send(member, signal);
    }
    for &member in &frozen {
        send(member, nix::libc::SIGCONT);
    }
}

/// Stop `pid` and every process below it (see [`send_to_tree`]) and return them; the
/// caller signals them and sends SIGCONT.
pub(crate) fn freeze_tree(pid: Pid) -> Vec<Pid> {
    let mut frozen: Vec<Pid> = Vec::new();
    // Bounded, for a tree that forks faster than it can be frozen.
    for _ in 0..64 {
        let new: Vec<Pid> = tree(pid)
            .into_iter()
            .filter(|member| !frozen.contains(member))
            .collect();
        if new.is_empty() {
            break;
        }
        for &member in &new {
            send(member, nix::libc::SIGSTOP);
        }
        for &member in &new {
            wait_stopped(member);
        }
        frozen.extend(new);
    }
    frozen
}

/// Wait (briefly) until `pid` is stopped or gone.
fn wait_stopped(pid: Pid) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
    while std::time::Instant::now() < deadline {
        match state(pid) {
            None | Some('T' | 't' | 'Z' | 'X' | 'x') => return,
            Some(_) => std::thread::yield_now(),
        }
    }
}

/// The state letter of `pid` (`R`, `S`, `T`, `Z`, ...), `None` when it is gone.
fn state(pid: Pid) -> Option<char> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat[stat.rfind(')')? + 1..]
            .split_whitespace()
            .next()?
            .chars()
            .next()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// When `pid` started (clock ticks after boot, `/proc/<pid>/stat` field 22): with
/// the pid, it tells a process from a later one that reused the pid. `None` when it
/// is gone or has ended and waits to be reaped (a zombie), or elsewhere than Linux.
pub(crate) fn start_time(pid: Pid) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
        // Fields after `comm` start at 3 (state); starttime is field 22.
        if matches!(fields.next(), Some("Z" | "X" | "x")) {
            return None;
        }
        fields.nth(18)?.parse().ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// Every process with its parent, as `/proc/<pid>/stat` tells.
#[cfg(target_os = "linux")]
fn parent_links() -> Vec<(Pid, Pid)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name();
            let pid: i32 = name.to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((Pid::from_raw(pid), Pid::from_raw(parent_of(&stat)?)))
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn parent_links() -> Vec<(Pid, Pid)> {
    Vec::new()
}

/// The parent pid from a `/proc/<pid>/stat` line: `pid (comm) state ppid ...`, where
/// `comm` may itself hold spaces and parentheses, so it is skipped up to the last `)`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parent_of(stat: &str) -> Option<i32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_is_read_after_the_command_name() {
        assert_eq!(parent_of("42 (sh) S 7 42 42 0"), Some(7));
        assert_eq!(parent_of("42 (a) b) (c) R 9 1"), Some(9));
        assert_eq!(parent_of("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_shell_pipeline_is_found_below_its_shell() {
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", "sleep 30 | sleep 31; true"])
            .spawn()
            .expect("sh");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut found = tree(pid);
        while found.len() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            found = tree(pid);
        }
        send_to_tree(pid, nix::libc::SIGKILL);
        let _ = child.wait();
        assert_eq!(found[0], pid);
        assert_eq!(found.len(), 3, "sh and both sleeps: {found:?}");
    }
}
