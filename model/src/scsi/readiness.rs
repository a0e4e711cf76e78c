//! The stopped state every medium access obeys (SBC-4, START STOP UNIT and the power conditions): while START STOP UNIT has a logical
//! unit stopped, a command that accesses its medium — [`Command::accesses_medium`], TEST UNIT READY
//! included, which reports the state — is terminated with NOT READY, LOGICAL UNIT NOT READY,
//! INITIALIZING COMMAND REQUIRED (04h/02h): the initializing command is START STOP UNIT with START=1.
//!
//! One check, called once by the front end after the LUN and reserved-bit checks, and through
//! [`super::Target::refusal`] by a back end that runs the command elsewhere.

use super::TargetState;
use offload_scsi::{Asc, Command, Sense, SenseKey};

/// NOT READY 04h/02h for a medium access to a stopped unit.
pub fn check(state: &TargetState, lun: u16, command: Command) -> Result<(), Sense> {
    if command.accesses_medium() && state.stopped(lun) {
        return Err(Sense::new(SenseKey::NOT_READY, Asc::NOT_READY_INITIALIZING_COMMAND_REQUIRED));
    }
    Ok(())
}
