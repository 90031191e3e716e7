//! Phase timings, for profiling the larger commands: with `RULEFORGE_TIMINGS=1` in the
//! environment, each phase boundary prints a line on standard error with the time since the
//! command started and the CPU time used so far by all threads
//! (`timing    1.234 s  cpu    2.345 s  lint: per-file checks`). Off by default, and then a
//! mark costs one atomic load.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Option<Instant>> = OnceLock::new();

fn start() -> Option<Instant> {
    *START.get_or_init(|| {
        std::env::var_os("RULEFORGE_TIMINGS")
            .is_some_and(|v| !v.is_empty() && v != "0")
            .then(Instant::now)
    })
}

/// Starts the clock (the CLI calls it first thing; otherwise the first mark does).
pub fn init() {
    start();
}

/// Whether timings are on (`RULEFORGE_TIMINGS` set, not empty or `0`).
pub fn enabled() -> bool {
    start().is_some()
}

/// Marks the end of a phase.
pub fn mark(phase: &str) {
    if let Some(t0) = start() {
        eprintln!(
            "timing {:>8.3} s  cpu {:>8.3} s  {phase}",
            t0.elapsed().as_secs_f64(),
            cpu_seconds()
        );
    }
}

/// User + system CPU time of the process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return f64::NAN;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}
