//! `--timings`: wall time per pipeline phase, printed to stderr when the command ends.
//!
//! This is the only place hlc reads the clock, and only when the flag is given (the pure crates
//! never do). Phases are timed where the CLI calls them: `load` (sandboxed import walk and read),
//! `eval` (Nickel, including the `Lab` contract and the conversion to hlc's value tree) or
//! `eval-cached` (the same tree from the evaluation cache, see `evalcache.rs`), `decode`
//! (the typed model), `check` (graph, waves, rules), `render`, `hash` (input digests for the
//! lock), `plan` (what to write, against `out/`), `write` (apply) and `verify` (`hlc check`
//! against `out/hlc.lock`), plus `fast-path` (a no-op rebuild found up to date from the lock).
//!
//! Output, one line per phase in the order run, then the total since the flag was read:
//!
//! ```text
//! timing load      0.412 ms
//! timing eval     96.130 ms
//! timing total   104.877 ms
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static START: Mutex<Option<Instant>> = Mutex::new(None);
static PHASES: Mutex<Vec<(&'static str, Duration)>> = Mutex::new(Vec::new());

/// Turns timing on (from `--timings`); the total counts from here.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
    if let Ok(mut s) = START.lock() {
        *s = Some(Instant::now());
    }
}

fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Runs `f`, recording its wall time under `phase` when timing is on (a phase run twice adds up).
pub fn time<T>(phase: &'static str, f: impl FnOnce() -> T) -> T {
    time_as(|| (f(), phase))
}

/// Like [`time`], for a phase whose name `f` decides (it returns its result and the name).
pub fn time_as<T>(f: impl FnOnce() -> (T, &'static str)) -> T {
    if !enabled() {
        return f().0;
    }
    let t = Instant::now();
    let (out, phase) = f();
    let d = t.elapsed();
    if let Ok(mut p) = PHASES.lock() {
        match p.iter_mut().find(|(n, _)| *n == phase) {
            Some(e) => e.1 += d,
            None => p.push((phase, d)),
        }
    }
    out
}

/// Prints the recorded phases and the total to stderr (nothing when timing is off).
pub fn report() {
    if !enabled() {
        return;
    }
    let total = START
        .lock()
        .ok()
        .and_then(|s| s.map(|t| t.elapsed()))
        .unwrap_or_default();
    let mut text = String::new();
    if let Ok(p) = PHASES.lock() {
        for (name, d) in p.iter() {
            text.push_str(&line(name, *d));
        }
    }
    text.push_str(&line("total", total));
    eprint!("{text}");
}

fn line(name: &str, d: Duration) -> String {
    format!("timing {name:<9} {:>9.3} ms\n", d.as_secs_f64() * 1000.0)
}
