//! A deliberately broken lock, for tests only (cargo feature `test-broken-lock`, off by default).
//!
//! COMPARE AND WRITE must compare and write as one atomic operation (SBC-4 5.3). Here it runs as two
//! critical sections instead: a READ of the range (atomic in the back end), the compare outside it, a
//! pause that lets other sessions' commands in, then a WRITE of the write half (atomic again). Two
//! sessions comparing against the same data can then both succeed — what a heartbeat (ATS) lock must
//! never allow, and what `tests/linearizability.rs` must report as a history no sequential order explains.
//!
//! The hook is this one function, called by `Shared::execute` in the task's place in its task set; it
//! moves with that function.

use std::time::Duration;

use offload_scsi::Fields;

use super::Shared;
use crate::backend::{Answer, Command};

const COMPARE_AND_WRITE: u8 = 0x89;
const READ_16: u8 = 0x88;
const WRITE_16: u8 = 0x8A;

/// Runs a well-formed COMPARE AND WRITE in two critical sections; `None` for any other command (and for a
/// COMPARE AND WRITE whose unit or data-out does not fit, which the back end answers as usual).
pub(super) fn compare_and_write(shared: &Shared, command: &Command<'_>) -> Option<Result<Answer, String>> {
    let cdb = command.cdb;
    if cdb.len() != 16 || cdb[0] != COMPARE_AND_WRITE {
        return None;
    }
    let lba = cdb.be64(2);
    let blocks = u32::from(cdb[13]);
    let block_size = shared.config().units.get(usize::from(command.lun))?.block_size as usize;
    let half = blocks as usize * block_size;
    if blocks == 0 || command.data_out.len() != 2 * half {
        return None;
    }
    let (compare, write) = command.data_out.split_at(half);

    let read_cdb = rw16(READ_16, lba, blocks);
    let read = Command { cdb: &read_cdb, data_out: &[], ..*command };
    let current = match shared.execute_one(&read) {
        Ok(answer) if answer.status == 0 => answer.data_in,
        other => return Some(other),
    };
    if current != compare {
        // The real command reports the miscompare (its sense carries the offset).
        return Some(shared.execute_one(command));
    }
    // The window the lock should have closed.
    std::thread::yield_now();
    std::thread::sleep(Duration::from_micros(300));
    let write_cdb = rw16(WRITE_16, lba, blocks);
    let write = Command { cdb: &write_cdb, data_out: write, ..*command };
    Some(shared.execute_one(&write))
}

/// A READ (16) or WRITE (16) CDB.
fn rw16(opcode: u8, lba: u64, blocks: u32) -> [u8; 16] {
    let mut cdb = [0u8; 16];
    cdb[0] = opcode;
    cdb[2..10].copy_from_slice(&lba.to_be_bytes());
    cdb[10..14].copy_from_slice(&blocks.to_be_bytes());
    cdb
}
