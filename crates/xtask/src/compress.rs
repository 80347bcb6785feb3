//! Precompressed copies of the built app: after `dist/`, every `.wasm`, `.js` and `.css`
//! of `dist/` (the hashed files, and `boot.js`) and `map.json` get a `.br` (brotli, quality 11)
//! and a `.gz` (gzip, level 9) beside them, which `peering-server` sends to browsers that accept
//! them (a static host or CDN can do the same). Only those files: they are written afresh on
//! every build (`dist/` is replaced), so a compressed copy is never older than its file;
//! `index.html` and `config.json` are small and `config.json` is the file an operator edits, so
//! they have none that could go stale.
//!
//! Prints each file's raw, gzip and brotli size.

use std::io::Write;
use std::path::Path;

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data)?;
    e.finish()
}

fn brotli(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)?;
    Ok(out)
}

pub fn precompress(dist: &Path) -> Result<(), String> {
    let mut files: Vec<_> = std::fs::read_dir(dist)
        .map_err(|e| format!("{}: {e}", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "wasm" || x == "js" || x == "css")
                || p.file_name().is_some_and(|n| n == "map.json")
        })
        .collect();
    files.sort();
    eprintln!(
        "xtask: {:<48} {:>10} {:>10} {:>10}",
        "precompressed", "raw", "gzip", "brotli"
    );
    for path in files {
        let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (gz, br) = (
            gzip(&data).map_err(|e| e.to_string())?,
            brotli(&data).map_err(|e| e.to_string())?,
        );
        for (ext, bytes) in [("gz", &gz), ("br", &br)] {
            let mut name = path.clone().into_os_string();
            name.push(format!(".{ext}"));
            std::fs::write(&name, bytes).map_err(|e| format!("{name:?}: {e}"))?;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        eprintln!(
            "xtask: {name:<48} {:>7.1} KB {:>7.1} KB {:>7.1} KB",
            data.len() as f64 / 1024.0,
            gz.len() as f64 / 1024.0,
            br.len() as f64 / 1024.0
        );
    }
    Ok(())
}
