//! What the reply says must be durable: a FUA write's extents, every write's under WCE=0 (SBC-4 4.15,
//! 6.5.5); WRITE SAME, UNMAP and EXTENDED COPY have no FUA bit and follow the write cache alone.

use super::*;

/// WRITE (10)/(16) or COMPARE AND WRITE with FUA (byte 1, bit 3).
fn fua(cdb: &[u8]) -> Vec<u8> {
    let mut c = cdb.to_vec();
    c[1] |= 0x08;
    c
}

impl Rig {
    fn disable_write_cache(&mut self, lun: usize) {
        self.units[lun].2.write_cache = false;
    }

    #[track_caller]
    fn durable(&mut self, lun: u16, cdb: &[u8], data_out: &[u8]) -> bool {
        let r = self.run(lun, cdb, data_out);
        assert!(r.handled && r.status == 0, "failed: {}", hex(&r.sense));
        r.durable
    }
}

#[test]
fn fua_writes_must_be_durable_plain_ones_need_not() {
    let mut r = Rig::small();
    assert!(!r.durable(0, &write10(4, 2), &patterned(4, 2, 512, 1)), "WCE=1, FUA=0");
    assert!(r.durable(0, &fua(&write10(4, 2)), &patterned(4, 2, 512, 2)));
    assert!(r.durable(0, &fua(&write16(8, 1)), &patterned(8, 1, 512, 3)));
    let data = [patterned(8, 1, 512, 3), patterned(8, 1, 512, 4)].concat();
    assert!(!r.durable(0, &caw(8, 1), &data), "plain COMPARE AND WRITE");
    let data = [patterned(8, 1, 512, 4), patterned(8, 1, 512, 5)].concat();
    assert!(r.durable(0, &fua(&caw(8, 1)), &data));
    assert!(!r.durable(0, &fua(&write10(4, 0)), &[]), "a zero-length write writes nothing");
    assert!(!r.durable(0, &fua(&read10(4, 1)), &[]), "FUA on a READ: nothing written");
    assert!(!r.durable(0, &ws16(0, 20, 4), &[0; 512]), "WRITE SAME has no FUA bit");
}

#[test]
fn a_miscompare_is_not_durable_work() {
    let mut r = Rig::small();
    let data = [pattern(8, 512, 9), pattern(8, 512, 5)].concat();
    let out = r.run(0, &fua(&caw(8, 1)), &data);
    assert_eq!(out.status, 2);
    assert!(!out.durable && out.written.is_empty());
}

#[test]
fn with_the_write_cache_disabled_every_write_is_durable() {
    let mut r = Rig::small();
    r.disable_write_cache(0);
    assert!(r.durable(0, &write10(4, 2), &patterned(4, 2, 512, 1)));
    assert!(r.durable(0, &ws16(0, 20, 4), &pattern(20, 512, 2)));
    let list = unmap_list(&[(40, 8)]);
    assert!(r.durable(0, &unmap_cdb(false, list.len() as u16), &list));
    assert!(!r.durable(1, &write10(4, 2), &patterned(4, 2, 512, 1)), "LUN 1 keeps its write cache");
    // EXTENDED COPY from LUN 1 onto LUN 0 (WCE=0) is durable; from LUN 0 onto LUN 1 (WCE=1) is not.
    let cscds = [cscd(&naa(0), 512), cscd(&naa(1), 512)];
    let onto_0 = copy_list(1, 0, &cscds, &[segment(1, 0, 4, 0, 100)]);
    assert!(r.durable(1, &xcopy_cdb(onto_0.len() as u32), &onto_0));
    let onto_1 = copy_list(2, 0, &cscds, &[segment(0, 1, 4, 0, 100)]);
    assert!(!r.durable(0, &xcopy_cdb(onto_1.len() as u32), &onto_1));
}
