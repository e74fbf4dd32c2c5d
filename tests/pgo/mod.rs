//! The profile-guided build (`pgo/`): the wrapper adds the profile to optimised builds only,
//! and the profile was taken with this toolchain, this crate version and this `Cargo.lock`.
//! A profile whose symbol names no longer match (a dependency, the version or the toolchain
//! changed: each changes every function's mangled name) would silently give no optimisation,
//! so these tests make it loud: run `pgo/train` and commit its files.

use crate::common::crate_path;
use std::process::Command;

/// What `pgo/rustc-wrapper` runs for these compiler arguments, with `echo` as the compiler.
fn wrapped(args: &[&str], mode: Option<&str>) -> String {
    let mut cmd = Command::new("bash");
    cmd.arg(crate_path("pgo/rustc-wrapper"))
        .arg("echo")
        .args(args);
    cmd.env_remove("ARGOSIM_PGO");
    if let Some(m) = mode {
        cmd.env("ARGOSIM_PGO", m);
    }
    let out = cmd.output().expect("bash runs the wrapper");
    assert!(out.status.success(), "wrapper failed: {out:?}");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

#[test]
fn wrapper_adds_the_profile_to_optimised_builds_only() {
    let profile = crate_path("pgo/argosim.profdata");
    let use_flag = format!("-Cprofile-use={}", profile.display());
    let release = ["--crate-name", "x", "-C", "opt-level=3", "lib.rs"];
    assert_eq!(
        wrapped(&release, None),
        format!(
            "--crate-name x -C opt-level=3 lib.rs {use_flag} -Cllvm-args=-no-pgo-warn-mismatch"
        )
    );
    assert_eq!(
        wrapped(&release, Some("warn")),
        format!("--crate-name x -C opt-level=3 lib.rs {use_flag}")
    );
    // Switched off, a debug build, a probe of the compiler, or an instrumented build: as is.
    assert_eq!(wrapped(&release, Some("off")), release.join(" "));
    let debug = ["--crate-name", "x", "-C", "debuginfo=2", "lib.rs"];
    assert_eq!(wrapped(&debug, None), debug.join(" "));
    assert_eq!(wrapped(&["-vV"], None), "-vV");
    let generate = ["-C", "opt-level=3", "-Cprofile-generate=/tmp/p", "lib.rs"];
    assert_eq!(wrapped(&generate, None), generate.join(" "));
}

#[test]
fn profile_is_an_indexed_llvm_profile() {
    let bytes = std::fs::read(crate_path("pgo/argosim.profdata")).expect("pgo/argosim.profdata");
    // IndexedInstrProf's magic, little-endian: 0xff, "lprofi", 0x81.
    assert_eq!(
        bytes.get(..8),
        Some(&b"\xfflprofi\x81"[..]),
        "not an indexed profile"
    );
}

#[test]
fn profile_matches_the_toolchain_version_and_lockfile() {
    let read =
        |p: &str| std::fs::read_to_string(crate_path(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let value = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.trim().strip_prefix('=').map(str::trim))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| panic!("no `{key}` line"))
    };
    let channel = value(&read("rust-toolchain.toml"), "channel");
    let version = value(&read("Cargo.toml"), "version");
    let trained = read("pgo/trained-with.txt");
    let stale = "run `bash pgo/train` and commit pgo/: the profile's function names no longer \
                 match this build";
    assert_eq!(
        trained.trim(),
        format!("rustc {channel}\nargosim {version}"),
        "toolchain or crate version changed since the profile was taken; {stale}"
    );
    assert!(
        read("pgo/Cargo.lock.trained") == read("Cargo.lock"),
        "Cargo.lock changed since the profile was taken; {stale}"
    );
}
