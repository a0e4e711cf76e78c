//! The `offload` command as a user runs it: scripts from a file or standard input, options, images,
//! and clear errors for bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn offload(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_offload"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("offload runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn answers(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect()
}

#[test]
fn the_tour_script_gives_the_documented_statuses() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/vaai-tour.jsonl");
    let out = offload(&["run", script], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<(String, u64, String)> = answers(&out)
        .iter()
        .map(|a| {
            (
                a["command"].as_str().unwrap().to_owned(),
                a["status"].as_u64().unwrap(),
                a["check"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("WRITE SAME(16)", 0, ""),
        ("EXTENDED COPY(LID1)", 0, ""),
        ("RECEIVE COPY STATUS(LID1)", 0, ""),
        ("READ(16)", 0, ""),
        ("COMPARE AND WRITE", 0, ""),
        ("COMPARE AND WRITE", 2, "E/1D/00"),
        ("COMPARE AND WRITE", 0, ""),
        ("COMPARE AND WRITE", 2, "E/1D/00"),
        ("UNMAP", 0, ""),
        ("GET LBA STATUS", 0, ""),
        ("WRITE SAME(16)", 2, "5/24/00"),
    ];
    let expected: Vec<(String, u64, String)> =
        expected.iter().map(|(c, s, k)| (c.to_string(), *s, k.to_string())).collect();
    assert_eq!(got, expected);
    // The copied block reads back as the pattern written in step 1.
    assert_eq!(answers(&out)[3]["data_in"].as_str().unwrap(), "ab".repeat(512));
}

#[test]
fn reads_standard_input_and_reports_jobs_with_predicted_cycles() {
    let script = "{\"cdb\": \"880000000000000000000000000100000000\"}\n";
    let out = offload(&["run", "--capacity", "1MiB", "--block-size", "4096", "-"], script);
    assert!(out.status.success());
    let a = &answers(&out)[0];
    assert_eq!(a["status"], 0);
    assert_eq!(a["data_in"].as_str().unwrap().len(), 2 * 4096);
    let record = &a["jobs"][0];
    assert_eq!(record["job"]["op"], "copy");
    assert_eq!(record["job"]["block_shift"], 12);
    let c = &record["completion"];
    assert_eq!(record["predicted_cycles"], c["completed_at"].as_u64().unwrap() - c["granted_at"].as_u64().unwrap());
}

#[test]
fn bad_script_lines_are_clear_errors_naming_the_line() {
    let out = offload(&["run", "-"], "{\"cdb\": \"00\"}\n{\"cdb\": \"zz\"}\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
    let out = offload(&["run", "-"], "{\"cbd\": \"00\"}\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
    let out = offload(&["run", "--block-size", "1024", "-"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("block size 1024"));
}

#[test]
fn access_options_restrict_initiators() {
    let script = "{\"initiator\": \"iqn.a\", \"lun\": 1, \"cdb\": \"000000000000\"}\n";
    let out = offload(&["run", "--access", "iqn.a=0", "-"], script);
    assert_eq!(answers(&out)[0]["check"], "5/25/00");
}

#[test]
fn image_files_are_read_and_written_back() {
    let dir = std::env::temp_dir().join(format!("offload-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("lun0.img");
    let mut contents = vec![0u8; 64 * 512];
    contents[512..1024].fill(0x42);
    std::fs::write(&image, &contents).unwrap();
    // READ block 1, then WRITE SAME its byte over blocks 9 and 10; write back only what changed.
    let script = "{\"cdb\": \"88000000000000000001000000010000\"}\n{\"cdb\": \"93000000000000000009000000020000\", \"data_out\": \"".to_owned()
        + &"42".repeat(512)
        + "\"}\n";
    let path = image.to_str().unwrap();
    let out = offload(&["run", "--image", path, "--write-back", "-"], &script);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(answers(&out)[0]["data_in"].as_str().unwrap(), "42".repeat(512));
    contents[9 * 512..11 * 512].fill(0x42);
    assert_eq!(std::fs::read(&image).unwrap(), contents);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unsupported_block_size_with_images_is_an_error_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("offload-cli-bs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("lun0.img");
    std::fs::write(&image, vec![0u8; 4096]).unwrap();
    let out = offload(&["run", "--image", image.to_str().unwrap(), "--block-size", "0", "-"], "");
    assert_eq!(out.status.code(), Some(1), "a clean failure");
    assert!(String::from_utf8_lossy(&out.stderr).contains("block size 0"));
    std::fs::remove_dir_all(&dir).unwrap();
}
