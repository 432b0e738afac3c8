//! A progress line on stderr for long work: only for large inputs (over 50 MB), only when
//! stderr is a terminal, never in `--json` mode or when stdout shares the terminal.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Inputs at least this large get a progress line.
pub const THRESHOLD: u64 = 50 * 1000 * 1000;

/// Shared byte (and file) counters and the thread that draws them.
pub struct Progress {
    done: Arc<AtomicU64>,
    files: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Whether a progress line should be drawn for this work.
    pub fn wanted(total: u64, json: bool, stdout_used_for_output: bool) -> bool {
        total >= THRESHOLD
            && !json
            && std::io::stderr().is_terminal()
            && !(stdout_used_for_output && std::io::stdout().is_terminal())
            && std::env::var_os("CRLKIT_NO_PROGRESS").is_none()
            && !crate::support::term::quiet()
    }

    /// Start drawing `label` for `total` bytes, if `enabled`.
    pub fn start(label: &'static str, total: u64, enabled: bool) -> Self {
        Self::start_counting(label, total, None, enabled)
    }

    /// Start drawing `label` for `files` files of `total` bytes in all, if `enabled`.
    pub fn start_files(label: &'static str, total: u64, files: u64, enabled: bool) -> Self {
        Self::start_counting(label, total, Some(files), enabled)
    }

    fn start_counting(label: &'static str, total: u64, files_total: Option<u64>, enabled: bool) -> Self {
        let done = Arc::new(AtomicU64::new(0));
        let files = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = enabled.then(|| {
            let (done, files, stop) = (done.clone(), files.clone(), stop.clone());
            std::thread::spawn(move || draw(label, total, files_total.map(|t| (&*files, t)), &done, &stop))
        });
        Self { done, files, stop, thread }
    }

    /// Count `n` more bytes as done.
    pub fn add(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// Count one more file, of `bytes`, as done.
    pub fn add_file(&self, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.add(bytes);
    }

    /// Stop drawing and clear the line.
    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

fn draw(label: &str, total: u64, files: Option<(&AtomicU64, u64)>, done: &AtomicU64, stop: &AtomicBool) {
    let started = Instant::now();
    let mut drawn = false;
    let mut first = true;
    while !stop.load(Ordering::Relaxed) {
        // The first frame at once, so even short runs show that work started.
        if !first {
            std::thread::sleep(Duration::from_millis(100));
        }
        first = false;
        let d = done.load(Ordering::Relaxed).min(total);
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        let pct = if total == 0 { 100.0 } else { d as f64 * 100.0 / total as f64 };
        let width = 30usize;
        let filled = ((pct / 100.0) * width as f64) as usize;
        let bar: String = "#".repeat(filled.min(width)) + &"-".repeat(width - filled.min(width));
        let files = files.map_or(String::new(), |(n, t)| format!("{}/{t} files  ", n.load(Ordering::Relaxed)));
        let line = format!(
            "\r{label} [{bar}] {pct:5.1}%  {files}{:.1}/{:.1} MB  {:.0} MB/s ",
            d as f64 / 1e6,
            total as f64 / 1e6,
            d as f64 / 1e6 / secs
        );
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
        drawn = true;
    }
    if drawn {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(format!("\r{}\r", " ".repeat(110)).as_bytes());
        let _ = err.flush();
    }
}
