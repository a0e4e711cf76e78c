//! The checker on the fixture crates in tests/fixtures/: exactly the cycles each one has, with the
//! reference behind every edge.

use std::path::PathBuf;

use offload_module_cycles::{Cycle, Edge, LoadError, Report, check};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name).join("src")
}

fn check_fixture(name: &str) -> Report {
    let root = fixture(name).join("lib.rs");
    check(&root).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// A reference the checker should report: `from` names `to` first at `line` of `file` (relative to the
/// fixture's src/).
type Expected<'a> = (&'a str, &'a str, &'a str, usize);

/// Checks that the fixture `name` has `module_count` modules and exactly one cycle, walked as `walk`,
/// whose edges are `edges`.
fn assert_one_cycle(name: &str, module_count: usize, walk: &[&str], edges: &[Expected<'_>]) {
    let report = check_fixture(name);
    assert_eq!(report.module_count, module_count, "{report}");
    let expected = Cycle {
        walk: walk.iter().map(|module| (*module).to_owned()).collect(),
        edges: edges
            .iter()
            .map(|&(from, to, file, line)| Edge {
                from: from.to_owned(),
                to: to.to_owned(),
                file: fixture(name).join(file),
                line,
            })
            .collect(),
    };
    assert_eq!(report.cycles, [expected], "{report}");
}

#[test]
fn siblings_that_use_each_other_are_a_cycle() {
    assert_one_cycle(
        "sibling_use",
        3,
        &["config", "media", "config"],
        &[("config", "media", "config.rs", 1), ("media", "config", "media.rs", 3)],
    );
}

#[test]
fn a_call_through_a_path_closes_a_cycle_without_any_use() {
    assert_one_cycle(
        "sibling_path_call",
        3,
        &["connection", "target", "connection"],
        &[("connection", "target", "connection.rs", 1), ("target", "connection", "target.rs", 7)],
    );
}

#[test]
fn three_modules_in_a_ring_through_super_paths() {
    assert_one_cycle(
        "three_super",
        5,
        &["pipeline::check", "pipeline::emit", "pipeline::parse", "pipeline::check"],
        &[
            ("pipeline::check", "pipeline::emit", "pipeline/check.rs", 9),
            ("pipeline::emit", "pipeline::parse", "pipeline/emit.rs", 9),
            ("pipeline::parse", "pipeline::check", "pipeline/parse.rs", 9),
        ],
    );
}

#[test]
fn a_parent_dispatching_to_children_that_use_its_types_is_no_cycle() {
    let report = check_fixture("parent_dispatch");
    // The root, commands, commands::write, commands::tests and sense.
    assert_eq!(report.module_count, 5);
    assert_eq!(report.cycles, []);
}

#[test]
fn modules_found_through_path_attributes_mod_rs_and_inline_blocks() {
    // The root, platform (platform/linux_impl.rs), platform::detail (platform/detail.rs, beside the
    // #[path] file), engine (engine/mod.rs), engine::queue, hal (inline) and hal::regs (hal/regs.rs).
    assert_one_cycle(
        "path_and_mod_rs",
        7,
        &["engine::queue", "platform::detail", "engine::queue"],
        &[
            ("engine::queue", "platform::detail", "engine/queue.rs", 2),
            ("platform::detail", "engine::queue", "platform/detail.rs", 3),
        ],
    );
}

#[test]
fn paths_through_renamed_glob_and_chained_imports_and_macro_arguments() {
    assert_one_cycle(
        "imported_names",
        6,
        &["login", "pdu::reject", "logout", "pdu::reject", "session", "pdu::reject", "login"],
        &[
            // `wire::reject::reason(1)`, wire being `use crate::pdu as wire;`.
            ("login", "pdu::reject", "login.rs", 4),
            // `reject::reason(2)`, reject coming from `use crate::pdu::*;`.
            ("logout", "pdu::reject", "logout.rs", 4),
            ("pdu::reject", "login", "pdu.rs", 9),
            ("pdu::reject", "logout", "pdu.rs", 10),
            // Inside `debug_assert!(...)`.
            ("pdu::reject", "session", "pdu.rs", 7),
            // `use pdu::reject;` after `use crate::pdu;`.
            ("session", "pdu::reject", "session.rs", 2),
        ],
    );
}

#[test]
fn a_missing_module_file_is_an_error_naming_both_candidates() {
    let error = check(&fixture("missing_module").join("lib.rs")).expect_err("absent.rs does not exist");
    let LoadError::ModuleFileNotFound { line, candidates, .. } = &error else {
        panic!("not a missing file: {error}");
    };
    assert_eq!(*line, 4);
    assert_eq!(
        candidates,
        &[fixture("missing_module").join("absent.rs"), fixture("missing_module").join("absent/mod.rs")]
    );
}

#[test]
fn a_file_that_is_not_rust_is_a_parse_error() {
    let error = check(&fixture("parse_error").join("lib.rs")).expect_err("the fixture does not parse");
    assert!(matches!(error, LoadError::Parse { line: 3, .. }), "{error}");
}
