//! Keld's development tasks, run with `cargo xtask <task>`.
//!
//! `cargo xtask bench` measures what keld costs around a restic run and compares it
//! with running restic directly and with crestic; see `docs/performance.md`.

use std::process::ExitCode;

mod bench;

const USAGE: &str = "\
usage: cargo xtask bench [OPTIONS]

Measures keld's cost around restic: wrapper overhead against running the same
restic command directly and through crestic (interleaved in one run), peak RSS
while supervising, and the keld-config resolution benchmark.

options:
  --runs N            timed rounds of (direct, keld, crestic); default 300
  --crestic PATH      the crestic script to run (default: `crestic` from PATH)
  --no-crestic        leave crestic out
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
