//! Fuzz target `xcopy_list`: see `offload_fuzz::targets::xcopy_list`. A finding panics, which libFuzzer reports as a
//! crash and saves under `fuzz/artifacts/xcopy_list/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(finding) = offload_fuzz::targets::xcopy_list(data) {
        panic!("{finding}");
    }
});
