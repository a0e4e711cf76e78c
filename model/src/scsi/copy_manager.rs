//! The copy manager's book (SPC-4 6.4, 6.18): the EXTENDED COPY lists in progress and the results held
//! for RECEIVE COPY RESULTS, and the constants both INQUIRY (VPD 8Fh) and RECEIVE COPY RESULTS
//! (OPERATING PARAMETERS) advertise.
//!
//! Lists are known per I_T_L nexus — initiator, logical unit, list identifier. At most TOTAL CONCURRENT
//! COPIES lists may be in progress at once (more: INSUFFICIENT RESOURCES), and a second list with the
//! identifier of one in progress is refused (OPERATION IN PROGRESS). The results of lists with LIST ID
//! USAGE 00b are held — up to TOTAL CONCURRENT COPIES of them, the oldest dropped to make room, a new
//! list with the same identifier replacing the old; lists with 10b and 11b keep nothing once done.

use std::collections::VecDeque;

use offload_scsi::xcopy::{BLOCK_TO_BLOCK, IDENTIFICATION_DESCRIPTOR, ListIdUsage};
use offload_scsi::{Asc, Sense};

/// The descriptor type codes the copy manager implements (segment, then CSCD), as VPD 8Fh and
/// OPERATING PARAMETERS list them.
///
/// Not the block → block segment with byte offsets (0Ah): its NUMBER OF BYTES and SOURCE/DESTINATION
/// BYTE OFFSET place a copy at any byte, while an engine job moves whole blocks between block-aligned
/// addresses (the RTL's intake rejects an unaligned address or a block size outside 2^7..2^12 bytes,
/// rtl/offload_sched.sv) and no engine shifts bytes across a block boundary. A 0Ah segment is refused
/// like any unimplemented type: UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE pointing at it.
pub const IMPLEMENTED_DESCRIPTORS: [u8; 2] = [BLOCK_TO_BLOCK, IDENTIFICATION_DESCRIPTOR];

/// DATA SEGMENT GRANULARITY (log2 bytes): segments move whole blocks, and the smallest block is 512.
pub const DATA_SEGMENT_GRANULARITY_LOG2: u8 = 9;

/// What is held for one EXTENDED COPY.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyRecord {
    pub segments_processed: u16,
    pub bytes_transferred: u64,
    /// The status and sense data the EXTENDED COPY ended with, when it failed.
    pub failure: Option<(u8, Vec<u8>)>,
    /// The failure's details were delivered (or refused with ALLOCATION LENGTH 0) and are gone.
    pub details_discarded: bool,
}

/// Which list: the I_T_L nexus and, unless LIST ID USAGE is 11b, the list identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListKey {
    pub initiator: String,
    pub lun: u16,
    pub list_id: Option<u8>,
}

impl ListKey {
    fn matches(&self, initiator: &str, lun: u16, list_id: u8) -> bool {
        self.initiator == initiator && self.lun == lun && self.list_id == Some(list_id)
    }
}

/// Lists in progress and the results held, oldest first.
#[derive(Clone, Debug)]
pub struct CopyResults {
    capacity: usize,
    held: VecDeque<(ListKey, CopyRecord)>,
    in_progress: Vec<ListKey>,
}

impl CopyResults {
    pub fn new(capacity: usize) -> Self {
        CopyResults { capacity, held: VecDeque::new(), in_progress: Vec::new() }
    }

    pub fn is_in_progress(&self, initiator: &str, lun: u16, list_id: u8) -> bool {
        self.in_progress.iter().any(|k| k.matches(initiator, lun, list_id))
    }

    /// A list is about to run: it is in progress until [`Self::finish`]. What was held for an earlier list
    /// with its identifier is discarded.
    pub fn start(&mut self, key: &ListKey) -> Result<(), Sense> {
        if let Some(id) = key.list_id
            && self.is_in_progress(&key.initiator, key.lun, id)
        {
            return Err(Sense::illegal(Asc::OPERATION_IN_PROGRESS));
        }
        if self.in_progress.len() >= self.capacity {
            return Err(Sense::illegal(Asc::INSUFFICIENT_RESOURCES));
        }
        self.held.retain(|(k, _)| k != key);
        self.in_progress.push(key.clone());
        Ok(())
    }

    /// A list is done; its result is held if its LIST ID USAGE asks for it.
    pub fn finish(&mut self, key: &ListKey, usage: ListIdUsage, record: CopyRecord) {
        if let Some(i) = self.in_progress.iter().position(|k| k == key) {
            self.in_progress.remove(i);
        }
        if usage == ListIdUsage::Hold {
            if self.held.len() == self.capacity {
                self.held.pop_front();
            }
            self.held.push_back((key.clone(), record));
        }
    }

    /// I_T nexus loss: the initiator's held results are discarded (SPC-4: they do not outlive the nexus).
    pub fn discard_initiator(&mut self, initiator: &str) {
        self.held.retain(|(k, _)| k.initiator != initiator);
    }

    /// A logical unit reset: the results held for lists issued to `lun` are discarded, as at power on.
    pub fn discard_unit(&mut self, lun: u16) {
        self.held.retain(|(k, _)| k.lun != lun);
    }

    pub fn get_mut(&mut self, initiator: &str, lun: u16, list_id: u8) -> Option<&mut CopyRecord> {
        self.held.iter_mut().find(|(k, _)| k.matches(initiator, lun, list_id)).map(|(_, r)| r)
    }
}
