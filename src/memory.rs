//! Byte comparison and overlapping copies a word at a time, for the static musl builds ([`crate`]'s binary
//! links them as `memcmp`, `bcmp` and `memmove` there). musl's own compare one byte at a time, and its x86_64
//! `memmove` copies backwards with `std; rep movsq`, which is microcoded and slow; the merged filesystem's
//! ordered map (paths with long common prefixes, nodes shifted on insert) spends most of an all-cached
//! re-scan in them: 39% of its instructions were musl's `memcmp`, and the musl build took 1.44 × the glibc
//! build's time (README, "Install").
//!
//! The loops use volatile accesses where a plain loop could be recognised by the compiler as the very
//! function being defined (and compiled into a call to it).

/// `memcmp`: the sign of the first differing byte (as unsigned), 0 when the `n` bytes are equal.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
pub unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i + 8 <= n {
        // Big-endian words compare like their bytes in order.
        let x = u64::from_be(unsafe { a.add(i).cast::<u64>().read_unaligned() });
        let y = u64::from_be(unsafe { b.add(i).cast::<u64>().read_unaligned() });
        if x != y {
            return if x < y { -1 } else { 1 };
        }
        i += 8;
    }
    while i < n {
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// `memmove`: copies `n` bytes from `src` to `dst`, which may overlap.
///
/// # Safety
/// `src` must be valid for reads and `dst` for writes of `n` bytes.
pub unsafe fn copy_overlapping(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // dst is below src, or past the end of it: forwards is safe.
        let mut i = 0;
        while i + 8 <= n {
            unsafe {
                let word = src.add(i).cast::<u64>().read_unaligned();
                write_word(dst.add(i), word);
            }
            i += 8;
        }
        while i < n {
            unsafe { dst.add(i).write_volatile(src.add(i).read()) };
            i += 1;
        }
    } else {
        // dst overlaps the end of src: backwards.
        let mut i = n;
        while i >= 8 {
            i -= 8;
            unsafe {
                let word = src.add(i).cast::<u64>().read_unaligned();
                write_word(dst.add(i), word);
            }
        }
        while i > 0 {
            i -= 1;
            unsafe { dst.add(i).write_volatile(src.add(i).read()) };
        }
    }
    dst
}

/// One volatile 8-byte store at any alignment (std's volatile writes want aligned pointers; a packed
/// wrapper has alignment 1).
unsafe fn write_word(dst: *mut u8, word: u64) {
    #[repr(C, packed)]
    struct Unaligned([u8; 8]);
    unsafe {
        dst.cast::<Unaligned>()
            .write_volatile(Unaligned(word.to_ne_bytes()))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length up to 40 and every offset up to 8, against the slice functions.
    #[test]
    fn compare_agrees_with_slices() {
        let base: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
        for n in 0..40 {
            for offset in 0..8 {
                let a = &base[offset..offset + n];
                let mut b = a.to_vec();
                assert_eq!(unsafe { compare(a.as_ptr(), b.as_ptr(), n) }, 0);
                for at in 0..n {
                    for delta in [1u8, 0x80, 0xff] {
                        b.copy_from_slice(a);
                        b[at] = a[at].wrapping_add(delta);
                        let got = unsafe { compare(a.as_ptr(), b.as_ptr(), n) };
                        let want = a.cmp(&b[..]) as i32;
                        assert_eq!(got.signum(), want, "n {n} offset {offset} at {at}");
                    }
                }
            }
        }
    }

    #[test]
    fn copies_overlapping_both_ways() {
        for n in 0..40 {
            for shift in 0..12usize {
                let original: Vec<u8> = (0..64u8).collect();
                // Forwards (dst below src) and backwards (dst above src).
                let mut forward = original.clone();
                unsafe {
                    let p = forward.as_mut_ptr();
                    copy_overlapping(p, p.add(shift), n);
                }
                let mut want = original.clone();
                want.copy_within(shift..shift + n, 0);
                assert_eq!(forward, want, "forward n {n} shift {shift}");
                let mut backward = original.clone();
                unsafe {
                    let p = backward.as_mut_ptr();
                    copy_overlapping(p.add(shift), p, n);
                }
                let mut want = original.clone();
                want.copy_within(0..n, shift);
                assert_eq!(backward, want, "backward n {n} shift {shift}");
            }
        }
    }
}
