//! Zero-filled memory that costs what is written to it: the fast path's flat units, however large.
//!
//! An anonymous private mapping reserved without commit (MAP_NORESERVE): the kernel's heuristic
//! overcommit check does not refuse a multi-terabyte unit, an untouched page reads as the shared zero
//! page, and a page takes memory when it is first written. A range known to read zeros again (released
//! or zeroed blocks) hands its whole pages back.
//!
//! First touch is what such memory costs: the kernel clears each page as it faults it in. How much is
//! committed a fault is the [`Commit`] policy — base pages (4 KiB a fault, a written byte costs a page)
//! or transparent huge pages (2 MiB a fault: 512 times fewer faults, but a written byte may commit
//! 2 MiB). Either way the kernel clears what it commits.
//!
//! This is the one module of the crate with `unsafe`: MADV_DONTNEED, which replaces pages' contents.

use std::io;
use std::ops::{Deref, DerefMut, Range};

use memmap2::{Advice, MmapMut, MmapOptions, UncheckedAdvice};

/// How a [`SparseMemory`] commits memory as it is first written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Commit {
    /// Transparent huge pages (MADV_HUGEPAGE): few, large faults — for memory that is meant to be
    /// written whole, where first touch per 4 KiB page would cost more than the copy that touches it.
    HugePages,
    /// Base pages (MADV_NOHUGEPAGE): one written byte commits one page — for memory that must cost what
    /// is written to it.
    BasePages,
}

/// A zero-filled byte buffer whose pages are committed as they are written.
pub(super) struct SparseMemory {
    map: MmapMut,
    page: usize,
}

impl SparseMemory {
    /// `len` bytes of zeros, none committed yet. Fails when the address space (ulimit -v) or, under
    /// strict overcommit (vm.overcommit_memory=2, where MAP_NORESERVE is ignored), the commit limit
    /// cannot hold `len`.
    /// `commit` says how pages are committed as they are written.
    pub(super) fn zeroed(len: usize, commit: Commit) -> io::Result<SparseMemory> {
        let map = MmapOptions::new().len(len).no_reserve_swap().map_anon()?;
        // Advisory: a kernel without transparent huge pages refuses the advice, and base pages it is.
        #[cfg(target_os = "linux")]
        let _ = map.advise(match commit {
            Commit::HugePages => Advice::HugePage,
            Commit::BasePages => Advice::NoHugePage,
        });
        Ok(SparseMemory { map, page: rustix::param::page_size() })
    }

    /// Copies what `other` holds into this buffer as far as both reach, page by page, skipping the pages
    /// of zeros: a resized unit keeps its blocks and costs no more than before.
    pub(super) fn copy_written(&mut self, other: &SparseMemory) {
        let len = self.map.len().min(other.map.len());
        for start in (0..len).step_by(self.page) {
            let end = (start + self.page).min(len);
            let page = &other.map[start..end];
            if page.iter().any(|&b| b != 0) {
                self.map[start..end].copy_from_slice(page);
            }
        }
    }

    /// Hands back the memory of the pages that `range` covers or touches and that read all zeros. The
    /// caller says `range` (which may be empty) holds zeros; the rest of its first and last page is
    /// checked. Released pages go on reading zeros, from the zero page again. Advisory: should the kernel
    /// refuse, the pages stay committed and hold the same zeros.
    #[allow(unsafe_code)]
    pub(super) fn release_zeros(&mut self, range: Range<usize>) {
        let (page, len) = (self.page, self.map.len());
        let end = range.end.min(len);
        let begin = range.start.min(end);
        let zeros = |r: Range<usize>| self.map[r].iter().all(|&b| b == 0);
        let mut start = begin / page * page;
        if !zeros(start..begin) {
            start += page;
        }
        // A page that runs past the buffer's end is not released: the slice does not show all of it.
        let mut stop = end.next_multiple_of(page);
        if stop > len || !zeros(end..stop) {
            stop -= page;
        }
        if start >= stop {
            return;
        }
        // SAFETY: `&mut self` means no slice of the mapping is borrowed, so no reference observes the
        // pages change; `start..stop` is page-aligned and inside the mapping. On a private anonymous
        // mapping MADV_DONTNEED makes the pages read as zeros from then on, which is what they hold
        // (checked above, or the caller's word for the inside of `range`): what the buffer shows does
        // not change.
        let _ = unsafe { self.map.unchecked_advise_range(UncheckedAdvice::DontNeed, start, stop - start) };
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

    /// One test's mapping at a time, each in an area of its own: the kernel merges adjacent mappings
    /// with the same flags into one area, so this one gets a flag no other mapping has (DONTDUMP) and
    /// its /proc/self/smaps entry counts its pages alone.
    fn isolated(len: usize) -> (std::sync::MutexGuard<'static, ()>, SparseMemory) {
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let memory = SparseMemory::zeroed(len, Commit::BasePages).unwrap();
        memory.map.advise(Advice::DontDump).unwrap();
        (guard, memory)
    }

    /// Resident memory of `memory`'s mapping, from its /proc/self/smaps entry.
    fn resident_kib(memory: &SparseMemory) -> u64 {
        let start = format!("{:x}-", memory.map.as_ptr() as usize);
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let entry = smaps.split_once(&start).expect("the mapping is listed").1;
        let rss = entry.lines().find_map(|l| l.strip_prefix("Rss:")).expect("an Rss line");
        rss.trim().trim_end_matches("kB").trim().parse().unwrap()
    }

    /// A terabyte reserves without committing; reading costs nothing, writing a page commits it, and
    /// releasing a zeroed range hands back the pages it covers that read all zeros — and only those.
    #[test]
    fn a_terabyte_costs_the_pages_written() {
        let (_one, mut memory) = isolated(1 << 40);
        assert_eq!(resident_kib(&memory), 0);
        let page = memory.page;
        let kib = |pages: usize| (pages * page / 1024) as u64;
        assert!(memory[..1 << 20].iter().chain(&memory[(1 << 40) - 4096..]).all(|&b| b == 0));
        assert_eq!(resident_kib(&memory), 0, "reading maps the zero page");
        let base = 1 << 39;
        for k in 0..16 {
            memory[base + k * page] = 0xAB;
        }
        assert_eq!(resident_kib(&memory), kib(16));
        // Pages 0..16 written; zero the first byte of each but keep a byte in pages 0 and 15 outside the
        // range released below.
        for k in 0..16 {
            memory[base + k * page] = 0;
        }
        memory[base + 10] = 1;
        memory[base + 15 * page + page - 1] = 1;
        // From inside page 0 to inside page 15: pages 1..15 go, 0 and 15 hold data outside the range.
        memory.release_zeros(base + page / 2..base + 15 * page + page / 2);
        assert_eq!(resident_kib(&memory), kib(2));
        assert!(memory[base + page..base + 15 * page].iter().all(|&b| b == 0));
        assert_eq!((memory[base + 10], memory[base + 16 * page - 1]), (1, 1), "data outside is kept");
        // Once the rest of page 0 is zeros too, releasing a few bytes inside it hands it back.
        memory[base + 10] = 0;
        memory.release_zeros(base + 100..base + 200);
        assert_eq!(resident_kib(&memory), kib(1));
        // An empty range names its page: released when that page reads zeros, kept while it holds data.
        let last = base + 15 * page;
        memory.release_zeros(last + 8..last + 8);
        assert_eq!(resident_kib(&memory), kib(1));
        memory[last + page - 1] = 0;
        memory.release_zeros(last + 8..last + 8);
        assert_eq!(resident_kib(&memory), 0);
        memory.release_zeros((1 << 40) - 10..usize::MAX);
        memory.release_zeros(usize::MAX - 1..usize::MAX);
        assert_eq!(memory.len(), 1 << 40);
    }

    /// A buffer that ends inside a page: that page is never released, even when it reads zeros.
    #[test]
    fn the_page_past_the_end_stays() {
        let page = rustix::param::page_size();
        let (_one, mut memory) = isolated(3 * page + 100);
        memory[3 * page + 5] = 9;
        memory[3 * page + 5] = 0;
        memory.release_zeros(0..3 * page + 100);
        assert_eq!(resident_kib(&memory), (page / 1024) as u64);
    }
}
