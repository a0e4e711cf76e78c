//! `offload-fuzz-record OUT_DIR NAME -- CLIENT ARGS...`: records real initiators' sessions as `iscsi_wire`
//! seeds. Serves the target `iscsi_wire` fuzzes (its settings, configuration 0, the model) on a loopback
//! port behind a recording proxy, runs the client with `{portal}` in its arguments replaced by the proxy's
//! `127.0.0.1:PORT`, and writes each connection's initiator-to-target bytes to `OUT_DIR/NAME-<n>`, as a
//! raw `iscsi_wire` input (first byte: raw bytes, configuration 0, the model). Replayed, a recording meets
//! the same answers: the target's tags and sequence numbers depend only on what the initiator sent.
//!
//! Only what the client sends through the proxy is recorded: a connection it makes to an address a
//! SendTargets answer gave is not.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use offload_fuzz::configs::configuration;
use offload_fuzz::iscsi::{RAW, settings};
use offload_iscsi::backend::{self, BackendKind, Media};
use offload_iscsi::target::Target;

/// A recording longer than this is cut (seeds are to be small files).
const MAX_RECORDING: usize = 16 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(split) = args.iter().position(|a| a == "--") else { return usage() };
    let ([out, name], [program, client_args @ ..]) = (&args[..split], &args[split + 1..]) else { return usage() };
    match record(Path::new(out), name, program, client_args) {
        Ok(0) => {
            eprintln!("{name}: the client made no connection");
            ExitCode::FAILURE
        }
        Ok(n) => {
            println!("{name}: {n} connections recorded");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: offload-fuzz-record OUT_DIR NAME -- CLIENT ARGS... ({{portal}} in ARGS: the target's address)");
    ExitCode::from(2)
}

fn record(out: &Path, name: &str, program: &str, args: &[String]) -> io::Result<usize> {
    std::fs::create_dir_all(out)?;
    let backend = backend::build(BackendKind::Model, configuration(0), &Media::Memory).map_err(io::Error::other)?;
    let mut s = settings();
    s.listen = ([127, 0, 0, 1], 0).into();
    let target = Target::bind(s, backend)?.spawn()?;
    let proxy = TcpListener::bind(("127.0.0.1", 0))?;
    let portal = proxy.local_addr()?.to_string();
    let recordings: Arc<Mutex<Vec<JoinHandle<io::Result<()>>>>> = Arc::default();
    let accepting = {
        let recordings = Arc::clone(&recordings);
        let (out, name, target_addr) = (out.to_owned(), name.to_owned(), target.addr());
        thread::spawn(move || {
            for (n, initiator) in proxy.incoming().enumerate() {
                let Ok(initiator) = initiator else { continue };
                let path = out.join(format!("{name}-{n}"));
                let handle = thread::spawn(move || proxy_one(initiator, target_addr, &path));
                recordings.lock().unwrap_or_else(|p| p.into_inner()).push(handle);
            }
        })
    };
    let args: Vec<String> = args.iter().map(|a| a.replace("{portal}", &portal)).collect();
    let status = Command::new(program).args(&args).status()?;
    eprintln!("{name}: {program} exited with {status}");
    // Let the last connections finish, then stop (the accept loop ends with the process).
    thread::sleep(Duration::from_millis(300));
    drop(accepting);
    let handles = std::mem::take(&mut *recordings.lock().unwrap_or_else(|p| p.into_inner()));
    let count = handles.len();
    for h in handles {
        h.join().map_err(|_| io::Error::other("a recording thread panicked"))??;
    }
    target.stop();
    Ok(count)
}

/// Relays one connection both ways; writes what the initiator sent to `path` when it ends.
fn proxy_one(initiator: TcpStream, target: std::net::SocketAddr, path: &PathBuf) -> io::Result<()> {
    let to_target = TcpStream::connect(target)?;
    let (mut from_target, mut to_initiator) = (to_target.try_clone()?, initiator.try_clone()?);
    let answers = thread::spawn(move || {
        let _ = io::copy(&mut from_target, &mut to_initiator);
        let _ = to_initiator.shutdown(Shutdown::Write);
    });
    let mut recorded = vec![RAW];
    let (mut from_initiator, mut to_target) = (initiator, to_target);
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match from_initiator.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to_target.write_all(&buf[..n]).is_err() {
            break;
        }
        let room = MAX_RECORDING.saturating_sub(recorded.len());
        recorded.extend_from_slice(&buf[..n.min(room)]);
    }
    let _ = to_target.shutdown(Shutdown::Write);
    let _ = answers.join();
    std::fs::write(path, recorded)
}
