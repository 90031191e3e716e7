//! Measuring one child process: wall time, CPU time (user + system) and peak RSS, from
//! `wait4`'s resource usage.

use crate::Res;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One measured child process.
#[derive(Clone)]
pub struct Measure {
    pub wall: f64,
    pub cpu: f64,
    pub max_rss_kb: i64,
    pub status: i32,
}

/// Runs `cmd` to completion and measures it. Its output is discarded: a pipe nobody reads
/// would stall a chatty tool once full, and printing would measure the terminal.
pub fn measure(cmd: &mut Command) -> Res<Measure> {
    let t = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; status and usage are valid out-pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r < 0 {
        return Err("wait4 failed".into());
    }
    let wall = t.elapsed().as_secs_f64();
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Measure {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
        status: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
    })
}

/// The median (the upper one of an even count); NaN for none.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}
