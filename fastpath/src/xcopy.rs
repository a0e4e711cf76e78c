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

use offload_scsi::xcopy::{
    ADDRESSED_UNIT, BLOCK_TO_BLOCK, CSCD_LEN, HEADER_LEN, IDENTIFICATION_DESCRIPTOR, LAST_LIST_INDEX, ListIdUsage,
    SEGMENT_LEN,
};
use offload_scsi::{
    Asc, CopyLimits, CopyTarget, Fields, Forwarded, Limits, RESERVATION_CONFLICT, ReservationClass, Sense,
};

use crate::commands::{lba_range, read_error, writable, write_error};
use crate::config::Access;
use crate::effects::{CopySummary, Effects, Hint};
use crate::media::{MAPPED, Unit, first_bad, last_bad};
use crate::reply::{Outcome, Request, Stop};

/// What the checked list says and where its parts are.
struct Layout {
    list_id: u8,
    usage: ListIdUsage,
    targets: usize,
    segments_at: usize,
    segments: usize,
}

/// How far the segments got: SEGMENTS PROCESSED and the bytes written, as RECEIVE COPY RESULTS counts them.
#[derive(Default)]
struct Progress {
    segments_processed: u16,
    bytes_moved: u64,
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
    request: &'c Request<'u>,
    list: &'u [u8],
}

impl<A: Access> Copy<'_, '_, '_, A> {
    /// The unit CSCD descriptor `index` names, if it is reachable (not NUL, known and accessible).
    fn descriptor_unit(&self, index: usize) -> Option<usize> {
        let d = &self.list[HEADER_LEN + index * CSCD_LEN..][..CSCD_LEN];
        if d[1] & 0x20 != 0 {
            return None; // NUL
        }
        find_unit(self.units, self.access, self.request.initiator, &designator(d))
    }

    /// The unit a segment's CSCD ID names, if reachable.
    fn resolve(&self, id: u16, targets: usize) -> Option<usize> {
        if id == ADDRESSED_UNIT {
            return Some(usize::from(self.request.lun));
        }
        (usize::from(id) < targets).then(|| self.descriptor_unit(usize::from(id))).flatten()
    }

    fn parse(&self) -> Result<Layout, Stop> {
        let list = self.list;
        let length_error = || Stop::from(Sense::illegal(Asc::PARAMETER_LIST_LENGTH_ERROR));
        if list.len() < HEADER_LEN {
            return Err(length_error());
        }
        let reserved = list[1] & 0xC0;
        if reserved != 0 {
            return Err(invalid_field(1, Some(7 - reserved.leading_zeros() as u8)));
        }
        let usage = match ListIdUsage::from_header(list[1]) {
            Some(ListIdUsage::None) if list[0] != 0 => return Err(invalid_field(0, None)), // no ID: LIST ID 0
            Some(usage) => usage,
            None => return Err(invalid_field(1, Some(4))),
        };
        if let Some(i) = (4..8).find(|&i| list[i] != 0) {
            return Err(invalid_field(i, None));
        }
        let target_bytes = usize::from(list.be16(2));
        let segment_bytes = u64::from(list.be32(8));
        if list.be32(12) != 0 {
            return Err(invalid_field(12, None)); // no inline data
        }
        let descriptor_bytes = target_bytes as u64 + segment_bytes;
        if descriptor_bytes > u64::from(self.limits.max_descriptor_list_bytes)
            || HEADER_LEN as u64 + descriptor_bytes > list.len() as u64
        {
            return Err(length_error());
        }
        if target_bytes % CSCD_LEN != 0 {
            let partial = HEADER_LEN + target_bytes / CSCD_LEN * CSCD_LEN;
            return Err(in_list(Asc::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE, partial));
        }
        let targets = target_bytes / CSCD_LEN;
        if targets > usize::from(self.limits.max_target_descriptors) {
            return Err(in_list(Asc::TOO_MANY_TARGET_DESCRIPTORS, 2));
        }
        for i in 0..targets {
            self.check_cscd(HEADER_LEN + i * CSCD_LEN)?;
        }
        let segments_at = HEADER_LEN + target_bytes;
        let end = segments_at + segment_bytes as usize;
        let (mut at, mut segments) = (segments_at, 0);
        while at < end {
            if end - at < 4 || list[at] != BLOCK_TO_BLOCK {
                return Err(in_list(Asc::UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE, at));
            }
            if list.be16(at + 2) != (SEGMENT_LEN - 4) as u16 {
                return Err(invalid_field(at + 2, None));
            }
            if end - at < SEGMENT_LEN {
                return Err(in_list(Asc::UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE, at));
            }
            if segments == usize::from(self.limits.max_segment_descriptors) {
                return Err(in_list(Asc::TOO_MANY_SEGMENT_DESCRIPTORS, 8));
            }
            self.check_segment(at, targets)?;
            segments += 1;
            at += SEGMENT_LEN;
        }
        Ok(Layout { list_id: list[0], usage, targets, segments_at, segments })
    }

    /// An identification descriptor: binary, logical-unit, NAA designator of 16 bytes; DISK BLOCK LENGTH
    /// 0 or the named unit's.
    fn check_cscd(&self, at: usize) -> Result<(), Stop> {
        let d = &self.list[at..at + CSCD_LEN];
        let bad = |byte: usize, bit: Option<u8>| invalid_field(at + byte, bit);
        if d[0] != IDENTIFICATION_DESCRIPTOR {
            return Err(in_list(Asc::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE, at));
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
        let Some(lun) = find_unit(self.units, self.access, self.request.initiator, &designator(d)) else {
            return Ok(());
        };
        let unit = &self.units[lun];
        if !unit.usable() {
            return Err(Stop::Unhandled);
        }
        let disk_block_length = d.be24(29);
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
            return Err(invalid_field(at + 1, Some(7 - reserved.leading_zeros() as u8)));
        }
        let ids = [(d.be16(4), 4), (d.be16(6), 6)];
        for (id, byte) in ids {
            if id > LAST_LIST_INDEX && id != ADDRESSED_UNIT {
                return Err(invalid_field(at + byte, None));
            }
        }
        // MAXIMUM SEGMENT LENGTH in bytes of the first side that resolves.
        let blocks = u64::from(d.be16(10));
        let side = ids.iter().find_map(|&(id, _)| self.resolve(id, targets));
        if let Some(lun) = side
            && blocks * u64::from(self.units[lun].block_size) > u64::from(self.limits.max_segment_bytes)
        {
            return Err(invalid_field(at + 10, None));
        }
        Ok(())
    }

    /// Calls `f(unit, start, end)` for each segment's source and destination that resolve to a unit:
    /// the blocks the segment may touch there, clamped to the unit's capacity.
    fn for_each_range(&self, layout: &Layout, mut f: impl FnMut(usize, u64, u64)) {
        for number in 0..layout.segments {
            let d = &self.list[layout.segments_at + number * SEGMENT_LEN..][..SEGMENT_LEN];
            let blocks = u64::from(d.be16(10));
            for (id, lba) in [(d.be16(4), d.be64(12)), (d.be16(6), d.be64(20))] {
                if let Some(unit) = self.resolve(id, layout.targets) {
                    let capacity = self.units[unit].capacity();
                    f(unit, lba.min(capacity), lba.saturating_add(blocks).min(capacity));
                }
            }
        }
    }

    /// Runs the segments in order; the first that cannot start or fails part way ends the list with COPY
    /// ABORTED, after the segments before it (and the blocks of it done before the failure) were copied.
    fn run(&mut self, layout: &Layout, progress: &mut Progress, effects: &mut Effects<'_>) -> Result<(), Stop> {
        for number in 0..layout.segments {
            // Fewer segments than max_segment_descriptors (a u16) fit the list.
            let segment = number as u16;
            progress.segments_processed = segment + 1;
            let d = &self.list[layout.segments_at + number * SEGMENT_LEN..][..SEGMENT_LEN];
            let (blocks, source_lba, destination_lba) = (u64::from(d.be16(10)), d.be64(12), d.be64(20));
            let Some(src) = self.resolve(d.be16(4), layout.targets) else {
                return Err(Sense::copy_aborted(segment, Asc::COPY_TARGET_NOT_REACHABLE, 4).into());
            };
            let Some(dst) = self.resolve(d.be16(6), layout.targets) else {
                return Err(Sense::copy_aborted(segment, Asc::COPY_TARGET_NOT_REACHABLE, 6).into());
            };
            // The copy manager reads the source and writes the destination for the issuing I_T nexus.
            let initiator = self.request.initiator;
            if !self.access.permits(initiator, src as u16, ReservationClass::Read) {
                return Err(conflict(segment, 4, CopyTarget::Source));
            }
            if !self.access.permits(initiator, dst as u16, ReservationClass::Exclusive) {
                return Err(conflict(segment, 6, CopyTarget::Destination));
            }
            let (su, du) = (&self.units[src], &self.units[dst]);
            if su.block_size != du.block_size {
                return Err(Sense::copy_aborted(segment, Asc::INCORRECT_COPY_TARGET_DEVICE_TYPE, 6).into());
            }
            if let Err(inner) = lba_range(su, source_lba, blocks) {
                return Err(aborted(segment, 12, CopyTarget::Source, inner));
            }
            if let Err(inner) = lba_range(du, destination_lba, blocks) {
                return Err(aborted(segment, 20, CopyTarget::Destination, inner));
            }
            if let Err(inner) = writable(du) {
                return Err(aborted(segment, 6, CopyTarget::Destination, inner));
            }
            if blocks > 0 {
                self.segment(segment, (src, source_lba), (dst, destination_lba), blocks, progress, effects)?;
            }
        }
        Ok(())
    }

    /// Copies one segment as if its whole source were read first. A bad block stops it where a
    /// block-by-block copy would: running forward, or backward when the destination starts inside the
    /// source; the blocks done before it stay copied.
    fn segment(
        &mut self,
        number: u16,
        (src, s): (usize, u64),
        (dst, d): (usize, u64),
        blocks: u64,
        progress: &mut Progress,
        effects: &mut Effects<'_>,
    ) -> Result<(), Stop> {
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
        let done = to - from;
        move_blocks(self.units, (src, s + from), (dst, d + from), done)?;
        effects.wrote(dst as u16, d + from, d + to, Hint::Data);
        progress.bytes_moved += done * u64::from(self.units[dst].block_size);
        let Some((i, read)) = failure else { return Ok(()) };
        let (byte, from_target, inner) = if read {
            (12, CopyTarget::Source, read_error(s + i))
        } else {
            (20, CopyTarget::Destination, write_error(d + i))
        };
        let mut sense = copy_aborted_forwarding(number, byte, from_target, inner);
        if done > 0 {
            sense.information = Some(blocks - done); // the residual
        }
        Err(sense.into())
    }
}

/// COPY ABORTED for segment `number` forwarding a copy target's CHECK CONDITION, pointing at `byte`.
fn copy_aborted_forwarding(number: u16, byte: u16, from: CopyTarget, inner: Sense) -> Sense {
    Sense::copy_aborted(number, Asc::NO_ADDITIONAL_SENSE, byte).forwarding(Forwarded::check_condition(from, &inner))
}

/// COPY ABORTED for a copy target whose reservation conflicts: its RESERVATION CONFLICT forwarded as a
/// status without sense, the segment pointer at the CSCD ID naming it.
fn conflict(number: u16, byte: u16, from: CopyTarget) -> Stop {
    Sense::copy_aborted(number, Asc::NO_ADDITIONAL_SENSE, byte)
        .forwarding(Forwarded::status_only(from, RESERVATION_CONFLICT))
        .into()
}

fn aborted(number: u16, byte: u16, from: CopyTarget, inner: Sense) -> Stop {
    copy_aborted_forwarding(number, byte, from, inner).into()
}

/// INVALID FIELD IN PARAMETER LIST at list `byte` (and `bit`); list offsets fit 16 bits (the limits keep
/// the list under 64 KiB).
fn invalid_field(byte: usize, bit: Option<u8>) -> Stop {
    Sense::invalid_parameter_field(byte as u16, bit).into()
}

/// An ILLEGAL REQUEST `asc` pointing at list `byte`.
fn in_list(asc: Asc, byte: usize) -> Stop {
    Sense::parameter_field(asc, byte as u16, None).into()
}

/// Moves `blocks` from unit `src` at `s` to unit `dst` at `d`: `copy_within` (memmove) inside one unit,
/// `copy_from_slice` between two. The destination blocks become mapped.
fn move_blocks(
    units: &mut [Unit<'_>],
    (src, s): (usize, u64),
    (dst, d): (usize, u64),
    blocks: u64,
) -> Result<(), Stop> {
    if blocks == 0 {
        return Ok(());
    }
    if src == dst {
        let unit = &mut units[src];
        let from = unit.bytes(s, s + blocks);
        let to = unit.bytes(d, d + blocks).start;
        unit.data.copy_within(from, to);
        unit.mark(d, d + blocks, MAPPED);
    } else {
        // Two resolved units, distinct: never refused.
        let Ok([su, du]) = units.get_disjoint_mut([src, dst]) else { return Err(Stop::Unhandled) };
        let (from, to) = (su.bytes(s, s + blocks), du.bytes(d, d + blocks));
        du.data[to].copy_from_slice(&su.data[from]);
        du.mark(d, d + blocks, MAPPED);
    }
    Ok(())
}

pub(crate) fn extended_copy<A: Access>(
    units: &mut [Unit<'_>],
    limits: &Limits,
    access: &A,
    request: &Request<'_>,
    effects: &mut Effects<'_>,
) -> Outcome {
    let length = request.cdb.be32(10);
    if length == 0 {
        return Ok(0);
    }
    if request.data_out.len() as u64 != u64::from(length) {
        return Err(Sense::invalid_cdb_field(10, None).into());
    }
    let mut copy = Copy { units, limits: &limits.copy, access, request, list: request.data_out };
    let layout = copy.parse()?;
    let mut held = true;
    copy.for_each_range(&layout, |unit, start, end| held &= copy.units[unit].holds(start, end));
    if !held {
        return Err(Stop::Unhandled); // a window lent without blocks a segment may touch
    }
    let mut progress = Progress::default();
    let result = copy.run(&layout, &mut progress, effects);
    effects.copy = Some(CopySummary {
        list_id: (layout.usage != ListIdUsage::None).then_some(layout.list_id),
        usage: layout.usage,
        segments_processed: progress.segments_processed,
        bytes_moved: progress.bytes_moved,
        failed_segment: result.is_err().then(|| progress.segments_processed - 1),
    });
    result.map(|()| 0)
}

/// The blocks an EXTENDED COPY may touch on each unit ([`crate::FastPath::copy_footprint`]).
pub(crate) fn copy_footprint<A: Access>(
    units: &mut [Unit<'_>],
    limits: &Limits,
    access: &A,
    request: &Request<'_>,
    hulls: &mut [core::ops::Range<u64>],
) {
    hulls.iter_mut().for_each(|h| *h = 0..0);
    let length = request.cdb.be32(10);
    if length == 0 || request.data_out.len() as u64 != u64::from(length) {
        return;
    }
    let copy = Copy { units, limits: &limits.copy, access, request, list: request.data_out };
    let Ok(layout) = copy.parse() else { return };
    copy.for_each_range(&layout, |unit, start, end| {
        if let Some(hull) = hulls.get_mut(unit)
            && start < end
        {
            *hull = if hull.is_empty() { start..end } else { hull.start.min(start)..hull.end.max(end) };
        }
    });
}
