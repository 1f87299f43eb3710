//! Go's `net` resolver, release by release.
