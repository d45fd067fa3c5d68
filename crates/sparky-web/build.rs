//! Embeds the web app's static assets: each file under `assets/` gets a content-hashed name
//! (so it can be cached for ever), and a brotli and a gzip copy made here, once, at build time.
//! Generates `$OUT_DIR/assets.rs` with one `Asset` per file.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("assets");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=assets");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let mut code = String::from("pub static ASSETS: &[Asset] = &[\n");
    for rel in files {
        let path = root.join(&rel);
        let bytes = std::fs::read(&path).unwrap();
        let hash = hex::encode(&Sha256::digest(&bytes)[..6]);
        let hashed = match rel.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{rel}.{hash}"),
        };
        let safe = rel.replace(['/', '.', '-'], "_");
        let br_path = out.join(format!("{safe}.br"));
        let gz_path = out.join(format!("{safe}.gz"));
        let compressible = !matches!(ext_of(&rel), "png" | "woff2" | "ico");
        let (br, gz) = if compressible {
            let mut br = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
                w.write_all(&bytes).unwrap();
            }
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&bytes).unwrap();
            (Some(br), Some(gz.finish().unwrap()))
        } else {
            (None, None)
        };
        let include = |p: &Path, data: Option<Vec<u8>>| match data {
            // Only worth sending when smaller.
            Some(d) if d.len() < bytes.len() => {
                std::fs::write(p, d).unwrap();
                format!("Some(include_bytes!({:?}))", p.display().to_string())
            }
            _ => "None".to_string(),
        };
        let _ = writeln!(
            code,
            "    Asset {{ name: {rel:?}, hashed: {hashed:?}, mime: {mime:?}, raw: include_bytes!({raw:?}), br: {br}, gz: {gz} }},",
            mime = mime(&rel),
            raw = path.display().to_string(),
            br = include(&br_path, br),
            gz = include(&gz_path, gz),
        );
    }
    code.push_str("];\n");
    std::fs::write(out.join("assets.rs"), code).unwrap();
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let name = path.file_name().unwrap().to_string_lossy();
            // Provenance notes and licences are for people reading the repository.
            if name.ends_with(".md") || name.ends_with("LICENSE") {
                continue;
            }
            files.push(rel);
        }
    }
}

fn ext_of(name: &str) -> &str {
    name.rsplit_once('.').map(|(_, e)| e).unwrap_or("")
}

fn mime(name: &str) -> &'static str {
    match ext_of(name) {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webmanifest" => "application/manifest+json",
        "html" => "text/html; charset=utf-8",
        "woff2" => "font/woff2",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}
