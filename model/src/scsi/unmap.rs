//! UNMAP (SBC-4 5.32): deallocate (or anchor) the ranges of a parameter list of block descriptors.

use super::checks::{block_shift, jobs_succeeded, lba_range, parameter_list, unit_address, writable};
use super::{Ctx, HandlerResult, Outcome, Plan, TargetState};
use crate::config::UnitConfig;
use crate::engine::{Job, JobOp};
use offload_scsi::Fields;
use offload_scsi::{Asc, Sense};

const HEADER: usize = 8;
const DESCRIPTOR: usize = 16;

/// The jobs that release `blocks` from `lba`: the part aligned to the unmap granularity is deallocated
/// (or anchored); the unaligned head and tail are zeroed instead, so the whole range reads back as zeros.
pub fn release_jobs(unit: &UnitConfig, lun: u16, lba: u64, blocks: u64, granularity: u32, anchor: bool) -> Vec<Job> {
    let g = u64::from(granularity);
    let end = lba + blocks;
    let aligned_start = lba.next_multiple_of(g).min(end);
    let aligned_end = (end / g * g).max(aligned_start);
    let release = if anchor { JobOp::Anchor } else { JobOp::Deallocate };
    [(lba, aligned_start, JobOp::Zero), (aligned_start, aligned_end, release), (aligned_end, end, JobOp::Zero)]
        .into_iter()
        .filter(|(from, to, _)| to > from)
        .map(|(from, to, op)| Job {
            tag: 0,
            op,
            src: 0,
            dst: unit_address(unit, lun, from),
            blocks: (to - from) as u32,
            block_shift: block_shift(unit),
        })
        .collect()
}

pub fn unmap(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let unit = state.unit_config(ctx.lun).clone();
    if !unit.thin {
        // A fully provisioned unit advertises LBPU=0: UNMAP is not supported there.
        return Err(Sense::illegal(Asc::INVALID_OPERATION_CODE));
    }
    let anchor = ctx.cdb[1] & 1 != 0;
    let length = usize::from(ctx.cdb.be16(7));
    let list = parameter_list(ctx, length, 7)?;
    if list.is_empty() {
        return Ok(Outcome::Done(Vec::new()));
    }
    if list.len() < HEADER {
        return Err(Sense::illegal(Asc::PARAMETER_LIST_LENGTH_ERROR));
    }
    // A descriptor cut short by either length is ignored (SBC-4 5.32.2).
    let descriptor_bytes = usize::from(list.be16(2)).min(list.len() - HEADER);
    let count = descriptor_bytes / DESCRIPTOR;
    let limits = &state.config.limits;
    if count > limits.max_unmap_descriptors as usize {
        return Err(Sense::parameter_field(Asc::INVALID_FIELD_IN_PARAMETER_LIST, 2, None));
    }
    let mut total: u64 = 0;
    let mut ranges = Vec::with_capacity(count);
    for i in 0..count {
        let at = HEADER + i * DESCRIPTOR;
        let (lba, blocks) = (list.be64(at), u64::from(list.be32(at + 8)));
        total += blocks;
        if total > u64::from(limits.max_unmap_blocks) {
            return Err(Sense::parameter_field(Asc::INVALID_FIELD_IN_PARAMETER_LIST, (at + 8) as u16, None));
        }
        lba_range(&unit, lba, blocks)?;
        if blocks > 0 {
            ranges.push((lba, blocks));
        }
    }
    writable(state, ctx.lun)?;
    let jobs: Vec<Job> = ranges
        .into_iter()
        .flat_map(|(lba, blocks)| release_jobs(&unit, ctx.lun, lba, blocks, limits.unmap_granularity, anchor))
        .collect();
    if jobs.is_empty() {
        return Ok(Outcome::Done(Vec::new()));
    }
    Ok(Outcome::Engine(Plan {
        buffer: Vec::new(),
        jobs,
        finish: Box::new(move |_, done| jobs_succeeded(&done.completions, &unit).map(|()| Vec::new())),
        fua: false, // no FUA bit: durable at once only under WCE=0
    }))
}
