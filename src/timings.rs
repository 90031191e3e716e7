//! Phase timings, for profiling the larger commands: with `RULEFORGE_TIMINGS=1` in the
//! environment, each phase boundary prints a line on standard error with the time since the
//! command started, the CPU time used so far by all threads (user + system, then the system
//! part alone), and the resident memory now and at its peak
//! (`timing    1.234 s  cpu    2.345 s  sys    0.120 s  rss    340 MiB  peak    402 MiB  lint:
//! per-file checks`). Off by default, and then a mark costs one atomic load.

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
        let u = usage();
        eprintln!(
            "timing {:>8.3} s  cpu {:>8.3} s  sys {:>7.3} s  rss {:>6} MiB  peak {:>6} MiB  {phase}",
            t0.elapsed().as_secs_f64(),
            u.user + u.system,
            u.system,
            resident_mib().map_or_else(|| "?".to_string(), |m| m.to_string()),
            u.peak_mib,
        );
    }
}

struct Usage {
    user: f64,
    system: f64,
    peak_mib: u64,
}

/// CPU times and peak resident memory of the process so far.
fn usage() -> Usage {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return Usage {
            user: f64::NAN,
            system: f64::NAN,
            peak_mib: 0,
        };
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Usage {
        user: secs(ru.ru_utime),
        system: secs(ru.ru_stime),
        // Linux reports kibibytes.
        peak_mib: ru.ru_maxrss.max(0) as u64 / 1024,
    }
}

/// Resident memory now, from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_mib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(0) as u64 / (1024 * 1024))
}
