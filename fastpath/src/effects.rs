//! What a command did to the media, as typed output: the extents it wrote, each with the provisioning it
//! left there, and for EXTENDED COPY a summary of the copy — what a caller needs to persist the change, to
//! hand provisioning over to another component, or to answer RECEIVE COPY RESULTS, without reading the
//! command's CDB or parameter list again.
//!
//! Extents are recorded as the medium changes, into storage the caller provides (nothing is allocated):
//! a command that fails part way reports exactly the blocks it wrote.

use offload_scsi::Limits;
use offload_scsi::xcopy::{ListIdUsage, SEGMENT_LEN};

/// What a range of blocks holds after a command wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hint {
    /// Host or copied data (WRITE, COMPARE AND WRITE's write half, EXTENDED COPY, a WRITE SAME pattern);
    /// the blocks are mapped.
    Data,
    /// Written zeros (WRITE SAME of zeros, the unaligned edges of a released range); mapped.
    Zeros,
    /// Released: deallocated, reading zeros (LBPRZ=1).
    Deallocate,
    /// Released: anchored, reading zeros.
    Anchor,
}

/// Blocks `lba..lba + blocks` of unit `lun`, written as `hint` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Extent {
    pub lun: u16,
    pub lba: u64,
    pub blocks: u64,
    pub hint: Hint,
}

impl Extent {
    /// An empty extent, to fill a caller's storage with.
    pub const EMPTY: Extent = Extent { lun: 0, lba: 0, blocks: 0, hint: Hint::Data };
}

/// What an EXTENDED COPY did: present whenever its parameter list was accepted and its segments ran,
/// whether it ended GOOD or with COPY ABORTED (whose sense is the reply's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopySummary {
    /// LIST IDENTIFIER; `None` when LIST ID USAGE is 11b (no identifier).
    pub list_id: Option<u8>,
    pub usage: ListIdUsage,
    /// Segments processed, the one that failed included (RECEIVE COPY RESULTS' SEGMENTS PROCESSED).
    pub segments_processed: u16,
    /// Bytes written to destinations, a partly copied segment's blocks included.
    pub bytes_moved: u64,
    /// The segment the copy stopped at.
    pub failed_segment: Option<u16>,
}

/// The most extents any one command can report under `limits`: WRITE SAME three (an unaligned head,
/// the released middle, an unaligned tail); UNMAP three per block descriptor (at most what a 16-bit
/// PARAMETER LIST LENGTH holds); EXTENDED COPY one per segment. A caller sizes its storage with this once.
pub fn max_extents(limits: &Limits) -> usize {
    let unmap_descriptors = (limits.max_unmap_descriptors as usize).min((usize::from(u16::MAX) - 8) / 16);
    let segments = usize::from(limits.copy.max_segment_descriptors)
        .min(limits.copy.max_descriptor_list_bytes as usize / SEGMENT_LEN);
    (3 * unmap_descriptors).max(segments).max(3)
}

/// The recorder the commands write into: the caller's extent storage (at least [`max_extents`] long, which
/// [`crate::FastPath::execute`] checks before it runs anything) and the copy summary.
pub(crate) struct Effects<'o> {
    extents: &'o mut [Extent],
    written: usize,
    pub copy: Option<CopySummary>,
    /// The command asked for FUA: what it writes must be durable whatever the write cache.
    pub fua: bool,
}

impl<'o> Effects<'o> {
    pub fn new(extents: &'o mut [Extent]) -> Self {
        Effects { extents, written: 0, copy: None, fua: false }
    }

    /// Blocks `start..end` of unit `lun` were written as `hint` says (an empty range is not recorded).
    pub fn wrote(&mut self, lun: u16, start: u64, end: u64, hint: Hint) {
        if end <= start {
            return;
        }
        // The storage holds the most any command records (checked before the command ran).
        if let Some(slot) = self.extents.get_mut(self.written) {
            *slot = Extent { lun, lba: start, blocks: end - start, hint };
            self.written += 1;
        }
    }

    /// The recorded extents, the copy summary and whether FUA was asked for.
    pub fn finish(self) -> (&'o [Extent], Option<CopySummary>, bool) {
        let Effects { extents, written, copy, fua } = self;
        (&extents[..written], copy, fua)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_follows_the_limits() {
        let l = Limits::default();
        assert_eq!(max_extents(&l), 3 * 64, "64 UNMAP descriptors");
        let few = Limits { max_unmap_descriptors: 1, ..Limits::default() };
        assert_eq!(max_extents(&few), 16, "16 segments");
        let many = Limits { max_unmap_descriptors: u32::MAX, ..Limits::default() };
        assert_eq!(max_extents(&many), 3 * 4095, "what a 16-bit parameter list holds");
    }

    #[test]
    fn empty_ranges_are_not_recorded() {
        let mut storage = [Extent::EMPTY; 2];
        let mut e = Effects::new(&mut storage);
        e.wrote(1, 5, 5, Hint::Zeros);
        e.wrote(1, 5, 9, Hint::Anchor);
        let (written, copy, fua) = e.finish();
        assert_eq!(written, &[Extent { lun: 1, lba: 5, blocks: 4, hint: Hint::Anchor }]);
        assert_eq!((copy, fua), (None, false));
    }
}
