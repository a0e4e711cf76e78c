//! Logical-unit designators across targets (issue 13): two targets with different names and otherwise
//! default configurations report different NAA designators in VPD 83h, and an EXTENDED COPY sent to one
//! of them naming the other's unit is COPY ABORTED 0D/02 with both media untouched — never a copy of
//! the receiving target's own unit onto itself. A target restarted under its name reports the same
//! designators; a configured designator is reported and resolved as given. On both back ends.

use std::net::SocketAddr;
use std::time::Duration;

use offload_iscsi::backend::{self, BackendKind, Media};
use offload_iscsi::initiator::{Initiator, LoginOptions, ScsiResult};
use offload_iscsi::target::{RunningTarget, Settings, Target};
use offload_model::config::{Naa, TargetConfig};
use offload_scsi::sense::decode;
use offload_vectors::cdb::{read10, write10};

const A: &str = "iqn.2026-11.org.offload:designators-a";
const B: &str = "iqn.2026-11.org.offload:designators-b";
/// QEMU's default initiator name: one session per logical unit it opens, all under this name.
const HOST: &str = "iqn.2008-11.org.linux-kvm";
const BACKENDS: [BackendKind; 2] = [BackendKind::Model, BackendKind::FastPath];

fn start(kind: BackendKind, name: &str, config: TargetConfig) -> RunningTarget {
    let backend = backend::build(kind, config, &Media::Memory, name).unwrap();
    let settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        target_name: name.to_owned(),
        verbosity: 0,
        login_timeout: Duration::from_secs(5),
        ..Settings::default()
    };
    Target::bind(settings, backend).unwrap().spawn().unwrap()
}

/// The default configuration with small units: nothing about designators differs from the default.
fn default_config() -> TargetConfig {
    let mut config = TargetConfig::default();
    for unit in &mut config.units {
        unit.blocks = 4096;
    }
    config
}

fn login(t: &RunningTarget, name: &str) -> Initiator {
    Initiator::connect(t.addr(), &LoginOptions::new(HOST, Some(name))).unwrap()
}

fn good(s: &mut Initiator, lun: u16, cdb: &[u8], data_out: &[u8], read_len: u32) -> Vec<u8> {
    let r = s.command(lun, cdb, data_out, read_len).unwrap();
    assert_eq!((r.response, r.status), (0, 0), "{cdb:02x?}: sense {:02x?}", r.sense);
    r.data_in
}

/// The designator QEMU keeps from VPD 83h (block/iscsi.c iscsi_save_designator): association logical
/// unit, designator type 3 or below, the highest type winning. Written from SPC-4 7.8.6.1's layout.
fn qemu_designator(s: &mut Initiator, lun: u16) -> Vec<u8> {
    let page = good(s, lun, &[0x12, 0x01, 0x83, 0x01, 0x00, 0x00], &[], 256);
    assert_eq!(page[1], 0x83);
    let end = 4 + usize::from(u16::from_be_bytes([page[2], page[3]]));
    let mut best: Option<(u8, Vec<u8>)> = None;
    let mut at = 4;
    while at + 4 <= end {
        let (association, kind, len) = ((page[at + 1] >> 4) & 3, page[at + 1] & 0x0F, usize::from(page[at + 3]));
        if association == 0 && kind <= 3 && best.as_ref().is_none_or(|(k, _)| kind > *k) {
            best = Some((kind, page[at + 4..at + 4 + len].to_vec()));
        }
        at += 4 + len;
    }
    let (kind, designator) = best.expect("an LU designator of type 3 or below");
    assert_eq!((kind, designator.len(), designator[0] >> 4), (3, 16, 6), "NAA-6, 16 bytes");
    designator
}

fn pattern(blocks: usize, seed: u8) -> Vec<u8> {
    (0..blocks * 512).map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed) | 1).collect()
}

/// The 108-byte EXTENDED COPY (LID1) parameter list QEMU sends (CLIENTS-NOTES.md), from SPC-4 6.4.3:
/// list ID 1, LIST ID USAGE 10b, two E4h identification CSCDs of 512-byte block devices, one 02h
/// block-to-block segment from CSCD 0 to CSCD 1.
fn qemu_copy_list(source: &[u8], destination: &[u8], blocks: u16, source_lba: u64, destination_lba: u64) -> Vec<u8> {
    let mut list = vec![0u8; 16];
    list[0] = 1;
    list[1] = 0b10 << 3;
    list[2..4].copy_from_slice(&64u16.to_be_bytes());
    list[8..12].copy_from_slice(&28u32.to_be_bytes());
    for designator in [source, destination] {
        let mut cscd = vec![0u8; 32];
        cscd[0] = 0xE4;
        cscd[4] = 0x01; // code set binary
        cscd[5] = 0x03; // association LU, type NAA
        cscd[7] = designator.len() as u8;
        cscd[8..8 + designator.len()].copy_from_slice(designator);
        cscd[29..32].copy_from_slice(&512u32.to_be_bytes()[1..]);
        list.extend(cscd);
    }
    let mut segment = vec![0x02, 0x00, 0x00, 0x18, 0, 0, 0, 1, 0, 0];
    segment.extend(blocks.to_be_bytes());
    segment.extend(source_lba.to_be_bytes());
    segment.extend(destination_lba.to_be_bytes());
    list.extend(segment);
    assert_eq!(list.len(), 108);
    list
}

fn extended_copy(s: &mut Initiator, lun: u16, list: &[u8]) -> ScsiResult {
    let mut cdb = [0u8; 16];
    cdb[0] = 0x83;
    cdb[10..14].copy_from_slice(&(list.len() as u32).to_be_bytes());
    s.command(lun, &cdb, list, 0).unwrap()
}

#[test]
fn two_targets_have_different_designators_and_refuse_each_others() {
    for kind in BACKENDS {
        let (a, b) = (start(kind, A, default_config()), start(kind, B, default_config()));
        let (mut sa, mut sb) = (login(&a, A), login(&b, B));
        let designators = [
            qemu_designator(&mut sa, 0),
            qemu_designator(&mut sa, 1),
            qemu_designator(&mut sb, 0),
            qemu_designator(&mut sb, 1),
        ];
        for i in 0..4 {
            for j in i + 1..4 {
                assert_ne!(designators[i], designators[j], "{kind:?}: units {i} and {j}");
            }
        }
        let [a0, _, b0, b1] = designators;

        let (pa, pb, pb_far) = (pattern(8, 0x11), pattern(8, 0x77), pattern(8, 0x3C));
        good(&mut sa, 0, &write10(0, 8), &pa, 0);
        good(&mut sb, 0, &write10(0, 8), &pb, 0);
        good(&mut sb, 0, &write10(64, 8), &pb_far, 0);

        // A's LU 0 to B's LU 0: QEMU's convert -C at the same LBAs, then to another LBA (where a copy of
        // B's own LU 0 onto itself would show).
        for destination_lba in [0, 64] {
            let r = extended_copy(&mut sb, 0, &qemu_copy_list(&a0, &b0, 8, 0, destination_lba));
            assert_eq!((r.response, r.status), (0, 2), "{kind:?}: CHECK CONDITION");
            let sense = decode(&r.sense).unwrap_or_else(|e| panic!("malformed sense {:02x?}: {e}", r.sense));
            assert_eq!((sense.key.0, sense.asc.0, sense.asc.1), (0x0A, 0x0D, 0x02), "{kind:?}: COPY ABORTED 0D/02");
        }
        assert_eq!(good(&mut sb, 0, &read10(0, 8), &[], 8 * 512), pb, "{kind:?}: B's LU 0 untouched");
        assert_eq!(good(&mut sb, 0, &read10(64, 8), &[], 8 * 512), pb_far, "{kind:?}: B's LU 0 untouched");
        assert_eq!(good(&mut sa, 0, &read10(0, 8), &[], 8 * 512), pa, "{kind:?}: A's LU 0 untouched");

        // The same list with B's own designators copies: the refusal was the designator's doing.
        let r = extended_copy(&mut sb, 0, &qemu_copy_list(&b0, &b1, 8, 0, 16));
        assert_eq!((r.response, r.status), (0, 0), "{kind:?}: sense {:02x?}", r.sense);
        assert_eq!(good(&mut sb, 1, &read10(16, 8), &[], 8 * 512), pb, "{kind:?}: B's LU 0 copied to its LU 1");
    }
}

#[test]
fn a_target_restarted_under_its_name_reports_the_same_designators() {
    for kind in BACKENDS {
        let read = |t: &RunningTarget| {
            let mut s = login(t, A);
            [qemu_designator(&mut s, 0), qemu_designator(&mut s, 1)]
        };
        let first = start(kind, A, default_config());
        let before = read(&first);
        first.stop();
        let again = start(kind, A, default_config());
        assert_eq!(read(&again), before, "{kind:?}");
        // What the documented hash gives (its own expected values are checked in offload-vectors).
        assert_eq!(before[0], Naa::for_named_unit(A, 0).0, "{kind:?}");
        assert_eq!(before[1], Naa::for_named_unit(A, 1).0, "{kind:?}");
    }
}

#[test]
fn configured_designators_are_reported_and_resolved() {
    let whole: Naa = "60a0ff1123456789fedcba9876543210".parse().unwrap();
    for kind in BACKENDS {
        let mut config = default_config();
        config.units[0].naa = Some(whole);
        config.units[1].naa_vendor_id = Some(0xA_BCDE_F012);
        let t = start(kind, A, config);
        let mut s = login(&t, A);
        let lu0 = qemu_designator(&mut s, 0);
        let lu1 = qemu_designator(&mut s, 1);
        assert_eq!(lu0, whole.0, "{kind:?}");
        // NAA 6 | company 0A0FF1h | vendor id ABCDEF012h, then the LUN as the extension (vectors README).
        let by_vendor_id = [0x60, 0xA0, 0xFF, 0x1A, 0xBC, 0xDE, 0xF0, 0x12, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(lu1, by_vendor_id, "{kind:?}");
        let data = pattern(4, 0x5A);
        good(&mut s, 0, &write10(8, 4), &data, 0);
        let r = extended_copy(&mut s, 1, &qemu_copy_list(&lu0, &lu1, 4, 8, 32));
        assert_eq!((r.response, r.status), (0, 0), "{kind:?}: sense {:02x?}", r.sense);
        assert_eq!(good(&mut s, 1, &read10(32, 4), &[], 4 * 512), data, "{kind:?}");
    }
}
