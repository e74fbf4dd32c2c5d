//! What a grid's results depend on besides its settings: the scenario text and every file its
//! `manifests` key pulls in (Argo manifests, WfFormat traces, `[import] library` files), each
//! fingerprinted by content, and the *resolved* scenario a results folder stores so that
//! `merge`, `sensitivity` and `--resume` work from the folder alone.
//!
//! The resolved text of a scenario without manifests is the text itself (so such folders are
//! unchanged). With manifests it is the validated scenario with the imported workflows,
//! templates, submissions and semaphores inline and no `manifests`/`[import]` keys; if an axis
//! varies an `[import]` hint (the import itself changes per point), the text is kept and its
//! manifest and library paths are made absolute instead, so the folder still resolves them
//! from anywhere (but then needs those files to stay where they are).

use super::grid::fnv1a64;
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

/// One input file and the FNV-1a 64 of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path as the scenario names it (the scenario itself as given on the command line).
    pub file: String,
    /// FNV-1a 64 of its bytes (0 if it could not be read again).
    pub fnv1a64: u64,
}

/// The resolved scenario text and the input files behind it.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The scenario text a results folder stores.
    pub resolved: String,
    /// The scenario file, then each manifest, then each library file.
    pub inputs: Vec<InputFile>,
}

fn resolve(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

fn fingerprint(path: &Path) -> u64 {
    let limit = crate::import::MAX_FILE_BYTES as u64;
    crate::input::read_bytes(path, limit, "file for the importer").map_or(0, |b| fnv1a64(&b))
}

/// The provenance of scenario `text` (named `file`), already validated as `base`;
/// `import_varies` says whether a grid axis changes an `[import]` key or `manifests`.
pub fn provenance(file: &str, text: &str, base: &Scenario, import_varies: bool) -> Provenance {
    let mut inputs = vec![InputFile {
        file: file.to_string(),
        fnv1a64: fnv1a64(text.as_bytes()),
    }];
    let Ok(raw) = crate::scenario::parse_file(file, text) else {
        return Provenance {
            resolved: text.to_string(),
            inputs,
        };
    };
    if raw.manifests.is_empty() {
        return Provenance {
            resolved: text.to_string(),
            inputs,
        };
    }
    let dir = Path::new(file).parent().unwrap_or(Path::new(""));
    let library = raw.import.as_ref().map_or(&[][..], |h| &h.library[..]);
    for p in raw.manifests.iter().chain(library) {
        inputs.push(InputFile {
            file: p.display().to_string(),
            fnv1a64: fingerprint(&resolve(dir, p)),
        });
    }
    let resolved = if import_varies {
        absolute_paths(text, dir)
    } else {
        toml::to_string(&base.file).ok().map(|t| {
            format!(
                "# {file} with its manifests imported inline by argosim {}: the runs of this\n\
                 # folder depend on nothing else.\n{t}",
                env!("CARGO_PKG_VERSION")
            )
        })
    };
    Provenance {
        resolved: resolved.unwrap_or_else(|| text.to_string()),
        inputs,
    }
}

/// `text` with its `manifests` and `[import] library` paths made absolute against `dir`.
fn absolute_paths(text: &str, dir: &Path) -> Option<String> {
    let mut doc: toml::Table = toml::from_str(text).ok()?;
    let dir = std::path::absolute(dir).ok()?;
    let fix = |v: &mut toml::Value| {
        if let Some(list) = v.as_array_mut() {
            for p in list.iter_mut() {
                if let Some(s) = p.as_str() {
                    *p = toml::Value::String(resolve(&dir, Path::new(s)).display().to_string());
                }
            }
        }
    };
    if let Some(m) = doc.get_mut("manifests") {
        fix(m);
    }
    if let Some(l) = doc
        .get_mut("import")
        .and_then(|i| i.as_table_mut())
        .and_then(|i| i.get_mut("library"))
    {
        fix(l);
    }
    toml::to_string(&doc).ok()
}

/// Which input differs between `now` and `then` (a manifest's `inputs` list), for a refusal
/// message; `None` if they agree. The scenario (first entry) is compared by content only, so
/// the same file named by another path still matches; manifests by name and content.
pub fn changed_input(now: &[InputFile], then: &[InputFile]) -> Option<String> {
    if then.is_empty() {
        // A folder written before inputs were recorded.
        return None;
    }
    let names = |l: &[InputFile]| l.iter().skip(1).map(|f| f.file.clone()).collect::<Vec<_>>();
    if names(now) != names(then) {
        return Some(format!(
            "the scenario imports {:?} here but {:?} in this folder",
            names(now),
            names(then)
        ));
    }
    now.iter().zip(then).find(|(a, b)| a.fnv1a64 != b.fnv1a64).map(|(a, b)| {
        format!(
            "{} changed since this folder was written (content fnv1a64 {:016x} here, {:016x} in \
             the folder)",
            a.file, a.fnv1a64, b.fnv1a64
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(file: &str, h: u64) -> InputFile {
        InputFile {
            file: file.into(),
            fnv1a64: h,
        }
    }

    #[test]
    fn the_first_changed_file_is_named() {
        let then = [f("s.toml", 1), f("a.yaml", 2), f("b.yaml", 3)];
        assert_eq!(changed_input(&then, &then), None);
        let now = [f("s.toml", 1), f("a.yaml", 9), f("b.yaml", 3)];
        let m = changed_input(&now, &then).unwrap();
        assert!(m.starts_with("a.yaml changed since"), "{m}");
        let fewer = [f("s.toml", 1), f("a.yaml", 2)];
        assert!(changed_input(&fewer, &then).unwrap().contains("imports"));
        let renamed = [f("./s.toml", 1), f("a.yaml", 2), f("b.yaml", 3)];
        assert_eq!(changed_input(&renamed, &then), None);
    }
}
