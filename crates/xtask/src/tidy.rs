//! Style rules as checks (as rust-analyzer's `xtask/src/tidy.rs`): `cargo xtask lint` runs
//! them, and so does `cargo test` (the test below), so a rule cannot be broken unnoticed.
//!
//! * A field target (`peering_model::targets::ALL`) is never written as a string literal outside
//!   `crates/model`: both sides must use the constants. The rule covers the distinctive targets
//!   (with a `.`, `$`, `-` or a capital: `properties.prefix`, `resourceGroupName`,
//!   `$skipToken`, …); `name`, `country`, `location` and `tags` are also ordinary words (HTML
//!   ids, URL query keys), so they are left to review. Tests may spell the wire (they check it
//!   independently of the constants), so test files and `#[cfg(test)] mod`s are exempt.
//! * No source file outside tests is longer than [`MAX_LINES`] lines before its tests, unless
//!   it says why in a `// tidy: long file:` comment.
//! * No `#[ignore]`d test.
//! * No comment or string points outside the repository (`../shared`, `shared/reference`):
//!   the facts the code relies on are in `docs/domain.md`.

use std::path::{Path, PathBuf};

pub const MAX_LINES: usize = 400;

/// Every `.rs` file under `dir`, recursively (skipping `target/` and hidden folders).
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if name != "target" && !name.starts_with('.') && name != "node_modules" {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

/// Whether a path is test code: a `tests/` folder, benches, examples, or the end-to-end
/// scenario (which spells the wire out on its own, as the API tests do).
fn is_test_file(rel: &str) -> bool {
    rel.starts_with("tests/")
        || rel.starts_with("crates/xtask/src/e2e/")
        || rel.contains("/tests/")
        || rel.contains("/benches/")
        || rel.contains("/examples/")
}

/// The part of a file before its `#[cfg(test)] mod` (inline tests come last). Only a test
/// module ends the checked part; a `#[cfg(test)]` on any other item does not.
fn before_tests(text: &str) -> &str {
    let mut from = 0;
    while let Some(i) = text[from..].find("\n#[cfg(test)]") {
        let at = from + i;
        let rest = text[at + "\n#[cfg(test)]".len()..].trim_start();
        if rest.starts_with("mod ") {
            return &text[..at];
        }
        from = at + 1;
    }
    text
}

/// The string literals of Rust source with the line each starts on: `"…"` (escapes,
/// several lines), raw strings `r#"…"#` and byte strings; comments (`//`, `/* */`), char
/// literals and lifetimes are skipped.
fn string_literals(src: &str) -> Vec<(usize, String)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let advance = |i: &mut usize, line: &mut usize, to: usize| {
        *line += b[*i..to.min(b.len())]
            .iter()
            .filter(|c| **c == b'\n')
            .count();
        *i = to;
    };
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(b.len(), |j| i + j);
                advance(&mut i, &mut line, end);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = src[i + 2..].find("*/").map_or(b.len(), |j| i + 2 + j + 2);
                advance(&mut i, &mut line, end);
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let start = i + 2 + hashes;
                let close = format!("\"{}", "#".repeat(hashes));
                let end = src[start..].find(&close).map_or(b.len(), |j| start + j);
                out.push((line, src[start..end].to_owned()));
                advance(&mut i, &mut line, end + close.len());
            }
            b'"' => {
                let start_line = line;
                let mut j = i + 1;
                let mut lit = String::new();
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' && j + 1 < b.len() {
                        j += 1;
                    }
                    lit.push(b[j] as char);
                    j += 1;
                }
                out.push((start_line, lit));
                advance(&mut i, &mut line, j + 1);
            }
            // A char literal ('"', '\'', '\n'), not a lifetime ('a).
            b'\'' if b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\') => {
                let end = src[i + 2..].find('\'').map_or(b.len(), |j| i + 3 + j);
                advance(&mut i, &mut line, end);
            }
            c => {
                line += usize::from(c == b'\n');
                i += 1;
            }
        }
    }
    out
}

/// Every broken rule, as `path:line: what`.
pub fn check(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["src", "crates", "tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    let targets: Vec<&str> = peering_model::targets::ALL
        .iter()
        .copied()
        .filter(|t| peering_model::targets::is_distinctive(t))
        .collect();
    let mut problems = Vec::new();
    for path in &files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(text) = std::fs::read_to_string(path) else {
            problems.push(format!("{rel}: cannot be read"));
            continue;
        };
        let in_model = rel.starts_with("crates/model/");
        let test_file = is_test_file(&rel);
        let code = before_tests(&text);
        if !in_model && !test_file && !rel.starts_with("crates/xtask/src/tidy.rs") {
            for (line, lit) in string_literals(code) {
                if targets.contains(&lit.as_str()) {
                    problems.push(format!(
                        "{rel}:{line}: the field target \"{lit}\" is spelled out; use the constant in peering_model::targets"
                    ));
                }
            }
        }
        if !test_file {
            let lines = code.lines().count();
            if lines > MAX_LINES && !code.contains("// tidy: long file:") {
                problems.push(format!(
                    "{rel}: {lines} lines before its tests (more than {MAX_LINES}); split it, or say why in a `// tidy: long file:` comment"
                ));
            }
        }
        if rel != "crates/xtask/src/tidy.rs" {
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("#[ignore") {
                    problems.push(format!(
                        "{rel}:{}: an #[ignore]d test; make it pass or remove it",
                        n + 1
                    ));
                }
                if line.contains("../shared") || line.contains("shared/reference") {
                    problems.push(format!(
                        "{rel}:{}: points outside the repository; cite docs/domain.md instead",
                        n + 1
                    ));
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_is_tidy() {
        let problems = check(&crate::root());
        assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
    }

    /// The rules catch what they are for (so a passing check means something).
    #[test]
    fn the_rules_catch_what_they_are_for() {
        let dir = std::env::temp_dir().join(format!("tidy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("crates/server/tests")).unwrap();
        std::fs::write(
            dir.join("src/bad.rs"),
            format!(
                "// a comment naming \"properties.prefix\" is fine\nlet t = \"properties.prefix\";\nlet ok = \"name\";\nlet c = '\"';\n#[ignore]\nfn f() {{}}\n// see ../shared/reference\nlet raw = r#\"a\nb\"#; let s = \"x\n\"; let hidden = r#\"$skipToken\"#;\n#[cfg(test)]\nfn helper() {{}}\n{}",
                "let x = 1;\n".repeat(MAX_LINES)
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("crates/server/tests/t.rs"),
            "let wire = \"resourceGroupName\";\n",
        )
        .unwrap();
        let problems = check(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].starts_with("src/bad.rs:2: the field target \"properties.prefix\""));
        // On line 10 (after strings over several lines), and past a `#[cfg(test)]` that is not
        // a test module.
        assert!(
            problems[1].starts_with("src/bad.rs:10: the field target \"$skipToken\""),
            "{}",
            problems[1]
        );
        assert!(problems[2].contains("lines before its tests"));
        assert!(problems[3].contains(":5: an #[ignore]d test"));
        assert!(problems[4].contains(":7: points outside the repository"));
    }
}
