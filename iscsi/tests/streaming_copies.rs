//! `offload-iscsi serve` runs itself again with glibc's non-temporal threshold lowered, so that a 4 MiB
//! EXTENDED COPY segment's `memcpy` streams its stores (README, "Copies at memory speed") — and leaves a
//! threshold the environment already sets alone. Read from the running server's own environment.
#![cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TUNABLE: &str = "glibc.cpu.x86_non_temporal_threshold";

/// `serve` with `GLIBC_TUNABLES` as given (`None`: unset), once it accepts connections.
fn serve(tunables: Option<&str>) -> Child {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut command = Command::new(env!("CARGO_BIN_EXE_offload-iscsi"));
    command.args(["serve", "--quiet", "--listen", &addr.to_string(), "--capacity", "1MiB"]);
    command.env_remove("GLIBC_TUNABLES");
    if let Some(t) = tunables {
        command.env("GLIBC_TUNABLES", t);
    }
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().unwrap();
    for _ in 0..500 {
        if TcpStream::connect(addr).is_ok() {
            return child;
        }
        assert!(child.try_wait().unwrap().is_none(), "offload-iscsi serve exited");
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    panic!("offload-iscsi serve did not listen on {addr}");
}

/// The GLIBC_TUNABLES the running process `child` has, one tunable an entry. glibc's loader parses the
/// variable where it lies, ending each tunable's value with a NUL, so the process's environment shows
/// the first tunable as the variable and each further one as an entry of its own.
fn tunables_of(child: &Child) -> Vec<String> {
    let environ = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    let entries: Vec<&str> = environ.split(|&b| b == 0).filter_map(|v| std::str::from_utf8(v).ok()).collect();
    let Some(at) = entries.iter().position(|v| v.starts_with("GLIBC_TUNABLES=")) else { return Vec::new() };
    let first = entries[at].trim_start_matches("GLIBC_TUNABLES=");
    let rest = entries[at + 1..].iter().take_while(|v| v.starts_with("glibc."));
    std::iter::once(first).chain(rest.copied()).map(str::to_owned).collect()
}

/// Kills the server when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_streams_copies_of_a_mebibyte_and_more_unless_told_otherwise() {
    let ours = format!("{TUNABLE}=0x100000");
    let plain = Running(serve(None));
    assert_eq!(tunables_of(&plain.0), std::slice::from_ref(&ours));

    // Other tunables are kept, the threshold added after them.
    let other = Running(serve(Some("glibc.malloc.arena_max=2")));
    assert_eq!(tunables_of(&other.0), ["glibc.malloc.arena_max=2".to_owned(), ours]);

    // A threshold the environment sets is the operator's choice.
    let chosen = format!("{TUNABLE}=0x6300000");
    let kept = Running(serve(Some(&chosen)));
    assert_eq!(tunables_of(&kept.0), [chosen]);
}
