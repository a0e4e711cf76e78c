//! The data-path primitives every command is built from, public so that firmware (and the benchmarks) can
//! use them directly: a block-pattern fill, the search for the first differing byte, and the compare and
//! write of COMPARE AND WRITE. Copies are plain `copy_within` (memmove) and `copy_from_slice` (memcpy),
//! and zeroing is `fill(0)` (memset).

/// Largest piece a pattern is doubled up to before it is stamped out: small enough to stay in the first
/// cache levels, so that stamping reads from cache and only writes go to memory.
const STAMP_BYTES: usize = 64 * 1024;

/// Fills `dst` with `block` repeated (the last copy cut short if `dst` is not a whole number of blocks):
/// one copy of the block, then doubling `copy_within`s up to 64 KiB, then that stamp copied
/// out with `copy_from_slice`. An empty `block` leaves `dst` unchanged.
pub fn fill_with_block(dst: &mut [u8], block: &[u8]) {
    if block.is_empty() || dst.is_empty() {
        return;
    }
    let first = block.len().min(dst.len());
    dst[..first].copy_from_slice(&block[..first]);
    let mut filled = first;
    let stamp_limit = STAMP_BYTES.max(block.len()).min(dst.len());
    while filled < stamp_limit {
        let n = filled.min(dst.len() - filled);
        dst.copy_within(..n, filled);
        filled += n;
    }
    // `filled` is a whole number of blocks unless it already reached the end of `dst`.
    let (stamp, rest) = dst.split_at_mut(filled);
    for piece in rest.chunks_mut(filled) {
        piece.copy_from_slice(&stamp[..piece.len()]);
    }
}

/// The chunk size of [`first_difference`] for `len` bytes. A miscompare costs the calls of the chunked pass
/// (`len / chunk` of them) plus a second look at the chunk that differs (`chunk` bytes): about 5 ns per
/// call against 50 bytes per ns, which balance at 16·√len (4 KiB chunks for 64 KiB, 16 KiB for 1 MiB).
fn chunk_for(len: usize) -> usize {
    (16 * len.isqrt()).clamp(1024, 256 * 1024)
}

/// Offset of the first byte where `a` and `b` differ; `None` when they are equal. Slices of different
/// lengths that agree on the shorter one differ at its end.
///
/// The comparison runs chunk by chunk with slice equality (the platform's `bcmp`), so equal data costs one
/// pass at `==` speed. The chunk that differs is bisected with `==` down to 64 bytes (a handful of calls
/// over at most one chunk, from cache), and the byte is found among eight-byte words.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let len = a.len().min(b.len());
    let lengths_differ = a.len() != b.len();
    let (a, b) = (&a[..len], &b[..len]);
    let chunk = chunk_for(len);
    let mut at = 0;
    while at < len {
        let end = len.min(at + chunk);
        if a[at..end] != b[at..end] {
            return Some(at + bisect(&a[at..end], &b[at..end]));
        }
        at = end;
    }
    lengths_differ.then_some(len)
}

/// The first differing offset of two equal-length slices known to differ.
fn bisect(a: &[u8], b: &[u8]) -> usize {
    let (mut lo, mut hi) = (0, a.len());
    // Invariant: a[..lo] == b[..lo], and a[lo..hi] != b[lo..hi].
    while hi - lo > 64 {
        let mid = lo + (hi - lo) / 2;
        if a[lo..mid] == b[lo..mid] {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo + locate(&a[lo..hi], &b[lo..hi])
}

/// The first differing byte of two short equal-length slices known to differ: eight bytes at a time (the
/// lowest differing byte of little-endian words is the first), then byte by byte.
fn locate(a: &[u8], b: &[u8]) -> usize {
    let (words_a, words_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = words_a.remainder().len();
    for (i, (x, y)) in words_a.zip(words_b).enumerate() {
        let x = u64::from_le_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]);
        let y = u64::from_le_bytes([y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]]);
        if x != y {
            return i * 8 + ((x ^ y).trailing_zeros() / 8) as usize;
        }
    }
    let start = a.len() - tail;
    a[start..].iter().zip(&b[start..]).position(|(x, y)| x != y).map_or(a.len(), |p| start + p)
}

/// COMPARE AND WRITE on one range: if `media` equals `compare`, `media` is overwritten with `write`;
/// otherwise nothing is written and the offset of the first differing byte is returned. All three are
/// meant to have one length; a shorter `compare` miscompares at its end, and a `write` of another length
/// is refused as a miscompare at `media.len()` (nothing written).
pub fn compare_and_write(media: &mut [u8], compare: &[u8], write: &[u8]) -> Result<(), usize> {
    if let Some(at) = first_difference(media, compare) {
        return Err(at);
    }
    if write.len() != media.len() {
        return Err(media.len());
    }
    media.copy_from_slice(write);
    Ok(())
}

/// ORWRITE's operation: every byte of `media` becomes itself OR the byte of `data` at its offset (`data`
/// as long as `media`; a shorter one changes only the bytes it covers).
pub fn or_into(media: &mut [u8], data: &[u8]) {
    for (m, d) in media.iter_mut().zip(data) {
        *m |= d;
    }
}

/// The offset of the first byte of `media` that differs from `block` repeated over it (`media` a whole
/// number of blocks): VERIFY with BYTCHK 11b.
pub fn first_difference_from_block(media: &[u8], block: &[u8]) -> Option<usize> {
    let size = block.len().max(1);
    media.chunks(size).enumerate().find_map(|(i, chunk)| first_difference(chunk, block).map(|at| i * size + at))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn naive(a: &[u8], b: &[u8]) -> Option<usize> {
        // The reference: byte by byte.
        a.iter().zip(b).position(|(x, y)| x != y).or((a.len() != b.len()).then_some(a.len().min(b.len())))
    }

    #[test]
    fn first_difference_matches_a_byte_by_byte_search() {
        for len in [0usize, 1, 7, 8, 9, 63, 64, 65, 255, 257, 511, 512, 513, 4096, 4097, 70_000, 1 << 20] {
            let a: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(first_difference(&a, &a), None, "len {len}");
            let mut positions = vec![
                0,
                1,
                7,
                8,
                9,
                len / 3,
                len / 2,
                len.saturating_sub(64),
                len.saturating_sub(9),
                len.saturating_sub(1),
            ];
            positions.retain(|&p| p < len);
            for p in positions {
                let mut b = a.clone();
                b[p] ^= 0x10;
                assert_eq!(first_difference(&a, &b), Some(p), "len {len} at {p}");
                // A second, later difference does not matter.
                if p + 100 < len {
                    b[p + 100] ^= 1;
                    assert_eq!(first_difference(&a, &b), naive(&a, &b));
                }
            }
        }
    }

    #[test]
    fn different_lengths_differ_at_the_shorter_end() {
        assert_eq!(first_difference(&[1, 2, 3], &[1, 2]), Some(2));
        assert_eq!(first_difference(&[1, 9, 3], &[1, 2]), Some(1));
        assert_eq!(first_difference(&[], &[]), None);
    }

    #[test]
    fn fill_with_block_repeats_the_block_exactly() {
        for (block_len, dst_len) in [(512usize, 512usize), (512, 4096), (4096, 1 << 20), (512, 200_000), (3, 10)] {
            let block: Vec<u8> = (0..block_len).map(|i| (i % 251) as u8 + 1).collect();
            let mut dst = vec![0u8; dst_len];
            fill_with_block(&mut dst, &block);
            let expected: Vec<u8> = block.iter().copied().cycle().take(dst_len).collect();
            assert!(dst == expected, "block {block_len} into {dst_len}");
        }
        let mut dst = [7u8; 4];
        fill_with_block(&mut dst, &[]);
        assert_eq!(dst, [7; 4]);
    }

    #[test]
    fn compare_and_write_writes_only_on_a_match() {
        let mut media = vec![5u8; 1024];
        assert_eq!(compare_and_write(&mut media, &[5; 1024], &[9; 1024]), Ok(()));
        assert_eq!(media, vec![9; 1024]);
        let mut compare = vec![9u8; 1024];
        compare[1023] = 0;
        assert_eq!(compare_and_write(&mut media, &compare, &[1; 1024]), Err(1023));
        assert_eq!(media, vec![9; 1024]);
        assert_eq!(compare_and_write(&mut media, &[9; 1024], &[1; 10]), Err(1024));
        assert_eq!(media, vec![9; 1024]);
    }

    #[test]
    fn or_into_is_bytewise_or() {
        let mut media = [0x00u8, 0x0F, 0xF0, 0xA5, 0xFF];
        or_into(&mut media, &[0x5A, 0xF0, 0x0F, 0x5A, 0x00]);
        assert_eq!(media, [0x5A, 0xFF, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn a_block_repeated_differs_where_some_copy_does() {
        let block: Vec<u8> = (0..16u8).collect();
        let mut media: Vec<u8> = block.iter().cycle().take(64).copied().collect();
        assert_eq!(first_difference_from_block(&media, &block), None);
        media[2 * 16 + 5] ^= 1;
        media[3 * 16] ^= 1;
        assert_eq!(first_difference_from_block(&media, &block), Some(37), "third block, byte 5");
    }
}
