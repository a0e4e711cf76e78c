//! Fuzz target `engine_jobs_rtl`: see `offload_fuzz::rtl_jobs`. A mismatch between the RTL and the model
//! panics, which libFuzzer reports as a crash and saves under `fuzz/artifacts/engine_jobs_rtl/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(mismatch) = offload_fuzz::rtl_jobs::engine_jobs_rtl(data) {
        panic!("RTL and model disagree: {mismatch}");
    }
});
