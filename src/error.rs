//! The one error type for images that cannot be read: it names the input, the part of the image that failed
//! (a file in the archive, a layer digest), the byte offset where known, and what was wrong.

use std::fmt;

/// An image (or part of one) that could not be read. Exit code 3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageError {
    /// The input as the user gave it (`oci:./layout:v1`, `./app.tar`).
    pub input: String,
    /// Which part failed: `manifest.json`, `layer sha256:ab12… (2 of 5)`, `blobs/sha256/…`.
    pub part: String,
    /// Byte offset within that part, where the failure has one.
    pub offset: Option<u64>,
    pub what: String,
}

impl ImageError {
    pub fn new(input: impl Into<String>, part: impl Into<String>, what: impl Into<String>) -> Self {
        ImageError {
            input: input.into(),
            part: part.into(),
            offset: None,
            what: what.into(),
        }
    }

    pub fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.input)?;
        if !self.part.is_empty() {
            write!(f, ": {}", self.part)?;
        }
        if let Some(offset) = self.offset {
            write!(f, " at byte {offset}")?;
        }
        write!(f, ": {}", self.what)
    }
}

impl std::error::Error for ImageError {}

/// An error with its causes, one line: reqwest's own message leaves out the cause that matters.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    // Causes are often repeated by the wrapper's message; add only what is new.
    let mut depth = 0;
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    text
}
