fn main() -> std::process::ExitCode {
    keld_cli::main()
}
