//! EXTENDED COPY (LID1) (SPC-4 6.4): Full Copy. A parameter list of identification target (CSCD)
//! descriptors (E4h) naming logical units by their NAA designator, and block-to-block segment
//! descriptors (02h), each of which becomes one copy-engine job.
//!
//! Errors found while *parsing* the list are ILLEGAL REQUEST with a parameter-list field pointer, and no
//! data moves. Errors found while *processing* segments are COPY ABORTED: the segment number in
//! COMMAND-SPECIFIC INFORMATION, a segment pointer (SD=1) at the offending field, the residual of a
//! partly copied segment in INFORMATION, and the copy target's own status and sense forwarded — so a
//! failing copy reports exactly what was done.
//!
//! A CSCD descriptor resolves only to a unit the issuing initiator may access: a designator naming any
//! other unit is as unreachable as one naming no unit at all (the lesson of CVE-2020-28374).

use offload_scsi::xcopy::{
    ADDRESSED_UNIT, BLOCK_TO_BLOCK, CSCD_LEN, HEADER_LEN, IDENTIFICATION_DESCRIPTOR, LAST_LIST_INDEX, ListIdUsage,
    SEGMENT_LEN,
};
use offload_scsi::{
    Asc, CHECK_CONDITION, CopyTarget, Fields, Forwarded, RESERVATION_CONFLICT, ReservationClass, Sense,
};

use super::checks::{block_shift, unit_address};
use super::copy_manager::{CopyRecord, ListKey};
use super::medium_error_sense;
use super::{Ctx, HandlerResult, Outcome, Plan, TargetState};
use crate::config::{UnitConfig, naa_designator};
use crate::engine::{CompletionStatus, Job, JobOp};

/// What a CSCD descriptor resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cscd {
    Unit(u16),
    /// NUL set, or no unit that this initiator may access has the designator.
    Unreachable,
}

/// A parsed block-to-block segment descriptor.
#[derive(Clone, Debug)]
struct Segment {
    source: u16,
    destination: u16,
    blocks: u16,
    source_lba: u64,
    destination_lba: u64,
}

/// A parsed parameter list.
struct CopyList {
    list_id: u8,
    usage: ListIdUsage,
    targets: Vec<Cscd>,
    segments: Vec<Segment>,
}

fn invalid(asc: Asc, byte: usize, bit: Option<u8>) -> Sense {
    Sense::parameter_field(asc, byte as u16, bit)
}

fn parse(state: &TargetState, ctx: &Ctx, list: &[u8]) -> Result<CopyList, Sense> {
    let limits = &state.config.limits.copy;
    if list.len() < HEADER_LEN {
        return Err(Sense::illegal(Asc::PARAMETER_LIST_LENGTH_ERROR));
    }
    let list_id = list[0];
    if list[1] & 0xC0 != 0 {
        return Err(invalid(Asc::INVALID_FIELD_IN_PARAMETER_LIST, 1, Some(7 - (list[1] & 0xC0).leading_zeros() as u8)));
    }
    let usage = match ListIdUsage::from_header(list[1]) {
        Some(ListIdUsage::None) if list_id != 0 => return Err(invalid(Asc::INVALID_FIELD_IN_PARAMETER_LIST, 0, None)),
        Some(usage) => usage,
        None => return Err(invalid(Asc::INVALID_FIELD_IN_PARAMETER_LIST, 1, Some(4))),
    };
    if let Some(i) = (4..8).find(|&i| list[i] != 0) {
        return Err(invalid(Asc::INVALID_FIELD_IN_PARAMETER_LIST, i, None));
    }
    let target_bytes = usize::from(list.be16(2));
    let segment_bytes = list.be32(8) as usize;
    if list.be32(12) != 0 {
        return Err(invalid(Asc::INVALID_FIELD_IN_PARAMETER_LIST, 12, None)); // no inline data
    }
    // Total length before descriptor counts: a list too long for the limit is a length error.
    if target_bytes + segment_bytes > limits.max_descriptor_list_bytes as usize {
        return Err(Sense::illegal(Asc::PARAMETER_LIST_LENGTH_ERROR));
    }
    if HEADER_LEN + target_bytes + segment_bytes > list.len() {
        return Err(Sense::illegal(Asc::PARAMETER_LIST_LENGTH_ERROR));
    }
    if target_bytes % CSCD_LEN != 0 {
        let partial = HEADER_LEN + target_bytes / CSCD_LEN * CSCD_LEN;
        return Err(invalid(Asc::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE, partial, None));
    }
    if target_bytes / CSCD_LEN > usize::from(limits.max_target_descriptors) {
        return Err(invalid(Asc::TOO_MANY_TARGET_DESCRIPTORS, 2, None));
    }
    let targets = (0..target_bytes / CSCD_LEN)
        .map(|i| parse_cscd(state, ctx, list, HEADER_LEN + i * CSCD_LEN))
        .collect::<Result<Vec<_>, _>>()?;

    let mut segments = Vec::new();
    let mut at = HEADER_LEN + target_bytes;
    let end = at + segment_bytes;
    while at < end {
        if end - at < 4 || list[at] != BLOCK_TO_BLOCK {
            return Err(invalid(Asc::UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE, at, None));
        }
        if list.be16(at + 2) != (SEGMENT_LEN - 4) as u16 {
            return Err(invalid(Asc::INVALID_FIELD_IN_PARAMETER_LIST, at + 2, None));
        }
        if end - at < SEGMENT_LEN {
            return Err(invalid(Asc::UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE, at, None));
        }
        if segments.len() == usize::from(limits.max_segment_descriptors) {
            return Err(invalid(Asc::TOO_MANY_SEGMENT_DESCRIPTORS, 8, None));
        }
        segments.push(parse_segment(state, ctx, list, at, &targets)?);
        at += SEGMENT_LEN;
    }
    Ok(CopyList { list_id, usage, targets, segments })
}

/// An identification descriptor: binary, logical-unit-associated NAA designator of 16 bytes.
fn parse_cscd(state: &TargetState, ctx: &Ctx, list: &[u8], at: usize) -> Result<Cscd, Sense> {
    let d = &list[at..at + CSCD_LEN];
    let bad = |byte: usize, bit: Option<u8>| invalid(Asc::INVALID_FIELD_IN_PARAMETER_LIST, at + byte, bit);
    if d[0] != IDENTIFICATION_DESCRIPTOR {
        return Err(invalid(Asc::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE, at, None));
    }
    // LU ID TYPE (byte 1, bits 7–6) is not checked: SPC-4 hosts may leave reserved values there.
    if d[1] & 0x1F != 0 {
        return Err(bad(1, Some(4))); // PERIPHERAL DEVICE TYPE: only block devices
    }
    if d[4] & 0x0F != 1 {
        return Err(bad(4, Some(3))); // CODE SET: binary
    }
    if d[5] & 0x30 != 0 {
        return Err(bad(5, Some(5))); // ASSOCIATION: logical unit
    }
    if d[5] & 0x0F != 3 {
        return Err(bad(5, Some(3))); // DESIGNATOR TYPE: NAA
    }
    if d[7] != 16 {
        return Err(bad(7, None));
    }
    if d[1] & 0x20 != 0 {
        return Ok(Cscd::Unreachable); // NUL
    }
    let found = state.config.units.iter().enumerate().map(|(i, u)| (i as u16, u)).find(|&(lun, unit)| {
        state.config.access.allows(ctx.initiator, lun) && naa_designator(unit, lun)[..] == d[8..24]
    });
    let Some((lun, unit)) = found else { return Ok(Cscd::Unreachable) };
    let disk_block_length = d.be24(29);
    if disk_block_length != 0 && disk_block_length != unit.block_size {
        return Err(bad(29, None));
    }
    Ok(Cscd::Unit(lun))
}

fn parse_segment(state: &TargetState, ctx: &Ctx, list: &[u8], at: usize, targets: &[Cscd]) -> Result<Segment, Sense> {
    let d = &list[at..at + SEGMENT_LEN];
    let bad = |byte: usize, bit: Option<u8>| invalid(Asc::INVALID_FIELD_IN_PARAMETER_LIST, at + byte, bit);
    if d[1] & 0xFC != 0 {
        return Err(bad(1, Some(7 - (d[1] & 0xFC).leading_zeros() as u8)));
    }
    let (source, destination) = (d.be16(4), d.be16(6));
    for (id, byte) in [(source, 4), (destination, 6)] {
        if id > LAST_LIST_INDEX && id != ADDRESSED_UNIT {
            return Err(bad(byte, None));
        }
    }
    let segment =
        Segment { source, destination, blocks: d.be16(10), source_lba: d.be64(12), destination_lba: d.be64(20) };
    // The segment length limit, in bytes of whichever side resolves (both sides' sizes must agree).
    let limit = u64::from(state.config.limits.copy.max_segment_bytes);
    let side = [source, destination].into_iter().find_map(|id| match resolve(id, targets, ctx.lun) {
        Cscd::Unit(lun) => Some(state.unit_config(lun)),
        Cscd::Unreachable => None,
    });
    if let Some(unit) = side
        && u64::from(segment.blocks) * u64::from(unit.block_size) > limit
    {
        return Err(bad(10, None));
    }
    Ok(segment)
}

fn resolve(id: u16, targets: &[Cscd], addressed: u16) -> Cscd {
    if id == ADDRESSED_UNIT {
        return Cscd::Unit(addressed);
    }
    targets.get(usize::from(id)).copied().unwrap_or(Cscd::Unreachable)
}

/// COPY ABORTED for segment `number`, pointing at `byte` of its descriptor.
fn copy_aborted(number: usize, asc: Asc, byte: u16) -> Sense {
    Sense::copy_aborted(number as u16, asc, byte)
}

/// COPY ABORTED carrying a copy target's CHECK CONDITION.
fn forwarded(number: usize, byte: u16, from: CopyTarget, sense: Sense) -> Sense {
    copy_aborted(number, Asc::NO_ADDITIONAL_SENSE, byte).forwarding(Forwarded::check_condition(from, &sense))
}

/// COPY ABORTED for a copy target whose reservation conflicts: its RESERVATION CONFLICT forwarded as a
/// status alone (SPC-4 "Errors detected during processing of segment descriptors" and the forwarded sense data descriptor), the segment pointer at the CSCD ID naming it.
fn conflict(number: usize, byte: u16, from: CopyTarget) -> Sense {
    copy_aborted(number, Asc::NO_ADDITIONAL_SENSE, byte).forwarding(Forwarded::status_only(from, RESERVATION_CONFLICT))
}

/// One segment ready to run: its job, or none for a zero-length segment.
struct Step {
    number: usize,
    job: Option<Job>,
    unit: UnitConfig,
    source_unit: UnitConfig,
}

/// Checks a segment against the units it names before any of its data moves.
fn prepare(state: &TargetState, ctx: &Ctx, list: &CopyList, number: usize) -> Result<Step, Sense> {
    let seg = &list.segments[number];
    let Cscd::Unit(src) = resolve(seg.source, &list.targets, ctx.lun) else {
        return Err(copy_aborted(number, Asc::COPY_TARGET_NOT_REACHABLE, 4));
    };
    let Cscd::Unit(dst) = resolve(seg.destination, &list.targets, ctx.lun) else {
        return Err(copy_aborted(number, Asc::COPY_TARGET_NOT_REACHABLE, 6));
    };
    // SPC-4 5.12.1 ("Policy" for EXTENDED COPY): the copy manager reads the source and writes the
    // destination for the issuing I_T nexus, which their reservations must admit.
    let reservations = &state.reservations;
    if !reservations.admits(ctx.initiator, src, ReservationClass::Read) {
        return Err(conflict(number, 4, CopyTarget::Source));
    }
    if !reservations.admits(ctx.initiator, dst, ReservationClass::Exclusive) {
        return Err(conflict(number, 6, CopyTarget::Destination));
    }
    let (su, du) = (state.unit_config(src).clone(), state.unit_config(dst).clone());
    if su.block_size != du.block_size {
        return Err(copy_aborted(number, Asc::INCORRECT_COPY_TARGET_DEVICE_TYPE, 6));
    }
    let blocks = u64::from(seg.blocks);
    let out_of_range = || Sense::illegal(Asc::LBA_OUT_OF_RANGE);
    if super::checks::lba_range(&su, seg.source_lba, blocks).is_err() {
        return Err(forwarded(number, 12, CopyTarget::Source, out_of_range()));
    }
    if super::checks::lba_range(&du, seg.destination_lba, blocks).is_err() {
        return Err(forwarded(number, 20, CopyTarget::Destination, out_of_range()));
    }
    if let Err(protect) = super::checks::writable(state, dst) {
        return Err(forwarded(number, 6, CopyTarget::Destination, protect));
    }
    let job = (seg.blocks > 0).then(|| Job {
        tag: number as u16,
        op: JobOp::Copy,
        src: unit_address(&su, src, seg.source_lba),
        dst: unit_address(&du, dst, seg.destination_lba),
        blocks: seg.blocks.into(),
        block_shift: block_shift(&du),
    });
    Ok(Step { number, job, unit: du, source_unit: su })
}

pub fn extended_copy(state: &mut TargetState, ctx: &Ctx) -> HandlerResult {
    let length = ctx.cdb.be32(10) as usize;
    if length == 0 {
        return Ok(Outcome::Done(Vec::new()));
    }
    let list = parse(state, ctx, super::checks::parameter_list(ctx, length, 10)?)?;
    let key = ListKey {
        initiator: ctx.initiator.to_owned(),
        lun: ctx.lun,
        list_id: (list.usage != ListIdUsage::None).then_some(list.list_id),
    };
    state.copy_results.start(&key)?;

    // Segments run in order; the first that cannot start ends the list after those before it ran.
    let mut steps = Vec::new();
    let mut stopped_by = None;
    for number in 0..list.segments.len() {
        match prepare(state, ctx, &list, number) {
            Ok(step) => steps.push(step),
            Err(sense) => {
                stopped_by = Some(sense);
                break;
            }
        }
    }
    let jobs: Vec<Job> = steps.iter().filter_map(|s| s.job.clone()).collect();
    let usage = list.usage;
    let finish = move |state: &mut TargetState, completions: &[crate::engine::Completion]| {
        let mut completions = completions.iter();
        let mut record = CopyRecord::default();
        let mut failure = stopped_by;
        for step in &steps {
            let Some(job) = &step.job else {
                record.segments_processed += 1;
                continue;
            };
            let done = completions.next().expect("a completion for every issued job");
            record.bytes_transferred += u64::from(done.blocks_done) * job.block_bytes();
            if done.status == CompletionStatus::Ok {
                record.segments_processed += 1;
                continue;
            }
            let (from, byte, unit) = if done.status == CompletionStatus::ReadError {
                (CopyTarget::Source, 12, &step.source_unit)
            } else {
                (CopyTarget::Destination, 20, &step.unit)
            };
            let mut sense = forwarded(step.number, byte, from, medium_error_sense(done, unit));
            if done.blocks_done > 0 {
                sense.information = Some(u64::from(job.blocks - done.blocks_done));
            }
            failure = Some(sense);
            break;
        }
        let result = match failure {
            Some(sense) => {
                // SEGMENTS PROCESSED includes the segment being processed when the copy stopped.
                record.segments_processed += 1;
                record.failure = Some((CHECK_CONDITION, sense.encode(state.sense_format(key.lun)).to_vec()));
                Err(sense)
            }
            None => Ok(Vec::new()),
        };
        state.copy_results.finish(&key, usage, record);
        result
    };
    if jobs.is_empty() {
        return finish(state, &[]).map(Outcome::Done);
    }
    Ok(Outcome::Engine(Plan {
        buffer: Vec::new(),
        jobs,
        finish: Box::new(move |state, done| finish(state, &done.completions)),
        fua: false, // no FUA bit: durable at once only under WCE=0 of each destination
    }))
}
