//! Storage behind the engines: sparse logical units with thin-provisioning state, and the staging
//! buffers, all reached through the flat address map of [`crate::address`].
//!
//! A unit stores only the blocks whose contents are not all zeros, and its provisioning state as sparse
//! bitmaps of 4096-block chunks, so a 1 TiB unit with a few written blocks costs kilobytes.

use std::collections::{BTreeMap, BTreeSet};

use bitvec::prelude::*;

use crate::address::{self, Region};
use crate::config::UnitConfig;

mod contents;
use contents::BlockContents;

/// Blocks per bitmap chunk.
const CHUNK_BITS: u64 = 4096;
type Chunk = BitArr!(for 4096, in u64, Lsb0);

/// A bitmap over 2^64 positions that stores only chunks holding a set bit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SparseBitmap {
    chunks: BTreeMap<u64, Chunk>,
}

impl SparseBitmap {
    pub fn get(&self, index: u64) -> bool {
        self.chunks.get(&(index / CHUNK_BITS)).is_some_and(|c| c[(index % CHUNK_BITS) as usize])
    }

    /// Sets or clears `len` bits from `start`; chunks left empty are dropped.
    pub fn set_range(&mut self, start: u64, len: u64, value: bool) {
        let end = start + len;
        let mut pos = start;
        while pos < end {
            let key = pos / CHUNK_BITS;
            let lo = (pos % CHUNK_BITS) as usize;
            let hi = (end - key * CHUNK_BITS).min(CHUNK_BITS) as usize;
            if value {
                self.chunks.entry(key).or_insert(Chunk::ZERO)[lo..hi].fill(true);
            } else if let Some(chunk) = self.chunks.get_mut(&key) {
                chunk[lo..hi].fill(false);
                if chunk.not_any() {
                    self.chunks.remove(&key);
                }
            }
            pos = key * CHUNK_BITS + hi as u64;
        }
    }

    /// How many consecutive positions from `start` (at most `limit`) hold `value`.
    pub fn run(&self, start: u64, limit: u64, value: bool) -> u64 {
        let end = start.saturating_add(limit);
        let mut pos = start;
        while pos < end {
            let key = pos / CHUNK_BITS;
            let lo = (pos % CHUNK_BITS) as usize;
            let hi = (end - key * CHUNK_BITS).min(CHUNK_BITS) as usize;
            let differs_at = match self.chunks.get(&key) {
                None if value => Some(0),
                None => None,
                Some(chunk) if value => chunk[lo..hi].first_zero(),
                Some(chunk) => chunk[lo..hi].first_one(),
            };
            if let Some(i) = differs_at {
                return pos + i as u64 - start;
            }
            pos = key * CHUNK_BITS + hi as u64;
        }
        end - start
    }

    /// Set positions in ascending order.
    pub fn iter_ones(&self) -> impl Iterator<Item = u64> + '_ {
        self.chunks.iter().flat_map(|(key, chunk)| chunk.iter_ones().map(move |i| key * CHUNK_BITS + i as u64))
    }

    /// Bytes of heap the bitmap holds (chunk payloads only).
    pub fn payload_bytes(&self) -> usize {
        self.chunks.len() * std::mem::size_of::<Chunk>()
    }
}

/// Provisioning state of one block: the shared vocabulary's (SBC-4 4.7; GET LBA STATUS's codes).
pub use offload_scsi::Provisioning;

/// What a write does to the block it lands on. The RTL carries it as the memory write's user bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteHint {
    /// Store the data; the block becomes mapped.
    Data,
    /// The data is zeros; a thin unit releases the block (it reads back as zeros: LBPRZ=1).
    Deallocate,
    /// The data is zeros; a thin unit anchors the block (reads zeros, stays reserved).
    Anchor,
}

/// A memory access that failed: the address of the block it failed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("memory fault at {address:#018x}")]
pub struct Fault {
    pub address: u64,
}

/// A block that cannot be read or written: beyond the capacity, or a configured bad block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("block {lba} cannot be accessed")]
pub struct BlockFault {
    pub lba: u64,
}

/// Where a copy between units stopped: the block (or its address) that could not be read, or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyFault<F = BlockFault> {
    Read(F),
    Write(F),
}

/// One logical unit's medium.
#[derive(Clone, Debug)]
pub struct UnitStore {
    block_size: u32,
    blocks: u64,
    /// Contents of mapped blocks that are not all zeros.
    data: BlockContents,
    /// `None` for a fully provisioned (thick) unit: every block is mapped.
    mapped: Option<SparseBitmap>,
    anchored: SparseBitmap,
    bad_blocks: BTreeSet<u64>,
    /// Blocks written since the store was made: what an image write-back must store.
    dirty: SparseBitmap,
}

impl UnitStore {
    /// An empty unit: a thin unit starts fully deallocated, a thick one mapped and zeroed.
    pub fn new(config: &UnitConfig) -> Self {
        UnitStore {
            block_size: config.block_size,
            blocks: config.blocks,
            data: BlockContents::new(config.block_size),
            mapped: config.thin.then(SparseBitmap::default),
            anchored: SparseBitmap::default(),
            bad_blocks: config.bad_blocks.clone(),
            dirty: SparseBitmap::default(),
        }
    }

    pub fn block_size(&self) -> u32 {
        self.block_size
    }

    /// Changes the capacity to `blocks`: blocks past the new end are forgotten (contents, provisioning
    /// state, bad blocks); new blocks read zeros, deallocated on a thin unit.
    pub fn resize(&mut self, blocks: u64) {
        if blocks < self.blocks {
            self.data.truncate(blocks);
            let gone = self.blocks - blocks;
            for bitmap in [self.mapped.as_mut(), Some(&mut self.anchored), Some(&mut self.dirty)].into_iter().flatten()
            {
                bitmap.set_range(blocks, gone, false);
            }
            self.bad_blocks.retain(|&lba| lba < blocks);
        }
        self.blocks = blocks;
    }

    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    pub fn is_thin(&self) -> bool {
        self.mapped.is_some()
    }

    pub fn provisioning(&self, lba: u64) -> Provisioning {
        match &self.mapped {
            None => Provisioning::Mapped,
            Some(m) if m.get(lba) => Provisioning::Mapped,
            Some(_) if self.anchored.get(lba) => Provisioning::Anchored,
            Some(_) => Provisioning::Deallocated,
        }
    }

    /// The state of `lba` and how many blocks from it (at most `limit`) share that state.
    pub fn provisioning_run(&self, lba: u64, limit: u64) -> (Provisioning, u64) {
        let limit = limit.min(self.blocks - lba);
        let state = self.provisioning(lba);
        let len = match (&self.mapped, state) {
            (None, _) => limit,
            (Some(m), Provisioning::Mapped) => m.run(lba, limit, true),
            (Some(m), Provisioning::Anchored) => m.run(lba, limit, false).min(self.anchored.run(lba, limit, true)),
            (Some(m), Provisioning::Deallocated) => m.run(lba, limit, false).min(self.anchored.run(lba, limit, false)),
        };
        (state, len)
    }

    /// Reads one block into `out` (a block long). Unmapped and anchored blocks read as zeros.
    pub fn read_block(&self, lba: u64, out: &mut [u8]) -> Result<(), BlockFault> {
        self.read_blocks(lba, out)
    }

    /// Reads the blocks from `lba` into `out` (a whole number of blocks), in order: up to the first
    /// that cannot be read, which is the error.
    pub fn read_blocks(&self, lba: u64, out: &mut [u8]) -> Result<(), BlockFault> {
        let count = (out.len() / self.block_size as usize) as u64;
        let fault = self.first_inaccessible(lba, count);
        let readable = fault.map_or(count, |f| f - lba);
        self.data.read(lba, &mut out[..(readable * u64::from(self.block_size)) as usize]);
        fault.map_or(Ok(()), |lba| Err(BlockFault { lba }))
    }

    /// Writes one block (`data` a block long; ignored for the deallocate and anchor hints).
    pub fn write_block(&mut self, lba: u64, data: &[u8], hint: WriteHint) -> Result<(), BlockFault> {
        self.write_blocks(lba, data, hint)
    }

    /// Writes the blocks of `data` (a whole number; ignored for the deallocate and anchor hints) from
    /// `lba` with `hint`, in order: up to the first that cannot be written, which is the error.
    pub fn write_blocks(&mut self, lba: u64, data: &[u8], hint: WriteHint) -> Result<(), BlockFault> {
        let count = (data.len() / self.block_size as usize) as u64;
        let fault = self.first_inaccessible(lba, count);
        let writable = fault.map_or(count, |f| f - lba);
        if hint == WriteHint::Data {
            self.data.write(lba, &data[..(writable * u64::from(self.block_size)) as usize]);
        } else {
            self.data.clear(lba, writable);
        }
        self.note_written(lba, writable, hint);
        fault.map_or(Ok(()), |lba| Err(BlockFault { lba }))
    }

    /// Copies blocks `source_lba..source_lba + count` of `source` (another unit of the same block size)
    /// to `lba`, as reading and then writing each in order would: up to the first block that cannot be
    /// read or written, which is the error.
    pub fn copy_blocks(&mut self, lba: u64, source: &UnitStore, source_lba: u64, count: u64) -> Result<(), CopyFault> {
        let unreadable = source.first_inaccessible(source_lba, count).map(|f| f - source_lba);
        let unwritable = self.first_inaccessible(lba, count).map(|f| f - lba);
        let copied = unreadable.into_iter().chain(unwritable).min().unwrap_or(count);
        self.data.copy_from(lba, &source.data, source_lba, copied);
        self.note_written(lba, copied, WriteHint::Data);
        // Block by block a block is read before it is written: at the same block the read fails first.
        match (unreadable, unwritable) {
            (Some(r), w) if w.is_none_or(|w| r <= w) => Err(CopyFault::Read(BlockFault { lba: source_lba + r })),
            (_, Some(w)) => Err(CopyFault::Write(BlockFault { lba: lba + w })),
            _ => Ok(()),
        }
    }

    /// The provisioning and write-back state blocks `lba..lba + count` take when written with `hint`.
    fn note_written(&mut self, lba: u64, count: u64, hint: WriteHint) {
        self.dirty.set_range(lba, count, true);
        if let Some(mapped) = &mut self.mapped {
            mapped.set_range(lba, count, hint == WriteHint::Data);
            self.anchored.set_range(lba, count, hint == WriteHint::Anchor);
        }
    }

    /// Writes zeros with `hint` to blocks `lba..lba + count`, as [`UnitStore::write_block`] with a block
    /// of zeros does to each of them, at a cost proportional to the bitmap chunks and stored blocks the
    /// range covers rather than to its length. Writes nothing if any block of the range is inaccessible
    /// (the lowest is reported).
    pub fn write_zeros(&mut self, lba: u64, count: u64, hint: WriteHint) -> Result<(), BlockFault> {
        if let Some(lba) = self.first_inaccessible(lba, count) {
            return Err(BlockFault { lba });
        }
        self.dirty.set_range(lba, count, true);
        self.data.clear(lba, count);
        if let Some(mapped) = &mut self.mapped {
            mapped.set_range(lba, count, hint == WriteHint::Data);
            self.anchored.set_range(lba, count, hint == WriteHint::Anchor);
        }
        Ok(())
    }

    /// The lowest block of `lba..lba + count` that cannot be accessed: a bad block, or the first past
    /// the capacity.
    fn first_inaccessible(&self, lba: u64, count: u64) -> Option<u64> {
        let end = lba.saturating_add(count);
        let bad = self.bad_blocks.range(lba..).next().copied().filter(|&bad| bad < end);
        let beyond = (end > self.blocks).then_some(lba.max(self.blocks));
        bad.into_iter().chain(beyond).min()
    }

    /// Loads an image's block without marking it dirty (used when opening an image file).
    pub fn load_block(&mut self, lba: u64, data: &[u8]) {
        self.data.write(lba, data);
        if let Some(mapped) = &mut self.mapped {
            mapped.set_range(lba, 1, true);
        }
    }

    /// Blocks changed since the store was made, ascending.
    pub fn dirty_blocks(&self) -> impl Iterator<Item = u64> + '_ {
        self.dirty.iter_ones()
    }

    /// Blocks holding non-zero data, ascending, with their contents.
    pub fn nonzero_blocks(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.data.iter()
    }

    /// Approximate heap bytes held: block payloads and bitmap chunks.
    pub fn footprint_bytes(&self) -> usize {
        self.data.heap_bytes()
            + self.mapped.as_ref().map_or(0, SparseBitmap::payload_bytes)
            + self.anchored.payload_bytes()
            + self.dirty.payload_bytes()
    }
}

/// Everything the engines can address: the units and the staging buffers of commands in progress.
#[derive(Clone, Debug)]
pub struct Memory {
    pub units: Vec<UnitStore>,
    buffers: BTreeMap<u16, Vec<u8>>,
}

impl Memory {
    pub fn new(units: Vec<UnitStore>) -> Self {
        Memory { units, buffers: BTreeMap::new() }
    }

    /// Fills staging buffer `slot` (host data-out, or room for data-in).
    pub fn set_buffer(&mut self, slot: u16, contents: Vec<u8>) {
        self.buffers.insert(slot, contents);
    }

    /// Staging buffer `slot`, if set.
    pub fn buffer(&self, slot: u16) -> Option<&[u8]> {
        self.buffers.get(&slot).map(Vec::as_slice)
    }

    /// Takes staging buffer `slot` out of the address space (empty if it was never set).
    pub fn take_buffer(&mut self, slot: u16) -> Vec<u8> {
        self.buffers.remove(&slot).unwrap_or_default()
    }

    /// Reads `out.len()` bytes (one block) at `address`.
    pub fn read(&self, address: u64, out: &mut [u8]) -> Result<(), Fault> {
        self.read_blocks(address, out.len() as u64, out)
    }

    /// Writes `data` (one block) at `address` with `hint`.
    pub fn write(&mut self, address: u64, data: &[u8], hint: WriteHint) -> Result<(), Fault> {
        self.write_blocks(address, data.len() as u64, data, hint)
    }

    /// Reads consecutive blocks of `block_bytes` from `address` into `out`, in order, as that many
    /// [`Memory::read`]s would: up to the first that fails, whose address is the fault.
    pub fn read_blocks(&self, address: u64, block_bytes: u64, out: &mut [u8]) -> Result<(), Fault> {
        let fault = |done: usize| Fault { address: address + done as u64 * block_bytes };
        match address::decode(address) {
            Region::Unit { unit, offset } => {
                let store = self.units.get(usize::from(unit)).ok_or(fault(0))?;
                let lba = block_of(offset, block_bytes, store.block_size).ok_or(fault(0))?;
                store.read_blocks(lba, out).map_err(|f| fault((f.lba - lba) as usize))
            }
            Region::Buffer { slot, offset } => {
                let buf = self.buffers.get(&slot).ok_or(fault(0))?;
                let (start, whole) = buffer_blocks(buf.len(), offset, block_bytes, out.len()).ok_or(fault(0))?;
                out[..whole].copy_from_slice(&buf[start..start + whole]);
                if whole < out.len() { Err(fault(whole / block_bytes as usize)) } else { Ok(()) }
            }
        }
    }

    /// Copies `count` blocks of `block_bytes` from `src` to `dst` when both are units, different and of
    /// that block size: directly, as [`Memory::read_blocks`] then [`Memory::write_blocks`] block by
    /// block would. `None` for any other pair of addresses (the caller stages the data).
    pub fn copy_between_units(
        &mut self,
        src: u64,
        dst: u64,
        block_bytes: u64,
        count: u64,
    ) -> Option<Result<(), CopyFault<Fault>>> {
        let (Region::Unit { unit: from, offset: src_offset }, Region::Unit { unit: to, offset: dst_offset }) =
            (address::decode(src), address::decode(dst))
        else {
            return None;
        };
        let [to_store, from_store] = self.units.get_disjoint_mut([usize::from(to), usize::from(from)]).ok()?;
        let source_lba = block_of(src_offset, block_bytes, from_store.block_size)?;
        let lba = block_of(dst_offset, block_bytes, to_store.block_size)?;
        let fault = |base: u64, first: u64, failed: u64| Fault { address: base + (failed - first) * block_bytes };
        Some(to_store.copy_blocks(lba, from_store, source_lba, count).map_err(|f| match f {
            CopyFault::Read(b) => CopyFault::Read(fault(src, source_lba, b.lba)),
            CopyFault::Write(b) => CopyFault::Write(fault(dst, lba, b.lba)),
        }))
    }

    /// Writes the consecutive blocks of `block_bytes` in `data` from `address` with `hint`, in order,
    /// as that many [`Memory::write`]s would: up to the first that fails, whose address is the fault.
    pub fn write_blocks(&mut self, address: u64, block_bytes: u64, data: &[u8], hint: WriteHint) -> Result<(), Fault> {
        let fault = |done: usize| Fault { address: address + done as u64 * block_bytes };
        match address::decode(address) {
            Region::Unit { unit, offset } => {
                let store = self.units.get_mut(usize::from(unit)).ok_or(fault(0))?;
                let lba = block_of(offset, block_bytes, store.block_size).ok_or(fault(0))?;
                store.write_blocks(lba, data, hint).map_err(|f| fault((f.lba - lba) as usize))
            }
            Region::Buffer { slot, offset } => {
                let buf = self.buffers.get_mut(&slot).ok_or(fault(0))?;
                let (start, whole) = buffer_blocks(buf.len(), offset, block_bytes, data.len()).ok_or(fault(0))?;
                buf[start..start + whole].copy_from_slice(&data[..whole]);
                if whole < data.len() { Err(fault(whole / block_bytes as usize)) } else { Ok(()) }
            }
        }
    }
}

/// Where an access of `len` bytes in blocks of `block_bytes` at `offset` starts in a buffer of
/// `buffer_len` bytes, and how many of its bytes (whole blocks) lie inside; `None` if no block does.
fn buffer_blocks(buffer_len: usize, offset: u64, block_bytes: u64, len: usize) -> Option<(usize, usize)> {
    let start = usize::try_from(offset).ok()?;
    let block = usize::try_from(block_bytes).ok()?;
    let room = buffer_len.checked_sub(start)?;
    let whole = room.checked_div(block).map_or(0, |blocks| len.min(blocks * block));
    (whole > 0 || len == 0).then_some((start, whole))
}

/// The LBA at byte `offset` when the access is in aligned blocks of the unit's size.
fn block_of(offset: u64, len: u64, block_size: u32) -> Option<u64> {
    let bs = u64::from(block_size);
    (len == bs && offset.is_multiple_of(bs)).then_some(offset / bs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thin_unit(blocks: u64) -> UnitStore {
        UnitStore::new(&UnitConfig { blocks, block_size: 512, thin: true, ..UnitConfig::default() })
    }

    #[test]
    fn sparse_bitmap_runs_cross_chunks() {
        let mut b = SparseBitmap::default();
        b.set_range(4000, 200, true);
        assert!(b.get(4000) && b.get(4199) && !b.get(3999) && !b.get(4200));
        assert_eq!(b.run(4000, 1000, true), 200);
        assert_eq!(b.run(0, 10_000, false), 4000);
        assert_eq!(b.run(4200, 10_000, false), 10_000);
        b.set_range(4000, 200, false);
        assert_eq!(b.payload_bytes(), 0, "cleared chunks are dropped");
        assert_eq!(b.iter_ones().count(), 0);
    }

    #[test]
    fn writes_map_and_deallocate_unmaps() {
        let mut u = thin_unit(100);
        assert_eq!(u.provisioning(5), Provisioning::Deallocated);
        u.write_block(5, &[7; 512], WriteHint::Data).unwrap();
        assert_eq!(u.provisioning(5), Provisioning::Mapped);
        let mut out = [0u8; 512];
        u.read_block(5, &mut out).unwrap();
        assert_eq!(out, [7; 512]);
        u.write_block(5, &[0; 512], WriteHint::Anchor).unwrap();
        assert_eq!(u.provisioning(5), Provisioning::Anchored);
        u.read_block(5, &mut out).unwrap();
        assert_eq!(out, [0; 512]);
        u.write_block(5, &[0; 512], WriteHint::Deallocate).unwrap();
        assert_eq!(u.provisioning(5), Provisioning::Deallocated);
        assert_eq!(u.provisioning_run(0, 1000), (Provisioning::Deallocated, 100));
        assert_eq!(u.dirty_blocks().collect::<Vec<_>>(), vec![5]);
    }

    /// The ranged write leaves the state a block-by-block write of zeros leaves (an independent
    /// computation: `write_block` per block), across chunk edges, over stored data, and for every hint.
    #[test]
    fn write_zeros_matches_block_by_block_writes() {
        let bad = UnitConfig { blocks: 20_000, block_size: 512, thin: true, ..UnitConfig::default() };
        for thin in [true, false] {
            for hint in [WriteHint::Data, WriteHint::Deallocate, WriteHint::Anchor] {
                let mut ranged = UnitStore::new(&UnitConfig { thin, ..bad.clone() });
                for lba in [4000, 4095, 4096, 9000, 12_000] {
                    ranged.write_block(lba, &[lba as u8 | 1; 512], WriteHint::Data).unwrap();
                }
                ranged.write_block(4001, &[0; 512], WriteHint::Anchor).unwrap();
                let mut by_block = ranged.clone();
                ranged.write_zeros(4001, 5000, hint).unwrap();
                for lba in 4001..9001 {
                    by_block.write_block(lba, &[0; 512], hint).unwrap();
                }
                assert_eq!(ranged.data, by_block.data, "thin {thin} {hint:?}");
                assert_eq!(ranged.mapped, by_block.mapped, "thin {thin} {hint:?}");
                assert_eq!(ranged.anchored, by_block.anchored, "thin {thin} {hint:?}");
                assert_eq!(ranged.dirty, by_block.dirty, "thin {thin} {hint:?}");
                assert_eq!(ranged.provisioning_run(3990, 20), by_block.provisioning_run(3990, 20));
            }
        }
        let mut u = UnitStore::new(&UnitConfig { bad_blocks: [70].into(), ..bad });
        assert_eq!(u.write_zeros(60, 20, WriteHint::Data), Err(BlockFault { lba: 70 }));
        assert_eq!(u.write_zeros(19_990, 11, WriteHint::Data), Err(BlockFault { lba: 20_000 }));
        assert_eq!(u.write_zeros(5, u64::MAX, WriteHint::Data), Err(BlockFault { lba: 70 }));
        assert_eq!(u.write_zeros(20_001, 1, WriteHint::Data), Err(BlockFault { lba: 20_001 }));
        assert_eq!(u.dirty_blocks().count(), 0, "a refused range writes nothing");
        assert_eq!(u.provisioning_run(0, 20_000), (Provisioning::Deallocated, 20_000));
    }

    #[test]
    fn thick_units_are_always_mapped() {
        let mut u = UnitStore::new(&UnitConfig { blocks: 10, thin: false, ..UnitConfig::default() });
        u.write_block(1, &[0; 512], WriteHint::Deallocate).unwrap();
        assert_eq!(u.provisioning_run(0, 10), (Provisioning::Mapped, 10));
    }

    #[test]
    fn a_resized_unit_keeps_its_blocks_and_forgets_those_past_the_end() {
        let mut u = thin_unit(100);
        u.write_block(10, &[7; 512], WriteHint::Data).unwrap();
        u.write_block(90, &[8; 512], WriteHint::Data).unwrap();
        u.resize(50);
        assert_eq!(u.blocks(), 50);
        assert!(u.read_block(90, &mut [0; 512]).is_err(), "past the end");
        u.resize(100);
        let mut b = [0u8; 512];
        u.read_block(90, &mut b).unwrap();
        assert_eq!((b, u.provisioning(90)), ([0; 512], Provisioning::Deallocated), "grown back empty");
        u.read_block(10, &mut b).unwrap();
        assert_eq!((b, u.provisioning(10)), ([7; 512], Provisioning::Mapped));
        assert_eq!(u.dirty_blocks().collect::<Vec<_>>(), vec![10]);
    }

    #[test]
    fn a_terabyte_unit_with_few_blocks_costs_kilobytes() {
        let mut u = thin_unit((1u64 << 40) / 512);
        for lba in [0, 1 << 20, (1 << 31) - 1] {
            u.write_block(lba, &[1; 512], WriteHint::Data).unwrap();
        }
        assert!(u.footprint_bytes() < 64 * 1024, "{} bytes", u.footprint_bytes());
    }

    #[test]
    fn memory_rejects_misaligned_and_out_of_range_access() {
        let mut m = Memory::new(vec![thin_unit(4)]);
        let mut block = [0u8; 512];
        assert!(m.read(address::unit_address(0, 3, 512), &mut block).is_ok());
        assert!(m.read(address::unit_address(0, 4, 512), &mut block).is_err());
        assert!(m.read(address::unit_address(0, 0, 512) + 1, &mut block).is_err());
        assert!(m.read(address::unit_address(1, 0, 512), &mut block).is_err());
        m.set_buffer(0, vec![9; 1024]);
        assert!(m.read(address::buffer_address(0, 512), &mut block).is_ok());
        assert_eq!(block, [9; 512]);
        assert!(m.read(address::buffer_address(0, 1000), &mut block).is_err());
        assert!(m.write(address::buffer_address(0, 0), &[3; 512], WriteHint::Data).is_ok());
        assert_eq!(m.take_buffer(0)[..512], [3; 512]);
        assert!(m.read(address::buffer_address(0, 0), &mut block).is_err(), "a taken buffer is gone");
    }
}
