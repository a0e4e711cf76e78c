//! One command in ([`Request`]) and its answer out ([`Reply`]), and how a handler stops ([`Stop`]).

use offload_scsi::{GOOD, Sense, SenseBuf};

use crate::effects::{CopySummary, Extent};

/// One command as an initiator sent it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'r> {
    /// The initiator's name (e.g. its iSCSI name): what the access rules and EXTENDED COPY's CSCD
    /// resolution are checked against.
    pub initiator: &'r [u8],
    pub lun: u16,
    pub cdb: &'r [u8],
    pub data_out: &'r [u8],
}

/// The answer to one command. The slices are the front of the caller's data-in and extent storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply<'o> {
    /// GOOD or CHECK CONDITION.
    pub status: u8,
    /// Sense data when the status is CHECK CONDITION, empty otherwise.
    pub sense: SenseBuf,
    /// The data-in (READ only).
    pub data_in: &'o [u8],
    /// The extents the command wrote, in the order it wrote them (also when it then failed).
    pub written: &'o [Extent],
    /// What an EXTENDED COPY did.
    pub copy: Option<CopySummary>,
    /// The extents in `written` must be durable before the status is sent: the command completed GOOD
    /// and asked for FUA, or wrote a unit whose write cache is disabled. One flag for all of them: an
    /// EXTENDED COPY onto units with different write caches makes them all durable — more than asked,
    /// never less.
    pub durable: bool,
    /// False when the fast path did not execute the command and changed nothing: an operation code or
    /// service action it does not implement, a data-in buffer too small for a READ, extent storage shorter
    /// than [`crate::max_extents`], or a unit whose memory does not satisfy [`crate::Unit`]'s rules. The
    /// caller decides what to do with it.
    pub handled: bool,
}

impl Reply<'_> {
    pub(crate) const fn unhandled() -> Self {
        Reply {
            status: GOOD,
            sense: SenseBuf::empty(),
            data_in: &[],
            written: &[],
            copy: None,
            durable: false,
            handled: false,
        }
    }

    /// The sense bytes (empty unless CHECK CONDITION).
    pub fn sense(&self) -> &[u8] {
        self.sense.as_slice()
    }
}

/// Why a handler stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    Check(Sense),
    /// Not executed, nothing changed.
    Unhandled,
}

impl From<Sense> for Stop {
    fn from(sense: Sense) -> Self {
        Stop::Check(sense)
    }
}

/// A handler's result: the data-in length, or why it stopped.
pub(crate) type Outcome = Result<usize, Stop>;
