//! Fuzz target `command_sequence`: see `offload_fuzz::targets::command_sequence`. A finding panics, which libFuzzer reports as a
//! crash and saves under `fuzz/artifacts/command_sequence/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(finding) = offload_fuzz::targets::command_sequence(data) {
        panic!("{finding}");
    }
});
