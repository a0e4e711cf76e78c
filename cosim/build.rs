//! Builds the RTL into the crate: Verilator translates the files `rtl/offload.f` lists (top
//! `offload_top`) to C++, which is compiled as one translation unit per build together with the C
//! shim of `csrc/`, and linked with Verilator's runtime. With the `fault-models` feature, the RTL is
//! also built once per deliberate fault (`OFFLOAD_FAULT_<NAME>` defined), each under its own class
//! prefix so all link side by side. With the `coverage` feature, every build carries Verilator's line
//! coverage (a counter per branch and block of the RTL); when the crate is built for fuzzing (`cargo
//! fuzz` sets `--cfg fuzzing`), the shim also feeds those counters to libFuzzer as extra coverage.
//!
//! Everything lands in `OUT_DIR`; every file Verilator read (its `.d` file) triggers a rebuild.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Parameters of the build (the model's defaults, with four queues).
const PARAMETERS: &[(&str, u32)] = &[("DataWidth", 64), ("NumQueues", 4)];

/// The deliberate faults: `OFFLOAD_FAULT_<NAME>` is defined for the build named `<name>`.
const FAULTS: &[&str] = &["burst_short", "lock_shared", "miscompare_offset"];

/// Builds with other parameters (feature `parameter-variants`): two lock entries, so that with four
/// queues the lock table fills (with four entries and three engines it never does).
const PARAMETER_VARIANTS: &[(&str, &[(&str, u32)])] = &[("lock_entries_2", &[("LockEntries", 2)])];

fn main() {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env("OUT_DIR"));
    let rtl = manifest.join("../rtl").canonicalize().expect("the rtl/ directory beside cosim/");
    let root = verilator_root();

    let none: &[(&str, u32)] = &[];
    let mut variants = vec![("reference".to_owned(), None, none)];
    if std::env::var_os("CARGO_FEATURE_FAULT_MODELS").is_some() {
        variants.extend(
            FAULTS.iter().map(|f| ((*f).to_owned(), Some(format!("OFFLOAD_FAULT_{}", f.to_uppercase())), none)),
        );
    }
    if std::env::var_os("CARGO_FEATURE_PARAMETER_VARIANTS").is_some() {
        variants.extend(PARAMETER_VARIANTS.iter().map(|(name, params)| ((*name).to_owned(), None, *params)));
    }

    let coverage = std::env::var_os("CARGO_FEATURE_COVERAGE").is_some();
    let fuzzer_feedback = coverage && std::env::var_os("CARGO_CFG_FUZZING").is_some();
    let sources = rtl_sources(&rtl);
    let mut build = cxx(&root);
    build.include(manifest.join("csrc")).flag_if_supported("-faligned-new").flag_if_supported("-fno-strict-aliasing");
    let mut defines = BTreeSet::new();
    for (name, define, params) in &variants {
        let prefix = format!("Vcosim_{name}");
        let dir = out.join(&prefix);
        verilate(&rtl, &sources, &dir, &prefix, define.as_deref(), params, coverage);
        let (classes, vm_defines) = read_classes(&dir.join(format!("{prefix}_classes.mk")));
        defines.extend(vm_defines);
        let unit = dir.join(format!("{prefix}__cosim.cpp"));
        let mut text = String::new();
        if coverage {
            adapt_coverage(&dir, &classes);
            text.push_str(COVERAGE_HELPERS);
        }
        for class in classes {
            text.push_str(&format!("#include \"{class}.cpp\"\n"));
        }
        text.push_str(&format!("#define COSIM_TOP {prefix}\n#define COSIM_FN(name) cosim_{name}_##name\n"));
        if coverage {
            text.push_str(&format!("#define COSIM_SYMS {prefix}__Syms\n"));
        }
        if fuzzer_feedback {
            text.push_str("#define COSIM_FUZZER_FEEDBACK 1\n");
        }
        text.push_str("#include \"cosim_shim.inc\"\n");
        fs::write(&unit, text).expect("write the translation unit");
        build.include(&dir).file(&unit);
        for dep in dependencies(&dir.join(format!("{prefix}__ver.d"))) {
            println!("cargo:rerun-if-changed={}", dep.display());
        }
    }
    for (k, v) in &defines {
        build.define(k, v.as_str());
    }
    build.compile("cosim_rtl");
    runtime(&root, &out, &defines, coverage);

    for source in &sources {
        println!("cargo:rerun-if-changed={}", source.display());
    }
    println!("cargo:rerun-if-changed=csrc");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-lib=stdc++");
    println!("cargo:rustc-link-lib=pthread");
    println!("cargo:rustc-link-lib=atomic");
}

/// A C++ build against Verilator's headers, optimised even in debug profiles (a Verilated model at
/// -O0 runs an order of magnitude slower).
fn cxx(root: &Path) -> cc::Build {
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .opt_level(2)
        .pic(false)
        .warnings(false)
        .include(root.join("include"))
        .include(root.join("include/vltstd"));
    build
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by cargo"))
}

fn verilator_root() -> PathBuf {
    let out = Command::new("verilator")
        .args(["--getenv", "VERILATOR_ROOT"])
        .output()
        .expect("verilator is not installed (make setup installs it)");
    PathBuf::from(String::from_utf8(out.stdout).expect("utf-8").trim())
}

/// The synthesizable sources: the list in `rtl/offload.f` (compile order, the package first), the same
/// list every RTL flow reads; a file added to it triggers a rebuild.
fn rtl_sources(rtl: &Path) -> Vec<PathBuf> {
    let list = rtl.join("offload.f");
    println!("cargo:rerun-if-changed={}", list.display());
    fs::read_to_string(&list)
        .expect("read rtl/offload.f")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .map(|name| rtl.join(name))
        .collect()
}

fn verilate(
    rtl: &Path,
    sources: &[PathBuf],
    dir: &Path,
    prefix: &str,
    define: Option<&str>,
    params: &[(&str, u32)],
    coverage: bool,
) {
    let _ = fs::remove_dir_all(dir);
    let mut cmd = Command::new("verilator");
    cmd.args(["--cc", "-O3", "--trace", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", "offload_top"])
        .arg("--prefix")
        .arg(prefix)
        .arg("-Mdir")
        .arg(dir)
        .arg(format!("-I{}", rtl.display()));
    for (name, value) in PARAMETERS.iter().chain(params) {
        cmd.arg(format!("-G{name}={value}"));
    }
    if let Some(d) = define {
        cmd.arg(format!("+define+{d}"));
    }
    if coverage {
        // Line coverage: every branch and block. Toggle coverage is left out: data bits toggle with
        // every payload, which would tell the fuzzer nothing about control paths.
        cmd.arg("--coverage-line");
    }
    cmd.args(sources);
    let status = cmd.status().expect("run verilator");
    assert!(status.success(), "verilator failed on rtl/ ({prefix})");
}

/// Put before the generated classes: the plain increment and the registration flag that
/// [`adapt_coverage`] writes into Verilator's code.
const COVERAGE_HELPERS: &str = "#include <atomic>\n#include <cstdint>\n\
    static inline void cosim_count(std::atomic<uint32_t>& c) {\n\
    \x20 c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);\n}\n\
    static thread_local bool cosim_register_coverage = false;\n";

/// Two costs of Verilator's coverage, rewritten out of the generated classes in one pass over them:
///
/// - It counts with `fetch_add` on atomic counters, a locked instruction per branch taken that halves
///   the simulation's speed. One thread runs each instance here, so a relaxed load and store (a plain
///   increment on every target) counts the same; the counters keep their type for Verilator's writer.
/// - It registers every point (file, line, hierarchy: strings in a database) each time a model is built,
///   some milliseconds that a fuzzer building a model per input pays every time. Only a model whose
///   counts are to be written needs them: registration is skipped unless the shim sets
///   `cosim_register_coverage`, and the counter is zeroed either way (registration was what zeroed it).
///
/// Another Verilator may write either differently: the build fails rather than silently keeping it.
fn adapt_coverage(dir: &Path, classes: &[String]) {
    const COUNTER: &str = "vlSymsp->__Vcoverage[";
    const ATOMIC_INCREMENT: &str = "].fetch_add(1, std::memory_order_relaxed);";
    const REGISTER: &str = "    *count32p = 0;\n    VL_COVER_INSERT(";
    const ON_REQUEST: &str =
        "    *count32p = 0;\n    countp->store(0);\n    if (!cosim_register_coverage) return;\n    VL_COVER_INSERT(";
    let (mut increments, mut registrations) = (0, 0);
    for class in classes {
        let path = dir.join(format!("{class}.cpp"));
        let text = fs::read_to_string(&path).expect("read a generated class");
        let found = text.matches(REGISTER).count();
        if found == 0 && !text.contains(ATOMIC_INCREMENT) {
            continue;
        }
        registrations += found;
        let mut out = String::with_capacity(text.len());
        for line in text.replace(REGISTER, ON_REQUEST).lines() {
            let code = line.trim_start();
            match code.strip_prefix(COUNTER).and_then(|rest| rest.strip_suffix(ATOMIC_INCREMENT)) {
                Some(index) => {
                    let indent = &line[..line.len() - code.len()];
                    out.push_str(&format!("{indent}cosim_count(vlSymsp->__Vcoverage[{index}]);\n"));
                    increments += 1;
                }
                None => {
                    assert!(
                        !code.contains(ATOMIC_INCREMENT),
                        "{}: a coverage increment in an unknown form",
                        path.display()
                    );
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        fs::write(&path, out).expect("write a generated class");
    }
    assert!(increments > 0, "{}: no coverage increment in the expected form", dir.display());
    assert_eq!(registrations, 1, "{}: Verilator's coverage registration not in the expected form", dir.display());
}

/// The generated classes to compile and the `VM_*` defines, from `<prefix>_classes.mk`.
fn read_classes(mk: &Path) -> (Vec<String>, Vec<(String, String)>) {
    let text = fs::read_to_string(mk).expect("read the classes makefile");
    let mut classes = Vec::new();
    let mut defines = Vec::new();
    let mut list = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some((k, v)) = line.split_once(" = ") {
            defines.push((k.to_owned(), v.to_owned()));
            continue;
        }
        if let Some((k, _)) = line.split_once(" += ") {
            list = Some(k.starts_with("VM_CLASSES") || k.starts_with("VM_SUPPORT"));
            continue;
        }
        if line.is_empty() {
            list = None;
        } else if list == Some(true) {
            classes.push(line.trim_end_matches('\\').trim().to_owned());
        }
    }
    classes.retain(|c| !c.is_empty());
    (classes, defines)
}

/// Every file Verilator read, from its dependency file (`targets : inputs`).
fn dependencies(d: &Path) -> Vec<PathBuf> {
    let text = fs::read_to_string(d).expect("read the dependency file");
    let inputs = text.split_once(':').map_or("", |(_, i)| i);
    inputs
        .split_whitespace()
        .filter(|w| [".sv", ".svh", ".v", ".vh"].iter().any(|e| w.ends_with(e)))
        .map(PathBuf::from)
        .collect()
}

/// Verilator's runtime, compiled once per output directory (it does not change with the RTL).
fn runtime(root: &Path, out: &Path, defines: &BTreeSet<(String, String)>, coverage: bool) {
    if !out.join("libverilated_rt.a").exists() {
        let inc = root.join("include");
        let mut build = cxx(root);
        build.files(["verilated.cpp", "verilated_threads.cpp", "verilated_vcd_c.cpp"].map(|f| inc.join(f)));
        if coverage {
            build.file(inc.join("verilated_cov.cpp"));
        }
        for (k, v) in defines {
            build.define(k, v.as_str());
        }
        build.compile("verilated_rt");
    } else {
        println!("cargo:rustc-link-search=native={}", out.display());
        println!("cargo:rustc-link-lib=static=verilated_rt");
    }
}
