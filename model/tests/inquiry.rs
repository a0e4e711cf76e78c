//! INQUIRY: standard data and the vital product data pages (SPC-4 6.6, 7.8; SBC-4 6.6).

mod common;
use common::*;

use offload_model::config::{Limits, UnitConfig};
use offload_model::scsi::Target;

// ==== Standard data ====

#[test]
fn inquiry_standard_data_fields() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 0, inquiry(false, 0, 255), vec![]);
    assert!(d.len() >= 36, "at least the 36 mandatory bytes");
    assert_eq!(d[0] >> 5, 0, "PERIPHERAL QUALIFIER 000b: connected");
    assert_eq!(d[0] & 0x1F, 0, "PERIPHERAL DEVICE TYPE 00h: direct access block device");
    assert_eq!(d[1] & 0x80, 0, "not removable");
    assert_eq!(d[2], 0x06, "VERSION: SPC-4");
    assert_eq!(d[3] & 0x0F, 2, "RESPONSE DATA FORMAT");
    assert_eq!(d[3] & 0x20, 0, "NORMACA=0: NACA is not supported");
    assert_eq!(usize::from(d[4]) + 5, d.len(), "ADDITIONAL LENGTH counts the bytes after byte 4");
    assert_ne!(d[5] & 0x08, 0, "3PC: EXTENDED COPY is supported");
    assert_eq!((d[5] >> 4) & 3, 0b01, "TPGS=01b: implicit asymmetric access (REPORT TARGET PORT GROUPS)");
    assert_eq!(d[5] & 0x01, 0, "PROTECT=0: no protection information");
    assert_ne!(d[7] & 0x02, 0, "CMDQUE");
    for (name, range) in [("vendor", 8..16), ("product", 16..32), ("revision", 32..36)] {
        assert!(d[range].iter().all(|&c| (0x20..=0x7E).contains(&c)), "{name} is printable ASCII");
    }
    let versions: Vec<u16> = (58..74).step_by(2).filter(|&i| i + 2 <= d.len()).map(|i| d.be16(i)).collect();
    assert!(versions.contains(&0x0460), "SPC-4 version descriptor in {versions:04x?}");
    assert!(versions.contains(&0x04C0), "SBC-3 version descriptor (the 3Ch B0h page needs it)");
}

#[test]
fn inquiry_same_standard_data_on_thin_and_thick_units() {
    let mut t = thin_and_thick();
    let a = good(&mut t, 0, inquiry(false, 0, 255), vec![]);
    let b = good(&mut t, 1, inquiry(false, 0, 255), vec![]);
    assert_eq!(a, b);
}

#[test]
fn inquiry_to_an_unconfigured_lun_reports_peripheral_qualifier_011b() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 7, inquiry(false, 0, 255), vec![]);
    assert_eq!(d[0], 0x7F, "PQ 011b, PDT 1Fh: no logical unit here");
}

#[test]
fn inquiry_to_a_lun_outside_the_access_map_reports_peripheral_qualifier_011b() {
    let mut t = host_granted_lun0_only();
    assert_eq!(good(&mut t, 0, inquiry(false, 0, 255), vec![])[0], 0x00);
    assert_eq!(good(&mut t, 1, inquiry(false, 0, 255), vec![])[0], 0x7F);
    let other = t.execute(&request_from(OTHER_HOST, 1, inquiry(false, 0, 255), vec![]));
    assert_eq!((other.status, other.data_in[0]), (0, 0x00), "another initiator reaches LUN 1");
}

#[test]
fn inquiry_evpd_zero_with_a_page_code_is_invalid_field() {
    let mut t = thin_and_thick();
    for page in [0x01, 0x80, 0x83, 0xB0] {
        assert_invalid_cdb_byte(&check(&mut t, 0, inquiry(false, page, 255), vec![]), 2);
    }
}

#[test]
fn inquiry_unsupported_vpd_page_is_invalid_field() {
    let mut t = thin_and_thick();
    for page in [0x01, 0x81, 0x86, 0x89, 0xB3, 0xB4, 0xC0, 0xFF] {
        assert_invalid_cdb_byte(&check(&mut t, 0, inquiry(true, page, 255), vec![]), 2);
    }
}

#[test]
fn inquiry_cmddt_bit_is_invalid_field() {
    let mut t = thin_and_thick();
    let mut cdb = inquiry(false, 0, 255);
    cdb[1] = 0x02;
    assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![]), 1, Some(1));
}

#[test]
fn inquiry_allocation_length_truncates_standard_data() {
    let mut t = thin_and_thick();
    let full = good(&mut t, 0, inquiry(false, 0, 0xFFFF), vec![]);
    for allocation in 0..=300u16 {
        let d = good(&mut t, 0, inquiry(false, 0, allocation), vec![]);
        assert_eq!(d, full[..full.len().min(usize::from(allocation))], "allocation {allocation}");
    }
    let a = good(&mut t, 0, inquiry(false, 0, 511), vec![]);
    let b = good(&mut t, 0, inquiry(false, 0, 512), vec![]);
    assert_eq!(a, b, "511 and 512 return the same data (the high byte of the length is honoured)");
    assert_eq!(a, full);
}

#[test]
fn inquiry_allocation_length_truncates_vpd_pages() {
    let mut t = thin_and_thick();
    for page in [0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2] {
        let full = good(&mut t, 0, inquiry(true, page, 0xFFFF), vec![]);
        for allocation in 0..=full.len() as u16 + 4 {
            let d = good(&mut t, 0, inquiry(true, page, allocation), vec![]);
            assert_eq!(d, full[..full.len().min(usize::from(allocation))], "page {page:02x} allocation {allocation}");
        }
        let a = good(&mut t, 0, inquiry(true, page, 511), vec![]);
        assert_eq!(a, good(&mut t, 0, inquiry(true, page, 512), vec![]), "page {page:02x}: 511 vs 512");
    }
}

// ==== VPD pages ====

/// Every VPD page: header PQ/PDT, page code, and PAGE LENGTH = the bytes after the 4-byte header.
fn vpd(t: &mut Target, lun: u16, page: u8) -> Vec<u8> {
    let d = good(t, lun, inquiry(true, page, 0xFFFF), vec![]);
    assert_eq!(d[0], 0x00, "page {page:02x}: PQ/PDT");
    assert_eq!(d[1], page, "page {page:02x}: PAGE CODE");
    assert_eq!(usize::from(d.be16(2)) + 4, d.len(), "page {page:02x}: PAGE LENGTH");
    d
}

#[test]
fn vpd_00_lists_sorted_pages_and_every_listed_page_answers() {
    let mut t = thin_and_thick();
    for lun in 0..2 {
        let d = vpd(&mut t, lun, 0x00);
        let pages = &d[4..];
        assert!(pages.windows(2).all(|w| w[0] < w[1]), "ascending, no duplicates: {pages:02x?}");
        for required in [0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2] {
            assert!(pages.contains(&required), "page {required:02x} listed");
        }
        for &page in pages {
            vpd(&mut t, lun, page);
        }
    }
}

#[test]
fn vpd_80_unit_serial_number_is_ascii_and_unique() {
    let mut t = thin_and_thick();
    let a = vpd(&mut t, 0, 0x80);
    let b = vpd(&mut t, 1, 0x80);
    assert!(a.len() > 4, "a serial number");
    assert!(a[4..].iter().all(|&c| (0x20..=0x7E).contains(&c)), "ASCII: {:?}", &a[4..]);
    assert_ne!(a[4..], b[4..], "each unit has its own serial number");
}

#[test]
fn vpd_83_has_a_binary_naa_logical_unit_designator() {
    let mut t = thin_and_thick();
    let mut seen = Vec::new();
    for lun in 0..2 {
        let d = vpd(&mut t, lun, 0x83);
        let mut naa = None;
        let mut at = 4;
        while at < d.len() {
            assert!(at + 4 <= d.len(), "designation descriptor header");
            let len = usize::from(d[at + 3]);
            assert!(at + 4 + len <= d.len(), "designator inside the page");
            let (code_set, association, kind) = (d[at] & 0x0F, (d[at + 1] >> 4) & 3, d[at + 1] & 0x0F);
            if kind == 3 && association == 0 {
                assert_eq!(code_set, 1, "NAA is binary");
                assert_eq!(len, 16, "IEEE Registered Extended is 16 bytes");
                assert_eq!(d[at + 4] >> 4, 6, "NAA 6");
                naa = Some(d[at + 4..at + 4 + len].to_vec());
            }
            at += 4 + len;
        }
        assert_eq!(at, d.len(), "descriptors tile the page");
        seen.push(naa.expect("an NAA designator for the logical unit"));
    }
    assert_ne!(seen[0], seen[1], "designators are unique per unit");
}

#[test]
fn vpd_8f_third_party_copy_descriptors_tile_the_page() {
    let mut t = thin_and_thick();
    let d = vpd(&mut t, 0, 0x8F);
    let mut at = 4;
    let mut kinds = Vec::new();
    while at < d.len() {
        let (kind, len) = (d.be16(at), usize::from(d.be16(at + 2)));
        assert_eq!(len % 4, 0, "descriptor {kind:04x}: length a multiple of four");
        at += 4 + len;
        kinds.push(kind);
    }
    assert_eq!(at, d.len(), "descriptors tile the page");
    assert!(kinds.contains(&0x0001), "Supported Commands descriptor: {kinds:04x?}");
}

#[test]
fn vpd_b0_block_limits_equal_the_configured_limits() {
    let limits = Limits {
        max_transfer_blocks: 1234,
        max_compare_and_write_blocks: 17,
        max_write_same_blocks: 4321,
        write_same_non_zero: false,
        max_unmap_blocks: 999,
        max_unmap_descriptors: 7,
        unmap_granularity: 8,
        ..Limits::default()
    };
    let mut t = thin_with(limits);
    let d = vpd(&mut t, 0, 0xB0);
    assert_eq!(d.be16(2), 0x3C, "SBC-3/4 page length");
    assert_eq!(d[4] & 1, 0, "WSNZ");
    assert_eq!(d[5], 17, "MAXIMUM COMPARE AND WRITE LENGTH");
    assert_eq!(d.be32(8), 1234, "MAXIMUM TRANSFER LENGTH");
    assert_eq!(d.be32(20), 999, "MAXIMUM UNMAP LBA COUNT");
    assert_eq!(d.be32(24), 7, "MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT");
    assert_eq!(d.be32(28), 8, "OPTIMAL UNMAP GRANULARITY");
    assert_eq!(d.be64(36), 4321, "MAXIMUM WRITE SAME LENGTH");

    let mut t = thin_with(Limits::default());
    let d = vpd(&mut t, 0, 0xB0);
    let l = Limits::default();
    assert_eq!(d[4] & 1, u8::from(l.write_same_non_zero), "WSNZ");
    assert_eq!(d[5], l.max_compare_and_write_blocks);
    assert_eq!(d.be32(8), l.max_transfer_blocks);
    assert_eq!(d.be32(20), l.max_unmap_blocks);
    assert_eq!(d.be32(24), l.max_unmap_descriptors);
    assert_eq!(d.be32(28), l.unmap_granularity);
    assert_eq!(d.be64(36), l.max_write_same_blocks);
}

#[test]
fn vpd_b0_of_a_thick_unit_advertises_no_unmap() {
    let mut t = thin_and_thick();
    let d = vpd(&mut t, 1, 0xB0);
    assert_eq!(d.be32(20), 0, "MAXIMUM UNMAP LBA COUNT 0 when LBPU=0");
    assert_eq!(d.be32(24), 0, "MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT 0 when LBPU=0");
    assert_eq!(d.be32(8), Limits::default().max_transfer_blocks);
    assert_eq!(d.be64(36), Limits::default().max_write_same_blocks);
}

#[test]
fn vpd_b0_optimal_transfer_length_granularity_is_one_physical_block() {
    // SBC-4 6.6.4: OPTIMAL TRANSFER LENGTH GRANULARITY (bytes 6-7) in logical blocks.
    let with = |exponent| UnitConfig { logical_blocks_per_physical_block_exponent: exponent, ..unit(4096, 512, true) };
    let mut t = target(vec![with(0), with(3)], Limits::default());
    assert_eq!(vpd(&mut t, 0, 0xB0).be16(6), 1);
    assert_eq!(vpd(&mut t, 1, 0xB0).be16(6), 8);
}

#[test]
fn vpd_b1_block_device_characteristics_non_rotating() {
    let mut t = thin_and_thick();
    for lun in 0..2 {
        let d = vpd(&mut t, lun, 0xB1);
        assert_eq!(d.be16(2), 0x3C, "SBC-4 6.6.2: PAGE LENGTH 003Ch");
        assert_eq!(d.be16(4), 0x0001, "MEDIUM ROTATION RATE: non-rotating medium");
        assert_eq!(d[6], 0, "PRODUCT TYPE: not indicated");
        assert_eq!(d[7], 0, "WABEREQ, WACEREQ, NOMINAL FORM FACTOR: not reported");
        assert_eq!(d[8], 0, "ZONED, FUAB, VBULS: none");
    }
}

#[test]
fn vpd_b2_logical_block_provisioning_thin_and_thick() {
    let mut t = thin_and_thick();
    let thin = vpd(&mut t, 0, 0xB2);
    assert_eq!(thin.be16(2), 4, "no provisioning group descriptor");
    assert_ne!(thin[5] & 0x80, 0, "LBPU");
    assert_ne!(thin[5] & 0x40, 0, "LBPWS");
    assert_ne!(thin[5] & 0x20, 0, "LBPWS10");
    assert_eq!((thin[5] >> 2) & 7, 0b001, "LBPRZ: deallocated blocks read zeros");
    assert_ne!(thin[5] & 0x02, 0, "ANC_SUP");
    assert_eq!(thin[5] & 0x01, 0, "DP");
    assert_eq!(thin[6] & 7, 2, "PROVISIONING TYPE: thin");

    let thick = vpd(&mut t, 1, 0xB2);
    assert_eq!(thick[5] & 0xE2, 0, "no LBPU, LBPWS, LBPWS10 or ANC_SUP");
    assert_eq!(thick[6] & 7, 0, "PROVISIONING TYPE: fully provisioned");
}
