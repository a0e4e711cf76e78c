//! What the connections share: the back end (every connection executes its own commands on it, on the
//! worker that serves it, at the same time as the other workers: the back end keeps each command atomic,
//! and only a reload has it alone), each logical unit's task set (the order ORDERED tasks ask for, `task_set`), the session table (for TSIH allocation and session reinstatement), the reset
//! epochs that let a LOGICAL UNIT RESET or TARGET WARM RESET abort tasks other sessions are still
//! gathering data for, the registry of open connections, the CHAP challenges issued, and the log.
//!
//! A build with the test-only feature `test-broken-lock` breaks that lock for COMPARE AND WRITE on
//! purpose (`broken_lock`), for the linearizability test to prove it notices.

mod task_set;

pub(crate) use task_set::TaskAttribute;
use task_set::TaskSets;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use offload_model::config::TargetConfig;
use offload_scsi::SenseFormat;

use crate::auth::ChallengeBook;
use crate::backend::{self, Answer, Backend, Command, LiveChange, ReconfigureError};
use crate::counters::{Counters, Event};
use crate::settings::Settings;
use crate::transport::Closer;

#[cfg(feature = "test-broken-lock")]
mod broken_lock;

/// A live session (one connection each: MaxConnections is 1).
struct Live {
    connection: u64,
    tsih: u16,
    /// Closes its connection (`None`: the transport cannot be closed from outside).
    closer: Option<Box<dyn Closer>>,
}

#[derive(Default)]
struct Sessions {
    next_tsih: u16,
    by_nexus: HashMap<(String, [u8; 6]), Live>,
}

/// What every connection shares.
pub(crate) struct Shared {
    pub settings: Settings,
    /// The back end's configuration, readable without taking the back end's lock (a reload changes it).
    config: RwLock<TargetConfig>,
    pub backend_name: &'static str,
    /// Shared by every command; a reload takes it alone.
    backend: RwLock<Box<dyn Backend>>,
    task_sets: TaskSets,
    /// What was executed, for anyone outside to prove the path a client took.
    pub counters: Counters,
    sessions: Mutex<Sessions>,
    connections: Mutex<HashMap<u64, Box<dyn Closer>>>,
    /// Reset epochs: the target's (warm reset) and each unit's (LOGICAL UNIT RESET, CLEAR TASK SET).
    epochs: Mutex<(u64, HashMap<u16, u64>)>,
    next_connection: AtomicU64,
    /// The CHAP challenges the target issued, on any connection.
    pub challenges: ChallengeBook,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A connection that panicked holding a lock must not take the target down with it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub fn new(mut settings: Settings, backend: Box<dyn Backend>) -> Shared {
        let config = backend.config();
        // Always solicit what the largest command the limits allow can carry: a COMPARE AND WRITE or WRITE
        // of MAXIMUM TRANSFER LENGTH blocks of the largest block size (and a parameter list besides).
        let block = config.units.iter().map(|u| u64::from(u.block_size)).max().unwrap_or(512);
        let largest = u64::from(config.limits.max_transfer_blocks) * block * 2 + 65_536;
        settings.max_solicited_bytes = settings.max_solicited_bytes.max(largest.min(u64::from(u32::MAX)) as u32);
        let counters = Counters::new(settings.counters_file.clone());
        Shared {
            settings,
            task_sets: TaskSets::new(config.units.len()),
            config: RwLock::new(config),
            backend_name: backend.name(),
            backend: RwLock::new(backend),
            counters,
            sessions: Mutex::new(Sessions::default()),
            connections: Mutex::new(HashMap::new()),
            epochs: Mutex::new((0, HashMap::new())),
            next_connection: AtomicU64::new(1),
            challenges: ChallengeBook::default(),
        }
    }

    pub fn log(&self, level: u8, message: std::fmt::Arguments<'_>) {
        if self.settings.verbosity >= level {
            eprintln!("offload-iscsi: {message}");
        }
    }

    // ----- the configuration -----

    /// The back end's configuration now.
    pub fn config(&self) -> RwLockReadGuard<'_, TargetConfig> {
        read(&self.config)
    }

    /// Whether `initiator` (a name or an I_T nexus) may reach `lun` now.
    pub fn reachable(&self, initiator: &str, lun: u16) -> bool {
        backend::reachable(&self.config(), initiator, lun)
    }

    /// A reload: the back end takes `config` if it can live; the change is logged, or why not.
    pub fn reconfigure(&self, config: &TargetConfig) -> Result<Vec<LiveChange>, ReconfigureError> {
        // Alone: the commands running now end first, and none starts until the units are as configured.
        let mut backend = write(&self.backend);
        let changes = backend.reconfigure(config)?;
        *write(&self.config) = backend.config();
        Ok(changes)
    }

    // ----- the back end -----

    /// Executes a command on the back end, in its unit's task set as its task attribute orders. A panic
    /// in the back end is caught and reported as a target failure for this command only.
    pub fn execute(&self, command: &Command<'_>, attribute: TaskAttribute) -> Result<Answer, String> {
        let _running = self.task_sets.enter(command.lun, attribute);
        #[cfg(feature = "test-broken-lock")]
        if let Some(answer) = broken_lock::compare_and_write(self, command) {
            return answer;
        }
        self.execute_one(command)
    }

    /// Executes one command on the back end, which runs it atomically.
    fn execute_one(&self, command: &Command<'_>) -> Result<Answer, String> {
        let backend = read(&self.backend);
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| backend.execute(command))) {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the back end panicked on this command".to_owned()),
        };
        let (status, data_in, sense) =
            result.as_ref().map_or((None, 0, &[][..]), |a| (Some(a.status), a.data_in.len(), &a.sense[..]));
        let ran_beside = backend.ran_beside();
        self.counters.command(command.cdb, command.data_out.len(), data_in, status, sense, ran_beside);
        result
    }

    /// Commands that ran beside another on their unit so far (see [`Backend::ran_beside`]).
    pub fn ran_beside(&self) -> u64 {
        read(&self.backend).ran_beside()
    }

    /// The sense format for `lun` (its control mode page's D_SENSE).
    pub fn sense_format(&self, lun: u16) -> SenseFormat {
        read(&self.backend).sense_format(lun)
    }

    /// Whether a command on `lun` may wait for a file (see [`Backend::on_file`]).
    pub fn on_file(&self, lun: u16) -> bool {
        read(&self.backend).on_file(lun)
    }

    /// I_T nexus loss: an initiator's session ended.
    pub fn nexus_lost(&self, initiator: &str) {
        read(&self.backend).nexus_lost(initiator);
    }

    /// LOGICAL UNIT RESET's effect on the back end's state (the tasks are the caller's).
    pub fn logical_unit_reset(&self, nexus: &str, lun: u16) {
        read(&self.backend).logical_unit_reset(nexus, lun);
    }

    /// A target reset's effect on the back end's state.
    pub fn target_reset(&self, nexus: &str) {
        read(&self.backend).target_reset(nexus);
    }

    // ----- reset epochs -----

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

    // ----- sessions -----

    /// Registers a new session for (initiator, ISID), reinstating (closing) an existing one.
    pub fn open_session(
        &self,
        connection: u64,
        initiator: &str,
        isid: [u8; 6],
        closer: Option<Box<dyn Closer>>,
    ) -> u16 {
        let mut s = lock(&self.sessions);
        s.next_tsih = s.next_tsih.checked_add(1).unwrap_or(1);
        let tsih = s.next_tsih;
        if let Some(old) = s.by_nexus.remove(&(initiator.to_owned(), isid)) {
            self.log(1, format_args!("session reinstatement: closing TSIH {} of {initiator}", old.tsih));
            if let Some(closer) = &old.closer {
                closer.close();
            }
        }
        s.by_nexus.insert((initiator.to_owned(), isid), Live { connection, tsih, closer });
        tsih
    }

    /// Whether a session with this TSIH exists.
    pub fn session_exists(&self, tsih: u16) -> bool {
        lock(&self.sessions).by_nexus.values().any(|l| l.tsih == tsih)
    }

    /// The number of sessions in full feature phase.
    pub fn session_count(&self) -> usize {
        lock(&self.sessions).by_nexus.len()
    }

    // ----- connections -----

    /// Registers an accepted connection from `peer` under a new id; `None` when `max_connections` are
    /// open already (dropping the transport then closes it). `closer` ends it at TARGET COLD RESET or stop.
    pub fn register_connection(&self, peer: &str, closer: Option<Box<dyn Closer>>) -> Option<u64> {
        let id = self.next_connection.fetch_add(1, Ordering::SeqCst);
        let mut connections = lock(&self.connections);
        if connections.len() >= self.settings.max_connections {
            self.log(1, format_args!("too many connections: closing {peer}"));
            return None;
        }
        if let Some(closer) = closer {
            connections.insert(id, closer);
        }
        self.counters.event(Event::ConnectionAccepted);
        Some(id)
    }

    /// Forgets a connection that ended, and the session it carried.
    pub fn connection_closed(&self, id: u64) {
        lock(&self.connections).remove(&id);
        lock(&self.sessions).by_nexus.retain(|_, live| live.connection != id);
        self.counters.event(Event::ConnectionClosed);
    }

    /// Drops every connection (TARGET COLD RESET, shutdown).
    pub fn drop_all_connections(&self) {
        for closer in lock(&self.connections).values() {
            closer.close();
        }
    }
}
