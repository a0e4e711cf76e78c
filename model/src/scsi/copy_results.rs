//! RECEIVE COPY RESULTS (SPC-4 6.18): COPY STATUS (00h), OPERATING PARAMETERS (03h) and FAILED SEGMENT
//! DETAILS (04h), and the store of results held for EXTENDED COPY lists (LIST ID USAGE 00b and 10b).
//!
//! Results are held per initiator and list identifier, up to TOTAL CONCURRENT COPIES of them; the oldest
//! is dropped to make room, and a new list with the same identifier replaces the old one. Failed segment
//! details are discarded once wholly transferred, or on a request for them with ALLOCATION LENGTH 0
//! (SPC-4, RECEIVE COPY FAILURE DETAILS); the copy status stays. A list whose segments have not finished
//! is *in progress*: COPY STATUS says so (00h), and EXTENDED COPY refuses another list with its identifier
//! from the same initiator (OPERATION IN PROGRESS).

use std::collections::VecDeque;

use super::cdb::Fields;
use super::checks::truncate;
use super::sense::Sense;
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

/// Held copy results, oldest first, and the lists still being processed.
#[derive(Clone, Debug)]
pub struct CopyResults {
    capacity: usize,
    held: VecDeque<(String, u8, CopyRecord)>,
    in_progress: Vec<(String, u8)>,
}

impl CopyResults {
    pub fn new(capacity: usize) -> Self {
        CopyResults { capacity, held: VecDeque::new(), in_progress: Vec::new() }
    }

    /// True while an EXTENDED COPY with this list identifier from this initiator is being processed.
    pub fn in_progress(&self, initiator: &str, list_id: u8) -> bool {
        self.in_progress.iter().any(|(i, l)| i == initiator && *l == list_id)
    }

    /// A list has been received and its segments are about to run: what was held for an earlier list with
    /// the same identifier is discarded (SPC-4), and the list is in progress until [`Self::insert`].
    pub fn begin(&mut self, initiator: &str, list_id: u8) {
        self.held.retain(|(i, l, _)| !(i == initiator && *l == list_id));
        self.in_progress.push((initiator.to_owned(), list_id));
    }

    /// Holds a completed list's result; it is no longer in progress.
    pub fn insert(&mut self, initiator: &str, list_id: u8, record: CopyRecord) {
        self.in_progress.retain(|(i, l)| !(i == initiator && *l == list_id));
        self.held.retain(|(i, l, _)| !(i == initiator && *l == list_id));
        if self.held.len() == self.capacity {
            self.held.pop_front();
        }
        self.held.push_back((initiator.to_owned(), list_id, record));
    }

    pub fn get(&self, initiator: &str, list_id: u8) -> Option<&CopyRecord> {
        self.held.iter().find(|(i, l, _)| i == initiator && *l == list_id).map(|(_, _, r)| r)
    }

    pub fn get_mut(&mut self, initiator: &str, list_id: u8) -> Option<&mut CopyRecord> {
        self.held.iter_mut().find(|(i, l, _)| i == initiator && *l == list_id).map(|(_, _, r)| r)
    }
}

/// The record a CDB's LIST IDENTIFIER names, or INVALID FIELD IN CDB pointing at it.
fn record<'a>(state: &'a TargetState, ctx: &Ctx) -> Result<&'a CopyRecord, Sense> {
    state.copy_results.get(ctx.initiator, ctx.cdb[2]).ok_or_else(|| Sense::invalid_cdb_field(2, None))
}

fn allocation(ctx: &Ctx) -> usize {
    ctx.cdb.be32(10) as usize
}

/// COPY STATUS: in progress, or completed with or without errors, segments processed, and the transfer count in the
/// smallest unit (bytes, KiB, MiB, ...) that fits 32 bits.
pub fn copy_status(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let mut d = vec![0u8; 12];
    d[3] = 8;
    if state.copy_results.in_progress(ctx.initiator, ctx.cdb[2]) {
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
    let implemented = [0x02u8, 0xE4];
    let mut d = vec![0u8; 44];
    d[4] = 0x01; // SNLID: LIST ID USAGE 11b is supported
    d[8..10].copy_from_slice(&c.max_target_descriptors.to_be_bytes());
    d[10..12].copy_from_slice(&c.max_segment_descriptors.to_be_bytes());
    d[12..16].copy_from_slice(&c.max_descriptor_list_bytes.to_be_bytes());
    d[16..20].copy_from_slice(&c.max_segment_bytes.to_be_bytes());
    // MAXIMUM INLINE DATA LENGTH, HELD DATA LIMIT, MAXIMUM STREAM DEVICE TRANSFER SIZE: 0 (none).
    d[34..36].copy_from_slice(&c.held_results.to_be_bytes());
    d[36] = u8::try_from(c.held_results).unwrap_or(u8::MAX);
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
    let r = state.copy_results.get_mut(ctx.initiator, ctx.cdb[2]).ok_or_else(|| Sense::invalid_cdb_field(2, None))?;
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
