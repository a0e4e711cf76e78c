//! Fuzz target `iscsi_wire`: see `offload_fuzz::targets::iscsi_wire`. A finding panics, which libFuzzer reports as a
//! crash and saves under `fuzz/artifacts/iscsi_wire/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(finding) = offload_fuzz::targets::iscsi_wire(data) {
        panic!("{finding}");
    }
});
