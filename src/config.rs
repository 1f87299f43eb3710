//! `.nsslint.yaml`: project settings and ignores. An ignore names a rule and, optionally, a path in the image
//! and an image (globs allowed); it must give a reason and may give an expiry date (`until`, inclusive).
//! Ignored findings leave both the output and the exit code; an expired ignore stops applying and is reported.
//!
//! ```yaml
//! fail-on: warning
//! ignore:
//!   - rule: NSL001
//!     path: /opt/vendor/**
//!     image: registry.example.com/team/app
//!     workload: Deployment/api        # only in this workload (scan --k8s)
//!     reason: vendor binary; fixed upstream in 2.0
//!     until: 2027-01-31
//! ```

use crate::rules::Finding;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const DEFAULT_FILE: &str = ".nsslint.yaml";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Default for `--fail-on` (the command line wins).
    pub fail_on: Option<String>,
    #[serde(default)]
    pub ignore: Vec<Ignore>,
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    /// Rule id (`NSL001`) or name (`go-dns-before-hosts`).
    pub rule: String,
    /// Path in the image; `*` matches within one path part, `**` across parts.
    pub path: Option<String>,
    /// Image repository (no tag needed), or the input as given; globs as for `path`.
    pub image: Option<String>,
    /// A Kubernetes workload (`scan --k8s`): `Kind/name` or `namespace/Kind/name`, globs as for `path`.
    /// An ignore that names one applies only to that workload's containers.
    pub workload: Option<String>,
    pub reason: String,
    /// Last day the ignore applies, `YYYY-MM-DD`.
    pub until: Option<String>,
}

/// A calendar day, compared as (year, month, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub i64, pub u32, pub u32);

impl Day {
    pub fn parse(text: &str) -> Option<Day> {
        let mut parts = text.trim().splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Day(year, month, day))
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Day {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Day::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Day {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Day(year, month, day)
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0, self.1, self.2)
    }
}

/// `*` matches any run of characters but `/`; `**` any run at all.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p {
            [] => t.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=t.len()).any(|i| go(rest, &t[i..])),
            [b'*', rest @ ..] => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| go(rest, &t[i..])),
            [c, rest @ ..] => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

impl Config {
    /// Reads `path`; a missing default file is an empty config, a missing named one an error.
    pub fn load(path: Option<&Path>) -> Result<Config, String> {
        let (path, named) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_FILE), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if !named && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default())
            }
            Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
        };
        let mut config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
        };
        for (n, ignore) in config.ignore.iter().enumerate() {
            let at = format!("{}: ignore #{}", path.display(), n + 1);
            if crate::rules::find(&ignore.rule).is_none() {
                return Err(format!("{at}: no rule {:?}", ignore.rule));
            }
            if ignore.reason.trim().is_empty() {
                return Err(format!("{at}: a reason is required"));
            }
            if let Some(until) = &ignore.until {
                Day::parse(until)
                    .ok_or_else(|| format!("{at}: until {until:?} is not a date (YYYY-MM-DD)"))?;
            }
        }
        config.source = Some(path);
        Ok(config)
    }

    /// The ignores that no longer apply on `today`, with a sentence each for the report.
    pub fn expired(&self, today: Day) -> Vec<String> {
        let file = self
            .source
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| DEFAULT_FILE.into());
        self.ignore
            .iter()
            .enumerate()
            .filter_map(|(n, ignore)| {
                let until = Day::parse(ignore.until.as_deref()?)?;
                (until < today).then(|| {
                    format!(
                        "{file}: ignore #{} ({}{}) expired on {until}; it no longer applies",
                        n + 1,
                        ignore.rule,
                        ignore
                            .path
                            .as_deref()
                            .map(|p| format!(" {p}"))
                            .unwrap_or_default()
                    )
                })
            })
            .collect()
    }

    /// Whether an ignore in force on `today` covers the finding of an image known by `image_names`, in the
    /// workload known by `workload_names` when the image is a workload's container.
    pub fn ignores(
        &self,
        finding: &Finding,
        image_names: &[&str],
        workload_names: Option<&[&str]>,
        today: Day,
    ) -> bool {
        self.ignore.iter().any(|ignore| {
            let rule = crate::rules::find(&ignore.rule).is_some_and(|r| r.doc.id == finding.rule);
            let in_force = ignore
                .until
                .as_deref()
                .and_then(Day::parse)
                .is_none_or(|until| today <= until);
            let path = ignore
                .path
                .as_deref()
                .is_none_or(|p| glob_matches(p, &finding.path));
            let image = ignore
                .image
                .as_deref()
                .is_none_or(|p| image_names.iter().any(|name| glob_matches(p, name)));
            let workload = match (&ignore.workload, workload_names) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(p), Some(names)) => names.iter().any(|name| glob_matches(p, name)),
            };
            rule && in_force && path && image && workload
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_the_epoch_become_dates() {
        assert_eq!(Day::from_days_since_epoch(0), Day(1970, 1, 1));
        assert_eq!(Day::from_days_since_epoch(20_513), Day(2026, 3, 1));
        assert_eq!(Day::from_days_since_epoch(20_512), Day(2026, 2, 28));
        assert_eq!(Day::from_days_since_epoch(11_016), Day(2000, 2, 29));
        assert_eq!(Day::parse("2027-01-31"), Some(Day(2027, 1, 31)));
        assert_eq!(Day::parse("2027-13-01"), None);
    }

    #[test]
    fn globs_match_within_and_across_path_parts() {
        assert!(glob_matches("/usr/local/bin/*", "/usr/local/bin/app"));
        assert!(!glob_matches("/usr/*/app", "/usr/local/bin/app"));
        assert!(glob_matches("/usr/**/app", "/usr/local/bin/app"));
        assert!(glob_matches(
            "registry.example.com/team/*",
            "registry.example.com/team/app"
        ));
        assert!(!glob_matches("/opt/app", "/opt/app2"));
    }
}
