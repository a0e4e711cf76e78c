//! Fuzz target `cdb_fastpath`: see `offload_fuzz::targets::cdb_fastpath`. A finding panics, which libFuzzer reports as a
//! crash and saves under `fuzz/artifacts/cdb_fastpath/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(finding) = offload_fuzz::targets::cdb_fastpath(data) {
        panic!("{finding}");
    }
});
