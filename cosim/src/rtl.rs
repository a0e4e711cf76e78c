//! The Verilated RTL (`offload_top`, built by `build.rs`) behind a safe handle: one instance per
//! [`Rtl`], stepped by writing the inputs, evaluating, and reading the outputs back.
//!
//! This is the only module with `unsafe`: the calls into the C shim (`csrc/cosim_shim.inc`).
#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Inputs of `offload_top` (field order as `struct CosimIn` in `csrc/cosim_shim.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inputs {
    pub job_src: u64,
    pub job_dst: u64,
    pub rdata: u64,
    pub job_blocks: u32,
    pub job_tag: u16,
    pub job_op: u8,
    pub job_block_shift: u8,
    /// One bit per queue.
    pub job_valid: u8,
    /// One bit per queue.
    pub comp_ready: u8,
    pub rst_n: u8,
    pub arready: u8,
    pub rvalid: u8,
    pub rresp: u8,
    pub rlast: u8,
    pub awready: u8,
    pub wready: u8,
    pub bvalid: u8,
    pub bresp: u8,
}

/// Outputs of `offload_top` (field order as `struct CosimOut`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    pub comp_fault_address: u64,
    pub comp_cycles: u64,
    pub araddr: u64,
    pub awaddr: u64,
    pub wdata: u64,
    pub comp_blocks_done: u32,
    pub comp_miscompare_offset: u32,
    pub comp_commit: u32,
    pub comp_tag: u16,
    pub job_ready: u8,
    pub comp_valid: u8,
    pub comp_status: u8,
    pub comp_queue: u8,
    pub arvalid: u8,
    pub arlen: u8,
    pub arsize: u8,
    pub arburst: u8,
    pub rready: u8,
    pub awvalid: u8,
    pub awlen: u8,
    pub awsize: u8,
    pub awburst: u8,
    pub awuser: u8,
    pub wvalid: u8,
    pub wstrb: u8,
    pub wlast: u8,
    pub bready: u8,
    pub idle: u8,
}

/// The parameters `build.rs` builds `offload_top` with.
pub const DATA_BYTES: u32 = 8;
/// Queues of the built RTL.
pub const QUEUES: u8 = 4;
/// Lock entries of the reference build (the model's default).
pub const LOCK_ENTRIES: u32 = 4;

/// Which build of the RTL to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The RTL as it is.
    Reference,
    /// The RTL with a deliberate fault (feature `fault-models`).
    #[cfg(feature = "fault-models")]
    Fault(Fault),
    /// The RTL built with two lock entries (feature `parameter-variants`).
    #[cfg(feature = "parameter-variants")]
    LockEntries2,
}

/// The deliberate faults, each an `OFFLOAD_FAULT_<NAME>` define in `rtl/`.
#[cfg(feature = "fault-models")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `OFFLOAD_FAULT_BURST_SHORT`: the last write burst of a copy block goes one beat short.
    BurstShort,
    /// `OFFLOAD_FAULT_LOCK_SHARED`: the lock unit treats a job's shared (read) range as no lock at all.
    LockShared,
    /// `OFFLOAD_FAULT_MISCOMPARE_OFFSET`: a miscompare reports the offset one byte too far.
    MiscompareOffset,
}

type Handle = *mut c_void;

/// The shim's functions for one build.
struct Shim {
    new: unsafe extern "C" fn() -> Handle,
    free: unsafe extern "C" fn(Handle),
    eval: unsafe extern "C" fn(Handle, *const Inputs, *mut Outputs),
    posedge: unsafe extern "C" fn(Handle),
    trace_open: unsafe extern "C" fn(Handle, *const c_char) -> c_int,
    trace_dump: unsafe extern "C" fn(Handle, u64),
    trace_close: unsafe extern "C" fn(Handle),
    coverage_points: unsafe extern "C" fn() -> usize,
    coverage_read: unsafe extern "C" fn(Handle, *mut u32),
    coverage_write: unsafe extern "C" fn(*const u32, *const c_char) -> c_int,
}

macro_rules! shim {
    ($name:ident, $new:ident, $free:ident, $eval:ident, $posedge:ident, $open:ident, $dump:ident, $close:ident,
     $points:ident, $read:ident, $write:ident) => {
        unsafe extern "C" {
            fn $new() -> Handle;
            fn $free(h: Handle);
            fn $eval(h: Handle, i: *const Inputs, o: *mut Outputs);
            fn $posedge(h: Handle);
            fn $open(h: Handle, path: *const c_char) -> c_int;
            fn $dump(h: Handle, time: u64);
            fn $close(h: Handle);
            fn $points() -> usize;
            fn $read(h: Handle, out: *mut u32);
            fn $write(counts: *const u32, path: *const c_char) -> c_int;
        }
        static $name: Shim = Shim {
            new: $new,
            free: $free,
            eval: $eval,
            posedge: $posedge,
            trace_open: $open,
            trace_dump: $dump,
            trace_close: $close,
            coverage_points: $points,
            coverage_read: $read,
            coverage_write: $write,
        };
    };
}

shim!(
    REFERENCE,
    cosim_reference_new,
    cosim_reference_free,
    cosim_reference_eval,
    cosim_reference_posedge,
    cosim_reference_trace_open,
    cosim_reference_trace_dump,
    cosim_reference_trace_close,
    cosim_reference_coverage_points,
    cosim_reference_coverage_read,
    cosim_reference_coverage_write
);
#[cfg(feature = "fault-models")]
shim!(
    BURST_SHORT,
    cosim_burst_short_new,
    cosim_burst_short_free,
    cosim_burst_short_eval,
    cosim_burst_short_posedge,
    cosim_burst_short_trace_open,
    cosim_burst_short_trace_dump,
    cosim_burst_short_trace_close,
    cosim_burst_short_coverage_points,
    cosim_burst_short_coverage_read,
    cosim_burst_short_coverage_write
);
#[cfg(feature = "fault-models")]
shim!(
    LOCK_SHARED,
    cosim_lock_shared_new,
    cosim_lock_shared_free,
    cosim_lock_shared_eval,
    cosim_lock_shared_posedge,
    cosim_lock_shared_trace_open,
    cosim_lock_shared_trace_dump,
    cosim_lock_shared_trace_close,
    cosim_lock_shared_coverage_points,
    cosim_lock_shared_coverage_read,
    cosim_lock_shared_coverage_write
);
#[cfg(feature = "fault-models")]
shim!(
    MISCOMPARE_OFFSET,
    cosim_miscompare_offset_new,
    cosim_miscompare_offset_free,
    cosim_miscompare_offset_eval,
    cosim_miscompare_offset_posedge,
    cosim_miscompare_offset_trace_open,
    cosim_miscompare_offset_trace_dump,
    cosim_miscompare_offset_trace_close,
    cosim_miscompare_offset_coverage_points,
    cosim_miscompare_offset_coverage_read,
    cosim_miscompare_offset_coverage_write
);

#[cfg(feature = "parameter-variants")]
shim!(
    LOCK_ENTRIES_2,
    cosim_lock_entries_2_new,
    cosim_lock_entries_2_free,
    cosim_lock_entries_2_eval,
    cosim_lock_entries_2_posedge,
    cosim_lock_entries_2_trace_open,
    cosim_lock_entries_2_trace_dump,
    cosim_lock_entries_2_trace_close,
    cosim_lock_entries_2_coverage_points,
    cosim_lock_entries_2_coverage_read,
    cosim_lock_entries_2_coverage_write
);

impl Variant {
    fn shim(self) -> &'static Shim {
        match self {
            Variant::Reference => &REFERENCE,
            #[cfg(feature = "fault-models")]
            Variant::Fault(Fault::BurstShort) => &BURST_SHORT,
            #[cfg(feature = "fault-models")]
            Variant::Fault(Fault::LockShared) => &LOCK_SHARED,
            #[cfg(feature = "fault-models")]
            Variant::Fault(Fault::MiscompareOffset) => &MISCOMPARE_OFFSET,
            #[cfg(feature = "parameter-variants")]
            Variant::LockEntries2 => &LOCK_ENTRIES_2,
        }
    }

    /// The build without a fault that has `lock_entries` lock entries, if one was built.
    pub fn with_lock_entries(lock_entries: u32) -> Option<Variant> {
        match lock_entries {
            LOCK_ENTRIES => Some(Variant::Reference),
            #[cfg(feature = "parameter-variants")]
            2 => Some(Variant::LockEntries2),
            _ => None,
        }
    }

    /// The build's `LockEntries`.
    pub fn lock_entries(self) -> u32 {
        match self {
            #[cfg(feature = "parameter-variants")]
            Variant::LockEntries2 => 2,
            _ => LOCK_ENTRIES,
        }
    }
}

/// A coverage file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    #[error("this build has no RTL coverage (offload-cosim's feature `coverage`)")]
    NotBuilt,
    #[error("{given} coverage counts for a build with {points} points")]
    WrongLength { given: usize, points: usize },
    #[error("cannot write RTL coverage to {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// A waveform could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the waveform file {0}")]
pub struct TraceError(pub String);

/// One instance of the RTL, clock low between calls. `Send` (it owns its own Verilator context), not
/// `Sync`.
pub struct Rtl {
    shim: &'static Shim,
    handle: Handle,
}

// SAFETY: the instance owns its VerilatedContext and model, which touch no thread-local or global
// state after construction; moving it to another thread is sound as long as one thread uses it at a
// time, which `&mut self` on every call guarantees.
unsafe impl Send for Rtl {}

impl Rtl {
    pub fn new(variant: Variant) -> Self {
        let shim = variant.shim();
        // SAFETY: `new` has no preconditions; it returns an owned, initialised instance.
        let handle = unsafe { (shim.new)() };
        assert!(!handle.is_null(), "the RTL model could not be built");
        Rtl { shim, handle }
    }

    /// Applies `inputs` with the clock low and returns the settled outputs.
    pub fn eval(&mut self, inputs: &Inputs) -> Outputs {
        let mut out = Outputs::default();
        // SAFETY: the handle is live (freed only in Drop); both pointers reference valid `repr(C)`
        // structs laid out as the shim's.
        unsafe { (self.shim.eval)(self.handle, inputs, &mut out) };
        out
    }

    /// The rising clock edge.
    pub fn posedge(&mut self) {
        // SAFETY: the handle is live.
        unsafe { (self.shim.posedge)(self.handle) };
    }

    /// Starts writing a VCD waveform to `path` (values are written by [`Rtl::dump`]).
    pub fn open_trace(&mut self, path: &Path) -> Result<(), TraceError> {
        let name = path.display().to_string();
        let c = CString::new(name.clone()).map_err(|_| TraceError(name.clone()))?;
        // SAFETY: the handle is live; `c` is a NUL-terminated string that outlives the call.
        let rc = unsafe { (self.shim.trace_open)(self.handle, c.as_ptr()) };
        if rc == 0 { Ok(()) } else { Err(TraceError(name)) }
    }

    /// Writes the current values at `time` (no-op without an open waveform).
    pub fn dump(&mut self, time: u64) {
        // SAFETY: the handle is live.
        unsafe { (self.shim.trace_dump)(self.handle, time) };
    }

    /// Flushes and closes the waveform.
    pub fn close_trace(&mut self) {
        // SAFETY: the handle is live.
        unsafe { (self.shim.trace_close)(self.handle) };
    }
}

fn points(shim: &Shim) -> usize {
    // SAFETY: no arguments, no preconditions.
    unsafe { (shim.coverage_points)() }
}

impl Rtl {
    /// Coverage points of `variant`'s build: one per branch and block of the RTL with the `coverage`
    /// feature, else 0.
    pub fn coverage_points(variant: Variant) -> usize {
        points(variant.shim())
    }

    /// How often each coverage point ran in this instance so far (empty without coverage).
    pub fn coverage(&self) -> Vec<u32> {
        let mut counts = vec![0; points(self.shim)];
        if !counts.is_empty() {
            // SAFETY: the handle is live; `counts` holds exactly the build's number of points, which is
            // what the shim writes.
            unsafe { (self.shim.coverage_read)(self.handle, counts.as_mut_ptr()) };
        }
        counts
    }
}

/// Checks that RTL coverage can be written to `path` (the build has coverage, the file can be
/// created): worth doing before a long run whose coverage is to be written at its end.
pub fn check_coverage_output(variant: Variant, path: &Path) -> Result<(), CoverageError> {
    if Rtl::coverage_points(variant) == 0 {
        return Err(CoverageError::NotBuilt);
    }
    std::fs::File::create(path).map_err(|source| CoverageError::Io { path: path.display().to_string(), source })?;
    Ok(())
}

/// Writes `counts` (as [`Rtl::coverage`] returns, for example summed over many runs) with the points'
/// source locations to `path` in Verilator's `coverage.dat` format, for `verilator_coverage`.
pub fn write_coverage(variant: Variant, counts: &[u32], path: &Path) -> Result<(), CoverageError> {
    let points = Rtl::coverage_points(variant);
    if points == 0 {
        return Err(CoverageError::NotBuilt);
    }
    if counts.len() != points {
        return Err(CoverageError::WrongLength { given: counts.len(), points });
    }
    // Verilator's writer aborts the process on a file it cannot open: find out here instead.
    check_coverage_output(variant, path)?;
    let io = |source| CoverageError::Io { path: path.display().to_string(), source };
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io(std::io::Error::new(std::io::ErrorKind::InvalidInput, "a NUL byte in the path")))?;
    // SAFETY: `counts` holds exactly the build's number of points (checked above), which is what the
    // shim reads; `c` is NUL-terminated and outlives the call.
    let rc = unsafe { (variant.shim().coverage_write)(counts.as_ptr(), c.as_ptr()) };
    if rc == 0 { Ok(()) } else { Err(CoverageError::NotBuilt) }
}

impl Drop for Rtl {
    fn drop(&mut self) {
        // SAFETY: the handle is live and is not used after this call.
        unsafe { (self.shim.free)(self.handle) };
    }
}
