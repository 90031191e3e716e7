//! The `ruleforge` command: parses arguments and hands over to the library.

// Linting allocates many small strings on every core; mimalloc's thread-local heaps cut the
// allocator's share of a run (glibc malloc took about a sixth of it). Built with `no_thp`:
// mimalloc otherwise asks for transparent huge pages on its arenas, and where the kernel
// answers such requests by compacting memory at fault time (THP `defrag = madvise`, the kernel's
// default) a 100,000-rule bundle spent 2.5 s of system time in page faults instead of 0.9 s.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ruleforge::cli::main()
}
