//! Progress of a job on a terminal: images done of all, bytes downloaded so far, the images being scanned
//! now. Messages printed while the bar is shown go above it. Without a terminal (or with `--quiet`) it
//! shows nothing and messages go straight to standard error.

use std::sync::Arc;

use crate::source::registry::DownloadCounters;

/// Progress on a terminal: images done of all, bytes downloaded, the images being scanned.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    current: std::sync::Mutex<Vec<String>>,
    downloads: Arc<DownloadCounters>,
}

impl Progress {
    pub fn new(enabled: bool, total: usize, downloads: Arc<DownloadCounters>) -> Progress {
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos}/{len} images {elapsed} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            current: std::sync::Mutex::new(Vec::new()),
            downloads,
        }
    }

    fn message(&self) {
        let Some(bar) = &self.bar else { return };
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = self
            .downloads
            .figures()
            .map(|(bytes, _)| format!("{} downloaded ", human_bytes(bytes)))
            .unwrap_or_default();
        bar.set_message(format!("{bytes}{}", current.join(", ")));
    }

    pub fn start(&self, input: &str) {
        if self.bar.is_some() {
            self.current
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(input.to_string());
            self.message();
        }
    }

    pub fn end(&self, input: &str) {
        if let Some(bar) = &self.bar {
            self.current
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|i| i != input);
            bar.inc(1);
            self.message();
        }
    }

    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `1.5 MiB`: bytes in the largest binary unit that keeps the number at or above 1.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
