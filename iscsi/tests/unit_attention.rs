//! Unit attentions over iSCSI, on both back ends: each session is its own I_T nexus (the SCSI initiator
//! port name carries the ISID), a new one finds 29/00 (`power_on_unit_attention`, as `serve` runs), a
//! LOGICAL UNIT RESET or TARGET WARM RESET reaches every session, and a session that ends and comes back
//! on the same ISID finds 29/07.

use std::net::SocketAddr;
use std::time::Duration;

use offload_iscsi::backend::{self, BackendKind, Media};
use offload_iscsi::initiator::{Initiator, LoginOptions};
use offload_iscsi::target::{DEFAULT_TARGET_NAME, RunningTarget, Settings, Target};
use offload_model::config::{AccessMap, TargetConfig, UnitConfig};

const HOST: &str = "iqn.2026-11.test:ua-host";

fn start(kind: BackendKind, access: AccessMap) -> RunningTarget {
    let unit = UnitConfig { blocks: 1024, block_size: 512, ..UnitConfig::default() };
    let config = TargetConfig {
        units: vec![unit.clone(), unit],
        access,
        power_on_unit_attention: true,
        ..TargetConfig::default()
    };
    let backend = backend::build(kind, config, &Media::Memory, DEFAULT_TARGET_NAME).unwrap();
    let settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        verbosity: 0,
        login_timeout: Duration::from_secs(5),
        ..Settings::default()
    };
    Target::bind(settings, backend).unwrap().spawn().unwrap()
}

fn login(t: &RunningTarget, name: &str, isid_low: u8) -> Initiator {
    let mut options = LoginOptions::new(name, Some(DEFAULT_TARGET_NAME));
    options.isid[5] = isid_low;
    Initiator::connect(t.addr(), &options).unwrap()
}

/// (sense key, ASC, ASCQ) of a fixed-format sense (SPC-4 4.5.3: bytes 2, 12, 13).
fn code(sense: &[u8]) -> (u8, u8, u8) {
    (sense[2] & 0x0F, sense[12], sense[13])
}

const READ10: [u8; 10] = [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0];

#[test]
fn each_session_is_a_nexus_with_its_own_power_on_unit_attention() {
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let t = start(kind, AccessMap::default());
        let mut a = login(&t, HOST, 1);
        // INQUIRY is answered under the unit attention; READ (10) — a fast-path command — is not.
        assert_eq!(a.command(0, &[0x12, 0, 0, 0, 36, 0], &[], 36).unwrap().status, 0, "{kind:?}");
        let r = a.command(0, &READ10, &[], 512).unwrap();
        assert_eq!((r.status, code(&r.sense)), (2, (0x6, 0x29, 0x00)), "{kind:?}");
        assert_eq!(a.command(0, &READ10, &[], 512).unwrap().status, 0);
        // The same initiator name with another ISID is another nexus: its own 29/00, on each unit.
        let mut b = login(&t, HOST, 2);
        assert_eq!(b.clear_unit_attentions(0).unwrap(), [(0x29, 0x00)], "{kind:?}");
        assert_eq!(b.clear_unit_attentions(1).unwrap(), [(0x29, 0x00)]);
        assert_eq!(a.clear_unit_attentions(1).unwrap(), [(0x29, 0x00)]);
        assert_eq!(a.clear_unit_attentions(0).unwrap(), [], "already cleared");
    }
}

#[test]
fn resets_reach_every_session_and_a_lost_nexus_finds_29_07() {
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let t = start(kind, AccessMap::default());
        let mut a = login(&t, HOST, 1);
        let mut b = login(&t, "iqn.2026-11.test:ua-other", 1);
        for lun in 0..2 {
            a.clear_unit_attentions(lun).unwrap();
            b.clear_unit_attentions(lun).unwrap();
        }
        assert_eq!(a.task_management(5, 0, 0, 0).unwrap(), 0, "LOGICAL UNIT RESET: function complete");
        assert_eq!(a.clear_unit_attentions(0).unwrap(), [(0x29, 0x03)], "{kind:?}: the resetting session too");
        assert_eq!(b.clear_unit_attentions(0).unwrap(), [(0x29, 0x03)]);
        assert_eq!(b.clear_unit_attentions(1).unwrap(), [], "only the reset unit");
        assert_eq!(b.task_management(6, 0, 0, 0).unwrap(), 0, "TARGET WARM RESET");
        assert_eq!(a.clear_unit_attentions(1).unwrap(), [(0x29, 0x02)], "{kind:?}");
        assert_eq!(b.clear_unit_attentions(0).unwrap(), [(0x29, 0x02)]);
        // A's session ends; the same port name (initiator name and ISID) logs in again.
        assert_eq!(a.logout().unwrap(), 0);
        drop(a);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while t.sessions() > 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut again = login(&t, HOST, 1);
        // LUN 0 still holds the 29/02 A never cleared there; the 29/07, of lower precedence, queues
        // behind it.
        assert_eq!(again.clear_unit_attentions(0).unwrap(), [(0x29, 0x02), (0x29, 0x07)], "{kind:?}");
        assert_eq!(again.clear_unit_attentions(1).unwrap(), [(0x29, 0x07)]);
    }
}

#[test]
fn the_access_map_matches_the_name_part_of_the_port_name() {
    let mut access = AccessMap::default();
    access.grants.insert(HOST.to_owned(), [1].into());
    let t = start(BackendKind::Model, access);
    let mut a = login(&t, HOST, 7);
    let r = a.command(0, &[0; 6], &[], 0).unwrap();
    assert_eq!((r.status, code(&r.sense)), (2, (0x5, 0x25, 0x00)), "LUN 0 is not granted");
    assert_eq!(a.clear_unit_attentions(1).unwrap(), [(0x29, 0x00)], "LUN 1 is");
}
