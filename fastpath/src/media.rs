//! A logical unit over caller-provided memory ([`Unit`]), and the operations on its medium: whole-range
//! data moves and provisioning-state updates, and the bad-block look-ups that decide where a medium access
//! stops.
//!
//! The medium operations (`pub(crate)`) take ranges already checked against the capacity.

use core::ops::Range;

use offload_scsi::Provisioning;

use crate::primitives::fill_with_block;

/// One logical unit over caller-provided memory.
///
/// - `data`: the medium; capacity = `data.len() / block_size` blocks (trailing bytes are not used).
/// - `provisioning`: `None` for a fully provisioned unit (LBPME=0: UNMAP and WRITE SAME's UNMAP are
///   refused); `Some` for a thin unit: 2 bits per block, block `k` at bits `2k` (mapped) and `2k + 1`
///   (anchored) counting from the least significant bit of byte 0; both clear = deallocated. At least
///   [`Unit::provisioning_bytes`] bytes.
/// - **Invariant** of a thin unit: every block that is not mapped holds zeros in `data` (LBPRZ=1: the fast
///   path reads the medium directly). [`Unit::format`] makes a fresh, all-deallocated unit.
/// - `bad_blocks`: LBAs that fail every read and write (MEDIUM ERROR), ascending; usually empty.
/// - `descriptor_sense`: the unit's D_SENSE (mode pages are per logical unit, MODE SELECT changes them).
/// - `write_cache`: the unit's caching mode page WCE: with WCE=0 every write must be durable before its
///   status ([`crate::Reply::durable`]).
/// - `software_write_protected`: the unit's control mode page SWP.
/// - `window`: `None` when `data` (and `provisioning`) hold the whole unit; `Some` when they hold only a
///   run of its blocks ([`Window`]) — a caller running commands on disjoint ranges of one unit at once
///   lends each command the blocks it touches ([`crate::footprint`]).
pub struct Unit<'a> {
    pub data: &'a mut [u8],
    /// 512 or 4096.
    pub block_size: u32,
    pub write_protected: bool,
    /// The NAA designator VPD page 83h reports: the identity EXTENDED COPY's CSCD descriptors name.
    pub naa: [u8; 16],
    pub provisioning: Option<&'a mut [u8]>,
    pub bad_blocks: &'a [u64],
    /// The unit's control mode page D_SENSE bit: descriptor-format sense data for commands addressed to it.
    pub descriptor_sense: bool,
    /// The unit's caching mode page WCE bit: the write cache is enabled.
    pub write_cache: bool,
    /// The unit's control mode page SWP bit: writes get DATA PROTECT, LOGICAL UNIT SOFTWARE WRITE
    /// PROTECTED (`write_protected`, the configured protection, answers first).
    pub software_write_protected: bool,
    pub window: Option<Window>,
}

/// The run of a unit's blocks a windowed [`Unit`] holds: `data` holds blocks `first..` (as many as fit),
/// `provisioning` their states from its byte 0 — so on a thin unit `first` is a multiple of 4, where a
/// byte of states begins. `capacity` is the whole unit's: LBAs and range checks stay the unit's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub first: u64,
    pub capacity: u64,
}

impl<'a> Unit<'a> {
    /// A fully provisioned unit with the contents `data` already holds.
    pub fn thick(data: &'a mut [u8], block_size: u32, naa: [u8; 16]) -> Self {
        Unit {
            data,
            block_size,
            write_protected: false,
            naa,
            provisioning: None,
            bad_blocks: &[],
            descriptor_sense: false,
            write_cache: true,
            software_write_protected: false,
            window: None,
        }
    }

    /// A thin unit with the given provisioning state (see the invariant on [`Unit`]).
    pub fn thin(data: &'a mut [u8], block_size: u32, naa: [u8; 16], provisioning: &'a mut [u8]) -> Self {
        Unit { provisioning: Some(provisioning), ..Unit::thick(data, block_size, naa) }
    }

    /// A unit of `capacity` blocks lent with none of its blocks held: what [`crate::FastPath::copy_footprint`]
    /// reads (designator, block size, capacity) before the blocks a copy needs are lent.
    pub fn unheld(block_size: u32, naa: [u8; 16], capacity: u64, thin: bool) -> Self {
        Unit {
            window: Some(Window { first: 0, capacity }),
            provisioning: thin.then_some(&mut []),
            ..Unit::thick(&mut [], block_size, naa)
        }
    }

    /// Bytes of provisioning state a thin unit of `blocks` blocks needs.
    pub const fn provisioning_bytes(blocks: u64) -> usize {
        blocks.div_ceil(4) as usize
    }

    /// Capacity in blocks: the whole unit's, windowed or not.
    pub fn capacity(&self) -> u64 {
        self.window.map_or_else(|| self.held_blocks(), |w| w.capacity)
    }

    /// The blocks `data` holds.
    pub(crate) fn held_blocks(&self) -> u64 {
        let blocks = match self.block_size {
            0 => 0,
            // The block sizes in use are powers of two: a shift, not a division, on every range check.
            bs if bs.is_power_of_two() => self.data.len() >> bs.trailing_zeros(),
            bs => self.data.len() / bs as usize,
        };
        blocks as u64
    }

    /// The first block `data` holds.
    fn first(&self) -> u64 {
        self.window.map_or(0, |w| w.first)
    }

    /// Whether `data` holds blocks `start..end` (an empty range touches nothing: always).
    pub fn holds(&self, start: u64, end: u64) -> bool {
        start >= end || (start >= self.first() && end <= self.first() + self.held_blocks())
    }

    pub fn is_thin(&self) -> bool {
        self.provisioning.is_some()
    }

    /// The provisioning state of `lba` (always mapped on a thick unit); `None` past the capacity or the
    /// provisioning state, or outside the window.
    pub fn state(&self, lba: u64) -> Option<Provisioning> {
        if lba >= self.capacity() || !self.holds(lba, lba + 1) {
            return None;
        }
        let block = lba - self.first();
        Some(match &self.provisioning {
            None => Provisioning::Mapped,
            Some(bits) => match state_bits(bits.get(..Unit::provisioning_bytes(block + 1))?, block as usize) {
                MAPPED => Provisioning::Mapped,
                ANCHORED => Provisioning::Anchored,
                _ => Provisioning::Deallocated,
            },
        })
    }

    /// Zeroes the medium and, on a thin unit, deallocates every block: a freshly created unit.
    pub fn format(&mut self) {
        self.data.fill(0);
        if let Some(bits) = &mut self.provisioning {
            bits.fill(0);
        }
    }

    /// What every command checks before it touches the unit (cheap: no scan).
    pub(crate) fn usable(&self) -> bool {
        (self.block_size == 512 || self.block_size == 4096)
            && self.capacity() > 0
            && self.window_fits()
            && self.provisioning.as_ref().is_none_or(|p| p.len() >= Unit::provisioning_bytes(self.held_blocks()))
    }

    /// A window lies inside the unit, and on a thin unit starts where a byte of states does.
    pub(crate) fn window_fits(&self) -> bool {
        self.window.is_none_or(|w| {
            w.first.checked_add(self.held_blocks()).is_some_and(|end| end <= w.capacity)
                && (self.provisioning.is_none() || w.first.is_multiple_of(4))
        })
    }
}

/// 2-bit provisioning states (bit 0 mapped, bit 1 anchored).
pub(crate) const DEALLOCATED: u8 = 0b00;
pub(crate) const MAPPED: u8 = 0b01;
pub(crate) const ANCHORED: u8 = 0b10;

/// A whole byte of four blocks in `state`.
const fn byte_of(state: u8) -> u8 {
    state * 0x55
}

/// The 2-bit state of `block`.
pub(crate) fn state_bits(bits: &[u8], block: usize) -> u8 {
    (bits[block / 4] >> ((block % 4) * 2)) & 0b11
}

fn set_one(bits: &mut [u8], block: usize, state: u8) {
    let shift = (block % 4) * 2;
    let byte = &mut bits[block / 4];
    *byte = (*byte & !(0b11 << shift)) | (state << shift);
}

/// Sets blocks `start..end` to `state`: the partial bytes at either end bit by bit, the whole bytes
/// between with one `fill`.
pub(crate) fn set_states(bits: &mut [u8], start: usize, end: usize, state: u8) {
    let mut block = start;
    let head_end = start.next_multiple_of(4).min(end);
    while block < head_end {
        set_one(bits, block, state);
        block += 1;
    }
    let whole_end = (end / 4 * 4).max(block);
    if whole_end > block {
        bits[block / 4..whole_end / 4].fill(byte_of(state));
        block = whole_end;
    }
    while block < end {
        set_one(bits, block, state);
        block += 1;
    }
}

/// The first block of `from..end` whose mapped bit is `mapped` (`end` if there is none), skipping four
/// blocks at a time where a whole byte has the other value.
fn first_with_mapped_bit(bits: &[u8], from: usize, end: usize, mapped: bool) -> usize {
    let other = if mapped { 0 } else { byte_of(MAPPED) };
    let mut block = from;
    while block < end {
        if block.is_multiple_of(4) && block + 4 <= end && bits[block / 4] & byte_of(MAPPED) == other {
            block += 4;
        } else if (state_bits(bits, block) == MAPPED) == mapped {
            return block;
        } else {
            block += 1;
        }
    }
    end
}

/// The lowest bad block in `start..end` (`bad` ascending).
pub(crate) fn first_bad(bad: &[u64], start: u64, end: u64) -> Option<u64> {
    let i = bad.partition_point(|&lba| lba < start);
    bad.get(i).copied().filter(|&lba| lba < end)
}

/// The highest bad block in `start..end` (`bad` ascending).
pub(crate) fn last_bad(bad: &[u64], start: u64, end: u64) -> Option<u64> {
    let i = bad.partition_point(|&lba| lba < end);
    i.checked_sub(1).map(|i| bad[i]).filter(|&lba| lba >= start)
}

/// The medium operations the commands are built from.
impl Unit<'_> {
    /// Byte range of blocks `start..end` in `data` (which may hold a window of the unit).
    pub(crate) fn bytes(&self, start: u64, end: u64) -> Range<usize> {
        let (bs, first) = (self.block_size as usize, self.first());
        (start - first) as usize * bs..(end - first) as usize * bs
    }

    /// Records `state` for blocks `start..end` of a thin unit (a thick unit is always mapped).
    pub(crate) fn mark(&mut self, start: u64, end: u64, state: u8) {
        let first = self.first();
        if let Some(bits) = &mut self.provisioning {
            set_states(bits, (start - first) as usize, (end - first) as usize, state);
        }
    }

    /// Writes `data` (whole blocks) from `lba`; the blocks become mapped.
    pub(crate) fn write_at(&mut self, lba: u64, data: &[u8]) {
        let start = self.bytes(lba, lba).start;
        self.data[start..start + data.len()].copy_from_slice(data);
        let end = lba + (data.len() / self.block_size as usize) as u64;
        self.mark(lba, end, MAPPED);
    }

    /// Zeroes blocks `start..end` and gives them `state`: mapped (written zeros), or deallocated or
    /// anchored (released; they read zeros, LBPRZ=1). On a thin unit only the mapped blocks are written:
    /// the others hold zeros already (the invariant), and memory never written stays unwritten — a
    /// caller's lazily committed mapping stays sparse however much is released.
    pub(crate) fn zero(&mut self, start: u64, end: u64, state: u8) {
        match &self.provisioning {
            None => {
                let range = self.bytes(start, end);
                self.data[range].fill(0);
            }
            Some(bits) => {
                // Block indexes relative to the window, as the provisioning state is.
                let offset = self.first();
                let (end, mut block) = ((end - offset) as usize, (start - offset) as usize);
                while block < end {
                    let first = first_with_mapped_bit(bits, block, end, true);
                    block = first_with_mapped_bit(bits, first, end, false);
                    let range = self.bytes(first as u64 + offset, block as u64 + offset);
                    self.data[range].fill(0);
                }
            }
        }
        self.mark(start, end, state);
    }

    /// Writes `block` to each of blocks `start..end`; they become mapped.
    pub(crate) fn pattern(&mut self, start: u64, end: u64, block: &[u8]) {
        let range = self.bytes(start, end);
        fill_with_block(&mut self.data[range], block);
        self.mark(start, end, MAPPED);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    fn states(bits: &[u8], blocks: usize) -> std::vec::Vec<u8> {
        (0..blocks).map(|b| state_bits(bits, b)).collect()
    }

    #[test]
    fn set_states_matches_block_by_block_updates() {
        let blocks = 61usize;
        for start in 0..blocks {
            for end in start..=blocks {
                for state in [MAPPED, ANCHORED, DEALLOCATED] {
                    let mut bits = vec![0b1001_0110u8; blocks.div_ceil(4)];
                    let mut expected = states(&bits, blocks);
                    set_states(&mut bits, start, end, state);
                    expected[start..end].fill(state);
                    assert_eq!(states(&bits, blocks), expected, "{start}..{end} state {state}");
                }
            }
        }
    }

    /// Zeroing a thin unit's range writes its mapped blocks and only those: a block that is not mapped is
    /// left as it is (here it holds a marker the invariant would forbid, to show it was not written).
    #[test]
    fn zero_writes_only_the_mapped_blocks_of_a_thin_unit() {
        let blocks = 23usize;
        // Mapped: 0, 3..9, 12, 20..23; anchored: 1, 10; the rest deallocated.
        let mut bits = vec![0u8; blocks.div_ceil(4)];
        for b in [0, 3, 4, 5, 6, 7, 8, 12, 20, 21, 22] {
            set_one(&mut bits, b, MAPPED);
        }
        for b in [1, 10] {
            set_one(&mut bits, b, ANCHORED);
        }
        let before = states(&bits, blocks);
        for (start, end) in [(0, blocks), (2, 21), (4, 8), (13, 20), (9, 9)] {
            let mut data = vec![0xEEu8; blocks * 4];
            let mut bits = bits.clone();
            let mut unit = Unit::thin(&mut data, 4, [0; 16], &mut bits);
            unit.zero(start as u64, end as u64, DEALLOCATED);
            for b in 0..blocks {
                let zeroed = (start..end).contains(&b) && before[b] == MAPPED;
                let expected = if zeroed { 0 } else { 0xEE };
                assert!(data[b * 4..][..4].iter().all(|&x| x == expected), "{start}..{end}: block {b}");
            }
        }
        // A thick unit has no such state: the whole range is written.
        let mut data = vec![0xEEu8; blocks * 4];
        Unit::thick(&mut data, 4, [0; 16]).zero(2, 21, MAPPED);
        assert!(data[8..84].iter().all(|&x| x == 0) && data[..8].iter().chain(&data[84..]).all(|&x| x == 0xEE));
    }

    #[test]
    fn bad_block_search() {
        let bad = [3u64, 10, 11, 40];
        assert_eq!(first_bad(&bad, 0, 3), None);
        assert_eq!(first_bad(&bad, 0, 4), Some(3));
        assert_eq!(first_bad(&bad, 4, 11), Some(10));
        assert_eq!(first_bad(&bad, 12, 40), None);
        assert_eq!(last_bad(&bad, 0, 12), Some(11));
        assert_eq!(last_bad(&bad, 4, 10), None);
        assert_eq!(last_bad(&bad, 0, 41), Some(40));
        assert_eq!(last_bad(&bad, 41, 100), None);
        assert_eq!(first_bad(&[], 0, 100), None);
        assert_eq!(last_bad(&[], 0, 100), None);
    }
}
