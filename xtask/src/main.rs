//! Keld's development tasks, run with `cargo xtask <task>`.
//!
//! `cargo xtask bench` measures what keld costs around a restic run and compares it
//! with running restic directly and with crestic, and times the interactive mode; see
//! `docs/performance.md`.

use std::process::ExitCode;

mod bench;

const USAGE: &str = "\
usage: cargo xtask bench [OPTIONS]

Measures keld's cost around restic: wrapper overhead against running the same
restic command directly and through crestic (interleaved in one run), peak RSS
while supervising, the interactive mode (10,000 snapshots, a 100,000-entry
tree, the first screen of the real keld on a pseudo-terminal) and the
keld-config resolution benchmark.

options:
  --runs N            timed rounds of (direct, keld, crestic); default 300
  --crestic PATH      the crestic script to run (default: `crestic` from PATH)
  --no-crestic        leave crestic out
  --interactive-runs N  runs of each interactive-mode figure; default 20
  --no-interactive    skip the interactive-mode figures
  --no-config-bench   skip `cargo bench -p keld-config`
  --no-build          use the existing target/release/keld
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
