//! The layer `nsslint fix` appends: a tar holding one file (and the directories above it that the image
//! lacks), written the same way every time — fixed mtime, uid and gid 0, ustar headers — so that the same
//! image fixed twice gives the same digests; compressed like the image's other layers.

use crate::source::sha256_digest;
use crate::walk::decompress::Compression;
use std::io::Write;

/// The mtime of every entry: the epoch, as reproducible builds write (`SOURCE_DATE_EPOCH=0`).
const MTIME: u64 = 0;

/// What the layer holds: directories to create (`etc`), then the file, paths relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerContents {
    pub dirs: Vec<String>,
    pub file: String,
    pub bytes: Vec<u8>,
}

/// A layer ready to store: its blob (compressed as asked) and its two digests.
#[derive(Debug, Clone)]
pub struct NewLayer {
    pub blob: Vec<u8>,
    /// Of the blob as stored (the manifest's).
    pub digest: String,
    /// Of the uncompressed tar (the config's `rootfs.diff_ids`).
    pub diff_id: String,
    pub compression: Compression,
}

impl NewLayer {
    /// The OCI media type of the blob.
    pub fn oci_media_type(&self) -> &'static str {
        oci_media_type(self.compression)
    }

    /// The Docker schema 2 media type of the blob (Docker has none for zstd; the OCI one is what
    /// Docker and containerd accept there).
    pub fn docker_media_type(&self) -> &'static str {
        match self.compression {
            Compression::Gzip => "application/vnd.docker.image.rootfs.diff.tar.gzip",
            Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            Compression::None => "application/vnd.docker.image.rootfs.diff.tar",
        }
    }
}

/// The OCI layer media type of a blob so compressed.
pub fn oci_media_type(compression: Compression) -> &'static str {
    match compression {
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        Compression::None => "application/vnd.oci.image.layer.v1.tar",
    }
}

/// The tar of `contents`, uncompressed.
pub fn tar(contents: &LayerContents) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    for dir in &contents.dirs {
        let mut header = header(tar::EntryType::Directory, 0o755, 0);
        builder
            .append_data(&mut header, format!("{dir}/"), std::io::empty())
            .expect("a tar in memory");
    }
    let mut header = header(tar::EntryType::Regular, 0o644, contents.bytes.len() as u64);
    builder
        .append_data(&mut header, &contents.file, contents.bytes.as_slice())
        .expect("a tar in memory");
    builder.into_inner().expect("a tar in memory")
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(MTIME);
    header.set_size(size);
    header
}

/// The layer of `contents`, compressed with `compression`.
pub fn build(contents: &LayerContents, compression: Compression) -> NewLayer {
    let tar = tar(contents);
    let diff_id = sha256_digest(&tar);
    let blob = match compression {
        Compression::Gzip => {
            // No name, mtime 0: the gzip header is the same on every run.
            let mut encoder = flate2::GzBuilder::new()
                .mtime(0)
                .write(Vec::new(), flate2::Compression::default());
            encoder.write_all(&tar).expect("gzip in memory");
            encoder.finish().expect("gzip in memory")
        }
        Compression::Zstd => zstd::bulk::compress(&tar, 3).expect("zstd in memory"),
        Compression::None => tar,
    };
    NewLayer {
        digest: sha256_digest(&blob),
        diff_id,
        blob,
        compression,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn contents() -> LayerContents {
        LayerContents {
            dirs: vec!["etc".into()],
            file: "etc/nsswitch.conf".into(),
            bytes: b"hosts: files dns\n".to_vec(),
        }
    }

    #[test]
    fn the_tar_holds_the_directories_then_the_file_owned_by_root_at_the_epoch() {
        let tar = tar(&contents());
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let header = entry.header().clone();
            let mut body = Vec::new();
            entry.read_to_end(&mut body).unwrap();
            seen.push((
                entry.path().unwrap().display().to_string(),
                header.mode().unwrap(),
                header.uid().unwrap(),
                header.gid().unwrap(),
                header.mtime().unwrap(),
                body,
            ));
        }
        assert_eq!(
            seen,
            [
                ("etc/".to_string(), 0o755, 0, 0, 0, Vec::new()),
                (
                    "etc/nsswitch.conf".to_string(),
                    0o644,
                    0,
                    0,
                    0,
                    b"hosts: files dns\n".to_vec()
                ),
            ]
        );
    }

    #[test]
    fn every_compression_gives_the_same_digests_each_time_and_one_diff_id() {
        let mut diff_ids = Vec::new();
        for compression in [Compression::Gzip, Compression::Zstd, Compression::None] {
            let a = build(&contents(), compression);
            let b = build(&contents(), compression);
            assert_eq!(a.digest, b.digest, "{compression:?}");
            assert_eq!(a.blob, b.blob);
            assert_eq!(a.digest, sha256_digest(&a.blob));
            diff_ids.push(a.diff_id.clone());
            let unpacked = match compression {
                Compression::Gzip => {
                    let mut out = Vec::new();
                    flate2::read::GzDecoder::new(a.blob.as_slice())
                        .read_to_end(&mut out)
                        .unwrap();
                    out
                }
                Compression::Zstd => zstd::decode_all(a.blob.as_slice()).unwrap(),
                Compression::None => a.blob.clone(),
            };
            assert_eq!(sha256_digest(&unpacked), a.diff_id);
        }
        diff_ids.dedup();
        assert_eq!(diff_ids.len(), 1);
        assert_eq!(
            oci_media_type(Compression::Zstd),
            "application/vnd.oci.image.layer.v1.tar+zstd"
        );
    }
}
