//! Repository rules checked as tests (`cargo test -p xtask`), so plain `cargo test` catches them.

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn files_with_ext(dir: &Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() && name != "target" && !name.starts_with('.') {
                files_with_ext(&p, ext, out);
            } else if p.extension().and_then(|e| e.to_str()) == Some(ext) {
                out.push(p);
            }
        }
    }

    #[test]
    fn every_crate_root_has_crate_docs() {
        let root = crate::workspace_root();
        for dir in ["crates", "xtask", "benches"] {
            let mut files = Vec::new();
            files_with_ext(&root.join(dir), "rs", &mut files);
            for f in files.iter().filter(|f| {
                let n = f.file_name().unwrap();
                n == "lib.rs" || n == "main.rs"
            }) {
                let text = std::fs::read_to_string(f).unwrap();
                assert!(text.starts_with("//!"), "{} must start with //! crate docs", f.display());
            }
        }
    }

    #[test]
    fn every_module_starts_with_docs() {
        let root = crate::workspace_root();
        let mut files = Vec::new();
        files_with_ext(&root.join("crates"), "rs", &mut files);
        for f in files.iter().filter(|f| f.components().any(|c| c.as_os_str() == "src")) {
            let text = std::fs::read_to_string(f).unwrap();
            assert!(text.starts_with("//!"), "{} must start with a //! module doc", f.display());
        }
    }

    #[test]
    fn architecture_md_names_every_crate() {
        let root = crate::workspace_root();
        let arch = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md exists");
        for e in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
            let name = e.file_name().into_string().unwrap();
            assert!(arch.contains(&format!("`{name}`")), "ARCHITECTURE.md does not mention `{name}`");
        }
    }

    #[test]
    fn no_should_panic_tests() {
        let root = crate::workspace_root();
        let mut files = Vec::new();
        files_with_ext(&root.join("crates"), "rs", &mut files);
        let needle = ["#[should", "_panic]"].concat();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(!text.contains(&needle), "{}: assert on the error instead of should_panic", f.display());
        }
    }

    #[test]
    fn ci_runs_the_readme_test_command() {
        let root = crate::workspace_root();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
        assert!(readme.contains("cargo xtask test"), "README.md must give `cargo xtask test`");
        assert!(ci.contains("cargo xtask test"), ".ci/run must call `cargo xtask test`");
    }
}
