//! Unit attention conditions (SAM-5 5.14): for each I_T nexus and logical unit, the events the
//! application client has not yet been told of — a reset, a lost nexus, a change another nexus or the
//! target made to parameters, capacity or the LUN inventory.
//!
//! Each (I_T nexus, logical unit) has a queue of pending conditions, reported one a command and cleared
//! as reported (UA_INTLCK_CTRL is 00b in the control mode page and not changeable: a condition is
//! cleared when its CHECK CONDITION is returned). The queue keeps SAM-5's precedence: conditions
//! are reported highest precedence first, and in the order they were established within one
//! precedence. The precedence classes, highest first:
//! 1. POWER ON, RESET, OR BUS DEVICE RESET OCCURRED (29/00);
//! 2. the resets: SCSI BUS RESET OCCURRED (29/02, a hard reset: TARGET WARM/COLD RESET) and BUS DEVICE
//!    RESET FUNCTION OCCURRED (29/03, a LOGICAL UNIT RESET);
//! 3. I_T NEXUS LOSS OCCURRED (29/07);
//! 4. every other condition (2A/01, 2A/03–05, 2A/09, 3F/0E, ...).
//!
//! A condition of classes 1–3 supersedes the queued conditions of lower precedence: they described
//! state the reset or the lost nexus has already replaced (a reset returns the mode parameters to their
//! defaults, discards reservations' side effects the lower conditions reported, and so on), so they are
//! cleared. A condition already queued is not queued twice. The queue holds [`QUEUE_DEPTH`] conditions
//! (SAM-5 leaves the depth to the device server); when it is full, a new condition takes the place of
//! the newest lowest-precedence one only if it has higher precedence, and is otherwise not queued — the
//! application client still learns, from what is queued, that it must look again.
//!
//! A nexus is *met* the first time the device server examines its conditions. With
//! `TargetConfig::power_on_unit_attention` the nexus then finds 29/00 pending on every logical unit: it
//! did not exist at power on, so it is told of it (SAM-5 6.3.1). A nexus that was lost and comes back
//! (the same SCSI initiator port name) is not new: it finds 29/07 instead.

use std::collections::{BTreeMap, BTreeSet};

use offload_scsi::{Asc, Sense, SenseKey};

/// Conditions queued for one I_T nexus on one logical unit at most.
pub const QUEUE_DEPTH: usize = 8;

/// The precedence class of a condition: 0 highest.
fn precedence(asc: Asc) -> u8 {
    match asc {
        Asc::POWER_ON_RESET => 0,
        Asc::SCSI_BUS_RESET | Asc::BUS_DEVICE_RESET => 1,
        Asc::I_T_NEXUS_LOSS => 2,
        _ => 3,
    }
}

/// The class of the conditions that supersede nothing.
const ORDINARY: u8 = 3;

/// One (I_T nexus, logical unit)'s pending conditions, highest precedence first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Queue(Vec<Asc>);

impl Queue {
    fn establish(&mut self, asc: Asc) {
        if self.0.contains(&asc) {
            return;
        }
        let class = precedence(asc);
        if class < ORDINARY {
            self.0.retain(|&queued| precedence(queued) <= class);
        }
        let at = self.0.iter().position(|&queued| precedence(queued) > class).unwrap_or(self.0.len());
        if self.0.len() == QUEUE_DEPTH {
            if at == self.0.len() {
                return;
            }
            self.0.pop();
        }
        self.0.insert(at, asc);
    }
}

/// Every I_T nexus's pending unit attention conditions, per logical unit.
#[derive(Clone, Debug)]
pub struct UnitAttentions {
    units: u16,
    power_on: bool,
    /// Every nexus met so far (a lost one too: it keeps its identity).
    met: BTreeSet<String>,
    queues: BTreeMap<(String, u16), Queue>,
}

impl UnitAttentions {
    /// No condition pending, for a target of `units` logical units; `power_on`: each nexus finds 29/00
    /// when first met.
    pub fn new(units: usize, power_on: bool) -> Self {
        UnitAttentions { units: units as u16, power_on, met: BTreeSet::new(), queues: BTreeMap::new() }
    }

    /// Meets `nexus` if it is new: with power-on unit attentions, 29/00 on every logical unit.
    pub fn meet(&mut self, nexus: &str) {
        if self.met.insert(nexus.to_owned()) && self.power_on {
            for lun in 0..self.units {
                self.queue(nexus, lun).establish(Asc::POWER_ON_RESET);
            }
        }
    }

    fn queue(&mut self, nexus: &str, lun: u16) -> &mut Queue {
        self.queues.entry((nexus.to_owned(), lun)).or_default()
    }

    /// Establishes the unit attention `asc` for `nexus` on `lun` — the entry point for whatever causes
    /// one (reservations: 2A/03, 2A/04, 2A/05).
    pub fn establish(&mut self, nexus: &str, lun: u16, asc: Asc) {
        self.meet(nexus);
        self.queue(nexus, lun).establish(asc);
    }

    /// Establishes `asc` on `lun` for every nexus met so far except `except` (the one whose command
    /// caused it).
    pub fn establish_for_all(&mut self, lun: u16, asc: Asc, except: Option<&str>) {
        let others: Vec<String> = self.met.iter().filter(|n| Some(n.as_str()) != except).cloned().collect();
        for nexus in others {
            self.queue(&nexus, lun).establish(asc);
        }
    }

    /// The nexuses met so far.
    pub fn nexuses(&self) -> impl Iterator<Item = &str> {
        self.met.iter().map(String::as_str)
    }

    /// The condition `nexus` would be told of next on `lun`, left pending.
    pub fn pending(&mut self, nexus: &str, lun: u16) -> Option<Asc> {
        self.meet(nexus);
        self.queues.get(&(nexus.to_owned(), lun)).and_then(|q| q.0.first().copied())
    }

    /// The condition `nexus` is told of next on `lun`, cleared: the sense a CHECK CONDITION or REQUEST
    /// SENSE reports.
    pub fn take(&mut self, nexus: &str, lun: u16) -> Option<Sense> {
        self.meet(nexus);
        let queue = self.queues.get_mut(&(nexus.to_owned(), lun))?;
        (!queue.0.is_empty()).then(|| Sense::new(SenseKey::UNIT_ATTENTION, queue.0.remove(0)))
    }

    /// Clears `asc` for `nexus` on every logical unit (REPORT LUNS and 3F/0E).
    pub fn clear(&mut self, nexus: &str, asc: Asc) {
        self.meet(nexus);
        for ((_, _), queue) in self.queues.range_mut((nexus.to_owned(), 0)..=(nexus.to_owned(), u16::MAX)) {
            queue.0.retain(|&queued| queued != asc);
        }
    }

    /// I_T nexus loss (SAM-5 6.3.4): `nexus` finds 29/07 on every logical unit when it comes back.
    pub fn nexus_lost(&mut self, nexus: &str) {
        self.meet(nexus);
        for lun in 0..self.units {
            self.queue(nexus, lun).establish(Asc::I_T_NEXUS_LOSS);
        }
    }
}

/// The unit attention check every command passes before its handler (SAM-5 5.14, SPC-4 table of
/// commands allowed under a unit attention): INQUIRY, REPORT LUNS and REQUEST SENSE are processed with
/// the condition left pending (REQUEST SENSE and REPORT LUNS then clear what they report); any other
/// command is terminated with CHECK CONDITION and the next pending condition, which is cleared.
pub fn check(
    attentions: &mut UnitAttentions,
    nexus: &str,
    lun: u16,
    command: offload_scsi::Command,
) -> Result<(), Sense> {
    use offload_scsi::Command;
    if matches!(command, Command::Inquiry | Command::ReportLuns | Command::RequestSense) {
        attentions.meet(nexus);
        return Ok(());
    }
    attentions.take(nexus, lun).map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "host-a";
    const B: &str = "host-b";

    fn drain(u: &mut UnitAttentions, nexus: &str, lun: u16) -> Vec<Asc> {
        std::iter::from_fn(|| u.take(nexus, lun).map(|s| s.asc)).take(QUEUE_DEPTH + 1).collect()
    }

    #[test]
    fn a_new_nexus_finds_power_on_only_when_configured() {
        let mut on = UnitAttentions::new(2, true);
        assert_eq!(drain(&mut on, A, 1), [Asc::POWER_ON_RESET]);
        assert_eq!(drain(&mut on, A, 0), [Asc::POWER_ON_RESET], "each unit");
        assert_eq!(drain(&mut on, A, 0), [], "cleared once reported");
        let mut off = UnitAttentions::new(2, false);
        assert_eq!(drain(&mut off, A, 0), []);
    }

    #[test]
    fn precedence_orders_and_resets_supersede() {
        let mut u = UnitAttentions::new(1, false);
        u.establish(A, 0, Asc::MODE_PARAMETERS_CHANGED);
        u.establish(A, 0, Asc::CAPACITY_DATA_CHANGED);
        u.establish(A, 0, Asc::MODE_PARAMETERS_CHANGED);
        assert_eq!(u.pending(A, 0), Some(Asc::MODE_PARAMETERS_CHANGED), "first established first");
        u.establish(A, 0, Asc::I_T_NEXUS_LOSS);
        u.establish(A, 0, Asc::REPORTED_LUNS_DATA_CHANGED);
        assert_eq!(drain(&mut u, A, 0), [Asc::I_T_NEXUS_LOSS, Asc::REPORTED_LUNS_DATA_CHANGED]);
        u.establish(A, 0, Asc::I_T_NEXUS_LOSS);
        u.establish(A, 0, Asc::BUS_DEVICE_RESET);
        u.establish(A, 0, Asc::POWER_ON_RESET);
        u.establish(A, 0, Asc::SCSI_BUS_RESET);
        // 29/03 clears 29/07, 29/00 clears 29/03; 29/02 comes after the 29/00 it does not outrank.
        assert_eq!(drain(&mut u, A, 0), [Asc::POWER_ON_RESET, Asc::SCSI_BUS_RESET]);
    }

    #[test]
    fn a_full_queue_takes_only_higher_precedence() {
        let mut u = UnitAttentions::new(1, false);
        let ordinary: Vec<Asc> = (0..=QUEUE_DEPTH as u8).map(|q| Asc(0x2A, 0x40 + q)).collect();
        for &asc in &ordinary {
            u.establish(A, 0, asc);
        }
        u.establish(A, 0, Asc(0x3F, 0x01));
        let mut expected = ordinary[..QUEUE_DEPTH].to_vec();
        assert_eq!(u.queues[&(A.to_owned(), 0)].0, expected, "the ninth is not queued");
        u.establish(A, 0, Asc::I_T_NEXUS_LOSS);
        expected = vec![Asc::I_T_NEXUS_LOSS];
        assert_eq!(drain(&mut u, A, 0), expected, "a nexus loss supersedes them all");
    }

    #[test]
    fn establish_for_all_skips_the_cause_and_clear_reaches_every_unit() {
        let mut u = UnitAttentions::new(2, false);
        assert_eq!(u.pending(A, 0), None);
        assert_eq!(u.pending(B, 0), None);
        u.establish_for_all(0, Asc::MODE_PARAMETERS_CHANGED, Some(A));
        assert_eq!((u.pending(A, 0), u.pending(B, 0)), (None, Some(Asc::MODE_PARAMETERS_CHANGED)));
        u.establish_for_all(0, Asc::REPORTED_LUNS_DATA_CHANGED, None);
        u.establish_for_all(1, Asc::REPORTED_LUNS_DATA_CHANGED, None);
        u.clear(B, Asc::REPORTED_LUNS_DATA_CHANGED);
        assert_eq!(drain(&mut u, B, 0), [Asc::MODE_PARAMETERS_CHANGED]);
        assert_eq!(drain(&mut u, B, 1), []);
        assert_eq!(drain(&mut u, A, 1), [Asc::REPORTED_LUNS_DATA_CHANGED]);
    }

    /// An independent statement of the rules, for a property test: conditions kept as (code, time
    /// established) in any order; a reset-class condition drops those of a lower class; a code already
    /// held is not added; the one reported next is the lowest (class, time).
    #[derive(Default)]
    struct Reference {
        held: Vec<(Asc, usize)>,
        clock: usize,
    }

    impl Reference {
        fn class(asc: Asc) -> u8 {
            match (asc.0, asc.1) {
                (0x29, 0x00) => 0,
                (0x29, 0x02 | 0x03) => 1,
                (0x29, 0x07) => 2,
                _ => 3,
            }
        }

        fn establish(&mut self, asc: Asc) {
            if self.held.iter().any(|&(a, _)| a == asc) {
                return;
            }
            if Self::class(asc) < 3 {
                self.held.retain(|&(a, _)| Self::class(a) <= Self::class(asc));
            }
            self.clock += 1;
            self.held.push((asc, self.clock));
        }

        fn take(&mut self) -> Option<Asc> {
            let next = self.held.iter().enumerate().min_by_key(|(_, (a, t))| (Self::class(*a), *t)).map(|(i, _)| i)?;
            Some(self.held.remove(next).0)
        }
    }

    const CODES: [Asc; 7] = [
        Asc::POWER_ON_RESET,
        Asc::SCSI_BUS_RESET,
        Asc::BUS_DEVICE_RESET,
        Asc::I_T_NEXUS_LOSS,
        Asc::MODE_PARAMETERS_CHANGED,
        Asc::CAPACITY_DATA_CHANGED,
        Asc::REPORTED_LUNS_DATA_CHANGED,
    ];

    proptest::proptest! {
        /// Any sequence of establishing (`Some(code)`) and reporting (`None`) on one nexus and unit
        /// reports what the reference does (seven codes: the queue never fills).
        #[test]
        fn the_queue_reports_as_the_reference_does(ops in proptest::collection::vec(proptest::option::of(0..CODES.len()), 0..64)) {
            let mut queue = UnitAttentions::new(1, false);
            let mut reference = Reference::default();
            for op in ops {
                match op {
                    Some(i) => {
                        queue.establish(A, 0, CODES[i]);
                        reference.establish(CODES[i]);
                    }
                    None => proptest::prop_assert_eq!(queue.take(A, 0).map(|s| s.asc), reference.take()),
                }
            }
            proptest::prop_assert_eq!(drain(&mut queue, A, 0), std::iter::from_fn(|| reference.take()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_check_lets_the_three_commands_through() {
        use offload_scsi::Command;
        let mut u = UnitAttentions::new(1, true);
        for c in [Command::Inquiry, Command::ReportLuns, Command::RequestSense] {
            assert_eq!(check(&mut u, A, 0, c), Ok(()));
        }
        let err = check(&mut u, A, 0, Command::TestUnitReady).unwrap_err();
        assert_eq!((err.key, err.asc), (SenseKey::UNIT_ATTENTION, Asc::POWER_ON_RESET));
        assert_eq!(check(&mut u, A, 0, Command::TestUnitReady), Ok(()));
    }
}
