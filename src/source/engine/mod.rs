//! Images in a local engine: `docker-daemon:NAME[:TAG|@DIGEST]` (the Docker Engine) and `podman:NAME`
//! (Podman's service, which speaks the same API). The engine is found as its CLI finds it ([`endpoint`]),
//! the image inspected for its ID and layers, then exported by that ID ([`api`]) — so a tag that moves
//! meanwhile cannot mix two images — and read as the `docker save` archive the export is.
//!
//! The export is spooled to an anonymous temporary file (in `TMPDIR`, unlinked from the start, so it is gone
//! however the process ends) rather than walked as it streams: engines write `manifest.json` — the layer
//! order and the config — after the layers, and the walk reads layers in parallel, largest first, from a
//! seekable archive. The cost is one sequential write and read of the uncompressed image (mostly in the
//! page cache); `bench/run.sh` measures it (`engine`).

pub mod api;
pub mod endpoint;

use super::docker_archive;
use super::files::TarFiles;
use super::platform::PlatformChoice;
use super::{Image, ImageRef, Location};
use crate::error::ImageError;
use api::{Client, Fault, Inspect};
use endpoint::{Engine, Env};
use std::fs::File;
use std::sync::Arc;

/// What follows `docker-daemon:` or `podman:`: an image name, `NAME@sha256:…`, or an image ID.
pub fn location(rest: &str) -> Result<Location, String> {
    if rest.is_empty() {
        return Err(
            "no image name given (write docker-daemon:NAME[:TAG] or podman:NAME[:TAG])".into(),
        );
    }
    if let Some(bad) = rest
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '%' | '\\'))
    {
        return Err(format!("{bad:?} cannot be part of an image name"));
    }
    Ok((Default::default(), Some(rest.to_string())))
}

pub fn open_docker(
    reference: &ImageRef,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    open(Engine::Docker, reference, choice)
}

pub fn open_podman(
    reference: &ImageRef,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    open(Engine::Podman, reference, choice)
}

fn open(
    engine: Engine,
    reference: &ImageRef,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    let name = reference.reference.as_deref().unwrap_or_default();
    match find(engine, name, &reference.original, choice)? {
        Lookup::Found(images) => Ok(images),
        Lookup::NotThere(why) => Err(ImageError::new(&reference.original, "", why)),
    }
}

/// The answer of one engine to "do you have this image?".
pub enum Lookup {
    Found(Vec<Image>),
    /// No engine listens, or it has no such image: why, in a sentence that names where it looked.
    NotThere(String),
}

/// Looks the image up in the engine (the first of its places that answers) and reads it.
pub fn find(
    engine: Engine,
    name: &str,
    input: &str,
    choice: &PlatformChoice,
) -> Result<Lookup, ImageError> {
    let fail = |what: String| ImageError::new(input, "", what);
    let candidates = endpoint::candidates(engine, &Env::process()).map_err(fail)?;
    let mut tried = Vec::new();
    for candidate in &candidates {
        let answer = Client::new(candidate).and_then(|client| {
            let inspect = client.inspect(name)?;
            Ok((client, inspect))
        });
        match answer {
            Ok((client, inspect)) => {
                return read(&client, &inspect, name, input, choice).map(Lookup::Found)
            }
            Err(Fault::Absent(why)) => tried.push(format!("{}: {why}", candidate.describe())),
            Err(Fault::Refused {
                status: 404,
                message,
            }) => {
                return Ok(Lookup::NotThere(format!(
                    "{} at {} has no image {name:?} ({message})",
                    engine.name(),
                    candidate.describe()
                )))
            }
            Err(Fault::Denied(why)) => {
                return Err(fail(format!(
                    "{} at {}: {why}",
                    engine.name(),
                    candidate.describe()
                )))
            }
            Err(fault) => {
                return Err(fail(format!(
                    "{} at {}: cannot inspect {name:?}: {fault}",
                    engine.name(),
                    candidate.describe()
                )))
            }
        }
    }
    Ok(Lookup::NotThere(format!(
        "no {} engine answers ({}); {}, or scan a saved image ({} save {name} -o image.tar, then nsslint scan image.tar)",
        engine.name(),
        tried.join("; "),
        engine.how_to_start(),
        engine.name().to_lowercase(),
    )))
}

/// Exports the inspected image into a spool file and reads it as a docker archive.
fn read(
    client: &Client,
    inspect: &Inspect,
    name: &str,
    input: &str,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    let at = |what: String| {
        ImageError::new(
            input,
            "",
            format!(
                "{} at {}: {what}",
                client.endpoint.engine.name(),
                client.endpoint.describe()
            ),
        )
    };
    let mut spool = tempfile::tempfile().map_err(|e| {
        at(format!(
            "cannot make a temporary file for the export (TMPDIR): {e}"
        ))
    })?;
    let bytes = client
        .export(&inspect.id, &mut spool)
        .map_err(|fault| at(format!("cannot export {name:?} ({}): {fault}", inspect.id)))?;
    read_export(input, inspect, name, spool, choice).map_err(|mut e| {
        e.what = format!(
            "{} (the engine's export of {}, {bytes} bytes)",
            e.what, inspect.id
        );
        e
    })
}

/// Reads an engine's export (a `docker save` archive, classic or with an OCI layout inside) as the image
/// the inspect described: its layers must be the inspected ones.
pub fn read_export(
    input: &str,
    inspect: &Inspect,
    name: &str,
    export: File,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    let files = TarFiles::index_file(export)
        .map_err(|e| ImageError::new(input, "", format!("the export is not a tar archive: {e}")))?;
    let mut images = docker_archive::open(input, Arc::new(files), None, choice)?;
    let inspected = inspect.diff_ids();
    for image in &mut images {
        let exported = image.config.rootfs().diff_ids();
        if !inspected.is_empty() && exported != &inspected {
            return Err(ImageError::new(
                input,
                "manifest.json",
                format!(
                    "the export's layers ({}) are not the inspected image's ({})",
                    exported.join(", "),
                    inspected.join(", ")
                ),
            ));
        }
        image.name = Some(display_name(name, inspect));
    }
    Ok(images)
}

/// The name reports give the image: the user's, unless it was an ID (then the engine's first tag).
fn display_name(name: &str, inspect: &Inspect) -> String {
    let is_id = name.starts_with("sha256:")
        || (name.len() >= 12 && name.bytes().all(|b| b.is_ascii_hexdigit()));
    match inspect.repo_tags.as_ref().and_then(|t| t.first()) {
        Some(tag) if is_id => tag.clone(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_any_engine_is_asked() {
        assert_eq!(location("app:dev").unwrap().1.as_deref(), Some("app:dev"));
        assert!(location("").is_err());
        assert!(location("app dev").unwrap_err().contains("' '"));
        assert!(location("app?x=1").is_err());
    }
}
