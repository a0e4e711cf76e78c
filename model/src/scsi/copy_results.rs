//! RECEIVE COPY RESULTS (SPC-4 6.18): COPY STATUS (00h), OPERATING PARAMETERS (03h) and FAILED SEGMENT
//! DETAILS (04h), and the copy manager's book of EXTENDED COPY lists.
//!
//! Lists are known per I_T_L nexus — initiator, logical unit, list identifier. At most TOTAL CONCURRENT
//! COPIES lists may be in progress at once (more: INSUFFICIENT RESOURCES), and a second list with the
//! identifier of one in progress is refused (OPERATION IN PROGRESS). The results of lists with LIST ID
//! USAGE 00b are held — up to TOTAL CONCURRENT COPIES of them, the oldest dropped to make room, a new
//! list with the same identifier replacing the old; lists with 10b and 11b keep nothing once done.
//! Failed segment details are discarded once wholly transferred, or on a request for them with
//! ALLOCATION LENGTH 0; the copy status stays.

use std::collections::VecDeque;

use super::cdb::Fields;
use super::checks::truncate;
use super::sense::{Asc, Sense};
use super::xcopy::ListIdUsage;
use super::{Ctx, HandlerResult, Outcome, TargetState};

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

    fn is_in_progress(&self, initiator: &str, lun: u16, list_id: u8) -> bool {
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

    fn get_mut(&mut self, initiator: &str, lun: u16, list_id: u8) -> Option<&mut CopyRecord> {
        self.held.iter_mut().find(|(k, _)| k.matches(initiator, lun, list_id)).map(|(_, r)| r)
    }
}

/// The record a CDB's LIST IDENTIFIER names, or INVALID FIELD IN CDB pointing at it.
fn record<'a>(state: &'a mut TargetState, ctx: &Ctx) -> Result<&'a mut CopyRecord, Sense> {
    state.copy_results.get_mut(ctx.initiator, ctx.lun, ctx.cdb[2]).ok_or_else(|| Sense::invalid_cdb_field(2, None))
}

fn allocation(ctx: &Ctx) -> usize {
    ctx.cdb.be32(10) as usize
}

/// COPY STATUS: in progress, or completed with or without errors, segments processed, and the transfer count in the
/// smallest unit (bytes, KiB, MiB, ...) that fits 32 bits.
pub fn copy_status(state: &mut TargetState, ctx: &Ctx) -> HandlerResult {
    let mut d = vec![0u8; 12];
    d[3] = 8;
    if state.copy_results.is_in_progress(ctx.initiator, ctx.lun, ctx.cdb[2]) {
        // 00h operation in progress: answered on arrival, before the list's engine work, so nothing is done.
        return Ok(Outcome::Done(truncate(d, allocation(ctx))));
    }
    let r = record(state, ctx)?;
    d[4] = if r.failure.is_some() { 0x02 } else { 0x01 };
    d[5..7].copy_from_slice(&r.segments_processed.to_be_bytes());
    let (mut count, mut units) = (r.bytes_transferred, 0u8);
    while count > u64::from(u32::MAX) {
        count >>= 10;
        units += 1;
    }
    d[7] = units;
    d[8..12].copy_from_slice(&(count as u32).to_be_bytes());
    Ok(Outcome::Done(truncate(d, allocation(ctx))))
}

/// OPERATING PARAMETERS: every limit here is the one the EXTENDED COPY parser enforces.
pub fn operating_parameters(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let c = &state.config.limits.copy;
    let implemented = super::xcopy::IMPLEMENTED_DESCRIPTORS;
    let mut d = vec![0u8; 44];
    d[4] = 0x01; // SNLID: LIST ID USAGE 11b is supported
    d[8..10].copy_from_slice(&c.max_target_descriptors.to_be_bytes());
    d[10..12].copy_from_slice(&c.max_segment_descriptors.to_be_bytes());
    d[12..16].copy_from_slice(&c.max_descriptor_list_bytes.to_be_bytes());
    d[16..20].copy_from_slice(&c.max_segment_bytes.to_be_bytes());
    // MAXIMUM INLINE DATA LENGTH, HELD DATA LIMIT, MAXIMUM STREAM DEVICE TRANSFER SIZE: 0 (none).
    d[34..36].copy_from_slice(&c.concurrent_copies.to_be_bytes());
    d[36] = u8::try_from(c.concurrent_copies).unwrap_or(u8::MAX);
    d[37] = DATA_SEGMENT_GRANULARITY_LOG2;
    d[43] = implemented.len() as u8;
    d.extend(implemented);
    let available = (d.len() - 4) as u32;
    d[0..4].copy_from_slice(&available.to_be_bytes());
    Ok(Outcome::Done(truncate(d, allocation(ctx))))
}

/// FAILED SEGMENT DETAILS: the status and sense a failed EXTENDED COPY returned; no data for a list that
/// completed without error or whose details were already discarded.
pub fn failure_details(state: &mut TargetState, ctx: &Ctx) -> HandlerResult {
    let allocation = allocation(ctx);
    let r = record(state, ctx)?;
    let Some((status, sense)) = r.failure.as_ref().filter(|_| !r.details_discarded) else {
        return Ok(Outcome::Done(truncate(vec![0u8; 4], allocation)));
    };
    let mut d = vec![0u8; 60];
    d[56] = *status;
    d[58..60].copy_from_slice(&(sense.len() as u16).to_be_bytes());
    d.extend(sense);
    let available = (d.len() - 4) as u32;
    d[0..4].copy_from_slice(&available.to_be_bytes());
    // Kept while a truncated transfer leaves part of them undelivered.
    r.details_discarded = allocation == 0 || allocation >= d.len();
    Ok(Outcome::Done(truncate(d, allocation)))
}
