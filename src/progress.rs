//! A process-wide work counter for progress display. Long loops (lint's per-file pass, which
//! `bundle` runs too; `fmt`; `match`'s event batches) add what they finished; the command line
//! turns the count into a progress bar on an interactive terminal (`src/cli/progress.rs`).
//!
//! Counting is off unless a display asked for it: then `add` is one relaxed atomic load, and
//! when on, one relaxed atomic add per file or batch, next to work that takes microseconds to
//! milliseconds. A global rather than a parameter so that the library's signatures do not
//! change for a display concern, as with `crate::timings`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static ON: AtomicBool = AtomicBool::new(false);
static DONE: AtomicU64 = AtomicU64::new(0);

/// Records `n` more units of work done (files, events), if counting is on.
#[inline]
pub fn add(n: u64) {
    if ON.load(Ordering::Relaxed) {
        DONE.fetch_add(n, Ordering::Relaxed);
    }
}

/// Starts counting from zero.
pub fn start() {
    DONE.store(0, Ordering::Relaxed);
    ON.store(true, Ordering::Relaxed);
}

/// Stops counting.
pub fn stop() {
    ON.store(false, Ordering::Relaxed);
}

/// The units done since [`start`].
pub fn done() -> u64 {
    DONE.load(Ordering::Relaxed)
}
