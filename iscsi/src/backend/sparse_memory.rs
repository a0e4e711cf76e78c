//! Zero-filled memory that costs what is written to it: the fast path's flat units, however large.
//!
//! An anonymous private mapping reserved without commit (MAP_NORESERVE): the kernel's heuristic
//! overcommit check does not refuse a multi-terabyte unit, an untouched page reads as the shared zero
//! page, and a page takes memory when it is first written. A range known to read zeros again (released
//! or zeroed blocks) hands its whole pages back.
//!
//! This is the one module of the crate with `unsafe`: MADV_DONTNEED, which replaces pages' contents.

use std::io;
use std::ops::{Deref, DerefMut, Range};

use memmap2::{Advice, MmapMut, MmapOptions, UncheckedAdvice};

/// A zero-filled byte buffer whose pages are committed as they are written.
pub(super) struct SparseMemory {
    map: MmapMut,
    page: usize,
}

impl SparseMemory {
    /// `len` bytes of zeros, none committed yet. Fails when the address space (ulimit -v) or, under
    /// strict overcommit (vm.overcommit_memory=2, where MAP_NORESERVE is ignored), the commit limit
    /// cannot hold `len`.
    pub(super) fn zeroed(len: usize) -> io::Result<SparseMemory> {
        let map = MmapOptions::new().len(len).no_reserve_swap().map_anon()?;
        // Base pages: with transparent huge pages one written byte could commit 2 MiB. Advisory: a
        // kernel without them refuses the advice, and nothing changes.
        let _ = map.advise(Advice::NoHugePage);
        Ok(SparseMemory { map, page: rustix::param::page_size() })
    }

    /// Hands back the memory of the whole pages inside `range`, which holds zeros: they go on reading
    /// zeros, from the zero page again. Advisory: should the kernel refuse, the pages stay committed
    /// and hold the same zeros.
    #[allow(unsafe_code)]
    pub(super) fn release_zeros(&mut self, range: Range<usize>) {
        let start = range.start.next_multiple_of(self.page);
        let end = range.end.min(self.map.len()) / self.page * self.page;
        if start >= end {
            return;
        }
        // SAFETY: `&mut self` means no slice of the mapping is borrowed, so no reference observes the
        // pages change; `start..end` is page-aligned and inside the mapping (clamped above). On a private
        // anonymous mapping MADV_DONTNEED makes the pages read as zeros from then on, which is what the
        // caller says they hold already: the contents this buffer shows do not change.
        let _ = unsafe { self.map.unchecked_advise_range(UncheckedAdvice::DontNeed, start, end - start) };
    }
}

impl Deref for SparseMemory {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl DerefMut for SparseMemory {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resident pages of `memory`'s range, from /proc/self/smaps' entry of the mapping.
    fn resident_kib(memory: &SparseMemory) -> u64 {
        let start = format!("{:x}-", memory.map.as_ptr() as usize);
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let entry = smaps.split_once(&start).expect("the mapping is listed").1;
        let rss = entry.lines().find_map(|l| l.strip_prefix("Rss:")).expect("an Rss line");
        rss.trim().trim_end_matches("kB").trim().parse().unwrap()
    }

    /// A terabyte reserves without committing; reading costs nothing, writing a page commits it, and
    /// releasing a zeroed range hands back its whole pages (and only those), which read zeros.
    #[test]
    fn a_terabyte_costs_the_pages_written() {
        let mut memory = SparseMemory::zeroed(1 << 40).unwrap();
        assert_eq!(resident_kib(&memory), 0);
        let page = memory.page;
        assert!(memory[..1 << 20].iter().chain(&memory[(1 << 40) - 4096..]).all(|&b| b == 0));
        assert_eq!(resident_kib(&memory), 0, "reading maps the zero page");
        for k in 0..16 {
            memory[(1 << 39) + k * page] = 0xAB;
        }
        assert_eq!(resident_kib(&memory), 16 * page as u64 / 1024);
        for k in 0..16 {
            memory[(1 << 39) + k * page] = 0;
        }
        // From the middle of the first page to the middle of the last: 14 whole pages inside.
        memory.release_zeros((1 << 39) + page / 2..(1 << 39) + 15 * page + page / 2);
        assert_eq!(resident_kib(&memory), 2 * page as u64 / 1024);
        assert!(memory[1 << 39..(1 << 39) + 16 * page].iter().all(|&b| b == 0));
        memory.release_zeros((1 << 40) - 10..usize::MAX);
        assert_eq!(memory.len(), 1 << 40);
    }
}
