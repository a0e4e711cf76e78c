//! Command-level tests, a file per command family: every command's success and error paths, with expected
//! values from SBC-4/SPC-4 (byte layouts, sense codes, field pointers), the project's decisions
//! (shared/SCSI-NOTES.md, the model's README) and the exact sense bytes the model's snapshot records; data
//! is checked against independent computations (`copy_within` for overlapping copies, patterns).
//!
//! Every command the rig runs on a small target is also held to what its reply says it did: each block
//! whose contents or provisioning changed lies in a reported extent, and each extent holds what its hint
//! says (zeros, deallocated, anchored, mapped).

extern crate std;

mod compare_and_write;
mod durability;
mod front_end;
mod read_write;
mod unmap;
mod verify;
mod windows;
mod write_same;
mod xcopy;

use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use offload_scsi::{Asc, KeySpecific, ReservationClass, Sense, SenseKey};

use crate::{
    Access, CopySummary, Extent, FastPath, Footprint, Hint, Limits, Provisioning, Request, Unit, Window, data_in_bytes,
    footprint, max_extents,
};

// ---- a target over owned memory ----

struct Spec {
    block_size: u32,
    /// This unit's D_SENSE when it differs from the rig's.
    descriptor_sense: Option<bool>,
    write_protected: bool,
    bad_blocks: Vec<u64>,
    naa: [u8; 16],
    /// The unit's caching mode page WCE.
    write_cache: bool,
    /// The unit's control mode page SWP.
    software_write_protected: bool,
}

/// Every unit's medium and provisioning state, copied.
type Snapshot = Vec<(Vec<u8>, Option<Vec<u8>>)>;

struct Rig {
    units: Vec<(Vec<u8>, Option<Vec<u8>>, Spec)>,
    limits: Limits,
    descriptor_sense: bool,
    access: fn(&[u8], u16) -> bool,
    /// A unit whose reservation refuses a class of command to every initiator.
    refused: Option<(u16, ReservationClass)>,
}

/// The rig's access map and refused reservation class, as the fast path asks them.
struct RigAccess {
    allows: fn(&[u8], u16) -> bool,
    refused: Option<(u16, ReservationClass)>,
}

impl Access for RigAccess {
    fn allows(&self, initiator: &[u8], lun: u16) -> bool {
        (self.allows)(initiator, lun)
    }

    fn permits(&self, _initiator: &[u8], lun: u16, class: ReservationClass) -> bool {
        self.refused != Some((lun, class))
    }
}

#[derive(Debug, PartialEq)]
struct Out {
    status: u8,
    sense: Vec<u8>,
    data_in: Vec<u8>,
    written: Vec<Extent>,
    copy: Option<CopySummary>,
    durable: bool,
    handled: bool,
}

impl Out {
    fn of(r: &crate::Reply<'_>) -> Out {
        Out {
            status: r.status,
            sense: r.sense().to_vec(),
            data_in: r.data_in.to_vec(),
            written: r.written.to_vec(),
            copy: r.copy,
            durable: r.durable,
            handled: r.handled,
        }
    }
}

const HOST: &str = "iqn.2026-11.test:host-a";
const OTHER: &str = "iqn.2026-11.test:host-b";
/// Media up to this size are compared before and after every command (larger rigs use untouched
/// memory that a copy would make real).
const CHECKED_MEDIA_BYTES: usize = 16 << 20;

/// An NAA-6 designator for unit `lun`.
fn naa(lun: u16) -> [u8; 16] {
    let mut n = [0u8; 16];
    n[..8].copy_from_slice(&0x60A0_FF10_0FF1_0AD0u64.wrapping_add(u64::from(lun)).to_be_bytes());
    n[8..].copy_from_slice(&u64::from(lun).to_be_bytes());
    n
}

fn allow_all(_: &[u8], _: u16) -> bool {
    true
}

/// HOST reaches only LUN 0; everyone else reaches every unit.
fn host_lun0_only(initiator: &[u8], lun: u16) -> bool {
    initiator != HOST.as_bytes() || lun == 0
}

/// A unit over the rig's memory for one command.
fn unit<'a>(
    data: &'a mut [u8],
    provisioning: Option<&'a mut [u8]>,
    spec: &'a Spec,
    descriptor_sense: bool,
) -> Unit<'a> {
    Unit {
        data,
        block_size: spec.block_size,
        write_protected: spec.write_protected,
        naa: spec.naa,
        provisioning,
        bad_blocks: &spec.bad_blocks,
        descriptor_sense: spec.descriptor_sense.unwrap_or(descriptor_sense),
        write_cache: spec.write_cache,
        software_write_protected: spec.software_write_protected,
        window: None,
    }
}

impl Rig {
    /// Units of (blocks, block size, thin).
    fn new(units: &[(u64, u32, bool)]) -> Self {
        let units = units
            .iter()
            .enumerate()
            .map(|(i, &(blocks, block_size, thin))| {
                let data = vec![0u8; (blocks * u64::from(block_size)) as usize];
                let provisioning = thin.then(|| vec![0u8; Unit::provisioning_bytes(blocks)]);
                let spec = Spec {
                    block_size,
                    descriptor_sense: None,
                    write_protected: false,
                    bad_blocks: Vec::new(),
                    naa: naa(i as u16),
                    write_cache: true,
                    software_write_protected: false,
                };
                (data, provisioning, spec)
            })
            .collect();
        Rig { units, limits: Limits::default(), descriptor_sense: false, access: allow_all, refused: None }
    }

    /// Two thin units of 4096 × 512-byte blocks.
    fn small() -> Self {
        Rig::new(&[(4096, 512, true), (4096, 512, true)])
    }

    fn run_as(&mut self, initiator: &str, lun: u16, cdb: &[u8], data_out: &[u8]) -> Out {
        let media_bytes: usize = self.units.iter().map(|u| u.0.len()).sum();
        let before = (media_bytes <= CHECKED_MEDIA_BYTES).then(|| self.snapshot());
        let windowed = before.as_ref().and_then(|_| self.run_windowed(initiator, lun, cdb, data_out));
        let descriptor_sense = self.descriptor_sense;
        let mut units: Vec<Unit<'_>> = self
            .units
            .iter_mut()
            .map(|(data, provisioning, spec)| unit(data, provisioning.as_deref_mut(), spec, descriptor_sense))
            .collect();
        let access = RigAccess { allows: self.access, refused: self.refused };
        let mut fp = FastPath::new(&mut units, self.limits.clone(), self.descriptor_sense, access).unwrap();
        let mut data_in = vec![0u8; 8 << 20];
        let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
        let request = Request { initiator: initiator.as_bytes(), lun, cdb, data_out };
        let r = fp.execute(&request, &mut data_in, &mut extents);
        if !r.handled {
            assert_eq!((r.status, r.data_in.len(), r.sense.len()), (0, 0, 0), "an unhandled reply is empty");
            assert!(r.written.is_empty() && r.copy.is_none(), "an unhandled command changed nothing");
        }
        if r.status != 0 {
            assert!(r.data_in.is_empty(), "CHECK CONDITION carries no data-in");
        }
        if r.durable {
            assert!(r.status == 0 && !r.written.is_empty(), "only what a GOOD command wrote must be durable");
        }
        let out = Out::of(&r);
        if let Some(before) = before {
            self.check_effects(&before, &out.written);
        }
        if let Some((windowed, media)) = windowed {
            assert_eq!(windowed, out, "{cdb:02x?} lent only its footprint answers as over the whole unit");
            assert!(media == self.snapshot(), "{cdb:02x?} lent only its footprint leaves the media alike");
        }
        out
    }

    /// The command run on a copy of the rig whose units are lent as windows holding only the command's
    /// footprint (an EXTENDED COPY's: [`FastPath::copy_footprint`]; widened to whole bytes of
    /// provisioning state on a thin unit), and the media it leaves; `None` when the footprint is a
    /// whole unit (UNMAP) or the LUN has none.
    fn run_windowed(&self, initiator: &str, lun: u16, cdb: &[u8], data_out: &[u8]) -> Option<(Out, Snapshot)> {
        let index = usize::from(lun);
        let spec = &self.units.get(index)?.2;
        let capacities: Vec<u64> =
            self.units.iter().map(|(data, _, spec)| (data.len() / spec.block_size as usize) as u64).collect();
        let request = Request { initiator: initiator.as_bytes(), lun, cdb, data_out };
        let mut ranges = vec![0..0; self.units.len()];
        match footprint(cdb, capacities[index]) {
            Footprint::Blocks { start, end } => ranges[index] = start..end,
            Footprint::Unit => return None,
            Footprint::Every => self.copy_footprint(&request, &capacities, &mut ranges),
        }
        let mut copy = self.snapshot();
        let descriptor_sense = self.descriptor_sense;
        let mut units: Vec<Unit<'_>> = copy
            .iter_mut()
            .zip(&self.units)
            .zip(ranges.iter().zip(&capacities))
            .map(|(((data, provisioning), (_, _, spec)), (range, &capacity))| {
                let (start, end) = match provisioning {
                    Some(_) => (range.start / 4 * 4, range.end.next_multiple_of(4).min(capacity)),
                    None => (range.start, range.end),
                };
                let bs = spec.block_size as usize;
                let data = &mut data[start as usize * bs..end as usize * bs];
                let states = provisioning.as_deref_mut().map(|p| &mut p[start as usize / 4..end.div_ceil(4) as usize]);
                Unit { window: Some(Window { first: start, capacity }), ..unit(data, states, spec, descriptor_sense) }
            })
            .collect();
        let access = RigAccess { allows: self.access, refused: self.refused };
        let mut fp = FastPath::new(&mut units, self.limits.clone(), self.descriptor_sense, access).ok()?;
        // Sized as a caller sizes it: the windowed run fails should a READ need more.
        let room = data_in_bytes(cdb, capacities[index], spec.block_size).min(8 << 20);
        let mut data_in = vec![0u8; room as usize];
        let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
        let r = fp.execute(&request, &mut data_in, &mut extents);
        let out = Out::of(&r);
        drop(units);
        Some((out, copy))
    }

    /// An EXTENDED COPY's footprint, as a caller finds it: over units lent with nothing held.
    fn copy_footprint(&self, request: &Request<'_>, capacities: &[u64], hulls: &mut [core::ops::Range<u64>]) {
        let mut units: Vec<Unit<'_>> = self
            .units
            .iter()
            .zip(capacities)
            .map(|((_, states, spec), &capacity)| Unit::unheld(spec.block_size, spec.naa, capacity, states.is_some()))
            .collect();
        let access = RigAccess { allows: self.access, refused: self.refused };
        let mut fp = FastPath::new(&mut units, self.limits.clone(), self.descriptor_sense, access).unwrap();
        fp.copy_footprint(request, hulls);
    }

    /// Every unit's medium and provisioning state.
    fn snapshot(&self) -> Snapshot {
        self.units.iter().map(|(data, provisioning, _)| (data.clone(), provisioning.clone())).collect()
    }

    /// What changed since `before` lies in `written`, and each extent holds what its hint says.
    #[track_caller]
    fn check_effects(&mut self, before: &[(Vec<u8>, Option<Vec<u8>>)], written: &[Extent]) {
        for (lun, (data, provisioning)) in before.iter().enumerate() {
            let bs = self.units[lun].2.block_size as usize;
            let blocks = (data.len() / bs) as u64;
            let reported = |lba: u64| {
                written.iter().any(|e| usize::from(e.lun) == lun && (e.lba..e.lba + e.blocks).contains(&lba))
            };
            let state_before = |lba: u64| provisioning.as_ref().map(|p| (p[lba as usize / 4] >> (lba % 4 * 2)) & 3);
            for lba in 0..blocks {
                let at = lba as usize * bs;
                let changed = data[at..at + bs] != self.units[lun].0[at..at + bs]
                    || state_before(lba)
                        != self.units[lun].1.as_ref().map(|p| (p[lba as usize / 4] >> (lba % 4 * 2)) & 3);
                assert!(!changed || reported(lba), "LUN {lun} LBA {lba} changed but no extent says so: {written:?}");
            }
        }
        for e in written {
            let lun = usize::from(e.lun);
            let thin = self.units[lun].1.is_some();
            for lba in e.lba..e.lba + e.blocks {
                let bs = self.units[lun].2.block_size as usize;
                let zeros = self.units[lun].0[lba as usize * bs..][..bs].iter().all(|&b| b == 0);
                let state = self.state(lun, lba);
                let held = match e.hint {
                    Hint::Data => state == Provisioning::Mapped,
                    Hint::Zeros => zeros && state == Provisioning::Mapped,
                    Hint::Deallocate => zeros && state == Provisioning::Deallocated && thin,
                    Hint::Anchor => zeros && state == Provisioning::Anchored && thin,
                };
                assert!(held, "LUN {lun} LBA {lba} is {state:?} (zeros: {zeros}), extent {e:?} says otherwise");
            }
        }
    }

    fn run(&mut self, lun: u16, cdb: &[u8], data_out: &[u8]) -> Out {
        self.run_as(HOST, lun, cdb, data_out)
    }

    #[track_caller]
    fn good(&mut self, lun: u16, cdb: &[u8], data_out: &[u8]) -> Vec<u8> {
        let r = self.run(lun, cdb, data_out);
        assert!(r.handled && r.status == 0, "expected GOOD for {cdb:02x?}, got {}", hex(&r.sense));
        r.data_in
    }

    #[track_caller]
    fn check(&mut self, lun: u16, cdb: &[u8], data_out: &[u8]) -> Sense {
        let r = self.run(lun, cdb, data_out);
        assert!(r.handled && r.status == 2, "expected CHECK CONDITION for {cdb:02x?}");
        decode(&r.sense)
    }

    /// Blocks `lba..lba + n` as stored (what a READ returns: unmapped blocks hold zeros).
    fn media(&self, lun: usize, lba: u64, n: u64) -> Vec<u8> {
        let bs = u64::from(self.units[lun].2.block_size);
        self.units[lun].0[(lba * bs) as usize..((lba + n) * bs) as usize].to_vec()
    }

    fn state(&mut self, lun: usize, lba: u64) -> Provisioning {
        let (data, provisioning, spec) = &mut self.units[lun];
        unit(data, provisioning.as_deref_mut(), spec, false).state(lba).unwrap()
    }

    /// Provisioning states of blocks `lba..lba + n`.
    fn states(&mut self, lun: usize, lba: u64, n: u64) -> Vec<Provisioning> {
        (lba..lba + n).map(|l| self.state(lun, l)).collect()
    }

    /// Writes pattern blocks with WRITE (16).
    fn fill(&mut self, lun: u16, lba: u64, n: u32, salt: u8) {
        let bs = self.units[usize::from(lun)].2.block_size as usize;
        self.good(lun, &write16(lba, n), &patterned(lba, n.into(), bs, salt));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A deterministic block: every byte a function of the LBA, offset and salt, never all zeros.
fn pattern(lba: u64, block_size: usize, salt: u8) -> Vec<u8> {
    (0..block_size).map(|i| (lba as u8).wrapping_mul(31).wrapping_add(i as u8).wrapping_add(salt) | 1).collect()
}

fn patterned(lba: u64, n: u64, block_size: usize, salt: u8) -> Vec<u8> {
    (lba..lba + n).flat_map(|l| pattern(l, block_size, salt)).collect()
}

// ---- sense: the shared vocabulary's decoder (tested against hand-written SPC-4 layouts there) ----

#[track_caller]
fn decode(sense: &[u8]) -> Sense {
    offload_scsi::sense::decode(sense).unwrap_or_else(|e| panic!("malformed sense {}: {e}", hex(sense)))
}

#[track_caller]
fn assert_sense(d: &Sense, key: u8, asc: u8, ascq: u8) {
    assert_eq!((d.key, d.asc), (SenseKey(key), Asc(asc, ascq)), "{d:?}");
}

#[track_caller]
fn assert_cdb_field(d: &Sense, byte: u16, bit: Option<u8>) {
    assert_sense(d, 5, 0x24, 0);
    assert_eq!(d.key_specific, Some(KeySpecific::Field { in_cdb: true, byte, bit }), "{d:?}");
}

#[track_caller]
fn assert_param_field(d: &Sense, asc: u8, ascq: u8, byte: u16, bit: Option<u8>) {
    assert_sense(d, 5, asc, ascq);
    assert_eq!(d.key_specific, Some(KeySpecific::Field { in_cdb: false, byte, bit }), "{d:?}");
}

#[track_caller]
fn assert_lba_out_of_range(d: &Sense) {
    assert_sense(d, 5, 0x21, 0);
    assert_eq!(d.key_specific, None);
}

// ---- CDB builders: the contract's, written from the SBC-4 / SPC-4 layouts ----

use offload_vectors::cdb::{
    compare_and_write as caw, copy_list, cscd, extended_copy as xcopy_cdb, orwrite16, pre_fetch10, read6, read10,
    read12, read16, segment, start_stop_unit, unmap as unmap_cdb, unmap_list, verify, write_and_verify, write_atomic16,
    write_same10 as ws10, write_same16 as ws16, write6, write10, write12, write16,
};
