//! RECEIVE COPY RESULTS (SPC-4 6.18): COPY STATUS (00h), OPERATING PARAMETERS (03h) and FAILED SEGMENT
//! DETAILS (04h), answered from the [copy manager's book](super::copy_manager).
//!
//! Failed segment details are discarded once wholly transferred, or on a request for them with
//! ALLOCATION LENGTH 0; the copy status stays.

use offload_scsi::{Fields, Sense};

use super::checks::truncate;
use super::copy_manager::{CopyRecord, DATA_SEGMENT_GRANULARITY_LOG2, IMPLEMENTED_DESCRIPTORS};
use super::{Ctx, HandlerResult, Outcome, TargetState};

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
    let implemented = IMPLEMENTED_DESCRIPTORS;
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
