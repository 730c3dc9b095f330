//! The CI smoke of the fuzz targets: every file of the kept corpus (`tests/fuzz/corpus/<target>/`)
//! and every former crash (`tests/fuzz/regressions/<target>/`) through its target. A panic on
//! any input fails the test, naming the file.

use std::path::{Path, PathBuf};

use super::TARGETS;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.is_file());
    out.sort();
    out
}

#[test]
fn every_corpus_and_regression_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut failed = Vec::new();
    for (name, target) in TARGETS {
        let corpus = files(&root.join("corpus").join(name));
        assert!(
            corpus.len() >= 5,
            "tests/fuzz/corpus/{name} holds {} inputs",
            corpus.len()
        );
        for path in corpus
            .iter()
            .chain(&files(&root.join("regressions").join(name)))
        {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(
        failed.is_empty(),
        "inputs that fail their target: {failed:?}"
    );
}
