//! Static files: the demo pages under `/`, the built SDK under `/consentry/`.

use std::path::{Component, Path, PathBuf};

/// The content type for a file name, by extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// What of `demo/` is served: its pages, scripts and styles at the top,
/// and the scripts the build puts in `vendor/` and the demo's `tags/`.
/// Nothing else: not the server's sources or its configuration (which may
/// hold the shared secret), not the bundles' sources.
fn served(relative: &Path) -> bool {
    let ext = relative.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let parts: Vec<_> = relative.components().collect();
    let folder = parts.first().and_then(|c| c.as_os_str().to_str()).unwrap_or_default();
    match parts.len() {
        1 => matches!(ext, "html" | "js" | "css" | "svg" | "png"),
        2 => matches!(folder, "vendor" | "tags") && matches!(ext, "js" | "css"),
        _ => false,
    }
}

/// Maps a URL path to a file of the demo's (see [`served`]) or of `dist`;
/// `None` for anything else.
pub fn resolve(url_path: &str, demo: &Path, dist: &Path) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next().unwrap_or_default();
    let (root, rest) = match path.strip_prefix("/consentry/") {
        Some(rest) => (dist, rest),
        None => (demo, path.trim_start_matches('/')),
    };
    let rest = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_string()
    };
    let relative = Path::new(&rest);
    if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    (root == dist || served(relative)).then(|| root.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_sdk_and_demo_paths() {
        let (demo, dist) = (Path::new("/d"), Path::new("/x"));
        assert_eq!(resolve("/", demo, dist).unwrap(), Path::new("/d/index.html"));
        assert_eq!(
            resolve("/adobe.html?x=1", demo, dist).unwrap(),
            Path::new("/d/adobe.html")
        );
        assert_eq!(
            resolve("/consentry/consentry_bg.wasm", demo, dist).unwrap(),
            Path::new("/x/consentry_bg.wasm")
        );
        assert!(resolve("/../etc/passwd", demo, dist).is_none());
        assert_eq!(
            resolve("/tags/ads.js", demo, dist).unwrap(),
            Path::new("/d/tags/ads.js")
        );
        for hidden in [
            "/server/sandbox.json",
            "/server/src/main.rs",
            "/braze/entry.js",
            "/server/Cargo.toml",
            "/vendor/x/y.js",
        ] {
            assert!(resolve(hidden, demo, dist).is_none(), "{hidden}");
        }
        assert!(resolve("/consentry/../../etc/passwd", demo, dist).is_none());
    }

    #[test]
    fn wasm_has_its_streaming_type() {
        assert_eq!(content_type(Path::new("a/consentry_bg.wasm")), "application/wasm");
    }
}
