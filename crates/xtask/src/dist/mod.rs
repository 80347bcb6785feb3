//! `cargo xtask dist`: the release app in `dist/`, split into modules fetched when needed.
//!
//! Trunk builds one wasm and runs wasm-bindgen itself, with no step between the two where the
//! module could be split; so the release build is done here (`trunk serve` stays the
//! development loop, unsplit):
//!
//! 1. the map's boundaries into `public/map.json` (as Trunk's pre-build hook does);
//! 2. `cargo build --release` for wasm32 with `--cfg split` (turns on the split points of
//!    `src/lazy.rs`) and `--emit-relocs` (wasm-split follows the relocations to learn which
//!    function reaches which code and data);
//! 3. `wasm-split-cli`: the main module, one module per split point, and modules for what
//!    split points share, with `__wasm_split.js`, which fetches them beside itself;
//! 4. `wasm-bindgen --target web` on the main module, `wasm-opt -Oz` on every module;
//! 5. every file named with one hash of the whole build (`name-<hash>.js`, `name-<hash>_bg.wasm`),
//!    so the server's rule for hashed names (cached for a year, `immutable`) holds for all of
//!    them, and the references between them rewritten to those names. One hash for all, not
//!    one per file: the main glue and `__wasm_split.js` import each other, so a name made from
//!    each file's own content could not be written into the other;
//! 6. `index.html` from the template Trunk also reads: the stylesheet by its content hash with
//!    its integrity, the files `copy-file` names, and the script tag Trunk.toml's
//!    `pattern_script` describes (no inline script: the CSP forbids it);
//! 7. `.br` and `.gz` beside the hashed files (`compress.rs`), which prints every size.
//!
//! It is written into `target/dist-staging/` (compressed copies included) and moved over
//! `dist/` only when complete, so a failed build leaves the last good `dist/` in place. The
//! hashed files of the build it replaces are kept beside the new ones (only that one build):
//! a tab opened before still fetches its own build's modules (`keep_previous_build`).

mod index;

use crate::{cmd, compress, map, root, run};
use base64::Engine;
use index::{attr, render_index, Links};
use sha2::{Digest, Sha256, Sha384};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The flags of the split build (a `--config` value: joined to the rustflags of
/// .cargo/config.toml, erase_components, not replacing them): `split` turns on the split
/// points of `src/lazy.rs`; wasm-split follows the relocations to learn which function
/// reaches which code and data.
pub const SPLIT_RUSTFLAGS: &str =
    r#"target.wasm32-unknown-unknown.rustflags=["--cfg", "split", "-C", "link-arg=--emit-relocs"]"#;

/// The bin wasm-bindgen's output is named after (`peering-console.js`, `_bg.wasm`).
const APP: &str = "peering-console";

/// The features rustc enables for wasm32-unknown-unknown, which wasm-opt must accept.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
];

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, data: &[u8]) -> Result<(), String> {
    std::fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))
}

fn fresh_dir(dir: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// 16 hex digits of SHA-256, the length of Trunk's hashes (the server's rule takes 8–16).
fn short_hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A Subresource Integrity value (`sha384-…`), as Trunk writes for the files it links.
fn integrity(data: &[u8]) -> String {
    let digest = Sha384::digest(data);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The hashed name of one output of wasm-bindgen or wasm-split: `stem-<hash>_bg.wasm` for a
/// module (the server's rule knows `_bg.wasm`), `stem-<hash>.js` for a script.
fn hashed_name(name: &str, hash: &str) -> Result<String, String> {
    if let Some(stem) = name
        .strip_suffix("_bg.wasm")
        .or_else(|| name.strip_suffix(".wasm"))
    {
        Ok(format!("{stem}-{hash}_bg.wasm"))
    } else if let Some(stem) = name.strip_suffix(".js") {
        Ok(format!("{}-{hash}.js", stem.trim_start_matches('_')))
    } else {
        Err(format!("unexpected file in the build: {name}"))
    }
}

/// Where a script names another file: an import (`from "./x.js"`) or a fetch beside itself
/// (`new URL("./x.wasm", import.meta.url)`). Only there: the same string is also the key the
/// main module's imports are looked up by (`"./__wasm_split.js": import1`), which is written
/// in the wasm and must stay as it is.
const REFERENCES: [&str; 4] = ["from \"", "from '", "URL(\"", "URL('"];

/// Renames the files `text` refers to (see [`REFERENCES`]); fails if it does not refer to
/// each of `must` (the tools' output changed shape).
fn rewrite(
    text: &str,
    renames: &BTreeMap<String, String>,
    must: &[&str],
) -> Result<String, String> {
    let mut out = text.to_owned();
    for (old, new) in renames {
        for r in REFERENCES {
            let q = &r[r.len() - 1..];
            // `./x` and `x` alike (wasm-bindgen's own default path has no `./`).
            for dot in ["./", ""] {
                out = out.replace(&format!("{r}{dot}{old}{q}"), &format!("{r}{dot}{new}{q}"));
            }
        }
    }
    for m in must {
        let new = &renames[*m];
        if !REFERENCES
            .iter()
            .any(|r| out.contains(&format!("{r}./{new}")))
        {
            return Err(format!(
                "the build's JavaScript does not refer to {m} as expected"
            ));
        }
    }
    Ok(out)
}

/// Builds `dist/` (see the module's documentation).
pub fn build() -> Result<(), String> {
    let root = root();
    map::build(&root.join("public/map.json"))?;
    run(cmd("cargo")
        // Either would replace the rustflags below and .cargo/config.toml's (erase_components).
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .args(["--bin", APP])
        // A target directory of its own: other flags than every other wasm build here (the
        // release benchmarks, `trunk build --release`), which would otherwise rebuild it all.
        .args(["--target-dir", "target/split"])
        .args(["--config", SPLIT_RUSTFLAGS]))?;
    let built = root.join(format!(
        "target/split/wasm32-unknown-unknown/release/{APP}.wasm"
    ));
    let work = root.join("target/dist-work");
    let (split, bindgen, staging) = (
        work.join("split"),
        work.join("bindgen"),
        root.join("target/dist-staging"),
    );
    for d in [&split, &bindgen, &staging] {
        fresh_dir(d)?;
    }
    run(cmd("wasm-split-cli")
        .arg(&built)
        .arg(&split)
        .args(["--out-name", APP]))?;
    run(cmd("wasm-bindgen")
        .arg(split.join(format!("{APP}.wasm")))
        .arg("--out-dir")
        .arg(&bindgen)
        .args(["--target", "web", "--no-typescript", "--keep-lld-exports"]))?;
    // The split modules and the loader go beside the glue; the main module is wasm-bindgen's.
    for f in files_in(&split)? {
        let name = name_of(&f);
        if name != format!("{APP}.wasm") {
            std::fs::copy(&f, bindgen.join(&name)).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    if let Some(dir) = std::fs::read_dir(&bindgen)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .find(|e| e.path().is_dir())
    {
        // wasm-bindgen's `snippets/` (a dependency's inline JavaScript): not handled here.
        return Err(format!(
            "wasm-bindgen wrote a directory ({}), which the release build does not copy",
            dir.path().display()
        ));
    }
    let outputs = files_in(&bindgen)?;
    for f in outputs.iter().filter(|f| name_of(f).ends_with(".wasm")) {
        run(cmd("wasm-opt")
            .arg("-Oz")
            .args(WASM_FEATURES)
            .arg(f)
            .arg("-o")
            .arg(f))?;
    }
    let contents: Vec<(String, Vec<u8>)> = outputs
        .iter()
        .map(|f| Ok((name_of(f), read(f)?)))
        .collect::<Result<_, String>>()?;
    let hash = short_hash(&contents.iter().map(|(_, d)| &d[..]).collect::<Vec<_>>());
    let renames: BTreeMap<String, String> = contents
        .iter()
        .map(|(n, _)| Ok((n.clone(), hashed_name(n, &hash)?)))
        .collect::<Result<_, String>>()?;
    let (glue, loader, main) = (
        format!("{APP}.js"),
        "__wasm_split.js".to_owned(),
        format!("{APP}_bg.wasm"),
    );
    for must in [&glue, &loader, &main] {
        if !renames.contains_key(must) {
            return Err(format!("the split build made no {must}"));
        }
    }
    let mut linked = BTreeMap::new();
    for (name, data) in &contents {
        let data = if name == &glue {
            rewrite(&String::from_utf8_lossy(data), &renames, &[&loader])?.into_bytes()
        } else if name == &loader {
            // The loader names every module but the main one (the glue loads that).
            let modules: Vec<&str> = renames
                .keys()
                .filter(|n| n.ends_with(".wasm") && **n != main)
                .map(String::as_str)
                .chain([glue.as_str()])
                .collect();
            rewrite(&String::from_utf8_lossy(data), &renames, &modules)?.into_bytes()
        } else {
            data.clone()
        };
        write(&staging.join(&renames[name]), &data)?;
        linked.insert(name.clone(), data);
    }
    let template = String::from_utf8_lossy(&read(&root.join("index.html"))?).into_owned();
    let links = Links {
        js: &renames[&glue],
        wasm: &renames[&main],
        js_integrity: integrity(&linked[&glue]),
        wasm_integrity: integrity(&linked[&main]),
    };
    let index = render_index(
        &template,
        &links,
        |href| {
            let data = read(&root.join(href))?;
            let stem = Path::new(href)
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let name = format!("{stem}-{}.css", short_hash(&[&data]));
            write(&staging.join(&name), &data)?;
            Ok((name, integrity(&data)))
        },
        |href| {
            let name = name_of(Path::new(href));
            std::fs::copy(root.join(href), staging.join(&name))
                .map(|_| ())
                .map_err(|e| format!("{href}: {e}"))
        },
    )?;
    write(&staging.join("index.html"), index.as_bytes())?;
    compress::precompress(&staging)?;
    let dist = root.join("dist");
    let kept = keep_previous_build(&dist, &staging, &hash)?;
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::rename(&staging, &dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    let _ = std::fs::remove_dir_all(&work);
    eprintln!(
        "xtask: dist/: the main module is {}; {} more modules are fetched after the first view; {kept} files of the previous build kept",
        renames[&main],
        renames.len() - 3
    );
    Ok(())
}

/// The build hash `index.html` in `dir` loads, if it is one of ours.
fn build_hash_of(dir: &Path) -> Option<String> {
    let index = std::fs::read_to_string(dir.join("index.html")).ok()?;
    let wasm = attr(&index, "data-wasm")?;
    let (_, hash) = wasm.strip_suffix("_bg.wasm")?.rsplit_once('-')?;
    Some(hash.to_owned())
}

/// Copies the hashed files of the build in `old` (the one being replaced) into `new`: a tab
/// opened before this build still fetches the modules of its own build, by their names, when
/// it opens a part it had not fetched yet. Only the one build before: older tabs get the
/// app's "could not be loaded" with a Reload. Gives how many files were kept.
fn keep_previous_build(old: &Path, new: &Path, hash: &str) -> Result<usize, String> {
    let Some(previous) = build_hash_of(old).filter(|h| h != hash) else {
        return Ok(0);
    };
    let mut kept = 0;
    for f in files_in(old)? {
        let name = name_of(&f);
        if name.contains(&format!("-{previous}.")) || name.contains(&format!("-{previous}_bg.")) {
            std::fs::copy(&f, new.join(&name)).map_err(|e| format!("{name}: {e}"))?;
            kept += 1;
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_the_servers() {
        // The server's rule (static_files::is_hashed_asset): stem-<8..16 hex> then .js or _bg.wasm.
        let h = short_hash(&[b"x"]);
        assert_eq!(h.len(), 16);
        assert_eq!(
            hashed_name("peering-console_bg.wasm", &h).unwrap(),
            format!("peering-console-{h}_bg.wasm")
        );
        assert_eq!(
            hashed_name("split_map_panel.wasm", &h).unwrap(),
            format!("split_map_panel-{h}_bg.wasm")
        );
        assert_eq!(
            hashed_name("__wasm_split.js", &h).unwrap(),
            format!("wasm_split-{h}.js")
        );
        assert!(hashed_name("notes.txt", &h).is_err());
        assert_ne!(short_hash(&[b"ab", b"c"]), short_hash(&[b"a", b"bc"]));
    }

    #[test]
    fn references_between_the_scripts_are_renamed() {
        let renames = BTreeMap::from([
            ("a.js".to_owned(), "a-1.js".to_owned()),
            ("m.wasm".to_owned(), "m-1_bg.wasm".to_owned()),
        ]);
        let js = r#"import { initSync } from "./a.js"; import * as i from './a.js'; fetch(new URL("./m.wasm", import.meta.url)); new URL('m.wasm', import.meta.url); const imports = { "./a.js": i };"#;
        let out = rewrite(js, &renames, &["a.js"]).unwrap();
        // The key of the imports object is the name written in the wasm: it stays.
        assert_eq!(
            out,
            r#"import { initSync } from "./a-1.js"; import * as i from './a-1.js'; fetch(new URL("./m-1_bg.wasm", import.meta.url)); new URL('m-1_bg.wasm', import.meta.url); const imports = { "./a.js": i };"#
        );
        assert!(rewrite("nothing here", &renames, &["a.js"]).is_err());
    }

    #[test]
    fn the_previous_build_is_kept_beside_the_new_one() {
        let base = std::env::temp_dir().join(format!("dist-keep-{}", std::process::id()));
        let (old, new) = (base.join("old"), base.join("new"));
        for d in [&old, &new] {
            fresh_dir(d).unwrap();
        }
        let index = |h: &str| {
            format!("<script type=\"module\" src=\"./boot.js\" data-js=\"./app-{h}.js\" data-wasm=\"./app-{h}_bg.wasm\"></script>")
        };
        write(
            &old.join("index.html"),
            index("aaaa0000aaaa0000").as_bytes(),
        )
        .unwrap();
        for f in [
            "app-aaaa0000aaaa0000_bg.wasm",
            "app-aaaa0000aaaa0000_bg.wasm.br",
            "chunk_1-aaaa0000aaaa0000_bg.wasm",
            "app-aaaa0000aaaa0000.js",
            "app-1111222233334444.js",
            "config.json",
        ] {
            write(&old.join(f), b"x").unwrap();
        }
        assert_eq!(
            keep_previous_build(&old, &new, "bbbb0000bbbb0000").unwrap(),
            4
        );
        assert!(new.join("chunk_1-aaaa0000aaaa0000_bg.wasm").exists());
        assert!(
            !new.join("app-1111222233334444.js").exists(),
            "an older build's file is not kept"
        );
        assert!(!new.join("config.json").exists());
        // The same build again keeps nothing (its files are the new ones).
        assert_eq!(
            keep_previous_build(&old, &new, "aaaa0000aaaa0000").unwrap(),
            0
        );
        let _ = std::fs::remove_dir_all(&base);
    }
}
