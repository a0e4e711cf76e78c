//! Zero-filled memory that costs what is written to it: the fast path's flat units, however large —
//! written whole by one owner, or lent out in disjoint windows to commands that run at once.
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
//! **Windows.** [`SparseMemory::lend`] lends a byte range as a [`Window`], a `&mut [u8]` of its own, to
//! any thread: ranges are granted in the order asked, each once no range asked before it and still
//! lent or waiting overlaps it, so overlapping windows are never out at once and a wide range is not
//! starved by narrow ones. A thread asking for several windows asks in one global order (the back end:
//! by LUN, data before provisioning state), which keeps the waits acyclic. The whole buffer is the
//! owner's through `&mut self`, which no window outlives.
//!
//! This is the one module of the crate with `unsafe`, all of it at the mapping the kernel hands over:
//! turning its pages into slices (whole, or a granted window), and MADV_DONTNEED, which replaces pages'
//! contents.

use std::io;
use std::ops::{Deref, DerefMut, Range};
use std::sync::{Condvar, Mutex, MutexGuard};

use memmap2::{Advice, MmapOptions, MmapRaw, UncheckedAdvice};

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
    /// Never a reference to its interior but through [`SparseMemory::as_mut_slice`] or a [`Window`].
    map: MmapRaw,
    page: usize,
    /// The windows lent or asked for, in the order asked.
    windows: Mutex<Vec<Asked>>,
    /// Signalled when a window is returned.
    returned: Condvar,
}

/// A window asked for: its ticket (the order asked) and byte range.
struct Asked {
    ticket: u64,
    range: Range<usize>,
}

/// Whether two ranges share a byte (an empty range shares none).
fn overlap(a: &Range<usize>, b: &Range<usize>) -> bool {
    !a.is_empty() && !b.is_empty() && a.start < b.end && b.start < a.end
}

impl SparseMemory {
    /// `len` bytes of zeros, none committed yet. Fails when the address space (ulimit -v) or, under
    /// strict overcommit (vm.overcommit_memory=2, where MAP_NORESERVE is ignored), the commit limit
    /// cannot hold `len`.
    /// `commit` says how pages are committed as they are written.
    pub(super) fn zeroed(len: usize, commit: Commit) -> io::Result<SparseMemory> {
        let map = MmapRaw::from(MmapOptions::new().len(len).no_reserve_swap().map_anon()?);
        // Advisory: a kernel without transparent huge pages refuses the advice, and base pages it is.
        #[cfg(target_os = "linux")]
        let _ = map.advise(match commit {
            Commit::HugePages => Advice::HugePage,
            Commit::BasePages => Advice::NoHugePage,
        });
        Ok(SparseMemory { map, page: rustix::param::page_size(), windows: Mutex::default(), returned: Condvar::new() })
    }

    /// Where the buffer starts (to find its mapping in /proc/self/smaps).
    #[cfg(test)]
    pub(super) fn address(&self) -> usize {
        self.map.as_ptr() as usize
    }

    /// The whole buffer, to its owner.
    #[allow(unsafe_code)]
    pub(super) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is `len` bytes, readable and writable, and lives as long as `self`. Every
        // window borrows `self`, so with `&mut self` none is lent: this is the one reference to it.
        unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr(), self.map.len()) }
    }

    /// Lends `range` (within the buffer) as a window, once no range asked for before it and still lent
    /// or waiting overlaps it.
    #[allow(unsafe_code)]
    pub(super) fn lend(&self, range: Range<usize>) -> Window<'_> {
        assert!(range.start <= range.end && range.end <= self.map.len(), "a window inside the buffer");
        let mut windows = lock(&self.windows);
        let ticket = windows.last().map_or(0, |w| w.ticket + 1);
        windows.push(Asked { ticket, range: range.clone() });
        while windows.iter().take_while(|w| w.ticket != ticket).any(|w| overlap(&w.range, &range)) {
            windows = self.returned.wait(windows).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        drop(windows);
        // SAFETY: `range` lies inside the mapping, which outlives the window (it borrows `self`). No
        // other window overlapping it is lent until this one is returned (its entry stays until `drop`,
        // and every later overlapping range waits for it), and no whole-buffer slice exists while `self`
        // is borrowed: these bytes are referenced by this slice alone.
        let bytes = unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr().add(range.start), range.len()) };
        Window { memory: self, ticket, start: range.start, bytes }
    }

    /// Copies what `other` holds into this buffer as far as both reach, page by page, skipping the pages
    /// of zeros: a resized unit keeps its blocks and costs no more than before.
    pub(super) fn copy_written(&mut self, other: &mut SparseMemory) {
        let page = self.page;
        let (to, from) = (self.as_mut_slice(), other.as_mut_slice());
        let len = to.len().min(from.len());
        for start in (0..len).step_by(page) {
            let end = (start + page).min(len);
            if from[start..end].iter().any(|&b| b != 0) {
                to[start..end].copy_from_slice(&from[start..end]);
            }
        }
    }
}

/// Releases the pages of `held` (the bytes from `offset` of `map`, borrowed exclusively) that `range`
/// (offsets into `map`, within `held`) covers or touches and that read all zeros, checking the rest of
/// the first and last page; a page not wholly inside `held` stays.
#[allow(unsafe_code)]
fn release_zeros_in(map: &MmapRaw, page: usize, offset: usize, held: &mut [u8], range: Range<usize>) {
    let held_end = offset + held.len();
    let end = range.end.min(held_end);
    let begin = range.start.clamp(offset, end);
    let zeros = |r: Range<usize>| held[r.start - offset..r.end - offset].iter().all(|&b| b == 0);
    let mut start = begin / page * page;
    if start < offset || !zeros(start..begin) {
        start += page;
    }
    let mut stop = end.next_multiple_of(page);
    if stop > held_end || !zeros(end..stop) {
        stop -= page;
    }
    if start >= stop {
        return;
    }
    // SAFETY: `held` is the one reference to these bytes (borrowed mutably here), so no reference
    // observes the pages change; `start..stop` is page-aligned and inside `held`, inside the mapping. On
    // a private anonymous mapping MADV_DONTNEED makes the pages read as zeros from then on, which is what
    // they hold (checked above, or the caller's word for the inside of `range`): what the buffer shows
    // does not change.
    let _ = unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, start, stop - start) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A byte range of a [`SparseMemory`] lent to one command: returned when dropped.
pub(super) struct Window<'m> {
    memory: &'m SparseMemory,
    ticket: u64,
    /// The window's first byte in the buffer.
    start: usize,
    bytes: &'m mut [u8],
}

impl Window<'_> {
    /// Hands back the memory of the pages that `range` (offsets into the window) covers or touches and
    /// that read all zeros — of the pages wholly inside the window: the bytes around it are other
    /// windows'. The caller says `range` (which may be empty) holds zeros; the rest of its first and
    /// last page is checked. Released pages go on reading zeros, from the zero page again. Advisory:
    /// should the kernel refuse, the pages stay committed and hold the same zeros.
    pub(super) fn release_zeros(&mut self, range: Range<usize>) {
        let memory = self.memory;
        let range = self.start.saturating_add(range.start)..self.start.saturating_add(range.end);
        release_zeros_in(&memory.map, memory.page, self.start, self.bytes, range);
    }
}

impl Deref for Window<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.bytes
    }
}

impl DerefMut for Window<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.bytes
    }
}

impl Drop for Window<'_> {
    fn drop(&mut self) {
        lock(&self.memory.windows).retain(|w| w.ticket != self.ticket);
        self.memory.returned.notify_all();
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

    /// Releases the zeros of `range` as the owner of the whole buffer: a window of all of it.
    fn release(memory: &mut SparseMemory, range: Range<usize>) {
        let len = memory.as_mut_slice().len();
        memory.lend(0..len).release_zeros(range);
    }

    /// Resident memory of `memory`'s mapping, from its /proc/self/smaps entry.
    fn resident_kib(memory: &SparseMemory) -> u64 {
        let start = format!("{:x}-", memory.address());
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
        let m = memory.as_mut_slice();
        assert!(m[..1 << 20].iter().chain(&m[(1 << 40) - 4096..]).all(|&b| b == 0));
        assert_eq!(resident_kib(&memory), 0, "reading maps the zero page");
        let base = 1 << 39;
        for k in 0..16 {
            memory.as_mut_slice()[base + k * page] = 0xAB;
        }
        assert_eq!(resident_kib(&memory), kib(16));
        // Pages 0..16 written; zero the first byte of each but keep a byte in pages 0 and 15 outside the
        // range released below.
        for k in 0..16 {
            memory.as_mut_slice()[base + k * page] = 0;
        }
        memory.as_mut_slice()[base + 10] = 1;
        memory.as_mut_slice()[base + 15 * page + page - 1] = 1;
        // From inside page 0 to inside page 15: pages 1..15 go, 0 and 15 hold data outside the range.
        release(&mut memory, base + page / 2..base + 15 * page + page / 2);
        assert_eq!(resident_kib(&memory), kib(2));
        let m = memory.as_mut_slice();
        assert!(m[base + page..base + 15 * page].iter().all(|&b| b == 0));
        assert_eq!((m[base + 10], m[base + 16 * page - 1]), (1, 1), "data outside is kept");
        // Once the rest of page 0 is zeros too, releasing a few bytes inside it hands it back.
        memory.as_mut_slice()[base + 10] = 0;
        release(&mut memory, base + 100..base + 200);
        assert_eq!(resident_kib(&memory), kib(1));
        // An empty range names its page: released when that page reads zeros, kept while it holds data.
        let last = base + 15 * page;
        release(&mut memory, last + 8..last + 8);
        assert_eq!(resident_kib(&memory), kib(1));
        memory.as_mut_slice()[last + page - 1] = 0;
        release(&mut memory, last + 8..last + 8);
        assert_eq!(resident_kib(&memory), 0);
        release(&mut memory, (1 << 40) - 10..usize::MAX);
        release(&mut memory, usize::MAX - 1..usize::MAX);
        assert_eq!(memory.as_mut_slice().len(), 1 << 40);
    }

    /// A buffer that ends inside a page: that page is never released, even when it reads zeros.
    #[test]
    fn the_page_past_the_end_stays() {
        let page = rustix::param::page_size();
        let (_one, mut memory) = isolated(3 * page + 100);
        memory.as_mut_slice()[3 * page + 5] = 9;
        memory.as_mut_slice()[3 * page + 5] = 0;
        release(&mut memory, 0..3 * page + 100);
        assert_eq!(resident_kib(&memory), (page / 1024) as u64);
    }

    /// A window of whole pages inside it hands them back; a page the window holds only part of stays,
    /// zeros or not (the rest of it is another window's).
    #[test]
    fn a_window_releases_only_the_pages_wholly_inside_it() {
        let (_one, memory) = isolated(8 * rustix::param::page_size());
        let page = memory.page;
        for p in 0..8 {
            memory.lend(p * page + 20..p * page + 21)[0] = 0xAB;
        }
        let mut window = memory.lend(page + 10..6 * page);
        for p in 1..6 {
            window[p * page + 20 - (page + 10)] = 0;
        }
        // Pages 1..6 read zeros now; the window holds page 1 only in part.
        window.release_zeros(0..window.len());
        drop(window);
        assert_eq!(resident_kib(&memory), (4 * page / 1024) as u64, "pages 2..6 released; 0, 1, 6, 7 kept");
    }

    /// Windows that overlap are lent one after the other, in the order asked; disjoint ones at once.
    #[test]
    fn overlapping_windows_wait_in_the_order_asked_and_disjoint_ones_do_not() {
        use std::sync::mpsc;
        use std::time::Duration;
        let memory = SparseMemory::zeroed(1 << 20, Commit::BasePages).unwrap();
        let first = memory.lend(0..4096);
        std::thread::scope(|s| {
            let (granted, grants) = mpsc::channel();
            let ask = |name: &'static str, range: Range<usize>| {
                let granted = granted.clone();
                let memory = &memory;
                move || {
                    let mut window = memory.lend(range);
                    window.fill(1);
                    granted.send(name).unwrap();
                    std::thread::sleep(Duration::from_millis(50));
                }
            };
            s.spawn(ask("disjoint", 8192..12288));
            assert_eq!(grants.recv_timeout(Duration::from_secs(30)), Ok("disjoint"), "lent beside the first");
            s.spawn(ask("empty", 100..100));
            assert_eq!(grants.recv_timeout(Duration::from_secs(30)), Ok("empty"), "an empty window overlaps nothing");
            s.spawn(ask("wide", 0..1 << 20));
            std::thread::sleep(Duration::from_millis(100));
            // Asked after the wide one and overlapping it: waits for it, though the first window does not
            // overlap this one.
            s.spawn(ask("narrow", 65536..65537));
            assert!(grants.recv_timeout(Duration::from_millis(300)).is_err(), "both wait for the first window");
            drop(first);
            assert_eq!(grants.recv_timeout(Duration::from_secs(30)), Ok("wide"));
            assert_eq!(grants.recv_timeout(Duration::from_secs(30)), Ok("narrow"), "then the one asked after it");
        });
    }
}
