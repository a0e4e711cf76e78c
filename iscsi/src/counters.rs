//! The target's own account of what it executed: for every command (named as the shared command table
//! names it) how many arrived and how they ended, the bytes that crossed the host link, and the
//! connections and logins.
//!
//! A client may hide which path it took — QEMU's `qemu-img convert -C` silently falls back to READ and
//! WRITE when an EXTENDED COPY fails — so a test outside the process proves the path from these counts.
//! With `serve --counters FILE` they are written to FILE as JSON after every command and every closed
//! connection, replaced atomically (written beside it, then renamed), so a reader never sees half a file.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

use offload_scsi::command;
use offload_scsi::sense::decode;
use serde::Serialize;

/// How the commands of one kind ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CommandCount {
    pub received: u64,
    pub good: u64,
    pub check_condition: u64,
    /// Any other SCSI status, or a back-end failure.
    pub other: u64,
    /// CHECK CONDITIONs by their sense, "KEY/ASC/ASCQ" in hex ("A/0D/02": COPY ABORTED, COPY TARGET
    /// DEVICE NOT REACHABLE); "undecodable" for sense the vocabulary's decoder refuses.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sense: BTreeMap<String, u64>,
}

/// Everything counted so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// By command name ("EXTENDED COPY(LID1)", "WRITE(16)", …); an operation code the table does not know
    /// is counted as "opcode XXh".
    pub commands: BTreeMap<String, CommandCount>,
    pub data_out_bytes: u64,
    pub data_in_bytes: u64,
    pub connections_accepted: u64,
    pub connections_closed: u64,
    pub logins: u64,
    pub login_failures: u64,
    /// Tasks whose data-out outgrew the buffer reserved for it when the command arrived: each regrowth
    /// moved what had arrived so far. The target reserves for all a task can gather, so this stays 0.
    pub data_out_regrowths: u64,
    /// Commands that started while another command ran on blocks of the same unit disjoint from theirs
    /// (the back end's count, [`crate::backend::Backend::ran_beside`]): 0 on the model back end, which
    /// runs one command at a time.
    pub ran_beside: u64,
}

impl Tally {
    /// The count for the command named `name` (zero if none arrived).
    pub fn command(&self, name: &str) -> CommandCount {
        self.commands.get(name).cloned().unwrap_or_default()
    }
}

/// What the connections report as they go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    ConnectionAccepted,
    ConnectionClosed,
    Login,
    LoginFailure,
    /// A task's data-out buffer was regrown (see [`Tally::data_out_regrowths`]).
    DataOutRegrown,
}

/// The counters, shared by every connection.
#[derive(Debug, Default)]
pub struct Counters {
    tally: Mutex<Tally>,
    /// Where they are written as they change (`serve --counters`).
    file: Option<PathBuf>,
}

/// The name a command is counted under.
fn command_name(cdb: &[u8]) -> String {
    match command::lookup(cdb) {
        Ok(spec) => spec.name.to_owned(),
        Err(_) => cdb.first().map_or_else(|| "empty CDB".to_owned(), |op| format!("opcode {op:02X}h")),
    }
}

/// The name a CHECK CONDITION's sense is counted under.
fn sense_name(sense: &[u8]) -> String {
    match decode(sense) {
        Ok(s) => format!("{:X}/{:02X}/{:02X}", s.key.0, s.asc.0, s.asc.1),
        Err(_) => "undecodable".to_owned(),
    }
}

impl Counters {
    /// Counters written to `file` as they change (or kept in memory only).
    pub fn new(file: Option<PathBuf>) -> Self {
        Counters { tally: Mutex::new(Tally::default()), file }
    }

    /// Counts one executed command: its CDB, the data it carried each way, its status (`None`: the
    /// back end failed) and sense; `ran_beside` is the back end's count after it.
    pub fn command(
        &self,
        cdb: &[u8],
        data_out: usize,
        data_in: usize,
        status: Option<u8>,
        sense: &[u8],
        ran_beside: u64,
    ) {
        self.update(|t| {
            // Commands end out of order: the count only grows.
            t.ran_beside = t.ran_beside.max(ran_beside);
            let count = t.commands.entry(command_name(cdb)).or_default();
            count.received += 1;
            match status {
                Some(offload_scsi::GOOD) => count.good += 1,
                Some(offload_scsi::CHECK_CONDITION) => {
                    count.check_condition += 1;
                    *count.sense.entry(sense_name(sense)).or_default() += 1;
                }
                _ => count.other += 1,
            }
            t.data_out_bytes += data_out as u64;
            t.data_in_bytes += data_in as u64;
        });
    }

    /// Counts a connection or login event.
    pub fn event(&self, event: Event) {
        self.update(|t| match event {
            Event::ConnectionAccepted => t.connections_accepted += 1,
            Event::ConnectionClosed => t.connections_closed += 1,
            Event::Login => t.logins += 1,
            Event::LoginFailure => t.login_failures += 1,
            Event::DataOutRegrown => t.data_out_regrowths += 1,
        });
    }

    /// A copy of the counts.
    pub fn snapshot(&self) -> Tally {
        self.tally.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn update(&self, change: impl FnOnce(&mut Tally)) {
        let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut tally);
        if let Some(path) = &self.file {
            // Counting must never fail a command: a file that cannot be written is left stale.
            let _ = write_atomically(path, &tally);
        }
    }
}

fn write_atomically(path: &PathBuf, tally: &Tally) -> io::Result<()> {
    let mut staged = path.clone().into_os_string();
    staged.push(".new");
    let text = serde_json::to_string_pretty(tally).map_err(io::Error::other)?;
    std::fs::write(&staged, text + "\n")?;
    std::fs::rename(&staged, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use offload_scsi::{Asc, Sense, SenseFormat, SenseKey};

    #[test]
    fn commands_are_counted_by_the_tables_name_and_outcome() {
        let c = Counters::new(None);
        let xcopy = [0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        // COPY ABORTED, COPY TARGET DEVICE NOT REACHABLE, as the vocabulary encodes it.
        let aborted = Sense::new(SenseKey::COPY_ABORTED, Asc::COPY_TARGET_NOT_REACHABLE).encode(SenseFormat::Fixed);
        c.command(&xcopy, 108, 0, Some(offload_scsi::GOOD), &[], 0);
        c.command(&xcopy, 108, 0, Some(offload_scsi::CHECK_CONDITION), aborted.as_slice(), 0);
        c.command(&[0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], 0, 512, None, &[], 0);
        c.command(&[0xC7], 0, 0, Some(offload_scsi::CHECK_CONDITION), &[0x7F], 0);
        let t = c.snapshot();
        let sense = BTreeMap::from([("A/0D/02".to_owned(), 1)]);
        let expected = CommandCount { received: 2, good: 1, check_condition: 1, other: 0, sense };
        assert_eq!(t.command("EXTENDED COPY(LID1)"), expected);
        assert_eq!(t.command("READ(10)"), CommandCount { received: 1, other: 1, ..CommandCount::default() });
        assert_eq!(t.command("opcode C7h").sense, BTreeMap::from([("undecodable".to_owned(), 1)]));
        assert_eq!((t.data_out_bytes, t.data_in_bytes), (216, 512));
    }

    #[test]
    fn the_file_is_replaced_whole_on_every_change() {
        let dir = std::env::temp_dir().join(format!("offload-counters-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("counters.json");
        let c = Counters::new(Some(path.clone()));
        c.event(Event::ConnectionAccepted);
        c.command(&[0x00, 0, 0, 0, 0, 0], 0, 0, Some(offload_scsi::GOOD), &[], 0);
        let read: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(read["connections_accepted"], 1);
        assert_eq!(read["commands"]["TEST UNIT READY"]["good"], 1);
        assert!(!dir.join("counters.json.new").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
