//! Synthetic ELF files for the unit tests: a minimal ELF64 writer, build-info blobs of both eras, and Go
//! 1.20 pclntabs. Real Go binaries are tested in `tests/elf_real_binaries.rs`; these cover the malformed and
//! the rare shapes no toolchain writes on request.

// The ELF constants the tests spell their files with.
pub(super) use goblin::elf::header as ehdr;
pub(super) use goblin::elf::program_header::{PF_W, PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_NOTE};

use super::buildinfo;

pub(super) const BASE: u64 = 0x40_0000;
pub(super) const PF_R: u32 = 4;

/// One program header and the bytes it maps, placed at file offset `off` (vaddr BASE + off).
pub(super) struct S {
    pub(super) ptype: u32,
    pub(super) flags: u32,
    pub(super) off: usize,
    pub(super) data: Vec<u8>,
}

pub(super) fn s(ptype: u32, flags: u32, off: usize, data: Vec<u8>) -> S {
    S {
        ptype,
        flags,
        off,
        data,
    }
}

/// A little-endian ELF64 x86-64 file with the given program headers and no section headers.
pub(super) fn elf64(e_type: u16, osabi: u8, segs: &[S]) -> Vec<u8> {
    let phoff = 64usize;
    let end = segs
        .iter()
        .map(|s| s.off + s.data.len())
        .max()
        .unwrap_or(0)
        .max(phoff + 56 * segs.len());
    let mut b = vec![0u8; end];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // ELFCLASS64
    b[5] = 1; // little-endian
    b[6] = 1;
    b[7] = osabi;
    b[16..18].copy_from_slice(&e_type.to_le_bytes());
    b[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    b[20..24].copy_from_slice(&1u32.to_le_bytes());
    b[32..40].copy_from_slice(&(phoff as u64).to_le_bytes());
    b[52..54].copy_from_slice(&64u16.to_le_bytes());
    b[54..56].copy_from_slice(&56u16.to_le_bytes());
    b[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
    b[58..60].copy_from_slice(&64u16.to_le_bytes());
    for (i, sg) in segs.iter().enumerate() {
        let p = phoff + 56 * i;
        b[p..p + 4].copy_from_slice(&sg.ptype.to_le_bytes());
        b[p + 4..p + 8].copy_from_slice(&sg.flags.to_le_bytes());
        b[p + 8..p + 16].copy_from_slice(&(sg.off as u64).to_le_bytes());
        b[p + 16..p + 24].copy_from_slice(&(BASE + sg.off as u64).to_le_bytes());
        b[p + 24..p + 32].copy_from_slice(&(BASE + sg.off as u64).to_le_bytes());
        b[p + 32..p + 40].copy_from_slice(&(sg.data.len() as u64).to_le_bytes());
        b[p + 40..p + 48].copy_from_slice(&(sg.data.len() as u64).to_le_bytes());
        b[p + 48..p + 56].copy_from_slice(&0x1000u64.to_le_bytes());
        b[sg.off..sg.off + sg.data.len()].copy_from_slice(&sg.data);
    }
    b
}

pub(super) fn put(buf: &mut Vec<u8>, at: usize, data: &[u8]) {
    if buf.len() < at + data.len() {
        buf.resize(at + data.len(), 0);
    }
    buf[at..at + data.len()].copy_from_slice(data);
}

pub(super) fn sentinel_wrap(text: &str) -> Vec<u8> {
    let mut m = vec![0x30u8; 16];
    m.extend_from_slice(text.as_bytes());
    m.extend_from_slice(&[0xf9u8; 16]);
    m
}

pub(super) fn inline_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
    let mut b = buildinfo::MAGIC.to_vec();
    b.extend_from_slice(&[8, buildinfo::FLAG_INLINE]);
    b.extend_from_slice(&[0u8; 16]);
    for s in [version.as_bytes(), modinfo] {
        let mut n = s.len() as u64;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                b.push(byte);
                break;
            }
            b.push(byte | 0x80);
        }
        b.extend_from_slice(s);
    }
    b
}

/// A Go 1.20+ pclntab header followed by a funcnametab holding `names`.
pub(super) fn pclntab120(names: &[&str]) -> Vec<u8> {
    pclntab120_files(names, &[])
}

/// The same, with a filetab holding `files`.
pub(super) fn pclntab120_files(names: &[&str], files: &[&str]) -> Vec<u8> {
    let table = |items: &[&str]| {
        let mut t: Vec<u8> = Vec::new();
        for n in items {
            t.extend_from_slice(n.as_bytes());
            t.push(0);
        }
        t
    };
    let (names_t, files_t) = (table(names), table(files));
    let mut b = vec![0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8];
    let fn_off = 0x48u64;
    let cu = fn_off + names_t.len() as u64;
    let end = cu + files_t.len() as u64;
    for w in [
        names.len() as u64,
        files.len() as u64,
        0,
        fn_off,
        cu,
        cu,
        end,
        end,
    ] {
        b.extend_from_slice(&w.to_le_bytes());
    }
    b.extend_from_slice(&names_t);
    b.extend_from_slice(&files_t);
    b.extend_from_slice(&[0u8; 64]);
    b
}

/// Pointer-era blob at 0x2000 whose slots point at string headers at 0x2100 (version) and 0x2110 (modinfo),
/// whose data is at 0x1000 (version) and 0x1100 (modinfo).
pub(super) fn pointer_era(version: &[u8], modinfo: &[u8], slot: [u64; 2]) -> Vec<u8> {
    let mut ro = vec![0u8; 0x200];
    put(&mut ro, 0, version);
    put(&mut ro, 0x100, modinfo);
    let mut rw = buildinfo::MAGIC.to_vec();
    rw.extend_from_slice(&[8, 0]);
    rw.extend_from_slice(&slot[0].to_le_bytes());
    rw.extend_from_slice(&slot[1].to_le_bytes());
    put(&mut rw, 0x100, &(BASE + 0x1000).to_le_bytes());
    put(&mut rw, 0x108, &(version.len() as u64).to_le_bytes());
    put(&mut rw, 0x110, &(BASE + 0x1100).to_le_bytes());
    put(&mut rw, 0x118, &(modinfo.len() as u64).to_le_bytes());
    elf64(
        ehdr::ET_EXEC,
        0,
        &[
            s(PT_LOAD, PF_R, 0x1000, ro),
            s(PT_LOAD, PF_R | PF_W, 0x2000, rw),
        ],
    )
}

/// A stripped-build-info Go binary: rodata with the pclntab and version strings, data with string headers.
pub(super) fn stripped(versions: &[&str], headers: &[usize], pcln: Vec<u8>) -> Vec<u8> {
    let mut ro = vec![0u8; 0x100];
    let mut at = Vec::new();
    for v in versions {
        at.push(ro.len());
        ro.extend_from_slice(v.as_bytes());
        ro.extend_from_slice(&[0u8; 8]);
    }
    ro.extend_from_slice(b"/etc/nsswitch.conf\0");
    let pcln_at = (ro.len() + 15) & !15;
    put(&mut ro, pcln_at, &pcln);
    let mut rw = vec![0u8; 0x40];
    for &i in headers {
        rw.extend_from_slice(&(BASE + 0x1000 + at[i] as u64).to_le_bytes());
        rw.extend_from_slice(&(versions[i].len() as u64).to_le_bytes());
    }
    elf64(
        ehdr::ET_EXEC,
        0,
        &[
            s(PT_LOAD, PF_R, 0x1000, ro),
            s(PT_LOAD, PF_R | PF_W, 0x4000, rw),
        ],
    )
}
