//! `offload-fuzz-seeds VECTORS_DIR CORPUS_DIR`: writes the seed corpus of every fuzz target, built from
//! the golden vectors (`vectors/data`), to `CORPUS_DIR/<target>/`; `iscsi_wire`'s are the recorded
//! sessions in `fuzz/seeds/iscsi_wire/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use offload_fuzz::seeds::{corpora, read_vectors, recorded_sessions, write_corpora};

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [vectors, corpus] = args.as_slice() else {
        eprintln!("usage: offload-fuzz-seeds VECTORS_DIR CORPUS_DIR");
        return ExitCode::from(2);
    };
    let cases = match read_vectors(vectors) {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("{}: {e}", vectors.display());
            return ExitCode::FAILURE;
        }
    };
    let mut corpora = corpora(&cases);
    let recorded = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/iscsi_wire");
    match recorded_sessions(&recorded) {
        Ok(sessions) => corpora.insert("iscsi_wire", sessions),
        Err(e) => {
            eprintln!("{}: {e}", recorded.display());
            return ExitCode::FAILURE;
        }
    };
    match write_corpora(corpus, &corpora) {
        Ok(counts) => {
            for (target, n) in counts {
                println!("{target:<18} {n:>4} seeds");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", corpus.display());
            ExitCode::FAILURE
        }
    }
}
