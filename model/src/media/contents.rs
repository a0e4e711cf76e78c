//! The contents of a unit's blocks that are not all zeros, kept in chunks of consecutive blocks.
//!
//! A transfer of many blocks costs one map lookup and one copy per chunk, not an allocation and a tree
//! lookup per block. A chunk exists only while one of its blocks holds non-zero data; its other blocks
//! hold zeros, so a chunk reads exactly as the blocks it covers.

use std::collections::BTreeMap;

/// Blocks per chunk: one bit each in [`Chunk::nonzero`]. Small enough that a few scattered blocks on a
/// huge unit still cost kilobytes.
const CHUNK_BLOCKS: u64 = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Chunk {
    bytes: Box<[u8]>,
    /// Bit `i`: block `i` of the chunk holds non-zero data (the others are zeros).
    nonzero: u32,
}

/// Sparse block contents: blocks never stored, or stored as zeros, read as zeros.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockContents {
    block_size: usize,
    chunks: BTreeMap<u64, Chunk>,
}

/// The part of a run of blocks that falls in one chunk.
struct Piece {
    chunk: u64,
    /// First block of the piece within its chunk, and its length in blocks.
    first: usize,
    len: usize,
    /// Blocks of the run before this piece.
    before: usize,
}

impl Piece {
    /// The piece's bits in a chunk's `nonzero` mask.
    fn mask(&self) -> u32 {
        (u32::MAX >> (32 - self.len)) << self.first
    }
}

/// The pieces of blocks `lba..lba + count`, in ascending order.
fn pieces(lba: u64, count: u64) -> impl Iterator<Item = Piece> {
    let end = lba.saturating_add(count);
    let mut pos = lba;
    std::iter::from_fn(move || {
        if pos >= end {
            return None;
        }
        let chunk = pos / CHUNK_BLOCKS;
        let first = pos % CHUNK_BLOCKS;
        let len = (CHUNK_BLOCKS - first).min(end - pos);
        let piece = Piece { chunk, first: first as usize, len: len as usize, before: (pos - lba) as usize };
        pos += len;
        Some(piece)
    })
}

impl BlockContents {
    pub fn new(block_size: u32) -> Self {
        BlockContents { block_size: block_size as usize, chunks: BTreeMap::new() }
    }

    /// Reads the blocks from `lba` into `out` (a whole number of blocks).
    pub fn read(&self, lba: u64, out: &mut [u8]) {
        let bs = self.block_size;
        for p in pieces(lba, (out.len() / bs) as u64) {
            let dst = &mut out[p.before * bs..(p.before + p.len) * bs];
            match self.chunks.get(&p.chunk) {
                Some(chunk) => dst.copy_from_slice(&chunk.bytes[p.first * bs..(p.first + p.len) * bs]),
                None => dst.fill(0),
            }
        }
    }

    /// Stores `data` (a whole number of blocks) from `lba`: its non-zero blocks are kept, its zero
    /// blocks read as zeros afterwards and cost nothing.
    pub fn write(&mut self, lba: u64, data: &[u8]) {
        let bs = self.block_size;
        for p in pieces(lba, (data.len() / bs) as u64) {
            let src = &data[p.before * bs..(p.before + p.len) * bs];
            let nonzero = src
                .chunks_exact(bs)
                .enumerate()
                .filter(|(_, block)| block.iter().any(|&b| b != 0))
                .fold(0u32, |mask, (i, _)| mask | 1 << (p.first + i));
            let chunk = match self.chunks.get_mut(&p.chunk) {
                Some(chunk) => chunk,
                None if nonzero == 0 => continue,
                None => self.chunks.entry(p.chunk).or_insert_with(|| Chunk {
                    bytes: vec![0; CHUNK_BLOCKS as usize * bs].into_boxed_slice(),
                    nonzero: 0,
                }),
            };
            chunk.bytes[p.first * bs..(p.first + p.len) * bs].copy_from_slice(src);
            chunk.nonzero = chunk.nonzero & !p.mask() | nonzero;
            if chunk.nonzero == 0 {
                self.chunks.remove(&p.chunk);
            }
        }
    }

    /// Stores `count` blocks of `source` from `source_lba` at `lba`, as [`BlockContents::write`] of
    /// what [`BlockContents::read`] gives, without staging them: chunk by chunk of the source.
    pub fn copy_from(&mut self, lba: u64, source: &BlockContents, source_lba: u64, count: u64) {
        let bs = source.block_size;
        for p in pieces(source_lba, count) {
            let at = lba + p.before as u64;
            match source.chunks.get(&p.chunk) {
                Some(chunk) => self.write(at, &chunk.bytes[p.first * bs..(p.first + p.len) * bs]),
                None => self.clear(at, p.len as u64),
            }
        }
    }

    /// Makes blocks `lba..lba + count` read zeros, at a cost proportional to the chunks they cover that
    /// are stored.
    pub fn clear(&mut self, lba: u64, count: u64) {
        if count == 0 {
            return;
        }
        let last = lba.saturating_add(count) - 1;
        let bs = self.block_size;
        let mut emptied = Vec::new();
        for (&key, chunk) in self.chunks.range_mut(lba / CHUNK_BLOCKS..=last / CHUNK_BLOCKS) {
            let start = (key * CHUNK_BLOCKS).max(lba);
            let end = (key * CHUNK_BLOCKS + CHUNK_BLOCKS).min(last + 1);
            let p =
                Piece { chunk: key, first: (start % CHUNK_BLOCKS) as usize, len: (end - start) as usize, before: 0 };
            chunk.bytes[p.first * bs..(p.first + p.len) * bs].fill(0);
            chunk.nonzero &= !p.mask();
            if chunk.nonzero == 0 {
                emptied.push(key);
            }
        }
        for key in emptied {
            self.chunks.remove(&key);
        }
    }

    /// Forgets every block from `blocks` on.
    pub fn truncate(&mut self, blocks: u64) {
        self.clear(blocks, u64::MAX - blocks);
    }

    /// Blocks holding non-zero data, ascending, with their contents.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let bs = self.block_size;
        self.chunks.iter().flat_map(move |(&key, chunk)| {
            (0..CHUNK_BLOCKS as usize)
                .filter(|&i| chunk.nonzero & 1 << i != 0)
                .map(move |i| (key * CHUNK_BLOCKS + i as u64, &chunk.bytes[i * bs..(i + 1) * bs]))
        })
    }

    /// Bytes of heap held: the chunks and their map entries.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.len() * (CHUNK_BLOCKS as usize * self.block_size + 48)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a plain array of blocks (the independent reference), across chunk edges.
    #[test]
    fn contents_read_what_a_flat_array_holds() {
        let bs = 4;
        let blocks = 200u64;
        let mut flat = vec![0u8; blocks as usize * bs];
        let mut c = BlockContents::new(bs as u32);
        let mut step = |c: &mut BlockContents, lba: u64, data: Option<&[u8]>, count: u64| {
            match data {
                Some(d) => {
                    c.write(lba, d);
                    flat[lba as usize * bs..lba as usize * bs + d.len()].copy_from_slice(d);
                }
                None => {
                    c.clear(lba, count);
                    flat[lba as usize * bs..(lba + count) as usize * bs].fill(0);
                }
            }
            let mut out = vec![9u8; blocks as usize * bs];
            c.read(0, &mut out);
            assert_eq!(out, flat);
            let stored: Vec<u64> = c.iter().map(|(l, _)| l).collect();
            let nonzero: Vec<u64> =
                (0..blocks).filter(|&l| flat[l as usize * bs..(l as usize + 1) * bs].iter().any(|&b| b != 0)).collect();
            assert_eq!(stored, nonzero);
        };
        let data: Vec<u8> = (0..70 * bs).map(|i| if (i / bs) % 5 == 2 { 0 } else { i as u8 | 1 }).collect();
        step(&mut c, 20, Some(&data), 0);
        step(&mut c, 30, Some(&[0; 40]), 0);
        step(&mut c, 63, None, 3);
        step(&mut c, 0, None, 64);
        step(&mut c, 100, Some(&[7; 8]), 0);
        assert_eq!(c.chunks.len(), 2, "emptied chunks are dropped");
        c.truncate(64);
        assert_eq!(c.iter().count(), 0);
        assert_eq!(c.heap_bytes(), 0);
    }
}
