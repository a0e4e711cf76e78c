//! INQUIRY (SPC-4 6.6): standard data and the vital product data pages 00h, 80h, 83h, 8Fh, B0h, B1h,
//! B2h.

use offload_scsi::{Asc, Fields, Sense};

use super::checks::truncate;
use super::copy_manager::{DATA_SEGMENT_GRANULARITY_LOG2, IMPLEMENTED_DESCRIPTORS};
use super::port_groups::{RELATIVE_TARGET_PORT, TARGET_PORT_GROUP, TPGS_IMPLICIT};
use super::{Ctx, HandlerResult, Outcome, TargetState};
use crate::config::{Limits, UnitConfig, naa_designator};

pub const VENDOR: &[u8; 8] = b"OFFLOAD ";
pub const PRODUCT: &[u8; 16] = b"VAAI OFFLOAD    ";
pub const REVISION: &[u8; 4] = b"0001";

/// VPD pages, in ascending order (the order page 00h lists them).
pub const SUPPORTED_VPD_PAGES: [u8; 7] = [0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2];

/// Version descriptors: SAM-5, SPC-4, SBC-3 (hosts test for it before trusting a 3Ch-long B0h), SBC-4.
const VERSION_DESCRIPTORS: [u16; 4] = [0x00A0, 0x0460, 0x04C0, 0x0600];

pub fn inquiry(state: &TargetState, ctx: &Ctx, lun_reachable: bool) -> HandlerResult {
    let evpd = ctx.cdb[1] & 1 != 0;
    let page = ctx.cdb[2];
    let allocation = usize::from(ctx.cdb.be16(3));
    if !evpd && page != 0 {
        return Err(Sense::invalid_cdb_field(2, None));
    }
    let data = if !evpd {
        standard(lun_reachable)
    } else if !lun_reachable {
        return Err(Sense::illegal(Asc::LOGICAL_UNIT_NOT_SUPPORTED));
    } else {
        let unit = state.unit_config(ctx.lun);
        let body = match page {
            0x00 => SUPPORTED_VPD_PAGES.to_vec(),
            0x80 => serial_number(ctx.lun).into_bytes(),
            0x83 => device_identification(unit, ctx.lun),
            0x8F => third_party_copy(&state.config.limits),
            0xB0 => block_limits(&state.config.limits, unit),
            0xB1 => block_device_characteristics(),
            0xB2 => logical_block_provisioning(unit),
            _ => return Err(Sense::invalid_cdb_field(2, None)),
        };
        let mut data = vec![0x00, page];
        data.extend((body.len() as u16).to_be_bytes());
        data.extend(body);
        data
    };
    Ok(Outcome::Done(truncate(data, allocation)))
}

/// Standard INQUIRY data: a direct-access block device, SPC-4, with implicit asymmetric access (TPGS,
/// see [`super::port_groups`]), third-party copy (3PC) and command queuing; peripheral qualifier 011b
/// for a LUN the initiator cannot reach.
pub fn standard(lun_reachable: bool) -> Vec<u8> {
    let mut d = vec![0u8; 96];
    d[0] = if lun_reachable { 0x00 } else { 0x7F };
    d[2] = 0x06; // SPC-4
    d[3] = 0x02; // RESPONSE DATA FORMAT
    d[4] = (d.len() - 5) as u8;
    d[5] = TPGS_IMPLICIT << 4 | 0x08; // TPGS, 3PC
    d[7] = 0x02; // CMDQUE
    d[8..16].copy_from_slice(VENDOR);
    d[16..32].copy_from_slice(PRODUCT);
    d[32..36].copy_from_slice(REVISION);
    for (i, v) in VERSION_DESCRIPTORS.iter().enumerate() {
        d[58 + 2 * i..60 + 2 * i].copy_from_slice(&v.to_be_bytes());
    }
    d
}

/// VPD 80h: the unit serial number.
pub fn serial_number(lun: u16) -> String {
    format!("OFFLOAD{lun:05}")
}

/// VPD 83h: the logical unit's NAA-6 designator, then the target port's RELATIVE TARGET PORT and
/// TARGET PORT GROUP designators (SPC-4 7.8.6.6.7, 7.8.6.6.8), which multipath hosts read. The NAA comes
/// first and is the only designator associated with the logical unit, so a host that keeps one LU
/// designator (QEMU: association LU, type 3 or below) keeps it. The port designators have PIV=0: the
/// model is not tied to one transport protocol.
fn device_identification(unit: &UnitConfig, lun: u16) -> Vec<u8> {
    // Both port designators: 2 reserved bytes, then the 16-bit identifier.
    let port_identifier = |id: u16| [[0, 0], id.to_be_bytes()].concat();
    [
        binary_designator(ASSOCIATION_LU, TYPE_NAA, &naa_designator(unit, lun)),
        binary_designator(ASSOCIATION_TARGET_PORT, TYPE_RELATIVE_TARGET_PORT, &port_identifier(RELATIVE_TARGET_PORT)),
        binary_designator(ASSOCIATION_TARGET_PORT, TYPE_TARGET_PORT_GROUP, &port_identifier(TARGET_PORT_GROUP)),
    ]
    .concat()
}

const ASSOCIATION_LU: u8 = 0b00;
const ASSOCIATION_TARGET_PORT: u8 = 0b01;
const TYPE_NAA: u8 = 0x3;
const TYPE_RELATIVE_TARGET_PORT: u8 = 0x4;
const TYPE_TARGET_PORT_GROUP: u8 = 0x5;

/// One designation descriptor (SPC-4 7.8.6.1): CODE SET 1h (binary), PIV=0, PROTOCOL IDENTIFIER 0.
fn binary_designator(association: u8, kind: u8, designator: &[u8]) -> Vec<u8> {
    let mut d = vec![0x01, association << 4 | kind, 0x00, designator.len() as u8];
    d.extend(designator);
    d
}

/// VPD B0h, SBC-4 length (3Ch).
fn block_limits(limits: &Limits, unit: &UnitConfig) -> Vec<u8> {
    let mut d = vec![0u8; 0x3C];
    // Offsets below are page offsets minus the 4-byte header.
    d[0] = u8::from(limits.write_same_non_zero);
    d[1] = limits.max_compare_and_write_blocks;
    // OPTIMAL TRANSFER LENGTH GRANULARITY: one physical block — a shorter or unaligned write would
    // need a read-modify-write of a physical block on the medium this unit models.
    let granularity = u16::try_from(unit.logical_blocks_per_physical_block()).unwrap_or(u16::MAX);
    d[2..4].copy_from_slice(&granularity.to_be_bytes());
    d[4..8].copy_from_slice(&limits.max_transfer_blocks.to_be_bytes());
    if unit.thin {
        d[16..20].copy_from_slice(&limits.max_unmap_blocks.to_be_bytes());
        d[20..24].copy_from_slice(&limits.max_unmap_descriptors.to_be_bytes());
        d[24..28].copy_from_slice(&limits.unmap_granularity.to_be_bytes());
        d[28..32].copy_from_slice(&0x8000_0000u32.to_be_bytes()); // UGAVALID, alignment 0
    }
    d[32..40].copy_from_slice(&limits.max_write_same_blocks.to_be_bytes());
    // WRITE ATOMIC (16): what one engine job under one range lock covers.
    let atomic = limits.atomic();
    d[40..44].copy_from_slice(&atomic.max_transfer_blocks.to_be_bytes());
    d[44..48].copy_from_slice(&atomic.alignment.to_be_bytes());
    d[48..52].copy_from_slice(&atomic.granularity.to_be_bytes());
    d[52..56].copy_from_slice(&atomic.max_transfer_with_boundary_blocks.to_be_bytes());
    d[56..60].copy_from_slice(&atomic.max_boundary_blocks.to_be_bytes());
    d
}

/// VPD B1h (SBC-4 6.6.2): a non-rotating medium (MEDIUM ROTATION RATE 0001h); product type, form
/// factor and the zoned, FUAB and VBULS bits all zero (not indicated / not reported / not supported).
fn block_device_characteristics() -> Vec<u8> {
    let mut d = vec![0u8; 0x3C];
    d[0..2].copy_from_slice(&0x0001u16.to_be_bytes());
    d
}

/// VPD B2h: thin units support UNMAP, WRITE SAME (16) and (10) with UNMAP, read zeros when deallocated
/// (LBPRZ=001b) and support anchoring; thick units none of it.
fn logical_block_provisioning(unit: &UnitConfig) -> Vec<u8> {
    let flags = if unit.thin { 0x80 | 0x40 | 0x20 | 0x04 | 0x02 } else { 0 };
    let provisioning_type = if unit.thin { 2 } else { 0 };
    vec![0x00, flags, provisioning_type, 0x00]
}

/// VPD 8Fh: third-party copy descriptors for EXTENDED COPY (LID1) — supported commands, parameter
/// data, supported descriptors, supported CSCD IDs and general copy operations (SPC-4 7.8.17).
fn third_party_copy(limits: &Limits) -> Vec<u8> {
    let c = &limits.copy;
    let mut page = Vec::new();
    // 0001h Supported Commands: 83h/00h and 84h/00h, 03h, 04h.
    let commands = [0x83, 0x01, 0x00, 0x84, 0x03, 0x00, 0x03, 0x04];
    let mut body = vec![commands.len() as u8];
    body.extend(commands);
    push_descriptor(&mut page, 0x0001, body);
    // 0004h Parameter Data.
    let mut body = vec![0u8; 28];
    body[4..6].copy_from_slice(&c.max_target_descriptors.to_be_bytes());
    body[6..8].copy_from_slice(&c.max_segment_descriptors.to_be_bytes());
    body[8..12].copy_from_slice(&c.max_descriptor_list_bytes.to_be_bytes());
    push_descriptor(&mut page, 0x0004, body);
    // 0008h Supported Descriptors: block-to-block segments and identification CSCD descriptors.
    let implemented = IMPLEMENTED_DESCRIPTORS;
    let mut body = vec![implemented.len() as u8];
    body.extend(implemented);
    push_descriptor(&mut page, 0x0008, body);
    // 000Ch Supported CSCD Descriptor IDs: FFFFh, the logical unit that received the command.
    push_descriptor(&mut page, 0x000C, vec![0x00, 0x02, 0xFF, 0xFF]);
    // 8001h General Copy Operations.
    let mut body = vec![0u8; 32];
    body[0..4].copy_from_slice(&u32::from(c.concurrent_copies).to_be_bytes());
    body[4..8].copy_from_slice(&u32::from(c.concurrent_copies).to_be_bytes());
    body[8..12].copy_from_slice(&c.max_segment_bytes.to_be_bytes());
    body[12] = DATA_SEGMENT_GRANULARITY_LOG2;
    push_descriptor(&mut page, 0x8001, body);
    page
}

/// Appends a third-party copy descriptor, padded to a multiple of four bytes.
fn push_descriptor(page: &mut Vec<u8>, kind: u16, mut body: Vec<u8>) {
    body.resize(body.len().next_multiple_of(4), 0);
    page.extend(kind.to_be_bytes());
    page.extend((body.len() as u16).to_be_bytes());
    page.extend(body);
}
