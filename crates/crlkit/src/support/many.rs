//! Many inputs for the commands that read CRLs (`inspect`, `list`, `verify`, `preflight`):
//! the files a walk found (`support::walk`) run in parallel on rayon, in windows of a few
//! files (and a bounded number of bytes), so memory follows the files in flight, never the
//! set; each window's results are handed on in the sorted input order before the next window
//! starts, so output never depends on which file finished first. A broken file is reported
//! with its path and error and the others go on (unless `--fail-fast`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use crate::support::failure::Failure;
use crate::support::json;
use crate::support::progress::Progress;
use crate::support::walk::{self, Found, Walk};

/// Files per window (per worker thread).
const FILES_PER_THREAD: usize = 4;
/// Input bytes per window: a larger file runs alone, with its own parallelism inside.
const WINDOW_BYTES: u64 = 64 << 20;

/// What became of one file.
pub enum FileResult<T> {
    Done(T),
    Failed(Failure),
    NotAttempted,
}

/// The files found, with their sizes.
pub struct Inputs {
    pub walk: Walk,
    pub sizes: Vec<u64>,
}

impl Inputs {
    /// Walk `inputs` (files and directories).
    pub fn find(inputs: &[PathBuf], follow_symlinks: bool) -> Result<Self, Failure> {
        let walk = walk::walk(inputs, follow_symlinks)?;
        let sizes = walk.files.iter().map(|f| std::fs::metadata(&f.path).map_or(0, |m| m.len())).collect();
        Ok(Self { walk, sizes })
    }

    /// Every file found, in order.
    pub fn files(&self) -> &[Found] {
        &self.walk.files
    }
}

/// Counts for the closing summary.
pub struct Summary {
    pub ok: u64,
    pub failed: u64,
    pub not_attempted: u64,
    pub skipped: u64,
    pub entries: u64,
    pub bytes: u64,
    pub started: Instant,
}

impl Summary {
    /// Counting from now, for the files `walk` found.
    pub fn new(walk: &Walk) -> Self {
        Self {
            ok: 0,
            failed: 0,
            not_attempted: 0,
            skipped: walk.skipped.len() as u64,
            entries: 0,
            bytes: 0,
            started: Instant::now(),
        }
    }

    fn rate(&self) -> (f64, f64) {
        let secs = self.started.elapsed().as_secs_f64();
        (secs, if secs > 0.0 { self.bytes as f64 / 1e6 / secs } else { 0.0 })
    }

    /// The summary's `--json` form.
    pub fn record(&self) -> SummaryRecord {
        let (secs, mb_s) = self.rate();
        SummaryRecord {
            ok: self.ok,
            failed: self.failed,
            not_attempted: self.not_attempted,
            skipped: self.skipped,
            entries: self.entries,
            bytes: self.bytes,
            seconds: json::rounded(secs, 3),
            mb_per_s: json::rounded(mb_s, 1),
        }
    }

    /// The closing line on stderr (`verb` as in "3 file(s) inspected").
    pub fn print(&self, verb: &str) {
        let (secs, mb_s) = self.rate();
        crate::support::term::summary(format_args!(
            "{} file(s) {verb}, {} failed, {} not attempted, {} skipped (not CRL files); {} entries, {} bytes \
             in {secs:.2} s ({mb_s:.0} MB/s)",
            self.ok, self.failed, self.not_attempted, self.skipped, self.entries, self.bytes
        ));
    }

    /// Exit 2 when any file failed (after everything else was reported).
    fn failure(&self, verb: &str, total: usize) -> Option<Failure> {
        (self.failed > 0)
            .then(|| Failure::new("bad-input", format!("{} of {total} file(s) could not be {verb}", self.failed)))
    }
}

/// A run's counts in `--json` (`"summary"`).
#[derive(serde::Serialize)]
pub struct SummaryRecord {
    pub ok: u64,
    pub failed: u64,
    pub not_attempted: u64,
    pub skipped: u64,
    pub entries: u64,
    pub bytes: u64,
    /// Wall time, to the millisecond.
    pub seconds: f64,
    pub mb_per_s: f64,
}

/// A file the walk passed over, and why (`"skipped"`).
#[derive(serde::Serialize)]
pub struct SkippedRecord {
    pub path: String,
    pub why: &'static str,
}

/// The skipped files' `--json` form.
pub fn skipped(walk: &Walk) -> Vec<SkippedRecord> {
    walk.skipped.iter().map(|(p, why)| SkippedRecord { path: p.display().to_string(), why }).collect()
}

/// The members that close a many-file report: `extra` (the command's own verdicts, such as
/// `"valid"`), then `"skipped"` and `"summary"`.
pub fn json_tail(tail: json::Tail, walk: &Walk, summary: &Summary) -> String {
    tail.member("skipped", &skipped(walk)).member("summary", &summary.record()).end()
}

/// A failed file as a text line (its full report, with location and excerpt, comes at the end).
pub fn failed_line(out: &mut String, file: &str, f: &Failure) {
    let _ = writeln!(out, "{file}: FAILED: error[{}] {}", f.code, f.message);
}

/// A file that could not be read or was not attempted, in a many-file report's `"files"`.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Unread<'a> {
    /// `{"file", "error": {"code", "message"}}`
    Failed { file: &'a str, error: ErrorRecord<'a> },
    /// `{"file", "not_attempted": true}` (after a failure, with `--fail-fast`)
    NotAttempted { file: &'a str, not_attempted: bool },
}

/// An error in `--json`: its stable code (docs/ERRORS.md) and message.
#[derive(serde::Serialize)]
pub struct ErrorRecord<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

/// For commands whose report is one text block or one JSON object per file (`inspect`,
/// `verify`, `preflight`): run `work` on every file as [`run_in_order`] does and print each
/// file's report in input order, `done` writing a file that worked (and counting its entries
/// and bytes), this function a failed or not-attempted one. In JSON the reports are the
/// `"files"` array of one object: this prints its opening, the caller the rest (`],...}`).
/// Returns the failures, to be printed in full at the end ([`finish`]).
pub fn report_each<T: Send>(
    inputs: &Inputs,
    fail_fast: bool,
    progress_label: &'static str,
    json: bool,
    summary: &mut Summary,
    work: impl Fn(&Found) -> Result<T, Failure> + Sync,
    mut done: impl FnMut(usize, T, &mut Summary, &mut String),
) -> Result<Vec<Failure>, Failure> {
    let mut failures = Vec::new();
    if json {
        crate::support::output::print_stdout(&json::Head::new().array("files"))?;
    }
    run_in_order(
        inputs,
        fail_fast,
        progress_label,
        !json,
        |f, _| work(f),
        |i, r| {
            let name = inputs.files()[i].path.display().to_string();
            let mut out = String::new();
            if json && i > 0 {
                out.push(',');
            }
            match r {
                FileResult::Done(t) => {
                    summary.ok += 1;
                    done(i, t, summary, &mut out);
                }
                FileResult::Failed(f) => {
                    summary.failed += 1;
                    if json {
                        let error = ErrorRecord { code: f.code, message: &f.message };
                        json::push(&mut out, &Unread::Failed { file: &name, error });
                    } else {
                        failed_line(&mut out, &name, &f);
                    }
                    failures.push(f);
                }
                FileResult::NotAttempted => {
                    summary.not_attempted += 1;
                    if json {
                        json::push(&mut out, &Unread::NotAttempted { file: &name, not_attempted: true });
                    } else {
                        let _ = writeln!(out, "{name}: not attempted (--fail-fast)");
                    }
                }
            }
            crate::support::output::print_stdout(&out)
        },
    )?;
    Ok(failures)
}

/// The end of a run over many files: every failure in full (location, excerpt) in input
/// order, the summary line (`verb`: "3 file(s) inspected"), and exit 2 when any file failed
/// ("1 of 4 file(s) could not be `failed_verb`").
pub fn finish(
    summary: &Summary,
    failures: &[Failure],
    verb: &str,
    failed_verb: &str,
    total: usize,
) -> Result<(), Failure> {
    for f in failures {
        f.print();
    }
    summary.print(verb);
    summary.failure(failed_verb, total).map_or(Ok(()), Err)
}

/// Run `work` on every file, in parallel windows, and hand each result to `emit` in input
/// order. `work` is told whether its file runs alone in its window (so it may write its
/// output itself, in order, instead of returning it). With `fail_fast`, files not started
/// after the first failure are `NotAttempted`.
pub fn run_in_order<T: Send>(
    inputs: &Inputs,
    fail_fast: bool,
    progress_label: &'static str,
    progress_enabled: bool,
    work: impl Fn(&Found, bool) -> Result<T, Failure> + Sync,
    mut emit: impl FnMut(usize, FileResult<T>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let files = inputs.files();
    let total: u64 = inputs.sizes.iter().sum();
    let progress =
        Progress::start_files(progress_label, total, files.len() as u64, progress_enabled && wanted(inputs, total));
    let stop = AtomicBool::new(false);
    let per_window = rayon::current_num_threads().max(1) * FILES_PER_THREAD;
    let mut start = 0;
    while start < files.len() {
        let mut end = start;
        let mut bytes = 0u64;
        while end < files.len()
            && end - start < per_window
            && (end == start || bytes + inputs.sizes[end] <= WINDOW_BYTES)
        {
            bytes += inputs.sizes[end];
            end += 1;
        }
        let alone = end - start == 1;
        let results: Vec<FileResult<T>> = (start..end)
            .into_par_iter()
            .map(|i| {
                if fail_fast && stop.load(Ordering::Relaxed) {
                    return FileResult::NotAttempted;
                }
                let r = match work(&files[i], alone) {
                    Ok(t) => FileResult::Done(t),
                    Err(f) => {
                        stop.store(true, Ordering::Relaxed);
                        FileResult::Failed(f)
                    }
                };
                progress.add_file(inputs.sizes[i]);
                r
            })
            .collect();
        for (i, r) in (start..end).zip(results) {
            emit(i, r)?;
        }
        start = end;
    }
    progress.finish();
    Ok(())
}

/// A progress line for many files: for a large total, or for many files, on a terminal.
fn wanted(inputs: &Inputs, total: u64) -> bool {
    let big = total >= crate::support::progress::THRESHOLD || inputs.files().len() >= 200;
    big && Progress::wanted(u64::MAX, false, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order_and_fail_fast_stops_new_work() {
        let base = std::env::temp_dir().join(format!("crlkit-many-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        for i in 0..50 {
            std::fs::write(base.join(format!("{i:02}.crl")), vec![0u8; i]).unwrap();
        }
        let inputs = Inputs::find(std::slice::from_ref(&base), false).unwrap();
        let mut seen = Vec::new();
        run_in_order(
            &inputs,
            false,
            "test",
            false,
            |f, _| {
                // Later files finish first.
                let n: u64 = f.relative.to_string_lossy()[..2].parse().unwrap();
                std::thread::sleep(std::time::Duration::from_micros(50 * (50 - n)));
                if n == 7 { Err(Failure::new("bad-input", "seven")) } else { Ok(n) }
            },
            |i, r| {
                seen.push((i, matches!(r, FileResult::Failed(_))));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), (0..50).collect::<Vec<_>>());
        assert_eq!(seen.iter().filter(|s| s.1).map(|s| s.0).collect::<Vec<_>>(), [7]);

        let mut not_attempted = 0;
        run_in_order(
            &inputs,
            true,
            "test",
            false,
            |_, _| Err::<(), _>(Failure::new("bad-input", "no")),
            |_, r| {
                not_attempted += usize::from(matches!(r, FileResult::NotAttempted));
                Ok(())
            },
        )
        .unwrap();
        assert!(not_attempted > 0, "later windows are not started after a failure");
        let _ = std::fs::remove_dir_all(&base);
    }
}
