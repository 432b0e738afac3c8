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

    /// The sources the tree rules cover: every crate's and xtask's `src/`.
    fn sources() -> Vec<std::path::PathBuf> {
        let root = crate::workspace_root();
        let mut files = Vec::new();
        files_with_ext(&root.join("crates"), "rs", &mut files);
        files_with_ext(&root.join("xtask/src"), "rs", &mut files);
        files.retain(|f| f.components().any(|c| c.as_os_str() == "src"));
        files
    }

    #[test]
    fn every_module_starts_with_docs() {
        let files = sources();
        assert!(files.iter().any(|f| f.ends_with("xtask/src/servers.rs")), "xtask is walked");
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            assert!(text.starts_with("//!"), "{} must start with a //! module doc", f.display());
        }
    }

    /// CI's clean clone and the work tree share one target directory, and cargo reuses a test
    /// built in either for the other; a path compiled in would name the other checkout.
    #[test]
    fn tests_find_the_checkout_at_run_time() {
        let root = crate::workspace_root();
        let mut files = Vec::new();
        files_with_ext(&root.join("crates"), "rs", &mut files);
        let baked = concat!("env!(", "\"CARGO_MANIFEST_DIR\")");
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            for (i, line) in text.lines().enumerate() {
                let code = !line.trim_start().starts_with("//");
                assert!(
                    !(code && line.contains(baked)),
                    "{}:{}: read CARGO_MANIFEST_DIR with std::env::var (cargo test sets it), not {baked}",
                    f.display(),
                    i + 1
                );
            }
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

    /// The string literal right after each occurrence of `anchor` in `text`.
    fn literals_after(text: &str, anchor: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (at, _) in text.match_indices(anchor) {
            let rest = text[at + anchor.len()..].trim_start();
            if let Some(lit) = rest.strip_prefix('"')
                && let Some(end) = lit.find('"')
                && lit[..end].bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && !lit[..end].is_empty()
            {
                out.push(lit[..end].to_owned());
            }
        }
        out
    }

    #[test]
    fn every_error_code_is_documented() {
        let root = crate::workspace_root();
        let doc = std::fs::read_to_string(root.join("docs/ERRORS.md")).expect("docs/ERRORS.md exists");
        let der = std::fs::read_to_string(root.join("crates/crlkit-der/src/error.rs")).unwrap();
        let code_fn = &der[der.find("pub const fn code").expect("ErrorKind::code")..];
        let code_fn = &code_fn[..code_fn.find("\n    }\n").unwrap()];
        let mut codes = literals_after(code_fn, "=>");
        assert!(codes.len() > 40, "found the crlkit-der codes");
        let mut files = Vec::new();
        files_with_ext(&root.join("crates/crlkit/src"), "rs", &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for anchor in ["Failure::new(", "term::error(", "crate::term::error(", "problem(", "error_prefix("] {
                codes.extend(literals_after(&text, anchor));
            }
            if f.ends_with("certs.rs") {
                let body = &text[text.find("fn cert_error_code").unwrap()..];
                codes.extend(literals_after(&body[..body.find("\n}\n").unwrap()], "=>"));
            }
        }
        // The Lambda's error types (`errorType`), and the codes crlkit-ops writes itself (a CA of
        // a fleet that could not be synced).
        for (dir, anchor) in [("crates/crlkit-lambda/src", "HandlerError::new("), ("crates/crlkit-ops/src", "code: ")] {
            let mut files = Vec::new();
            files_with_ext(&root.join(dir), "rs", &mut files);
            for f in files {
                codes.extend(literals_after(&std::fs::read_to_string(&f).unwrap(), anchor));
            }
        }
        for (file, anchor) in [
            ("crates/crlkit-upload/src/error.rs", "pub const fn code"),
            ("crates/crlkit-upload/src/bundle.rs", "pub fn code"),
            ("crates/crlkit-elb/src/error.rs", "pub const fn code"),
        ] {
            let text = std::fs::read_to_string(root.join(file)).unwrap();
            let body = &text[text.find(anchor).expect("a code() function")..];
            codes.extend(literals_after(&body[..body.find("\n    }\n").unwrap()], "=>"));
        }
        codes.push("usage".into());
        for code in codes {
            assert!(doc.contains(&format!("| `{code}` |")), "docs/ERRORS.md does not document error code `{code}`");
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

    /// Library crates have no unsafe code at all; only the binary may (its memory map).
    #[test]
    fn library_crates_forbid_unsafe_code() {
        let root = crate::workspace_root();
        for e in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
            let lib = e.path().join("src/lib.rs");
            if lib.exists() {
                let text = std::fs::read_to_string(&lib).unwrap();
                assert!(text.contains("#![forbid(unsafe_code)]"), "{} must say #![forbid(unsafe_code)]", lib.display());
            }
        }
    }

    /// Parser, serial, signing and verification crates never pull in an async runtime, an
    /// object store or an AWS SDK; in the binary, only the one runtime module may name tokio.
    #[test]
    fn offline_crates_stay_offline() {
        let root = crate::workspace_root();
        for krate in ["crlkit-der", "crlkit-serial", "crlkit-sign", "crlkit-verify"] {
            let text = std::fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml")).unwrap();
            let manifest: String =
                text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
            for banned in ["tokio", "object_store", "aws-config", "aws-sdk", "aws-smithy", "hyper", "reqwest"] {
                assert!(!manifest.contains(banned), "{krate} must not depend on {banned}");
            }
        }
        let mut files = Vec::new();
        files_with_ext(&root.join("crates/crlkit/src"), "rs", &mut files);
        for f in files {
            if f.ends_with("support/runtime.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(!text.contains("tokio::"), "{}: only support/runtime.rs builds and names the runtime", f.display());
        }
    }

    /// ARCHITECTURE.md's code map names every module of every crate, so it cannot drift from
    /// the tree unnoticed: `name.rs` for a file, `name/` for a directory module.
    #[test]
    fn architecture_md_names_every_module() {
        let root = crate::workspace_root();
        let arch = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
        for f in &sources() {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if name == "lib.rs" || name == "main.rs" {
                continue;
            }
            let wanted = if name == "mod.rs" {
                format!("{}/", f.parent().unwrap().file_name().unwrap().to_string_lossy())
            } else {
                name.clone()
            };
            assert!(
                arch.contains(&format!("`{wanted}`")),
                "ARCHITECTURE.md does not mention `{wanted}` ({})",
                f.display()
            );
        }
    }

    /// cargo's rule: a command is a face over a flow, and no command reaches into another
    /// (what two share belongs in `support/` or `crlkit-ops`).
    #[test]
    fn no_command_imports_another() {
        let root = crate::workspace_root();
        let dir = root.join("crates/crlkit/src/commands");
        let mut files = Vec::new();
        files_with_ext(&dir, "rs", &mut files);
        let commands: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".rs")).map(str::to_owned))
            .filter(|n| n != "mod")
            .collect();
        assert!(commands.len() > 20, "found the commands");
        for f in files.iter().filter(|f| !f.ends_with("commands/mod.rs")) {
            let text = std::fs::read_to_string(f).unwrap();
            let own = f.file_stem().unwrap().to_string_lossy().into_owned();
            for other in commands.iter().filter(|c| **c != own) {
                for path in [format!("super::{other}::"), format!("commands::{other}::"), format!("super::{other};")] {
                    assert!(
                        !text.contains(&path),
                        "{} uses `{path}`: move what they share out of commands/",
                        f.display()
                    );
                }
            }
        }
    }

    /// The air-gapped build (`-p crlkit --no-default-features`) has no networking code: no HTTP
    /// client or server, no TLS, no AWS SDK crate. aws-lc-rs is the one `aws-` crate allowed: it
    /// is `crlkit-verify`'s signature crypto (AWS-LC), not a network client. The default build
    /// is checked to have them, so the test would see them if the features leaked.
    #[test]
    fn the_offline_build_has_no_network_crates() {
        let root = crate::workspace_root();
        let tree = |features: &[&str]| -> Vec<String> {
            let out = crate::cargo()
                .current_dir(&root)
                .args(["tree", "--locked", "-p", "crlkit", "-e", "normal", "--prefix", "none"])
                .args(features)
                .output()
                .expect("cargo tree runs");
            assert!(out.status.success(), "cargo tree: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.split(' ').next())
                .map(str::to_owned)
                .collect()
        };
        let networked = |name: &str| {
            ["hyper", "h2", "reqwest", "rustls", "tokio-rustls", "native-tls", "openssl"]
                .iter()
                .any(|n| name == *n || name.starts_with(&format!("{n}-")))
                || name.contains("tls")
                || (name.starts_with("aws-") && !name.starts_with("aws-lc-"))
        };
        let online = tree(&[]);
        for expected in ["hyper", "rustls", "aws-sdk-elasticloadbalancingv2", "aws-config", "reqwest"] {
            assert!(online.iter().any(|c| c == expected), "the default build has {expected}");
        }
        let offline = tree(&["--no-default-features"]);
        assert!(offline.iter().any(|c| c == "object_store"), "the offline build still has the file:// store");
        let leaked: Vec<&String> = offline.iter().filter(|c| networked(c)).collect();
        assert!(leaked.is_empty(), "the offline build pulls in networking crates: {leaked:?}");
    }

    /// Only the binary prints, and its stderr goes through `support/term.rs` (which applies
    /// `--color`, `NO_COLOR`, `-q` and `-v`); stdout through `support/output.rs`.
    #[test]
    fn diagnostics_go_through_term() {
        let root = crate::workspace_root();
        let mut files = Vec::new();
        files_with_ext(&root.join("crates"), "rs", &mut files);
        for f in files.iter().filter(|f| f.components().any(|c| c.as_os_str() == "src")) {
            // The emulator's process prints its endpoint for xtask to read.
            let allowed = f.ends_with("crlkit/src/support/term.rs") || f.ends_with("crlkit-elb-emulator/src/main.rs");
            let text = std::fs::read_to_string(f).unwrap();
            for (i, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") || allowed {
                    continue;
                }
                for call in ["eprint!(", "eprintln!(", "println!(", "print!("] {
                    assert!(!code.contains(call), "{}:{}: {call} outside support/term.rs", f.display(), i + 1);
                }
            }
        }
    }

    /// `--json` is written one way: a report type's serde form (`support/json.rs`). A JSON key
    /// in a string literal (`\"name\":`) outside the tests is hand-written JSON; only `list`'s
    /// per-entry writer, its hot path, may hold one.
    #[test]
    fn json_is_written_only_by_serde() {
        let root = crate::workspace_root();
        let mut files = Vec::new();
        files_with_ext(&root.join("crates/crlkit/src"), "rs", &mut files);
        files_with_ext(&root.join("crates/crlkit-ops/src"), "rs", &mut files);
        let mut checked = 0;
        for f in &files {
            if f.ends_with("crlkit/src/commands/list/lines.rs") {
                continue;
            }
            let text = std::fs::read_to_string(f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, line) in code.lines().enumerate() {
                let line = line.trim_start();
                if !line.starts_with("//") {
                    assert!(
                        !line.contains("\\\":"),
                        "{}:{}: hand-written JSON (use a report type and support::json)",
                        f.display(),
                        i + 1
                    );
                }
            }
            checked += 1;
        }
        assert!(checked > 40, "the binary's and crlkit-ops's sources were found ({checked} files)");
    }
}
