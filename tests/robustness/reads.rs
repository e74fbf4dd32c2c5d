//! Bounded reads (issue 13 item 3) and importer costs: every input path is read to at most its
//! limit + 1 byte, whatever it is (a device, a pipe), so endless or huge inputs are refused at
//! once; name de-duplication is linear in the number of documents.

use crate::common::argosim;
use predicates::prelude::*;
use std::time::{Duration, Instant};

/// Run argosim with `args`, expecting exit 2 within a few seconds; returns stderr.
fn refused_fast(args: &[&std::ffi::OsStr]) -> String {
    let t = Instant::now();
    let out = argosim().args(args).assert().code(2).get_output().clone();
    // Reading 2 GiB (the old behaviour) took tens of seconds here; 10 MiB takes milliseconds.
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn validate_of_dev_zero_is_refused_after_the_scenario_limit() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let e = refused_fast(&["validate".as_ref(), "/dev/zero".as_ref()]);
    assert!(
        e.contains(
            "/dev/zero: input is larger than the 10485760 byte (10.00 MiB) limit of a scenario file"
        ),
        "{e}"
    );
}

#[test]
fn import_of_dev_urandom_is_refused_after_the_importer_limit() {
    if !std::path::Path::new("/dev/urandom").exists() {
        return;
    }
    let e = refused_fast(&["import".as_ref(), "/dev/urandom".as_ref()]);
    assert!(e.contains("/dev/urandom"), "{e}");
    assert!(e.contains("limit of a file for the importer"), "{e}");
}

#[test]
fn a_scenario_whose_manifest_is_dev_zero_is_refused() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    std::fs::write(
        &p,
        "manifests = [\"/dev/zero\"]\n[[cluster.pools]]\nname = \"p\"\ncpu = \"4\"\nmemory = \"16Gi\"\nprice_per_hour = 1.0\nnodes = 1\n",
    )
    .unwrap();
    let e = refused_fast(&["validate".as_ref(), p.as_os_str()]);
    assert!(e.contains("/dev/zero"), "{e}");
    assert!(e.contains("limit of a file for the importer"), "{e}");
}

/// A 50 MiB stream through a named pipe: the reader stops after 10 MiB + 1 byte (the writer
/// then gets a broken pipe) instead of buffering it all first.
#[cfg(unix)]
#[test]
fn a_fifo_streaming_50_mib_is_refused_without_reading_it_whole() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return;
    }
    let path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        let chunk = vec![b'#'; 1 << 20];
        let mut written = 0usize;
        for _ in 0..50 {
            if f.write_all(&chunk).is_err() {
                break;
            }
            written += chunk.len();
        }
        written
    });
    let e = refused_fast(&["validate".as_ref(), fifo.as_os_str()]);
    assert!(e.contains("limit of a scenario file"), "{e}");
    let written = writer.join().unwrap();
    assert!(
        written < 50 << 20,
        "the reader took the whole stream: {written} bytes"
    );
}

#[test]
fn a_hints_file_that_is_not_utf8_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let hints = dir.path().join("h.toml");
    std::fs::write(&hints, [0xffu8, 0xfe, 0x00]).unwrap();
    let wf = dir.path().join("w.yaml");
    std::fs::write(&wf, "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: w\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: busybox\n").unwrap();
    argosim()
        .arg("import")
        .arg(&wf)
        .arg("--hints")
        .arg(&hints)
        .assert()
        .failure()
        .stderr(predicate::str::contains("h.toml: not UTF-8 text"));
}

/// 20,000 documents with one `generateName` took 53 s (each name scanned suffixes from 2);
/// now each base remembers its next suffix.
#[test]
fn twenty_thousand_documents_with_one_generate_name_import_fast() {
    let doc = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: batch-\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: busybox\n      resources:\n        requests:\n          cpu: 100m\n          memory: 64Mi\n";
    let text: String = (0..20_000).map(|_| format!("---\n{doc}")).collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.yaml");
    std::fs::write(&p, &text).unwrap();
    let t = Instant::now();
    let out = argosim()
        .arg("import")
        .arg(&p)
        .assert()
        .success()
        .get_output()
        .clone();
    let elapsed = t.elapsed();
    let toml = String::from_utf8(out.stdout).unwrap();
    assert!(toml.contains("name = \"batch\""), "first keeps the base");
    assert!(
        toml.contains("name = \"batch-20000\""),
        "last is suffixed 20000"
    );
    assert!(!toml.contains("name = \"batch-20001\""));
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}
