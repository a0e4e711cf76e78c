//! A running target's configuration reloaded: unit capacities and the access map change live and are
//! announced by unit attentions (2A/09, 3F/0E) on both back ends; anything else is refused whole; and
//! `offload-iscsi serve` does it on SIGHUP.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use offload_iscsi::backend::{self, BackendKind, LiveChange, Media, NotLive, ReconfigureError};
use offload_iscsi::initiator::{Initiator, LoginOptions};
use offload_iscsi::target::{DEFAULT_TARGET_NAME, RunningTarget, Settings, Target};
use offload_model::config::{TargetConfig, UnitConfig};

const HOST: &str = "iqn.2026-11.test:reload-host";
const OTHER: &str = "iqn.2026-11.test:reload-other";
const BLOCKS: u64 = 1024;

fn config() -> TargetConfig {
    let unit = UnitConfig { blocks: BLOCKS, block_size: 512, ..UnitConfig::default() };
    TargetConfig { units: vec![unit.clone(), unit], power_on_unit_attention: true, ..TargetConfig::default() }
}

fn start(kind: BackendKind) -> RunningTarget {
    let backend = backend::build(kind, config(), &Media::Memory, DEFAULT_TARGET_NAME).unwrap();
    let settings = Settings { listen: SocketAddr::from(([127, 0, 0, 1], 0)), verbosity: 0, ..Settings::default() };
    Target::bind(settings, backend).unwrap().spawn().unwrap()
}

fn login(addr: SocketAddr, name: &str) -> Initiator {
    let mut i = Initiator::connect(addr, &LoginOptions::new(name, Some(DEFAULT_TARGET_NAME))).unwrap();
    for lun in 0..2 {
        i.clear_unit_attentions(lun).unwrap();
    }
    i
}

/// READ CAPACITY (10)'s RETURNED LOGICAL BLOCK ADDRESS + 1, or the CHECK CONDITION's (key, ASC, ASCQ).
fn capacity(i: &mut Initiator, lun: u16) -> Result<u64, (u8, u8, u8)> {
    let r = i.command(lun, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[], 8).unwrap();
    match r.status {
        0 => Ok(u64::from(u32::from_be_bytes(r.data_in[0..4].try_into().unwrap())) + 1),
        _ => Err((r.sense[2] & 0x0F, r.sense[12], r.sense[13])),
    }
}

#[test]
fn capacities_and_the_access_map_change_live_on_both_back_ends() {
    let read1 = [0x28, 0, 0, 0, 0, 10, 0, 0, 1, 0];
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let t = start(kind);
        let mut host = login(t.addr(), HOST);
        let mut other = login(t.addr(), OTHER);
        let block = vec![0xA5; 512];
        assert_eq!(host.command(1, &[0x2A, 0, 0, 0, 0, 10, 0, 0, 1, 0], &block, 0).unwrap().status, 0);

        let reloader = t.reloader();
        let mut grown = reloader.config();
        grown.units[1].blocks = BLOCKS * 4;
        assert_eq!(reloader.reload(&grown).unwrap(), [LiveChange::Resize { lun: 1, blocks: BLOCKS * 4 }]);
        assert_eq!(capacity(&mut host, 1), Err((0x6, 0x2A, 0x09)), "{kind:?}");
        assert_eq!(capacity(&mut host, 1), Ok(BLOCKS * 4));
        assert_eq!(capacity(&mut other, 1), Err((0x6, 0x2A, 0x09)), "every nexus");
        assert_eq!(capacity(&mut host, 0), Ok(BLOCKS), "the other unit is unchanged");
        assert_eq!(host.command(1, &read1, &[], 512).unwrap().data_in, block, "{kind:?}: the data stays");
        let last = (BLOCKS * 4 - 1) as u32;
        let write_last = [[0x2A, 0].as_slice(), &last.to_be_bytes(), &[0, 0, 1, 0]].concat();
        assert_eq!(host.command(1, &write_last, &block, 0).unwrap().status, 0, "{kind:?}: the new blocks work");

        // Shrinking, and OTHER loses LUN 1: 3F/0E for OTHER only (its inventory changed), 2A/09 for both.
        let mut shrunk = reloader.config();
        shrunk.units[1].blocks = BLOCKS / 2;
        shrunk.access.grants.insert(OTHER.to_owned(), [0].into());
        assert_eq!(reloader.reload(&shrunk).unwrap().len(), 2);
        assert_eq!(capacity(&mut host, 1), Err((0x6, 0x2A, 0x09)));
        assert_eq!(capacity(&mut host, 1), Ok(BLOCKS / 2));
        assert_eq!(capacity(&mut host, 0), Ok(BLOCKS), "no 3F/0E for HOST");
        assert_eq!(capacity(&mut other, 0), Err((0x6, 0x3F, 0x0E)), "{kind:?}");
        assert_eq!(capacity(&mut other, 1), Err((0x5, 0x25, 0x00)), "LUN 1 is gone for OTHER");
        assert_eq!(host.command(1, &read1, &[], 512).unwrap().data_in, block, "{kind:?}");

        // Anything else is refused whole.
        let mut refused = reloader.config();
        refused.units[0].blocks = BLOCKS * 2;
        refused.units[1].block_size = 4096;
        let err = reloader.reload(&refused).unwrap_err();
        assert!(matches!(err, ReconfigureError::NotLive(NotLive::Unit { lun: 1, field: "block size" })), "{err}");
        assert_eq!(capacity(&mut host, 0), Ok(BLOCKS), "nothing applied");
    }
}

/// READ CAPACITY of LUN 0 until it reports `blocks` instead of `old` (bounded: the reload happens on
/// serve's own thread); returns the answers other than `old`.
fn wait_for_capacity(i: &mut Initiator, old: u64, blocks: u64) -> Vec<Result<u64, (u8, u8, u8)>> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && seen.last() != Some(&Ok(blocks)) {
        match capacity(i, 0) {
            Ok(same) if same == old => std::thread::sleep(Duration::from_millis(20)),
            other => seen.push(other),
        }
    }
    seen
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn serve_reloads_its_config_on_sighup() {
    let dir = std::env::temp_dir().join(format!("offload-iscsi-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("target.json");
    let mut cfg = config();
    cfg.power_on_unit_attention = false; // serve's default decides
    std::fs::write(&path, serde_json::to_string(&cfg).unwrap()).unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_offload-iscsi"))
        .args(["serve", "--listen", &addr.to_string(), "--config"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline && child.try_wait().unwrap().is_none(), "serve did not listen");
        std::thread::sleep(Duration::from_millis(10));
    }
    // serve's log, gathered as it is written.
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let gathered = std::sync::Arc::clone(&log);
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = stderr.read(&mut chunk) {
            gathered.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    let wait_for_log = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !log.lock().unwrap().contains(needle) {
            assert!(Instant::now() < deadline, "no {needle:?} in the log: {}", log.lock().unwrap());
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let mut host = login(addr, HOST);
    // Written whole before each signal (a rename), so serve never reads half a file.
    let write_config = |cfg: &TargetConfig| {
        let staged = dir.join("target.json.new");
        std::fs::write(&staged, serde_json::to_string(cfg).unwrap()).unwrap();
        std::fs::rename(&staged, &path).unwrap();
    };
    let hangup = |pid: u32| {
        let status = Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap();
        assert!(status.success());
    };
    cfg.units[0].blocks = BLOCKS * 2;
    write_config(&cfg);
    hangup(child.id());
    assert_eq!(wait_for_capacity(&mut host, BLOCKS, BLOCKS * 2), [Err((0x6, 0x2A, 0x09)), Ok(BLOCKS * 2)]);
    wait_for_log("reload: unit 0 now has 2048 blocks");
    // A change that cannot be made live: refused, logged, nothing changed.
    cfg.units[1].thin = false;
    write_config(&cfg);
    hangup(child.id());
    wait_for_log("reload refused, nothing changed: unit 1: its provisioning (thin) changes");
    assert_eq!(capacity(&mut host, 0), Ok(BLOCKS * 2));
    assert_eq!(capacity(&mut host, 1), Ok(BLOCKS), "no unit attention: nothing changed");
    let _ = host.logout();
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
