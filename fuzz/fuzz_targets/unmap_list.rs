//! Fuzz target `unmap_list`: see `offload_fuzz::targets::unmap_list`. A finding panics, which libFuzzer reports as a
//! crash and saves under `fuzz/artifacts/unmap_list/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(finding) = offload_fuzz::targets::unmap_list(data) {
        panic!("{finding}");
    }
});
