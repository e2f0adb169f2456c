//! `cargo xtask dist`: the keld binary to install, built the way it is measured.
//!
//! On Linux with glibc the binary is linked statically (`+crt-static`), like restic's
//! own release binaries: no dynamic loader runs when keld starts, which is about a
//! third of a millisecond on every run (`docs/performance.md`). Elsewhere it is the
//! plain release build. Either way it lands in `target/dist/keld` and is checked by
//! running it.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where the binary is built from and what kind it is.
pub(crate) struct Dist {
    pub(crate) binary: PathBuf,
    pub(crate) statically_linked: bool,
}

/// Build `target/dist/keld` and check it starts, resolves and runs a command.
pub(crate) fn build(root: &Path, target: &Path) -> Result<Dist, String> {
    let host = host_triple()?;
    let static_glibc = host.ends_with("-linux-gnu");
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(root)
        .args(["build", "--release", "--locked", "-p", "keld-cli"]);
    let built = if static_glibc {
        // With an explicit --target, RUSTFLAGS reach keld's crates but not build
        // scripts and proc-macros, which must stay dynamic.
        let mut flags = std::env::var_os("RUSTFLAGS").unwrap_or_default();
        if !flags.is_empty() {
            flags.push(" ");
        }
        flags.push("-C target-feature=+crt-static");
        command.env("RUSTFLAGS", flags).args(["--target", &host]);
        target.join(&host).join("release/keld")
    } else {
        target.join("release/keld")
    };
    eprintln!(
        "building keld ({}) ...",
        if static_glibc {
            "release, glibc linked statically"
        } else {
            "release"
        }
    );
    let status = command
        .status()
        .map_err(|err| format!("starting cargo: {err}"))?;
    if !status.success() {
        return Err(format!("cargo build failed: {status}"));
    }
    let dist = target.join("dist");
    fs::create_dir_all(&dist).map_err(|err| format!("creating {}: {err}", dist.display()))?;
    let binary = dist.join("keld");
    // Copy to a new file and rename, so a running keld is never overwritten in place.
    let partial = dist.join(".keld.partial");
    fs::copy(&built, &partial)
        .and_then(|_| fs::rename(&partial, &binary))
        .map_err(|err| format!("copying {} to {}: {err}", built.display(), binary.display()))?;
    let statically_linked = !has_interpreter(&binary)?;
    if static_glibc && !statically_linked {
        return Err(format!(
            "{} still needs the dynamic loader: was +crt-static ignored?",
            binary.display()
        ));
    }
    check(&binary)?;
    Ok(Dist {
        binary,
        statically_linked,
    })
}

fn host_triple() -> Result<String, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .map_err(|err| format!("rustc -vV: {err}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV did not name the host".to_owned())
}

/// Whether the ELF file asks for a program interpreter (the dynamic loader).
fn has_interpreter(binary: &Path) -> Result<bool, String> {
    const PT_INTERP: u32 = 3;
    let bytes = fs::read(binary).map_err(|err| format!("reading {}: {err}", binary.display()))?;
    let not_elf = || {
        format!(
            "{} is not a 64-bit little-endian ELF file",
            binary.display()
        )
    };
    if !bytes.starts_with(b"\x7fELF") || bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
        return Err(not_elf());
    }
    let read = |at: usize, len: usize| bytes.get(at..at + len).ok_or_else(not_elf);
    let u16_at = |at| read(at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let phoff = read(0x20, 8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    let phoff = usize::try_from(phoff).map_err(|_| not_elf())?;
    for index in 0..phnum {
        let entry = read(phoff + index * phentsize, 4)?;
        if u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]) == PT_INTERP {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Run the binary the way a timer would: a config with a pre-hook, `~` in an
/// argument with `HOME` unset (the account lookup, which a static glibc does through
/// the system's NSS modules), a stand-in restic that records its arguments, and a
/// SIGTERM while restic runs.
fn check(binary: &Path) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("keld-dist-check-{}", std::process::id()));
    let result = check_in(binary, &dir);
    let _ = fs::remove_dir_all(&dir);
    result
}

fn check_in(binary: &Path, dir: &Path) -> Result<(), String> {
    let io = |what: &str, err: std::io::Error| format!("dist check: {what}: {err}");
    fs::create_dir_all(dir).map_err(|err| io("creating a scratch directory", err))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|err| io("securing the scratch directory", err))?;
    let restic = dir.join("restic");
    fs::write(
        &restic,
        r#"#!/bin/sh
if [ -n "$KELD_DIST_HOLD" ]; then
    trap 'echo TERM >> "$KELD_DIST_HOLD"; exit 143' TERM
    : > "$KELD_DIST_HOLD.ready"
    while :; do sleep 0.05; done
fi
printf '%s\n' "$@" > "$KELD_DIST_LOG"
exit 3
"#,
    )
    .map_err(|err| io("writing the stand-in restic", err))?;
    fs::set_permissions(&restic, fs::Permissions::from_mode(0o700))
        .map_err(|err| io("making the stand-in restic executable", err))?;
    let config = dir.join("keld.toml");
    fs::write(
        &config,
        r#"[check]
repo = "/srv/restic/check"
_arguments = ["~/documents"]

[check.environ]
KELD_DIST_LOG = "${KELD_DIST_DIR}/argv"

[check.backup]
_pre_hooks = ["test \"$KELD_PRESET\" = check"]
"#,
    )
    .map_err(|err| io("writing the config", err))?;
    fs::set_permissions(&config, fs::Permissions::from_mode(0o600))
        .map_err(|err| io("securing the config", err))?;

    let version = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|err| io("running keld --version", err))?;
    if !version.status.success() || !version.stdout.starts_with(b"keld ") {
        return Err(format!(
            "dist check: keld --version failed: {}",
            String::from_utf8_lossy(&version.stderr)
        ));
    }

    let path: OsString = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    let keld = || {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("PATH", &path)
            .env("KELD_EXECUTABLE", &restic)
            .env("KELD_DIST_DIR", dir)
            .env("KELD_NONINTERACTIVE", "1")
            .args(["--config".as_ref(), config.as_os_str()])
            .args(["-p", "check", "backup", "--dry-run"]);
        command
    };
    check_sigterm(keld(), dir)?;
    let output = keld().output().map_err(|err| io("running keld", err))?;
    if output.status.code() != Some(3) {
        return Err(format!(
            "dist check: keld should pass on restic's exit code 3, got {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let argv =
        fs::read_to_string(dir.join("argv")).map_err(|err| io("reading restic's argv", err))?;
    let args: Vec<&str> = argv.lines().collect();
    let home = args.last().and_then(|last| last.strip_suffix("/documents"));
    match (args.first(), args.contains(&"--dry-run"), home) {
        (Some(&"backup"), true, Some(home)) if home.starts_with('/') => {
            eprintln!(
                "dist check: ok (restic got {args:?}; ~ is {home} from the account database; \
                 SIGTERM reached restic once and keld exited with its 143)"
            );
            Ok(())
        }
        _ => Err(format!(
            "dist check: restic got unexpected arguments {args:?}"
        )),
    }
}

/// SIGTERM from another process (as `systemctl stop` sends) reaches restic once, and
/// keld ends with restic's exit code.
fn check_sigterm(mut keld: Command, dir: &Path) -> Result<(), String> {
    let hold = dir.join("signals");
    let ready = dir.join("signals.ready");
    let mut child = keld
        .env("KELD_DIST_HOLD", &hold)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|err| format!("dist check: starting keld: {err}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            return Err("dist check: the stand-in restic never started".to_owned());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .map_err(|err| format!("dist check: running kill: {err}"))?;
    let status = child
        .wait()
        .map_err(|err| format!("dist check: waiting for keld: {err}"))?;
    let received = fs::read_to_string(&hold).unwrap_or_default();
    if !sent.success() || status.code() != Some(143) || received != "TERM\n" {
        return Err(format!(
            "dist check: after SIGTERM keld ended with {status} (expected exit code 143) \
             and restic saw {received:?} (expected TERM once)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::has_interpreter;

    /// A 64-bit little-endian ELF header with one program header of type `p_type`.
    fn elf_with_segment(p_type: u32) -> Vec<u8> {
        let mut bytes = vec![0_u8; 0x40 + 0x38];
        bytes[..6].copy_from_slice(b"\x7fELF\x02\x01");
        bytes[0x20..0x28].copy_from_slice(&0x40_u64.to_le_bytes());
        bytes[0x36..0x38].copy_from_slice(&0x38_u16.to_le_bytes());
        bytes[0x38..0x3a].copy_from_slice(&1_u16.to_le_bytes());
        bytes[0x40..0x44].copy_from_slice(&p_type.to_le_bytes());
        bytes
    }

    #[test]
    fn the_program_interpreter_segment_tells_a_dynamic_binary() {
        let dir = std::env::temp_dir().join(format!("keld-dist-elf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("elf");
        std::fs::write(&file, elf_with_segment(3)).unwrap();
        assert_eq!(has_interpreter(&file), Ok(true));
        // PT_LOAD only: what a static binary has.
        std::fs::write(&file, elf_with_segment(1)).unwrap();
        assert_eq!(has_interpreter(&file), Ok(false));
        std::fs::write(&file, b"#!/bin/sh\n").unwrap();
        assert!(has_interpreter(&file).is_err());
        // A program header table past the end of the file.
        let mut truncated = elf_with_segment(3);
        truncated.truncate(0x42);
        std::fs::write(&file, truncated).unwrap();
        assert!(has_interpreter(&file).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
