//! The `ruleforge` command: parses arguments and hands over to the library.

fn main() -> std::process::ExitCode {
    ruleforge::cli::main()
}
