//! A bare name (`app:dev`, `team/app@sha256:…`) that is not a path: the image the developer just built, found
//! where it is. The Docker engine first, then Podman, then the registry (`docker://`) unless pulling is
//! forbidden (`--no-pull`); only engines that answer are asked, and an error lists every place tried with
//! what it said. A path that exists is never a name (the sniffing in [`super::sniff`] reads it), and inputs
//! that look like file names (`./x`, `/x`, `x.tar`) are never looked up anywhere else.

use super::engine::{self, endpoint::Engine, Lookup};
use super::platform::PlatformChoice;
use super::{Image, ImageRef};
use crate::error::ImageError;
use std::sync::OnceLock;

/// Whether a bare name may be pulled from a registry when no engine has it (set once per process).
static PULL: OnceLock<bool> = OnceLock::new();

/// Sets whether bare names may fall back to the registry; call before the first input is opened.
pub fn configure(pull: bool) {
    let _ = PULL.set(pull);
}

fn pull_allowed() -> bool {
    *PULL.get().unwrap_or(&true)
}

/// Whether an input that is not an existing path reads as an image name rather than a file name.
pub fn is_image_name(input: &str) -> bool {
    let file_like = input.starts_with(['.', '/', '~'])
        || [".tar", ".tar.gz", ".tgz", ".tar.zst", ".json"]
            .iter()
            .any(|ext| input.ends_with(ext));
    !file_like && super::registry::parse_reference(input).is_ok()
}

pub fn open(reference: &ImageRef, choice: &PlatformChoice) -> Result<Vec<Image>, ImageError> {
    let name = reference.reference.as_deref().unwrap_or_default();
    let input = &reference.original;
    let mut tried = vec![format!("./{name}: no such file or directory")];
    for engine in [Engine::Docker, Engine::Podman] {
        match engine::find(engine, name, input, choice)? {
            Lookup::Found(images) => return Ok(images),
            Lookup::NotThere(why) => tried.push(why),
        }
    }
    if !pull_allowed() {
        tried.push(format!("docker://{name}: not tried (--no-pull)"));
    } else {
        let registry = ImageRef::parse(&format!("docker://{name}"))?;
        match super::open(&registry, choice) {
            Ok(mut images) => {
                for image in &mut images {
                    image.input = input.clone();
                }
                return Ok(images);
            }
            Err(e) => tried.push(format!("docker://{name}: {}", e.what)),
        }
    }
    Err(ImageError::new(
        input,
        "",
        format!(
            "found nowhere; tried, in order: {}. Name a transport to look in one place only (docker-daemon:, podman:, docker://, or a file)",
            tried.join("; ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_told_from_file_names() {
        assert!(is_image_name("app:dev"));
        assert!(is_image_name(&format!(
            "team/app@sha256:{}",
            "a".repeat(64)
        )));
        assert!(is_image_name("registry.example.com:5000/team/app:1.4"));
        assert!(!is_image_name("./app"));
        assert!(!is_image_name("/tmp/app"));
        assert!(!is_image_name("app.tar"));
        assert!(!is_image_name("App:Dev"));
        assert!(!is_image_name(""));
    }
}
