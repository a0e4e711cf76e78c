//! MODE SENSE and MODE SELECT (6) and (10): the control mode page, block descriptors, and D_SENSE switching
//! the sense format.

mod common;
use common::*;

use offload_model::config::{Limits, TargetConfig, UnitConfig};
use offload_model::scsi::Target;

/// MODE SENSE (6): byte 1 bit 3 DBD; byte 2 PC (7–6) and PAGE CODE (5–0); byte 3 SUBPAGE; byte 4 ALLOCATION.
fn mode_sense6(dbd: bool, pc: u8, page: u8, subpage: u8, allocation: u8) -> Vec<u8> {
    vec![0x1A, if dbd { 0x08 } else { 0 }, pc << 6 | page, subpage, allocation, 0]
}

/// MODE SENSE (10): byte 1 bit 4 LLBAA, bit 3 DBD; bytes 7–8 ALLOCATION LENGTH.
fn mode_sense10(llbaa: bool, dbd: bool, pc: u8, page: u8, subpage: u8, allocation: u16) -> Vec<u8> {
    let mut c = vec![0x5A, 0, pc << 6 | page, subpage, 0, 0, 0, 0, 0, 0];
    c[1] = if llbaa { 0x10 } else { 0 } | if dbd { 0x08 } else { 0 };
    c[7..9].copy_from_slice(&allocation.to_be_bytes());
    c
}

/// MODE SELECT (6): byte 1 bit 4 PF, bit 0 SP; byte 4 PARAMETER LIST LENGTH.
fn mode_select6(pf: bool, sp: bool, length: u8) -> Vec<u8> {
    vec![0x15, u8::from(pf) << 4 | u8::from(sp), 0, 0, length, 0]
}

/// MODE SELECT (10): byte 1 bit 4 PF, bit 0 SP; bytes 7–8 PARAMETER LIST LENGTH.
fn mode_select10(pf: bool, sp: bool, length: u16) -> Vec<u8> {
    let mut c = vec![0x55, u8::from(pf) << 4 | u8::from(sp), 0, 0, 0, 0, 0, 0, 0, 0];
    c[7..9].copy_from_slice(&length.to_be_bytes());
    c
}

/// The control mode page via MODE SENSE (6) with DBD=1.
fn control_page(t: &mut Target, lun: u16, pc: u8) -> Vec<u8> {
    let d = good(t, lun, mode_sense6(true, pc, 0x0A, 0, 255), vec![]);
    assert_eq!(usize::from(d[0]) + 1, d.len(), "MODE DATA LENGTH");
    assert_eq!(d[3], 0, "DBD: no block descriptor");
    assert_eq!(d.len(), 4 + 12);
    d[4..].to_vec()
}

// ==== MODE SENSE ====

#[test]
fn mode_sense6_control_page_current_values() {
    let mut t = thin_and_thick();
    let p = control_page(&mut t, 0, 0);
    assert_eq!(p[0] & 0x3F, 0x0A, "PAGE CODE");
    assert_eq!(p[0] & 0x40, 0, "SPF=0");
    assert_eq!(p[1], 0x0A, "PAGE LENGTH");
    assert!(p[2] >> 5 <= 1, "TST 000b or 001b");
    assert_eq!(p[2] & 0x04, 0, "D_SENSE=0 at power-on by default: fixed-format sense");
    assert!(p[3] >> 4 <= 1, "QUEUE ALGORITHM MODIFIER 0 or 1");
    assert_ne!((p[3] >> 1) & 3, 2, "QERR 10b is reserved");
    assert_ne!((p[4] >> 4) & 3, 1, "UA_INTLCK_CTRL 01b is reserved");
    assert!(p[5] & 7 <= 2, "AUTOLOAD MODE");
}

#[test]
fn mode_sense6_header_and_block_descriptor() {
    let mut t = target(vec![unit(4096, 512, true), unit(1000, 4096, false)], Limits::default());
    for (lun, blocks, size) in [(0u16, 4096u32, 512u32), (1, 1000, 4096)] {
        let d = good(&mut t, lun, mode_sense6(false, 0, 0x0A, 0, 255), vec![]);
        assert_eq!(usize::from(d[0]) + 1, d.len(), "MODE DATA LENGTH");
        assert_eq!(d[1], 0, "MEDIUM TYPE");
        assert_eq!(d[2] & 0x80, 0, "WP=0");
        assert_ne!(d[2] & 0x10, 0, "DPOFUA=1");
        assert_eq!(d[3], 8, "BLOCK DESCRIPTOR LENGTH");
        assert_eq!(d.be32(4), blocks, "NUMBER OF LOGICAL BLOCKS");
        assert_eq!(d.be24(9), size, "LOGICAL BLOCK LENGTH");
        assert_eq!(d[12..], control_page(&mut t, lun, 0)[..], "then the control page");
    }
}

#[test]
fn mode_sense10_header_and_block_descriptors() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 0, mode_sense10(false, false, 0, 0x0A, 0, 0xFFFF), vec![]);
    assert_eq!(usize::from(d.be16(0)) + 2, d.len(), "MODE DATA LENGTH");
    assert_ne!(d[3] & 0x10, 0, "DPOFUA=1");
    assert_eq!(d[4] & 1, 0, "LONGLBA=0");
    assert_eq!(d.be16(6), 8, "short descriptor");
    assert_eq!(d.be32(8), 4096);
    assert_eq!(d.be24(13), 512);
    assert_eq!(d[16..], control_page(&mut t, 0, 0)[..]);

    let d = good(&mut t, 0, mode_sense10(true, false, 0, 0x0A, 0, 0xFFFF), vec![]);
    assert_eq!(usize::from(d.be16(0)) + 2, d.len());
    assert_eq!(d[4] & 1, 1, "LONGLBA=1");
    assert_eq!(d.be16(6), 16, "long descriptor");
    assert_eq!(d.be64(8), 4096, "NUMBER OF LOGICAL BLOCKS");
    assert_eq!(d.be32(20), 512, "LOGICAL BLOCK LENGTH");
    assert_eq!(d[24..], control_page(&mut t, 0, 0)[..]);
}

#[test]
fn mode_sense_dbd_omits_the_block_descriptor() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 0, mode_sense6(true, 0, 0x0A, 0, 255), vec![]);
    assert_eq!((d[3], d.len()), (0, 16));
    for llbaa in [false, true] {
        let d = good(&mut t, 0, mode_sense10(llbaa, true, 0, 0x0A, 0, 0xFFFF), vec![]);
        assert_eq!((d.be16(6), d.len()), (0, 20));
        assert_eq!(d[4] & 1, 0, "LONGLBA=0 without a descriptor");
    }
}

#[test]
fn mode_sense_block_descriptor_of_a_unit_beyond_32_bits() {
    let mut t = target(vec![unit((1 << 32) + 7, 512, true)], Limits::default());
    let d = good(&mut t, 0, mode_sense6(false, 0, 0x0A, 0, 255), vec![]);
    assert_eq!(d.be32(4), 0xFFFF_FFFF, "the short descriptor saturates");
    let d = good(&mut t, 0, mode_sense10(true, false, 0, 0x0A, 0, 0xFFFF), vec![]);
    assert_eq!(d.be64(8), (1 << 32) + 7, "the long descriptor is exact");
}

#[test]
fn mode_sense_all_pages_contains_the_control_page() {
    let mut t = thin_and_thick();
    let control = control_page(&mut t, 0, 0);
    for subpage in [0x00, 0xFF] {
        let d = good(&mut t, 0, mode_sense6(true, 0, 0x3F, subpage, 255), vec![]);
        assert_eq!(usize::from(d[0]) + 1, d.len());
        let pages = &d[4..];
        let at = pages.windows(2).position(|w| w[0] & 0x3F == 0x0A && w[1] == 0x0A).expect("page 0Ah present");
        assert_eq!(pages[at..at + 12], control[..], "same as a direct fetch");
        let d = good(&mut t, 0, mode_sense10(false, true, 0, 0x3F, subpage, 0xFFFF), vec![]);
        assert_eq!(usize::from(d.be16(0)) + 2, d.len());
    }
}

#[test]
fn mode_sense_changeable_values_mark_only_d_sense_and_swp() {
    let mut t = thin_and_thick();
    let p = control_page(&mut t, 0, 1);
    assert_eq!((p[0] & 0x3F, p[1]), (0x0A, 0x0A));
    assert_eq!(p[2], 0x04, "D_SENSE is changeable");
    assert_eq!(p[4], 0x08, "SWP (byte 4, bit 3) is changeable");
    assert!(p[3] == 0 && p[5..].iter().all(|&b| b == 0), "nothing else: {p:02x?}");
}

#[test]
fn mode_sense_default_values_report_the_power_on_d_sense() {
    let mut t = thin_and_thick();
    assert_eq!(control_page(&mut t, 0, 2)[2] & 0x04, 0);
    let mut t = Target::new(TargetConfig { descriptor_sense: true, ..TargetConfig::default() }).unwrap();
    assert_ne!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "current D_SENSE=1");
    assert_ne!(control_page(&mut t, 0, 2)[2] & 0x04, 0, "default D_SENSE is the power-on value");
    let r = run(&mut t, 0, read16(u64::MAX, 1), vec![]);
    assert_eq!(r.sense[0], 0x72, "descriptor-format sense from power-on");
}

#[test]
fn mode_sense_saved_values_are_not_supported() {
    let mut t = thin_and_thick();
    let d = check(&mut t, 0, mode_sense6(false, 3, 0x0A, 0, 255), vec![]);
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::SAVING_PARAMETERS_NOT_SUPPORTED);
    let d = check(&mut t, 0, mode_sense10(false, false, 3, 0x3F, 0, 0xFFFF), vec![]);
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::SAVING_PARAMETERS_NOT_SUPPORTED);
}

#[test]
fn mode_sense_unsupported_page_is_invalid_field_at_page_code() {
    let mut t = thin_and_thick();
    for page in [0x00, 0x01, 0x1C, 0x19, 0x3E] {
        let d = check(&mut t, 0, mode_sense6(false, 0, page, 0, 255), vec![]);
        assert_invalid_cdb_field(&d, 2, Some(5));
        let d = check(&mut t, 0, mode_sense10(false, false, 0, page, 0, 0xFFFF), vec![]);
        assert_invalid_cdb_field(&d, 2, Some(5));
    }
}

#[test]
fn mode_sense_unsupported_subpage_is_invalid_field_at_subpage_code() {
    let mut t = thin_and_thick();
    for (page, subpage) in [(0x0A, 0x01), (0x0A, 0xFF), (0x3F, 0x01), (0x3F, 0xFE)] {
        assert_invalid_cdb_byte(&check(&mut t, 0, mode_sense6(false, 0, page, subpage, 255), vec![]), 3);
    }
}

#[test]
fn mode_sense_reports_wp_for_a_write_protected_unit() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected, unit(BLOCKS, 512, true)], Limits::default());
    let d = good(&mut t, 0, mode_sense6(true, 0, 0x0A, 0, 255), vec![]);
    assert_eq!(d[2] & 0x90, 0x90, "WP and DPOFUA");
    let d = good(&mut t, 0, mode_sense10(false, true, 0, 0x0A, 0, 0xFFFF), vec![]);
    assert_eq!(d[3] & 0x90, 0x90, "WP and DPOFUA");
    let d = good(&mut t, 1, mode_sense6(true, 0, 0x0A, 0, 255), vec![]);
    assert_eq!(d[2] & 0x90, 0x10, "DPOFUA only");
}

#[test]
fn mode_sense_allocation_length_truncates() {
    let mut t = thin_and_thick();
    let full = good(&mut t, 0, mode_sense6(false, 0, 0x3F, 0, 255), vec![]);
    for allocation in 0..=40u8 {
        let d = good(&mut t, 0, mode_sense6(false, 0, 0x3F, 0, allocation), vec![]);
        assert_eq!(d, full[..full.len().min(usize::from(allocation))], "allocation {allocation}");
    }
    let full = good(&mut t, 0, mode_sense10(true, false, 0, 0x0A, 0, 0xFFFF), vec![]);
    for allocation in 0..=40u16 {
        let d = good(&mut t, 0, mode_sense10(true, false, 0, 0x0A, 0, allocation), vec![]);
        assert_eq!(d, full[..full.len().min(usize::from(allocation))], "allocation {allocation}");
    }
}

// ==== MODE SELECT ====

/// A MODE SELECT (6) list: 4-byte header (no block descriptor) and the page.
fn select6_list(page: &[u8]) -> Vec<u8> {
    let mut list = vec![0, 0, 0, 0];
    list.extend(page);
    list
}

/// A MODE SELECT (10) list: 8-byte header (no block descriptor) and the page.
fn select10_list(page: &[u8]) -> Vec<u8> {
    let mut list = vec![0; 8];
    list.extend(page);
    list
}

/// The current control page with D_SENSE set as asked (PS cleared: reserved in MODE SELECT).
fn control_with_d_sense(t: &mut Target, d_sense: bool) -> Vec<u8> {
    let mut p = control_page(t, 0, 0);
    p[0] &= 0x7F;
    p[2] = p[2] & !0x04 | if d_sense { 0x04 } else { 0 };
    p
}

#[test]
fn mode_select_d_sense_switches_sense_to_descriptor_format_and_back() {
    let mut t = thin_and_thick();
    assert_eq!(run(&mut t, 0, read16(BLOCKS, 1), vec![]).sense[0], 0x70, "fixed format at first");

    let list = select6_list(&control_with_d_sense(&mut t, true));
    good(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_ne!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "MODE SENSE shows D_SENSE=1");
    let r = run(&mut t, 0, read16(BLOCKS, 1), vec![]);
    assert_eq!(r.sense[0], 0x72, "descriptor format");
    assert_lba_out_of_range(&sense_of(&r));

    let list = select10_list(&control_with_d_sense(&mut t, false));
    good(&mut t, 0, mode_select10(true, false, list.len() as u16), list);
    assert_eq!(control_page(&mut t, 0, 0)[2] & 0x04, 0);
    assert_eq!(run(&mut t, 0, read16(BLOCKS, 1), vec![]).sense[0], 0x70, "fixed format again");
}

#[test]
fn descriptor_format_sense_carries_information_and_field_pointers() {
    let mut t = bad_block_target();
    let list = select6_list(&control_with_d_sense(&mut t, true));
    good(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    let r = run(&mut t, 0, read10(99, 2), vec![]);
    assert_eq!(r.sense[0], 0x72);
    let d = sense_of(&r);
    assert_sense(&d, SenseKey::MEDIUM_ERROR, Asc::UNRECOVERED_READ_ERROR);
    assert_eq!(d.information, Some(100));
    let mut cdb = read10(0, 1);
    cdb[9] = 0x04;
    let r = run(&mut t, 0, cdb, vec![]);
    assert_eq!(r.sense[0], 0x72);
    assert_invalid_cdb_field(&sense_of(&r), 9, Some(2));
}

#[test]
fn mode_select_parameter_list_length_zero_is_good() {
    let mut t = thin_and_thick();
    good(&mut t, 0, mode_select6(true, false, 0), vec![]);
    good(&mut t, 0, mode_select10(true, false, 0), vec![]);
}

#[test]
fn mode_select_of_the_current_page_with_a_block_descriptor_is_good() {
    let mut t = thin_and_thick();
    let page = control_with_d_sense(&mut t, false);
    let mut list = vec![0, 0, 0, 8];
    list.extend((BLOCKS as u32).to_be_bytes());
    list.extend([0, 0, 0x02, 0x00]);
    list.extend(&page);
    good(&mut t, 0, mode_select6(true, false, list.len() as u8), list);

    let mut list = vec![0, 0, 0, 0, 1, 0, 0, 16]; // LONGLBA, descriptor length 16
    list.extend(BLOCKS.to_be_bytes());
    list.extend([0, 0, 0, 0]);
    list.extend(512u32.to_be_bytes());
    list.extend(&page);
    good(&mut t, 0, mode_select10(true, false, list.len() as u16), list);
}

#[test]
fn mode_select_block_descriptor_number_of_blocks_is_not_a_capacity_change() {
    // SBC-4 6.5.2: a unit that cannot change its capacity ignores NUMBER OF LOGICAL BLOCKS (0 is the
    // usual "do not change").
    let mut t = thin_and_thick();
    let page = control_with_d_sense(&mut t, false);
    for blocks in [0u32, 0xFFFF_FFFF, 100] {
        let mut list = vec![0, 0, 0, 8];
        list.extend(blocks.to_be_bytes());
        list.extend([0, 0, 0x02, 0x00]);
        list.extend(&page);
        good(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    }
    let d = good(&mut t, 0, read_capacity10(), vec![]);
    assert_eq!(d.be32(0), BLOCKS as u32 - 1, "capacity unchanged");
}

#[test]
fn mode_select_block_descriptor_with_another_block_length_is_invalid_parameter() {
    let mut t = thin_and_thick();
    let page = control_with_d_sense(&mut t, false);
    let mut list = vec![0, 0, 0, 8];
    list.extend((BLOCKS as u32).to_be_bytes());
    list.extend([0, 0, 0x10, 0x00]); // 4096
    list.extend(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    // LOGICAL BLOCK LENGTH starts at descriptor byte 5.
    assert_invalid_parameter_byte(&d, 4 + 5);

    let mut list = vec![0, 0, 0, 0, 1, 0, 0, 16];
    list.extend(BLOCKS.to_be_bytes());
    list.extend([0, 0, 0, 0]);
    list.extend(520u32.to_be_bytes());
    list.extend(&page);
    let d = check(&mut t, 0, mode_select10(true, false, list.len() as u16), list);
    // LOGICAL BLOCK LENGTH starts at long-descriptor byte 12.
    assert_invalid_parameter_byte(&d, 8 + 12);
}

#[test]
fn mode_select_with_pf_zero_is_invalid_field() {
    let mut t = thin_and_thick();
    let list = select6_list(&control_with_d_sense(&mut t, true));
    let d = check(&mut t, 0, mode_select6(false, false, list.len() as u8), list);
    assert_invalid_cdb_field(&d, 1, Some(4));
    let list = select10_list(&control_with_d_sense(&mut t, true));
    let d = check(&mut t, 0, mode_select10(false, false, list.len() as u16), list);
    assert_invalid_cdb_field(&d, 1, Some(4));
    assert_eq!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "nothing changed");
}

#[test]
fn mode_select_with_sp_one_is_invalid_field() {
    let mut t = thin_and_thick();
    let list = select6_list(&control_with_d_sense(&mut t, true));
    let d = check(&mut t, 0, mode_select6(true, true, list.len() as u8), list);
    assert_invalid_cdb_field(&d, 1, Some(0));
    let list = select10_list(&control_with_d_sense(&mut t, true));
    let d = check(&mut t, 0, mode_select10(true, true, list.len() as u16), list);
    assert_invalid_cdb_field(&d, 1, Some(0));
    assert_eq!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "nothing changed");
}

#[test]
fn mode_select_changing_an_unchangeable_bit_is_invalid_parameter_at_that_bit() {
    let mut t = thin_and_thick();
    let current = control_with_d_sense(&mut t, false);
    // (page byte, bit) of one-bit fields: GLTSD, RLEC, TMF_ONLY, NUAR, TAS, ATO.
    for (byte, bit) in [(2usize, 1u8), (2, 0), (2, 4), (3, 3), (5, 6), (5, 7)] {
        let mut page = current.clone();
        page[byte] ^= 1 << bit;
        let list = select6_list(&page);
        let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
        assert_invalid_parameter_field(&d, 4 + byte, Some(bit));
        let list = select10_list(&page);
        let d = check(&mut t, 0, mode_select10(true, false, list.len() as u16), list);
        assert_invalid_parameter_field(&d, 8 + byte, Some(bit));
    }
}

#[test]
fn mode_select_changing_a_multi_bit_field_points_at_its_first_bit() {
    let mut t = thin_and_thick();
    let current = control_with_d_sense(&mut t, false);
    // QUEUE ALGORITHM MODIFIER (byte 3 bits 7–4): flip its lowest bit.
    let mut page = current.clone();
    page[3] ^= 0x10;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_invalid_parameter_field(&d, 4 + 3, Some(7));
    // TST (byte 2 bits 7–5): set it to 001b.
    let mut page = current.clone();
    page[2] ^= 0x20;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_invalid_parameter_field(&d, 4 + 2, Some(7));
    // BUSY TIMEOUT PERIOD (bytes 8–9): change its low byte; the pointer names the field's first byte.
    let mut page = current.clone();
    page[9] ^= 0x01;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_invalid_parameter_byte(&d, 4 + 8);
    assert_eq!(control_page(&mut t, 0, 0)[..], current[..], "nothing changed");
}

#[test]
fn mode_select_of_an_unsupported_page_is_invalid_parameter() {
    let mut t = thin_and_thick();
    // The informational exceptions control page (1Ch), which the unit does not have.
    let mut exceptions = vec![0x1C, 0x0A];
    exceptions.resize(12, 0);
    let list = select6_list(&exceptions);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_PARAMETER_LIST);
    assert!(
        matches!(d.key_specific, Some(KeySpecific::Field { in_cdb: false, byte: 4, bit: None | Some(5) })),
        "PAGE CODE: {d:?}"
    );
}

#[test]
fn mode_select_with_ps_set_is_invalid_parameter() {
    let mut t = thin_and_thick();
    let mut page = control_with_d_sense(&mut t, true);
    page[0] |= 0x80;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_invalid_parameter_field(&d, 4, Some(7));
}

#[test]
fn mode_select_with_a_wrong_page_length_is_invalid_parameter() {
    let mut t = thin_and_thick();
    let mut page = control_with_d_sense(&mut t, true);
    page[1] = 0x08;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_invalid_parameter_byte(&d, 5);
}

#[test]
fn mode_select_truncated_parameter_list_is_parameter_list_length_error() {
    let mut t = thin_and_thick();
    let page = control_with_d_sense(&mut t, true);
    let list = select6_list(&page);
    for length in [1u8, 3, 5, 8, 15] {
        let d = check(&mut t, 0, mode_select6(true, false, length), list[..usize::from(length)].to_vec());
        assert_parameter_list_length_error(&d);
    }
    let list = select10_list(&page);
    for length in [1u16, 7, 9, 19] {
        let d = check(&mut t, 0, mode_select10(true, false, length), list[..usize::from(length)].to_vec());
        assert_parameter_list_length_error(&d);
    }
    // A block descriptor announced but cut short.
    let list = vec![0, 0, 0, 8, 0, 0, 0x10, 0];
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_parameter_list_length_error(&d);
    assert_eq!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "nothing changed");
}

// ==== SWP: software write protect ====

/// The control page as MODE SELECT takes it, with SWP as given.
fn control_with_swp(t: &mut Target, lun: u16, swp: bool) -> Vec<u8> {
    let mut p = control_page(t, lun, 0);
    p[0] &= 0x7F;
    p[4] = p[4] & !0x08 | if swp { 0x08 } else { 0 };
    p
}

fn set_swp(t: &mut Target, lun: u16, swp: bool) {
    let list = select6_list(&control_with_swp(t, lun, swp));
    good(t, lun, mode_select6(true, false, list.len() as u8), list);
}

/// SPC-4 control mode page SWP: writes get DATA PROTECT, LOGICAL UNIT SOFTWARE WRITE PROTECTED (27h/02h);
/// reads do not; the mode parameter header's WP bit reports it; clearing SWP restores writes.
#[test]
fn swp_write_protects_until_cleared() {
    let mut t = thin_and_thick();
    set_swp(&mut t, 0, true);
    assert_eq!(control_page(&mut t, 0, 0)[4] & 0x08, 0x08, "SWP reads back");
    assert_eq!(control_page(&mut t, 0, 2)[4] & 0x08, 0, "the default stays 0");
    let header = good(&mut t, 0, mode_sense6(true, 0, 0x0A, 0, 255), vec![]);
    assert_eq!(header[2] & 0x80, 0x80, "WP=1");
    good(&mut t, 0, read10(0, 1), vec![]);
    let software = Asc(0x27, 0x02);
    for (cdb, data) in [
        (write10(0, 1), vec![1; 512]),
        (write16(0, 1), vec![1; 512]),
        (write6(0, 1), vec![1; 512]),
        (write12(0, 1), vec![1; 512]),
        (write_atomic16(0, 0, 1), vec![1; 512]),
        (write_same16(0, 0, 1), vec![1; 512]),
        (compare_and_write(0, 1), vec![0; 1024]),
    ] {
        assert_sense(&check(&mut t, 0, cdb, data), SenseKey::DATA_PROTECT, software);
    }
    let list = unmap_list(&[(0, 1)]);
    assert_sense(&check(&mut t, 0, unmap(false, list.len() as u16), list), SenseKey::DATA_PROTECT, software);
    // Unit 1 is not affected: mode pages are per logical unit.
    good(&mut t, 1, write10(0, 1), vec![2; 512]);
    set_swp(&mut t, 0, false);
    let header = good(&mut t, 0, mode_sense6(true, 0, 0x0A, 0, 255), vec![]);
    assert_eq!(header[2] & 0x80, 0, "WP=0 again");
    good(&mut t, 0, write10(0, 1), vec![3; 512]);
}

/// A unit write-protected by its configuration keeps WRITE PROTECTED (27h/00h) with SWP set too.
#[test]
fn configured_write_protection_keeps_its_answer_under_swp() {
    let protected = UnitConfig { write_protected: true, ..unit(64, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    set_swp(&mut t, 0, true);
    assert_write_protected(&check(&mut t, 0, write10(0, 1), vec![1; 512]));
    let header = good(&mut t, 0, mode_sense6(true, 0, 0x0A, 0, 255), vec![]);
    assert_eq!(header[2] & 0x80, 0x80, "WP=1");
}
