//! Fuzz target `cdb_model`: see `offload_fuzz::targets::cdb_model`. A finding panics, which libFuzzer reports as a
//! crash and saves under `fuzz/artifacts/cdb_model/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(finding) = offload_fuzz::targets::cdb_model(data) {
        panic!("{finding}");
    }
});
