//! Progress bars for long work (`lint`, `bundle`, `fmt`, `match`): files or events done, the
//! rate and the time left, drawn by `indicatif` on standard error.
//!
//! Only where a person watches: standard error is a terminal, `CI` is not set, the command
//! was not given `--quiet`, and its output is for people (the text format). Nothing appears
//! for work that ends within [`DELAY`] (a second); the bar is cleared before the command prints its
//! result, so output and bar never mix.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Work shorter than this shows no bar (`RULEFORGE_PROGRESS_DELAY_MS` sets another delay,
/// for tests).
pub const DELAY: Duration = Duration::from_millis(1000);

fn delay() -> Duration {
    std::env::var("RULEFORGE_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(DELAY, Duration::from_millis)
}
const TICK: Duration = Duration::from_millis(100);

/// Whether a progress bar may be drawn: an interactive standard error, no `CI` variable, and
/// the caller's own conditions (`--quiet`, a machine output format) allow it.
pub fn wanted(allowed_by_command: bool) -> bool {
    allowed_by_command
        && std::env::var_os("CI").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|v| v != "dumb")
        && std::io::stderr().is_terminal()
}

/// A progress display running on its own thread until dropped.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts counting and, after [`DELAY`], draws a bar of `total` units (`None`: a counter
    /// without a total) labelled `what` (`linting`, `formatting`) in `unit`s (`files`).
    /// Returns a display that does nothing when `enabled` is false.
    pub fn start(
        enabled: bool,
        what: &'static str,
        unit: &'static str,
        total: Option<u64>,
    ) -> Self {
        if !enabled {
            return Progress {
                stop: Arc::new(AtomicBool::new(true)),
                thread: None,
            };
        }
        crate::progress::start();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || draw(&flag, what, unit, total))
            .ok();
        Progress { stop, thread }
    }
}

fn draw(stop: &AtomicBool, what: &str, unit: &str, total: Option<u64>) {
    let started = Instant::now();
    let delay = delay();
    while started.elapsed() < delay {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(TICK.min(delay.saturating_sub(started.elapsed())));
    }
    let style = match total {
        Some(_) => format!("{{spinner}} {what} {{wide_bar}} {{human_pos}}/{{human_len}} {unit}, {{msg}}, {{eta}} left"),
        None => format!("{{spinner}} {what}: {{human_pos}} {unit}, {{msg}}, {{elapsed}}"),
    };
    let style = indicatif::ProgressStyle::with_template(&style)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    // The time already spent counts in the rate and the estimate.
    let bar = indicatif::ProgressBar::with_draw_target(
        total,
        indicatif::ProgressDrawTarget::stderr_with_hz(10),
    )
    .with_style(style)
    .with_message("0/s")
    .with_elapsed(started.elapsed());
    while !stop.load(Ordering::Relaxed) {
        let done = crate::progress::done();
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        bar.set_position(done);
        bar.set_message(format!("{:.0}/s", done as f64 / secs));
        bar.tick();
        std::thread::sleep(TICK);
    }
    bar.finish_and_clear();
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
            crate::progress::stop();
        }
    }
}
