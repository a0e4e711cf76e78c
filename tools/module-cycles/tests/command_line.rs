//! The `module-cycles` program: what it prints and its exit status.

use std::path::PathBuf;
use std::process::{Command, Output};

fn run(fixtures: &[&str]) -> Output {
    let roots = fixtures
        .iter()
        .map(|name| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name).join("src/lib.rs"));
    Command::new(env!("CARGO_BIN_EXE_module-cycles")).args(roots).output().expect("module-cycles runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn no_cycle_exits_0_with_one_line_per_root() {
    let output = run(&["parent_dispatch"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1);
    assert!(text.starts_with("module-cycles: "), "{text}");
    assert!(text.ends_with("parent_dispatch/src/lib.rs: 5 modules, no cycle\n"), "{text}");
}

#[test]
fn a_cycle_exits_1_and_lists_its_walk_and_edges() {
    let output = run(&["parent_dispatch", "sibling_path_call"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[1].ends_with("sibling_path_call/src/lib.rs: 3 modules, 1 cycle"), "{text}");
    assert_eq!(lines[2], "  connection → target → connection");
    assert!(lines[3].starts_with("    connection → target  ") && lines[3].ends_with("/connection.rs:1"), "{text}");
    assert!(lines[4].starts_with("    target → connection  ") && lines[4].ends_with("/target.rs:7"), "{text}");
}

#[test]
fn an_unreadable_crate_exits_2_even_beside_a_cycle() {
    let output = run(&["sibling_use", "missing_module"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("file not found for module `absent`"));
}

#[test]
fn no_root_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_module-cycles")).output().expect("module-cycles runs");
    assert_eq!(output.status.code(), Some(2));
}
