//! The target: a listening socket, one thread per connection, and what the connections share — the
//! back end (behind a mutex: commands from all sessions execute one at a time, in arrival order), the
//! session table (for TSIH allocation and session reinstatement) and the reset epochs that let a LOGICAL
//! UNIT RESET or TARGET WARM RESET abort tasks other sessions are still gathering data for.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use offload_model::config::TargetConfig;

use crate::backend::{Answer, Backend, Command};
use crate::text::Policy;

/// How the target presents itself and what it negotiates.
#[derive(Clone, Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    /// The iSCSI name of the one target this portal serves.
    pub target_name: String,
    pub target_alias: Option<String>,
    pub portal_group_tag: u16,
    pub policy: Policy,
    /// CmdSN window: MaxCmdSN = ExpCmdSN + queue_depth − 1.
    pub queue_depth: u32,
    /// Largest Expected Data Transfer Length the target solicits data for; a write expecting more gets
    /// only its unsolicited data and is executed with it (the SCSI layer then judges the short data-out).
    pub max_solicited_bytes: u32,
    /// Connections served at once; more are closed on arrival.
    pub max_connections: usize,
    /// How long a login may stay silent before the connection is dropped.
    pub login_timeout: Duration,
    /// 0 quiet, 1 sessions and errors, 2 every PDU.
    pub verbosity: u8,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 3260)),
            target_name: DEFAULT_TARGET_NAME.to_owned(),
            target_alias: Some("offload".to_owned()),
            portal_group_tag: 1,
            policy: Policy::default(),
            queue_depth: 128,
            max_solicited_bytes: 64 << 20,
            max_connections: 64,
            login_timeout: Duration::from_secs(30),
            verbosity: 1,
        }
    }
}

/// The target's default iSCSI name.
pub const DEFAULT_TARGET_NAME: &str = "iqn.2026-11.org.offload:target";

/// A live session (one connection each: MaxConnections is 1).
struct Live {
    connection: u64,
    tsih: u16,
    stream: TcpStream,
}

#[derive(Default)]
struct Sessions {
    next_tsih: u16,
    by_nexus: HashMap<(String, [u8; 6]), Live>,
}

/// What every connection thread shares.
pub(crate) struct Shared {
    pub settings: Settings,
    /// The back end's configuration, readable without taking the back end's lock.
    pub config: TargetConfig,
    pub backend_name: &'static str,
    backend: Mutex<Box<dyn Backend>>,
    sessions: Mutex<Sessions>,
    connections: Mutex<HashMap<u64, TcpStream>>,
    /// Reset epochs: the target's (warm reset) and each unit's (LOGICAL UNIT RESET, CLEAR TASK SET).
    epochs: Mutex<(u64, HashMap<u16, u64>)>,
    next_connection: AtomicU64,
    stopping: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A connection thread that panicked must not take the target down with it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub fn log(&self, level: u8, message: std::fmt::Arguments<'_>) {
        if self.settings.verbosity >= level {
            eprintln!("offload-iscsi: {message}");
        }
    }

    /// Executes a command on the back end. A panic in the back end is caught and reported as a target
    /// failure for this command only.
    pub fn execute(&self, command: &Command<'_>) -> Result<Answer, String> {
        let mut backend = lock(&self.backend);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| backend.execute(command))) {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the back end panicked on this command".to_owned()),
        }
    }

    /// Whether sense for `lun` is in descriptor format.
    pub fn descriptor_sense(&self, lun: u16) -> bool {
        lock(&self.backend).descriptor_sense(lun)
    }

    /// I_T nexus loss: an initiator's session ended.
    pub fn nexus_lost(&self, initiator: &str) {
        lock(&self.backend).nexus_lost(initiator);
    }

    /// The epoch a task on `lun` starts in.
    pub fn epoch(&self, lun: u16) -> (u64, u64) {
        let e = lock(&self.epochs);
        (e.0, e.1.get(&lun).copied().unwrap_or(0))
    }

    /// Aborts every task on `lun` (all sessions) that has not started executing.
    pub fn reset_lun(&self, lun: u16) {
        *lock(&self.epochs).1.entry(lun).or_insert(0) += 1;
    }

    /// Aborts every task of every session that has not started executing.
    pub fn reset_target(&self) {
        lock(&self.epochs).0 += 1;
    }

    /// Registers a new session for (initiator, ISID), reinstating (closing) an existing one.
    pub fn open_session(&self, connection: u64, initiator: &str, isid: [u8; 6], stream: &TcpStream) -> u16 {
        let mut s = lock(&self.sessions);
        s.next_tsih = s.next_tsih.checked_add(1).unwrap_or(1);
        let tsih = s.next_tsih;
        let clone = stream.try_clone();
        if let Some(old) = s.by_nexus.remove(&(initiator.to_owned(), isid)) {
            self.log(1, format_args!("session reinstatement: closing TSIH {} of {initiator}", old.tsih));
            let _ = old.stream.shutdown(Shutdown::Both);
        }
        if let Ok(stream) = clone {
            s.by_nexus.insert((initiator.to_owned(), isid), Live { connection, tsih, stream });
        }
        tsih
    }

    pub fn close_session(&self, connection: u64) {
        lock(&self.sessions).by_nexus.retain(|_, live| live.connection != connection);
    }

    /// Whether a session with this TSIH exists.
    pub fn session_exists(&self, tsih: u16) -> bool {
        lock(&self.sessions).by_nexus.values().any(|l| l.tsih == tsih)
    }

    /// Drops every connection (TARGET COLD RESET, shutdown).
    pub fn drop_all_connections(&self) {
        for stream in lock(&self.connections).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The number of sessions in full feature phase.
    pub fn session_count(&self) -> usize {
        lock(&self.sessions).by_nexus.len()
    }
}

/// A bound target, not yet accepting.
pub struct Target {
    shared: Arc<Shared>,
    listener: TcpListener,
}

impl Target {
    /// Binds the portal. Port 0 picks a free port ([`Target::local_addr`] tells which).
    pub fn bind(mut settings: Settings, backend: Box<dyn Backend>) -> io::Result<Target> {
        let listener = TcpListener::bind(settings.listen)?;
        let config = backend.config().clone();
        // Always solicit what the largest command the limits allow can carry: a COMPARE AND WRITE or WRITE
        // of MAXIMUM TRANSFER LENGTH blocks of the largest block size (and a parameter list besides).
        let block = config.units.iter().map(|u| u64::from(u.block_size)).max().unwrap_or(512);
        let largest = u64::from(config.limits.max_transfer_blocks) * block * 2 + 65_536;
        settings.max_solicited_bytes = settings.max_solicited_bytes.max(largest.min(u64::from(u32::MAX)) as u32);
        let backend_name = backend.name();
        let shared = Arc::new(Shared {
            settings,
            config,
            backend_name,
            backend: Mutex::new(backend),
            sessions: Mutex::new(Sessions::default()),
            connections: Mutex::new(HashMap::new()),
            epochs: Mutex::new((0, HashMap::new())),
            next_connection: AtomicU64::new(1),
            stopping: AtomicBool::new(false),
        });
        Ok(Target { shared, listener })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until [`RunningTarget::stop`] (or forever).
    pub fn run(self) -> io::Result<()> {
        let addr = self.listener.local_addr()?;
        self.shared.log(
            1,
            format_args!(
                "serving {} on {addr} ({} back end, {} units)",
                self.shared.settings.target_name,
                self.shared.backend_name,
                self.shared.config.units.len()
            ),
        );
        for stream in self.listener.incoming() {
            if self.shared.stopping.load(Ordering::SeqCst) {
                break;
            }
            let stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    self.shared.log(1, format_args!("accept: {e}"));
                    continue;
                }
            };
            let id = self.shared.next_connection.fetch_add(1, Ordering::SeqCst);
            {
                let mut connections = lock(&self.shared.connections);
                if connections.len() >= self.shared.settings.max_connections {
                    self.shared.log(1, format_args!("too many connections: closing {:?}", stream.peer_addr()));
                    continue;
                }
                if let Ok(clone) = stream.try_clone() {
                    connections.insert(id, clone);
                }
            }
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new().name(format!("iscsi-conn-{id}")).spawn(move || {
                crate::connection::serve(&shared, stream, id);
                lock(&shared.connections).remove(&id);
                shared.close_session(id);
            });
            if let Err(e) = spawned {
                self.shared.log(1, format_args!("cannot start a connection thread: {e}"));
                lock(&self.shared.connections).remove(&id);
            }
        }
        Ok(())
    }

    /// Accepts on a background thread.
    pub fn spawn(self) -> io::Result<RunningTarget> {
        let addr = self.local_addr()?;
        let shared = Arc::clone(&self.shared);
        let thread = std::thread::Builder::new().name("iscsi-accept".into()).spawn(move || self.run())?;
        Ok(RunningTarget { addr, shared, thread: Some(thread) })
    }
}

/// A target accepting on a background thread; stopped when dropped.
pub struct RunningTarget {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl RunningTarget {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sessions in full feature phase now.
    pub fn sessions(&self) -> usize {
        self.shared.session_count()
    }

    /// Stops accepting and drops every connection.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.shared.stopping.store(true, Ordering::SeqCst);
            // Wake the accept loop.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
            let _ = thread.join();
            self.shared.drop_all_connections();
        }
    }
}

impl Drop for RunningTarget {
    fn drop(&mut self) {
        self.shutdown();
    }
}
