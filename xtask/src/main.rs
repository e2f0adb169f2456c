//! Keld's development tasks, run with `cargo xtask <task>`.
//!
//! `cargo xtask dist` builds the binary to install (`target/dist/keld`): statically
//! linked on Linux with glibc, and checked by running it.
//!
//! `cargo xtask bench` measures what that binary costs around a restic run and
//! compares it with running restic directly, with the plain `cargo build --release`
//! binary and with crestic, and times the interactive mode; see
//! `docs/performance.md`.

use std::process::ExitCode;

mod bench;
mod dist;

const USAGE: &str = "\
usage: cargo xtask dist
       cargo xtask bench [OPTIONS]

dist: builds the keld binary to install into target/dist/keld (on Linux with
glibc, linked statically: no dynamic loader at start-up) and checks it runs.

bench:
Measures keld's cost around restic: wrapper overhead against running the same
restic command directly and through crestic (interleaved in one run), peak RSS
while supervising, the 50-file benchmark config end to end (a run and `keld
presets`), what the run record and the preset lock add, `keld status` over a
full history, the interactive mode (10,000 snapshots, a 100,000-entry tree,
the first screen of the real keld on a pseudo-terminal), a restore drill
against the restic commands it runs, and the divan benchmarks of keld-config
(resolution), keld-hooks (records, the lock) and keld-supervise (spawning
restic).

options:
  --runs N            timed rounds of each step; default 300 (at most 100 for
                      the 50-file config and keld status)
  --baseline PATH     another keld binary (an earlier build) timed beside
                      target/dist/keld in every step
  --crestic PATH      the crestic script to run (default: `crestic` from PATH)
  --no-crestic        leave crestic out
  --no-large          skip the 50-file config
  --no-records        skip records and the lock
  --no-status         skip keld status
  --interactive-runs N  runs of each interactive-mode figure; default 20
  --no-interactive    skip the interactive-mode figures
  --no-divan          skip the divan benchmarks (also --no-config-bench)
  --no-dynamic        leave out the plain `cargo build --release` binary
  --drill-runs N      rounds of the drill figure (keld drill against the restic
                      ls + restore it needs, 10,000 files); default 20
  --restic PATH       the real restic for the drill figure (default: from PATH)
  --no-drill          skip the drill figure
  --drill-only        only the drill figure
  --no-build          use the existing target/dist/keld (and target/release/keld)
  -h, --help          this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => match bench::Options::parse(&args[1..]) {
            Ok(options) => match bench::run(&options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("xtask bench: {err}");
                    ExitCode::FAILURE
                }
            },
            Err(err) => {
                eprintln!("xtask bench: {err}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("dist") if args.len() == 1 => {
            let root = root();
            match dist::build(&root, &target_dir(&root)) {
                Ok(dist) => {
                    println!(
                        "{} ({})",
                        dist.binary.display(),
                        if dist.statically_linked {
                            "statically linked"
                        } else {
                            "dynamically linked"
                        }
                    );
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("xtask dist: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root.
fn root() -> std::path::PathBuf {
    let xtask = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_owned()
}

/// Cargo's target directory for the workspace.
fn target_dir(root: &std::path::Path) -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}
