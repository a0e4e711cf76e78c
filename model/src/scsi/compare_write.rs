//! COMPARE AND WRITE (SBC-4 5.3), the ATS primitive: compare NUMBER OF LOGICAL BLOCKS of the medium with
//! the first half of the data-out and, only if all of it matches, write the second half — atomically,
//! since the job holds an exclusive range lock for its whole run.

use super::checks::{block_shift, compared, expect_data_out, lba_range, no_protection, unit_address, writable};
use super::{Ctx, HandlerResult, Outcome, Plan, TargetState};
use crate::engine::{Job, JobOp};
use offload_scsi::Fields;
use offload_scsi::Sense;
use offload_scsi::durability::FUA;

const NOLB_AT: u16 = 13;

pub fn compare_and_write(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let lba = ctx.cdb.be64(2);
    let blocks = ctx.cdb[NOLB_AT as usize];
    no_protection(ctx.cdb)?;
    if blocks > state.config.limits.max_compare_and_write_blocks {
        return Err(Sense::invalid_cdb_field(NOLB_AT, None));
    }
    let unit = state.unit_config(ctx.lun).clone();
    lba_range(&unit, lba, blocks.into())?;
    expect_data_out(ctx, 2 * u64::from(blocks) * u64::from(unit.block_size), NOLB_AT)?;
    writable(state, ctx.lun)?;
    if blocks == 0 {
        return Ok(Outcome::Done(Vec::new()));
    }
    let job = Job {
        tag: 0,
        op: JobOp::CompareAndWrite,
        src: ctx.buffer(0),
        dst: unit_address(&unit, ctx.lun, lba),
        blocks: blocks.into(),
        block_shift: block_shift(&unit),
    };
    Ok(Outcome::Engine(Plan {
        buffer: ctx.data_out.to_vec(),
        jobs: vec![job],
        finish: Box::new(move |_, done| compared(&done.completions, &unit).map(|()| Vec::new())),
        fua: ctx.cdb[1] & FUA != 0,
    }))
}
