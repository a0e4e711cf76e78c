//! Reservations' vocabulary: how each command stands toward a reservation (its [`ReservationClass`], a
//! column of the command table), the persistent reservation types (SPC-4 6.15.4) and the
//! PERSISTENT RESERVE IN / OUT service actions (SPC-4 6.15.1, 6.16.1).
//!
//! The classes are the rows of SPC-4's table "SPC commands that are allowed in the presence of various
//! reservations" (in 5.12) and SBC-4's "SBC commands that are allowed in the presence of various reservations",
//! grouped by the pattern of Allowed / Conflict they print; each implementation applies them.

/// How a command stands toward reservations held by another I_T nexus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReservationClass {
    /// Allowed whatever the reservation: INQUIRY, REPORT LUNS, READ CAPACITY, PERSISTENT RESERVE IN,
    /// REPORT SUPPORTED OPERATION CODES, REPORT TARGET PORT GROUPS.
    Allowed,
    /// Allowed under every persistent reservation, in conflict with an SPC-2 reservation held by another
    /// I_T nexus: TEST UNIT READY, and PERSISTENT RESERVE OUT (whose service actions apply their own
    /// rules, SPC-4 5.12.2).
    Spc2Conflict,
    /// Reads the medium: shared under the Write Exclusive types, in conflict under Exclusive Access
    /// (READ, GET LBA STATUS; the source of an EXTENDED COPY segment).
    Read,
    /// Only the holder, or registrants under a registrants-only or all-registrants type: every write
    /// (WRITE, WRITE SAME, UNMAP, COMPARE AND WRITE, SYNCHRONIZE CACHE; the destination of an EXTENDED
    /// COPY segment) and the commands the tables give the same row (MODE SENSE, MODE SELECT, RECEIVE
    /// COPY RESULTS).
    Exclusive,
    /// RESERVE and RELEASE: their handlers apply SPC-2 and SPC-4 5.12.3 (both conflict while any I_T
    /// nexus is registered).
    Spc2Reservation,
    /// EXTENDED COPY: the addressed logical unit is not checked as such; the copy manager checks each
    /// segment's source ([`Read`](Self::Read)) and destination ([`Exclusive`](Self::Exclusive)) for the
    /// issuing I_T nexus ("Policy" in SPC-4's table).
    CopyManager,
}

/// A persistent reservation type (SPC-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReservationType {
    WriteExclusive = 0x1,
    ExclusiveAccess = 0x3,
    WriteExclusiveRegistrantsOnly = 0x5,
    ExclusiveAccessRegistrantsOnly = 0x6,
    WriteExclusiveAllRegistrants = 0x7,
    ExclusiveAccessAllRegistrants = 0x8,
}

impl ReservationType {
    pub const ALL: [ReservationType; 6] = [
        ReservationType::WriteExclusive,
        ReservationType::ExclusiveAccess,
        ReservationType::WriteExclusiveRegistrantsOnly,
        ReservationType::ExclusiveAccessRegistrantsOnly,
        ReservationType::WriteExclusiveAllRegistrants,
        ReservationType::ExclusiveAccessAllRegistrants,
    ];

    /// The type a TYPE field (PERSISTENT RESERVE OUT CDB byte 2, bits 3–0) names.
    pub fn from_code(code: u8) -> Option<ReservationType> {
        ReservationType::ALL.into_iter().find(|t| *t as u8 == code)
    }

    /// All-registrants types: every registered I_T nexus is a reservation holder (SPC-4 5.12.10).
    pub const fn all_registrants(self) -> bool {
        matches!(self, ReservationType::WriteExclusiveAllRegistrants | ReservationType::ExclusiveAccessAllRegistrants)
    }

    /// Registrants-only and all-registrants types: registered I_T nexuses are not in conflict.
    pub const fn registrants_share(self) -> bool {
        !matches!(self, ReservationType::WriteExclusive | ReservationType::ExclusiveAccess)
    }

    /// Write Exclusive types: reads are shared with every I_T nexus.
    pub const fn reads_shared(self) -> bool {
        matches!(
            self,
            ReservationType::WriteExclusive
                | ReservationType::WriteExclusiveRegistrantsOnly
                | ReservationType::WriteExclusiveAllRegistrants
        )
    }
}

/// PERSISTENT RESERVE IN service actions (SPC-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrIn {
    ReadKeys = 0x00,
    ReadReservation = 0x01,
    ReportCapabilities = 0x02,
    ReadFullStatus = 0x03,
}

/// PERSISTENT RESERVE OUT service actions (SPC-4); REGISTER AND MOVE (07h) is not implemented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrOut {
    Register = 0x00,
    Reserve = 0x01,
    Release = 0x02,
    Clear = 0x03,
    Preempt = 0x04,
    PreemptAndAbort = 0x05,
    RegisterAndIgnoreExistingKey = 0x06,
}

/// LU_SCOPE: the only SCOPE (PERSISTENT RESERVE OUT CDB byte 2, bits 7–4) SPC-4 leaves defined.
pub const LU_SCOPE: u8 = 0x0;

/// The PERSISTENT RESERVE OUT parameter list's length with SPEC_I_PT=0 (SPC-4 6.16.3).
pub const PROUT_PARAMETER_LIST_LEN: usize = 24;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes_round_trip_and_reserved_codes_name_none() {
        for t in ReservationType::ALL {
            assert_eq!(ReservationType::from_code(t as u8), Some(t));
        }
        for code in [0x0, 0x2, 0x4, 0x9, 0xF] {
            assert_eq!(ReservationType::from_code(code), None, "{code:#x}");
        }
    }
}
