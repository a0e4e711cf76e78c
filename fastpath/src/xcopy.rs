//! EXTENDED COPY (LID1) (SPC-4 6.4): identification CSCD descriptors (E4h) naming units by their NAA
//! designator, block-to-block segment descriptors (02h), CSCD ID FFFFh for the addressed unit.
//!
//! The whole parameter list is checked first (errors: ILLEGAL REQUEST with a parameter-list pointer, and
//! nothing moves). Then the segments run in order; the first that cannot start or fails part way ends the
//! command with COPY ABORTED: the segment number, a segment pointer, the residual of a partly copied
//! segment, and the copy target's sense forwarded. Nothing is allocated: CSCD descriptors are resolved
//! from the list itself each time a segment needs them.
//!
//! A CSCD descriptor resolves only to a unit the issuing initiator may access (CVE-2020-28374).

use crate::commands::{lba_range, read_error, writable, write_error};
use crate::config::{Access, CopyLimits, Limits, Unit};
use crate::media::{MAPPED, first_bad, last_bad};
use crate::sense::{CopyTarget, Forwarded, Sense};
use crate::{Check, Ctx, Outcome, Stop, be16, be32, be64};

const HEADER: usize = 16;
const CSCD_LEN: usize = 32;
const SEGMENT_LEN: usize = 28;
const IDENTIFICATION: u8 = 0xE4;
const BLOCK_TO_BLOCK: u8 = 0x02;
/// CSCD ID naming the logical unit the command was sent to.
const ADDRESSED_UNIT: u16 = 0xFFFF;
/// Highest CSCD ID that indexes the CSCD descriptor list.
const LAST_INDEX: u16 = 0x07FF;

/// Where the checked list's parts are.
struct Layout {
    targets: usize,
    segments_at: usize,
    segments: usize,
}

/// The 16-byte designator of a CSCD descriptor `d` (32 bytes).
fn designator(d: &[u8]) -> [u8; 16] {
    let mut naa = [0u8; 16];
    naa.copy_from_slice(&d[8..24]);
    naa
}

/// The index of the first unit that `initiator` may access and whose designator is `naa`.
fn find_unit<A: Access>(units: &[Unit<'_>], access: &A, initiator: &[u8], naa: &[u8; 16]) -> Option<usize> {
    units
        .iter()
        .take(usize::from(u16::MAX) + 1)
        .enumerate()
        .find(|&(i, unit)| unit.naa == *naa && access.allows(initiator, i as u16))
        .map(|(i, _)| i)
}

struct Copy<'c, 'u, 'a, A> {
    units: &'c mut [Unit<'a>],
    limits: &'c CopyLimits,
    access: &'c A,
    ctx: &'c Ctx<'u>,
    list: &'u [u8],
}

impl<A: Access> Copy<'_, '_, '_, A> {
    /// The unit CSCD descriptor `index` names, if it is reachable (not NUL, known and accessible).
    fn descriptor_unit(&self, index: usize) -> Option<usize> {
        let d = &self.list[HEADER + index * CSCD_LEN..][..CSCD_LEN];
        if d[1] & 0x20 != 0 {
            return None; // NUL
        }
        find_unit(self.units, self.access, self.ctx.initiator, &designator(d))
    }

    /// The unit a segment's CSCD ID names, if reachable.
    fn resolve(&self, id: u16, targets: usize) -> Option<usize> {
        if id == ADDRESSED_UNIT {
            return Some(usize::from(self.ctx.lun));
        }
        (usize::from(id) < targets).then(|| self.descriptor_unit(usize::from(id))).flatten()
    }

    fn parse(&self) -> Result<Layout, Stop> {
        let list = self.list;
        let length_error = || Stop::from(Sense::illegal(0x1A, 0x00));
        if list.len() < HEADER {
            return Err(length_error());
        }
        let reserved = list[1] & 0xC0;
        if reserved != 0 {
            return Err(Sense::invalid_parameter(1, Some(7 - reserved.leading_zeros() as u8)).into());
        }
        match (list[1] >> 3) & 0b11 {
            0b00 | 0b10 => {}
            0b11 if list[0] == 0 => {}
            0b11 => return Err(Sense::invalid_parameter(0, None).into()), // no list ID: LIST IDENTIFIER 0
            _ => return Err(Sense::invalid_parameter(1, Some(4)).into()),
        }
        if let Some(i) = (4..8).find(|&i| list[i] != 0) {
            return Err(Sense::invalid_parameter(i, None).into());
        }
        let target_bytes = usize::from(be16(list, 2));
        let segment_bytes = u64::from(be32(list, 8));
        if be32(list, 12) != 0 {
            return Err(Sense::invalid_parameter(12, None).into()); // no inline data
        }
        let descriptor_bytes = target_bytes as u64 + segment_bytes;
        if descriptor_bytes > u64::from(self.limits.max_descriptor_list_bytes)
            || HEADER as u64 + descriptor_bytes > list.len() as u64
        {
            return Err(length_error());
        }
        if target_bytes % CSCD_LEN != 0 {
            let partial = HEADER + target_bytes / CSCD_LEN * CSCD_LEN;
            return Err(Sense::in_parameter_list(0x26, 0x07, partial, None).into());
        }
        let targets = target_bytes / CSCD_LEN;
        if targets > usize::from(self.limits.max_target_descriptors) {
            return Err(Sense::in_parameter_list(0x26, 0x06, 2, None).into());
        }
        for i in 0..targets {
            self.check_cscd(HEADER + i * CSCD_LEN)?;
        }
        let segments_at = HEADER + target_bytes;
        let end = segments_at + segment_bytes as usize;
        let (mut at, mut segments) = (segments_at, 0);
        while at < end {
            if end - at < 4 || list[at] != BLOCK_TO_BLOCK {
                return Err(Sense::in_parameter_list(0x26, 0x09, at, None).into());
            }
            if be16(list, at + 2) != (SEGMENT_LEN - 4) as u16 {
                return Err(Sense::invalid_parameter(at + 2, None).into());
            }
            if end - at < SEGMENT_LEN {
                return Err(Sense::in_parameter_list(0x26, 0x09, at, None).into());
            }
            if segments == usize::from(self.limits.max_segment_descriptors) {
                return Err(Sense::in_parameter_list(0x26, 0x08, 8, None).into());
            }
            self.check_segment(at, targets)?;
            segments += 1;
            at += SEGMENT_LEN;
        }
        Ok(Layout { targets, segments_at, segments })
    }

    /// An identification descriptor: binary, logical-unit, NAA designator of 16 bytes; DISK BLOCK LENGTH
    /// 0 or the named unit's.
    fn check_cscd(&self, at: usize) -> Result<(), Stop> {
        let d = &self.list[at..at + CSCD_LEN];
        let bad = |byte: usize, bit: Option<u8>| Stop::from(Sense::invalid_parameter(at + byte, bit));
        if d[0] != IDENTIFICATION {
            return Err(Sense::in_parameter_list(0x26, 0x07, at, None).into());
        }
        // LU ID TYPE (byte 1, bits 7–6) is not checked, as in the model.
        if d[1] & 0x1F != 0 {
            return Err(bad(1, Some(4))); // PERIPHERAL DEVICE TYPE: block devices only
        }
        if d[4] & 0x0F != 0x01 {
            return Err(bad(4, Some(3))); // CODE SET: binary
        }
        if d[5] & 0x30 != 0 {
            return Err(bad(5, Some(5))); // ASSOCIATION: logical unit
        }
        if d[5] & 0x0F != 0x03 {
            return Err(bad(5, Some(3))); // DESIGNATOR TYPE: NAA
        }
        if d[7] != 16 {
            return Err(bad(7, None));
        }
        if d[1] & 0x20 != 0 {
            return Ok(()); // NUL: unreachable, found out when a segment uses it
        }
        let Some(lun) = find_unit(self.units, self.access, self.ctx.initiator, &designator(d)) else { return Ok(()) };
        let unit = &self.units[lun];
        if !unit.usable() {
            return Err(Stop::Unhandled);
        }
        let disk_block_length = u32::from_be_bytes([0, d[29], d[30], d[31]]);
        if disk_block_length != 0 && disk_block_length != unit.block_size {
            return Err(bad(29, None));
        }
        Ok(())
    }

    /// A block-to-block segment descriptor's reserved bits, CSCD IDs and length.
    fn check_segment(&self, at: usize, targets: usize) -> Result<(), Stop> {
        let d = &self.list[at..at + SEGMENT_LEN];
        let reserved = d[1] & 0xFC;
        if reserved != 0 {
            return Err(Sense::invalid_parameter(at + 1, Some(7 - reserved.leading_zeros() as u8)).into());
        }
        let ids = [(be16(d, 4), 4), (be16(d, 6), 6)];
        for (id, byte) in ids {
            if id > LAST_INDEX && id != ADDRESSED_UNIT {
                return Err(Sense::invalid_parameter(at + byte, None).into());
            }
        }
        // MAXIMUM SEGMENT LENGTH in bytes of the first side that resolves.
        let blocks = u64::from(be16(d, 10));
        let side = ids.iter().find_map(|&(id, _)| self.resolve(id, targets));
        if let Some(lun) = side
            && blocks * u64::from(self.units[lun].block_size) > u64::from(self.limits.max_segment_bytes)
        {
            return Err(Sense::invalid_parameter(at + 10, None).into());
        }
        Ok(())
    }

    fn run(&mut self, layout: &Layout) -> Outcome {
        for number in 0..layout.segments {
            let d = &self.list[layout.segments_at + number * SEGMENT_LEN..][..SEGMENT_LEN];
            let (blocks, source_lba, destination_lba) = (u64::from(be16(d, 10)), be64(d, 12), be64(d, 20));
            let Some(src) = self.resolve(be16(d, 4), layout.targets) else {
                return Err(Sense::copy_aborted(number, 0x0D, 0x02, 4).into());
            };
            let Some(dst) = self.resolve(be16(d, 6), layout.targets) else {
                return Err(Sense::copy_aborted(number, 0x0D, 0x02, 6).into());
            };
            let (su, du) = (&self.units[src], &self.units[dst]);
            if su.block_size != du.block_size {
                return Err(Sense::copy_aborted(number, 0x0D, 0x03, 6).into());
            }
            if let Err(inner) = lba_range(su, source_lba, blocks) {
                return Err(aborted(number, 12, CopyTarget::Source, inner));
            }
            if let Err(inner) = lba_range(du, destination_lba, blocks) {
                return Err(aborted(number, 20, CopyTarget::Destination, inner));
            }
            if let Err(inner) = writable(du) {
                return Err(aborted(number, 6, CopyTarget::Destination, inner));
            }
            if blocks > 0 {
                self.segment(number, (src, source_lba), (dst, destination_lba), blocks)?;
            }
        }
        Ok(0)
    }

    /// Copies one segment as if its whole source were read first. A bad block stops it where a
    /// block-by-block copy would: running forward, or backward when the destination starts inside the
    /// source; the blocks done before it stay copied.
    fn segment(&mut self, number: usize, (src, s): (usize, u64), (dst, d): (usize, u64), blocks: u64) -> Outcome {
        let backward = src == dst && d > s && d < s + blocks;
        let (source_bad, destination_bad) = (self.units[src].bad_blocks, self.units[dst].bad_blocks);
        // (index of the failing block, the read failed), in the order the blocks are processed; a read
        // comes before the write of the same block.
        let failure = if backward {
            let read = last_bad(source_bad, s, s + blocks).map(|lba| (lba - s, true));
            let write = last_bad(destination_bad, d, d + blocks).map(|lba| (lba - d, false));
            match (read, write) {
                (Some(r), Some(w)) => Some(if r.0 >= w.0 { r } else { w }),
                (r, w) => r.or(w),
            }
        } else {
            let read = first_bad(source_bad, s, s + blocks).map(|lba| (lba - s, true));
            let write = first_bad(destination_bad, d, d + blocks).map(|lba| (lba - d, false));
            match (read, write) {
                (Some(r), Some(w)) => Some(if r.0 <= w.0 { r } else { w }),
                (r, w) => r.or(w),
            }
        };
        let (from, to) = match failure {
            None => (0, blocks),
            Some((i, _)) if backward => (i + 1, blocks),
            Some((i, _)) => (0, i),
        };
        move_blocks(self.units, (src, s + from), (dst, d + from), to - from)?;
        let Some((i, read)) = failure else { return Ok(0) };
        let (byte, from_target, inner) = if read {
            (12, CopyTarget::Source, read_error(s + i))
        } else {
            (20, CopyTarget::Destination, write_error(d + i))
        };
        let mut stop = aborted(number, byte, from_target, inner);
        let done = to - from;
        if done > 0
            && let Stop::Check(check) = &mut stop
        {
            check.sense.information = Some(blocks - done); // the residual
        }
        Err(stop)
    }
}

/// COPY ABORTED for segment `number` forwarding a copy target's CHECK CONDITION, pointing at `byte`.
fn aborted(number: usize, byte: u16, from: CopyTarget, inner: Sense) -> Stop {
    Stop::Check(Check {
        sense: Sense::copy_aborted(number, 0x00, 0x00, byte),
        forwarded: Some(Forwarded { from, inner }),
    })
}

/// Moves `blocks` from unit `src` at `s` to unit `dst` at `d`: `copy_within` (memmove) inside one unit,
/// `copy_from_slice` between two. The destination blocks become mapped.
fn move_blocks(units: &mut [Unit<'_>], (src, s): (usize, u64), (dst, d): (usize, u64), blocks: u64) -> Outcome {
    if blocks == 0 {
        return Ok(0);
    }
    if src == dst {
        let unit = &mut units[src];
        let from = unit.bytes(s, s + blocks);
        let to = unit.bytes(d, d + blocks).start;
        unit.data.copy_within(from, to);
        unit.mark(d, d + blocks, MAPPED);
    } else {
        let Ok([su, du]) = units.get_disjoint_mut([src, dst]) else { return Err(Stop::Unhandled) };
        let (from, to) = (su.bytes(s, s + blocks), du.bytes(d, d + blocks));
        du.data[to].copy_from_slice(&su.data[from]);
        du.mark(d, d + blocks, MAPPED);
    }
    Ok(0)
}

pub(crate) fn extended_copy<A: Access>(units: &mut [Unit<'_>], limits: &Limits, access: &A, ctx: &Ctx<'_>) -> Outcome {
    let length = be32(ctx.cdb, 10);
    if length == 0 {
        return Ok(0);
    }
    if ctx.data_out.len() as u64 != u64::from(length) {
        return Err(Sense::invalid_cdb(10, None).into());
    }
    let mut copy = Copy { units, limits: &limits.copy, access, ctx, list: ctx.data_out };
    let layout = copy.parse()?;
    copy.run(&layout)
}
