//! Builders for CDBs and parameter lists, written from the SBC-4 / SPC-4 layouts. The vector catalogue,
//! the tests and the fuzzers' seed corpora build their commands with these.

pub fn read10(lba: u32, blocks: u16) -> Vec<u8> {
    let mut c = vec![0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    c[2..6].copy_from_slice(&lba.to_be_bytes());
    c[7..9].copy_from_slice(&blocks.to_be_bytes());
    c
}

pub fn write10(lba: u32, blocks: u16) -> Vec<u8> {
    let mut c = read10(lba, blocks);
    c[0] = 0x2A;
    c
}

/// READ (6): a 21-bit LBA and a one-byte TRANSFER LENGTH (0 means 256 blocks).
pub fn read6(lba: u32, blocks: u8) -> Vec<u8> {
    let lba = lba.to_be_bytes();
    vec![0x08, lba[1] & 0x1F, lba[2], lba[3], blocks, 0]
}

pub fn write6(lba: u32, blocks: u8) -> Vec<u8> {
    let mut c = read6(lba, blocks);
    c[0] = 0x0A;
    c
}

pub fn read12(lba: u32, blocks: u32) -> Vec<u8> {
    let mut c = vec![0u8; 12];
    c[0] = 0xA8;
    c[2..6].copy_from_slice(&lba.to_be_bytes());
    c[6..10].copy_from_slice(&blocks.to_be_bytes());
    c
}

pub fn write12(lba: u32, blocks: u32) -> Vec<u8> {
    let mut c = read12(lba, blocks);
    c[0] = 0xAA;
    c
}

/// WRITE ATOMIC (16): ATOMIC BOUNDARY at bytes 10–11, TRANSFER LENGTH at 12–13.
pub fn write_atomic16(lba: u64, boundary: u16, blocks: u16) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x9C;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[10..12].copy_from_slice(&boundary.to_be_bytes());
    c[12..14].copy_from_slice(&blocks.to_be_bytes());
    c
}

/// PRE-FETCH (10); `flags` is CDB byte 1 (IMMED 02h).
pub fn pre_fetch10(flags: u8, lba: u32, blocks: u16) -> Vec<u8> {
    let mut c = read10(lba, blocks);
    c[0] = 0x34;
    c[1] = flags;
    c
}

/// PRE-FETCH (16); `flags` is CDB byte 1 (IMMED 02h).
pub fn pre_fetch16(flags: u8, lba: u64, blocks: u32) -> Vec<u8> {
    let mut c = read16(lba, blocks);
    c[0] = 0x90;
    c[1] = flags;
    c
}

/// START STOP UNIT; `byte4` holds POWER CONDITION (bits 7–4), NO_FLUSH 04h, LOEJ 02h and START 01h.
pub fn start_stop_unit(immed: bool, byte4: u8) -> Vec<u8> {
    vec![0x1B, u8::from(immed), 0, 0, byte4, 0]
}

/// READ DEFECT DATA (10); `byte2` holds REQ_PLIST 10h, REQ_GLIST 08h and DEFECT LIST FORMAT (bits 2–0).
pub fn read_defect_data10(byte2: u8, allocation: u16) -> Vec<u8> {
    let mut c = vec![0x37, 0, byte2, 0, 0, 0, 0, 0, 0, 0];
    c[7..9].copy_from_slice(&allocation.to_be_bytes());
    c
}

/// READ DEFECT DATA (12); `byte1` holds REQ_PLIST 10h, REQ_GLIST 08h and DEFECT LIST FORMAT.
pub fn read_defect_data12(byte1: u8, index: u32, allocation: u32) -> Vec<u8> {
    let mut c = vec![0u8; 12];
    c[0] = 0xB7;
    c[1] = byte1;
    c[2..6].copy_from_slice(&index.to_be_bytes());
    c[6..10].copy_from_slice(&allocation.to_be_bytes());
    c
}

pub fn read16(lba: u64, blocks: u32) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x88;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[10..14].copy_from_slice(&blocks.to_be_bytes());
    c
}

pub fn write16(lba: u64, blocks: u32) -> Vec<u8> {
    let mut c = read16(lba, blocks);
    c[0] = 0x8A;
    c
}

pub fn compare_and_write(lba: u64, blocks: u8) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x89;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[13] = blocks;
    c
}

/// A 10-, 12- or 16-byte block command (SBC-4's common layout): operation code, `flags` in byte 1, LBA
/// at byte 2, the block count at byte 7, 6 or 10 — as wide as the CDB's layout gives it room.
fn block_command(opcode: u8, flags: u8, lba: u64, blocks: u32) -> Vec<u8> {
    let mut c = match opcode >> 5 {
        1 | 2 => {
            let mut c = vec![0u8; 10];
            c[2..6].copy_from_slice(&(lba as u32).to_be_bytes());
            c[7..9].copy_from_slice(&(blocks as u16).to_be_bytes());
            c
        }
        5 => {
            let mut c = vec![0u8; 12];
            c[2..6].copy_from_slice(&(lba as u32).to_be_bytes());
            c[6..10].copy_from_slice(&blocks.to_be_bytes());
            c
        }
        _ => {
            let mut c = vec![0u8; 16];
            c[2..10].copy_from_slice(&lba.to_be_bytes());
            c[10..14].copy_from_slice(&blocks.to_be_bytes());
            c
        }
    };
    c[0] = opcode;
    c[1] = flags;
    c
}

/// VERIFY (10), (12) or (16) by `cdb_len`; `flags` is byte 1 (VRPROTECT E0h, DPO 10h, BYTCHK 06h). The
/// LBA and VERIFICATION LENGTH are cut to the CDB's fields.
pub fn verify(cdb_len: usize, flags: u8, lba: u64, blocks: u32) -> Vec<u8> {
    block_command(sized_opcode(cdb_len, [0x2F, 0xAF, 0x8F]), flags, lba, blocks)
}

/// WRITE AND VERIFY (10), (12) or (16) by `cdb_len`; `flags` is byte 1 (WRPROTECT E0h, DPO 10h, BYTCHK
/// 06h).
pub fn write_and_verify(cdb_len: usize, flags: u8, lba: u64, blocks: u32) -> Vec<u8> {
    block_command(sized_opcode(cdb_len, [0x2E, 0xAE, 0x8E]), flags, lba, blocks)
}

/// ORWRITE (16); `flags` is byte 1 (ORPROTECT E0h, DPO 10h, FUA 08h).
pub fn orwrite16(flags: u8, lba: u64, blocks: u32) -> Vec<u8> {
    block_command(0x8B, flags, lba, blocks)
}

/// The operation code of the 10-, 12- or 16-byte form.
fn sized_opcode(cdb_len: usize, [ten, twelve, sixteen]: [u8; 3]) -> u8 {
    match cdb_len {
        10 => ten,
        12 => twelve,
        _ => sixteen,
    }
}

/// WRITE SAME (10); `flags` is CDB byte 1 (ANCHOR 10h, UNMAP 08h, PBDATA 04h, LBDATA 02h).
pub fn write_same10(flags: u8, lba: u32, blocks: u16) -> Vec<u8> {
    let mut c = vec![0x41, flags, 0, 0, 0, 0, 0, 0, 0, 0];
    c[2..6].copy_from_slice(&lba.to_be_bytes());
    c[7..9].copy_from_slice(&blocks.to_be_bytes());
    c
}

/// WRITE SAME (16); `flags` is CDB byte 1 (adds NDOB 01h).
pub fn write_same16(flags: u8, lba: u64, blocks: u32) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x93;
    c[1] = flags;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[10..14].copy_from_slice(&blocks.to_be_bytes());
    c
}

/// SYNCHRONIZE CACHE (10); `flags` is CDB byte 1 (IMMED 02h).
pub fn synchronize_cache10(flags: u8, lba: u32, blocks: u16) -> Vec<u8> {
    let mut c = vec![0x35, flags, 0, 0, 0, 0, 0, 0, 0, 0];
    c[2..6].copy_from_slice(&lba.to_be_bytes());
    c[7..9].copy_from_slice(&blocks.to_be_bytes());
    c
}

/// SYNCHRONIZE CACHE (16); `flags` is CDB byte 1 (IMMED 02h).
pub fn synchronize_cache16(flags: u8, lba: u64, blocks: u32) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x91;
    c[1] = flags;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[10..14].copy_from_slice(&blocks.to_be_bytes());
    c
}

pub fn unmap(anchor: bool, parameter_list_length: u16) -> Vec<u8> {
    let mut c = vec![0x42, u8::from(anchor), 0, 0, 0, 0, 0, 0, 0, 0];
    c[7..9].copy_from_slice(&parameter_list_length.to_be_bytes());
    c
}

/// An UNMAP parameter list with consistent header lengths.
pub fn unmap_list(ranges: &[(u64, u32)]) -> Vec<u8> {
    let mut p = vec![0u8; 8];
    for (lba, n) in ranges {
        p.extend(lba.to_be_bytes());
        p.extend(n.to_be_bytes());
        p.extend([0u8; 4]);
    }
    let len = p.len() as u16;
    p[0..2].copy_from_slice(&(len - 2).to_be_bytes());
    p[2..4].copy_from_slice(&(len - 8).to_be_bytes());
    p
}

pub fn get_lba_status(lba: u64, allocation: u32) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x9E;
    c[1] = 0x12;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[10..14].copy_from_slice(&allocation.to_be_bytes());
    c
}

pub fn read_capacity16(allocation: u32) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x9E;
    c[1] = 0x10;
    c[10..14].copy_from_slice(&allocation.to_be_bytes());
    c
}

pub fn test_unit_ready() -> Vec<u8> {
    vec![0; 6]
}

/// REQUEST SENSE (6): DESC selects descriptor-format sense data.
pub fn request_sense(desc: bool, allocation: u8) -> Vec<u8> {
    vec![0x03, u8::from(desc), 0, 0, allocation, 0]
}

pub fn report_luns(allocation: u32) -> Vec<u8> {
    let mut c = vec![0u8; 12];
    c[0] = 0xA0;
    c[6..10].copy_from_slice(&allocation.to_be_bytes());
    c
}

pub fn inquiry(evpd: bool, page: u8, allocation: u16) -> Vec<u8> {
    let mut c = vec![0x12, u8::from(evpd), page, 0, 0, 0];
    c[3..5].copy_from_slice(&allocation.to_be_bytes());
    c
}

pub fn extended_copy(parameter_list_length: u32) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x83;
    c[10..14].copy_from_slice(&parameter_list_length.to_be_bytes());
    c
}

pub fn receive_copy_results(service_action: u8, list_id: u8, allocation: u32) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x84;
    c[1] = service_action;
    c[2] = list_id;
    c[10..14].copy_from_slice(&allocation.to_be_bytes());
    c
}

/// An E4h identification CSCD descriptor naming `naa`, with DISK BLOCK LENGTH `block_size`.
pub fn cscd(naa: &[u8], block_size: u32) -> Vec<u8> {
    let mut d = vec![0u8; 32];
    d[0] = 0xE4;
    d[4] = 0x01;
    d[5] = 0x03;
    d[7] = 16;
    d[8..24].copy_from_slice(naa);
    d[29..32].copy_from_slice(&block_size.to_be_bytes()[1..]);
    d
}

/// A 02h block-to-block segment descriptor.
pub fn segment(source: u16, destination: u16, blocks: u16, source_lba: u64, destination_lba: u64) -> Vec<u8> {
    let mut d = vec![0u8; 28];
    d[0] = 0x02;
    d[2..4].copy_from_slice(&0x18u16.to_be_bytes());
    d[4..6].copy_from_slice(&source.to_be_bytes());
    d[6..8].copy_from_slice(&destination.to_be_bytes());
    d[10..12].copy_from_slice(&blocks.to_be_bytes());
    d[12..20].copy_from_slice(&source_lba.to_be_bytes());
    d[20..28].copy_from_slice(&destination_lba.to_be_bytes());
    d
}

/// An EXTENDED COPY parameter list: header (list ID, LIST ID USAGE in bits 4–3 of byte 1), then the
/// CSCD and segment descriptors.
pub fn copy_list(list_id: u8, usage: u8, cscds: &[Vec<u8>], segments: &[Vec<u8>]) -> Vec<u8> {
    let targets: Vec<u8> = cscds.concat();
    let segs: Vec<u8> = segments.concat();
    let mut p = vec![0u8; 16];
    p[0] = list_id;
    p[1] = usage << 3;
    p[2..4].copy_from_slice(&(targets.len() as u16).to_be_bytes());
    p[8..12].copy_from_slice(&(segs.len() as u32).to_be_bytes());
    p.extend(targets);
    p.extend(segs);
    p
}

/// RESERVE (6) (SPC-2 7.21.1).
pub fn reserve6() -> Vec<u8> {
    vec![0x16, 0, 0, 0, 0, 0]
}

/// RELEASE (6) (SPC-2 7.16.1).
pub fn release6() -> Vec<u8> {
    vec![0x17, 0, 0, 0, 0, 0]
}

/// RESERVE (10) (SPC-2 7.21.2) without third-party fields.
pub fn reserve10() -> Vec<u8> {
    vec![0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0]
}

/// RELEASE (10) (SPC-2 7.16.2) without third-party fields.
pub fn release10() -> Vec<u8> {
    vec![0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0]
}

/// PERSISTENT RESERVE IN (SPC-4 6.15.1): SERVICE ACTION, ALLOCATION LENGTH.
pub fn persistent_reserve_in(service_action: u8, allocation: u16) -> Vec<u8> {
    let mut c = vec![0x5E, service_action, 0, 0, 0, 0, 0, 0, 0, 0];
    c[7..9].copy_from_slice(&allocation.to_be_bytes());
    c
}

/// PERSISTENT RESERVE OUT (SPC-4 6.16.1): SERVICE ACTION, TYPE (LU_SCOPE), PARAMETER LIST LENGTH 24.
pub fn persistent_reserve_out(service_action: u8, reservation_type: u8) -> Vec<u8> {
    let mut c = vec![0x5F, service_action, reservation_type & 0x0F, 0, 0, 0, 0, 0, 0, 0];
    c[5..9].copy_from_slice(&24u32.to_be_bytes());
    c
}

/// The PERSISTENT RESERVE OUT parameter list (SPC-4 6.16.3): RESERVATION KEY, SERVICE ACTION
/// RESERVATION KEY, and byte 20's SPEC_I_PT / ALL_TG_PT / APTPL `flags`.
pub fn prout_list(key: u64, service_action_key: u64, flags: u8) -> Vec<u8> {
    let mut list = vec![0u8; 24];
    list[0..8].copy_from_slice(&key.to_be_bytes());
    list[8..16].copy_from_slice(&service_action_key.to_be_bytes());
    list[20] = flags;
    list
}
