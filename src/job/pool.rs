//! The worker pool: runs a job's inputs `jobs` at a time on scoped threads and hands each result back to the
//! calling thread as it finishes. One input's failure, even a panic deep inside, never stops the others.

use super::progress::Progress;
use super::{Input, Job};
use crate::report::ImageReport;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs the job on every input, `jobs` at a time; `done` is called on this thread as each one finishes
/// (in finishing order), with the input's position.
pub fn run(
    inputs: &[Input],
    jobs: usize,
    job: &Job,
    progress: &Progress,
    mut done: impl FnMut(usize, Result<Vec<ImageReport>, String>),
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(inputs.len()).max(1) {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(input) = inputs.get(n) else { break };
                let shown = input.to_string();
                progress.start(&shown);
                // One image's failure, even a panic deep inside, must not stop the others.
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(input)))
                        .unwrap_or_else(|_| {
                            Err(format!(
                                "{shown}: internal error (a bug in nsslint; please report it)"
                            ))
                        });
                progress.end(&shown);
                if tx.send((n, result)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (n, result) in rx {
            done(n, result);
        }
    });
}
