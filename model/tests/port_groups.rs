//! Target port groups, as multipath hosts read them: TPGS in standard INQUIRY, the RELATIVE TARGET PORT
//! and TARGET PORT GROUP designators of VPD 83h, and REPORT TARGET PORT GROUPS (SPC-4 6.36) agreeing on
//! one group, one port, active/optimized.

mod common;
use common::*;

use offload_model::scsi::Target;

fn vpd(t: &mut Target, lun: u16, page: u8) -> Vec<u8> {
    good(t, lun, inquiry(true, page, 255), vec![])
}

fn rtpg(format: u8, allocation: u32) -> Vec<u8> {
    let a = allocation.to_be_bytes();
    vec![0xA3, format << 5 | 0x0A, 0, 0, 0, 0, a[0], a[1], a[2], a[3], 0, 0]
}

/// Every designation descriptor of VPD 83h: (code set, PIV, association, type, designator).
fn designators(page: &[u8]) -> Vec<(u8, bool, u8, u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 4;
    while at < page.len() {
        let len = usize::from(page[at + 3]);
        let d = &page[at..at + 4 + len];
        out.push((d[0] & 0x0F, d[1] & 0x80 != 0, (d[1] >> 4) & 3, d[1] & 0x0F, d[4..].to_vec()));
        at += 4 + len;
    }
    assert_eq!(at, page.len(), "descriptors tile the page");
    out
}

#[test]
fn vpd_83_names_the_target_port_and_its_group() {
    let mut t = thin_and_thick();
    for lun in 0..2 {
        let all = designators(&vpd(&mut t, lun, 0x83));
        let port: Vec<_> = all.iter().filter(|d| d.2 == 0b01).collect();
        // SPC-4 7.8.6.6.7 / 7.8.6.6.8: 4 bytes, the identifier in bytes 2-3; binary code set.
        assert_eq!(port.len(), 2, "{all:02x?}");
        assert!(port.contains(&&(1, false, 0b01, 0x4, vec![0, 0, 0, 1])), "relative target port 1: {all:02x?}");
        assert!(port.contains(&&(1, false, 0b01, 0x5, vec![0, 0, 0, 1])), "target port group 1: {all:02x?}");
        // QEMU's choice (association LU, type <= 3, highest type wins) and Linux's LU id: the NAA alone.
        let lu: Vec<_> = all.iter().filter(|d| d.2 == 0 && d.3 <= 3).collect();
        assert_eq!(lu.len(), 1, "{all:02x?}");
        assert_eq!((lu[0].3, lu[0].4.clone()), (0x3, naa_of(&mut t, lun)));
    }
}

#[test]
fn report_target_port_groups_reports_one_active_optimized_group() {
    let mut t = thin_and_thick();
    // The descriptor SPC-4 6.36 table 184 lays out: state 0 (active/optimized), AO_SUP, group 1, status 0,
    // one port; then the port's relative identifier 1.
    let descriptor = [0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01];
    for lun in 0..2 {
        let d = good(&mut t, lun, rtpg(0, 1024), vec![]);
        assert_eq!(d.be32(0), 12, "RETURN DATA LENGTH");
        assert_eq!(&d[4..], &descriptor);
        let e = good(&mut t, lun, rtpg(1, 1024), vec![]);
        assert_eq!(e.be32(0), 16, "RETURN DATA LENGTH counts the extended header's 4 bytes");
        assert_eq!(e[4], 0x10, "FORMAT TYPE 001b");
        assert_eq!(e[5], 0, "IMPLICIT TRANSITION TIME");
        assert_eq!(&e[8..], &descriptor);
        // The group VPD 83h names is the one reported.
        let group = designators(&vpd(&mut t, lun, 0x83)).into_iter().find(|d| d.3 == 0x5).unwrap().4;
        assert_eq!(group[2..4], d[6..8]);
    }
}

#[test]
fn report_target_port_groups_truncates_and_rejects_reserved_formats() {
    let mut t = thin_and_thick();
    assert_eq!(good(&mut t, 0, rtpg(0, 6), vec![]), [0, 0, 0, 12, 0x00, 0x01]);
    assert_eq!(good(&mut t, 0, rtpg(0, 0), vec![]), Vec::<u8>::new(), "allocation 0 is not an error");
    for format in 2..8 {
        let s = check(&mut t, 0, rtpg(format, 1024), vec![]);
        assert_invalid_cdb_field(&s, 1, Some(7 - (format << 5).leading_zeros() as u8));
    }
    let mut cdb = rtpg(0, 1024);
    cdb[2] = 1;
    assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![]), 2, Some(0));
}

#[test]
fn report_target_port_groups_needs_a_reachable_unit() {
    let mut t = host_granted_lun0_only();
    assert_lun_not_supported(&check(&mut t, 1, rtpg(0, 1024), vec![]));
    assert_eq!(t.execute(&request_from(OTHER_HOST, 1, rtpg(0, 1024), vec![])).status, 0, "others reach LUN 1");
    assert_lun_not_supported(&check(&mut t, 7, rtpg(0, 1024), vec![]));
}
