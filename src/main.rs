//! The `ruleforge` command: parses arguments and hands over to the library.

// Linting allocates many small strings on every core; mimalloc's thread-local heaps cut the
// allocator's share of a run (glibc malloc took about a sixth of it).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ruleforge::cli::main()
}
