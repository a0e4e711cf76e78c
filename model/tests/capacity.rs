//! READ CAPACITY (10) and (16): last LBA, block length, physical block exponent and provisioning bits.

mod common;
use common::*;

use offload_model::config::{Limits, UnitConfig};
use offload_model::scsi::Target;

#[test]
fn read_capacity10_reports_last_lba_and_block_length() {
    let mut t = target(vec![unit(4096, 512, true), unit(1000, 4096, false)], Limits::default());
    let d = good(&mut t, 0, read_capacity10(), vec![]);
    assert_eq!((d.be32(0), d.be32(4)), (4095, 512));
    let d = good(&mut t, 1, read_capacity10(), vec![]);
    assert_eq!((d.be32(0), d.be32(4)), (999, 4096));
    assert_eq!(d.len(), 8);
}

#[test]
fn read_capacity10_beyond_32_bits_returns_ffffffff() {
    let units = vec![unit((1 << 32) + 5, 512, true), unit(1 << 32, 512, true), unit((1 << 32) - 1, 512, true)];
    let mut t = target(units, Limits::default());
    let last = |t: &mut Target, lun| good(t, lun, read_capacity10(), vec![]).be32(0);
    assert_eq!(last(&mut t, 0), 0xFFFF_FFFF, "capacity above 32 bits: use READ CAPACITY (16)");
    assert_eq!(last(&mut t, 1), 0xFFFF_FFFF, "last LBA exactly FFFFFFFFh");
    assert_eq!(last(&mut t, 2), 0xFFFF_FFFE);
    let d = good(&mut t, 0, read_capacity16(32), vec![]);
    assert_eq!(d.be64(0), 1 << 32 | 4, "READ CAPACITY (16) has the exact last LBA");
}

#[test]
fn read_capacity16_reports_last_lba_length_and_provisioning() {
    let mut t = target(vec![unit(4096, 512, true), unit(1000, 4096, false)], Limits::default());
    let thin = good(&mut t, 0, read_capacity16(32), vec![]);
    assert_eq!(thin.len(), 32);
    assert_eq!((thin.be64(0), thin.be32(8)), (4095, 512));
    assert_eq!(thin[12], 0, "no protection information");
    assert_eq!(thin[13], 0, "one logical block per physical block");
    assert_eq!(thin[14] & 0xC0, 0xC0, "LBPME and LBPRZ");
    assert_eq!(thin.be16(14) & 0x3FFF, 0, "LOWEST ALIGNED LBA");
    assert!(thin[16..].iter().all(|&b| b == 0), "reserved");

    let thick = good(&mut t, 1, read_capacity16(32), vec![]);
    assert_eq!((thick.be64(0), thick.be32(8)), (999, 4096));
    assert_eq!(thick[14] & 0xC0, 0, "fully provisioned: LBPME=0, LBPRZ=0");
}

#[test]
fn read_capacity16_reports_the_physical_block_exponent() {
    // SBC-4 5.21.2: byte 13 bits 3-0 LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT, 2^n logical blocks per
    // physical block; bytes 14-15 bits 13-0 LOWEST ALIGNED LOGICAL BLOCK ADDRESS (LBA 0 here).
    let e512 =
        |exponent, thin| UnitConfig { logical_blocks_per_physical_block_exponent: exponent, ..unit(4096, 512, thin) };
    let mut t = target(vec![e512(3, true), e512(3, false), e512(15, true)], Limits::default());
    let thin = good(&mut t, 0, read_capacity16(32), vec![]);
    assert_eq!(thin[13] & 0x0F, 3, "8 × 512-byte logical blocks per 4 KiB physical block");
    assert_eq!(thin[13] & 0xF0, 0, "P_I_EXPONENT: no protection information");
    assert_eq!(thin[14] & 0xC0, 0xC0, "LBPME and LBPRZ unaffected");
    assert_eq!(thin.be16(14) & 0x3FFF, 0, "LOWEST ALIGNED LBA");
    let thick = good(&mut t, 1, read_capacity16(32), vec![]);
    assert_eq!(thick[13], 3);
    assert_eq!(thick[14] & 0xC0, 0);
    assert_eq!(good(&mut t, 2, read_capacity16(32), vec![])[13], 15, "the field's largest value");
}

#[test]
fn read_capacity16_allocation_length_truncates() {
    let mut t = thin_and_thick();
    let full = good(&mut t, 0, read_capacity16(32), vec![]);
    for allocation in 0..=40u32 {
        let d = good(&mut t, 0, read_capacity16(allocation), vec![]);
        assert_eq!(d, full[..full.len().min(allocation as usize)], "allocation {allocation}");
    }
}
