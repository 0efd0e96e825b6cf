//! The git commit a binary is built from, for `--version` (shared by the build scripts of `registry` and
//! `registry-server`): `ANIP_REGISTRY_GIT_COMMIT` when set (a Docker build passes it), else `git rev-parse` in the
//! crate's directory, else `unknown` (a build without git, such as `cargo install` from a tarball).

use std::path::Path;
use std::process::Command;

/// The commit of the checkout holding `dir` (12 hex digits), or `unknown`.
pub(crate) fn commit_of(dir: &Path) -> String {
    if let Ok(commit) = std::env::var("ANIP_REGISTRY_GIT_COMMIT")
        && !commit.trim().is_empty()
    {
        return commit.trim().to_owned();
    }
    commit_with("git", dir)
}

/// [`commit_of`] with the `git` program named (no override variable).
pub(crate) fn commit_with(program: &str, dir: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new(program)
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) if !commit.is_empty() => commit,
        _ => "unknown".to_owned(),
    }
}

/// Emits `REGISTRY_GIT_COMMIT` for `env!` and the files whose change means another commit (HEAD and the branch it
/// names), so a new commit rebuilds the version text and nothing else does.
#[allow(dead_code)]
pub(crate) fn emit() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let dir = Path::new(&dir);
    println!("cargo:rustc-env=REGISTRY_GIT_COMMIT={}", commit_of(dir));
    println!("cargo:rerun-if-env-changed=ANIP_REGISTRY_GIT_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
    let git_path = |name: &str| {
        Command::new("git")
            .args(["rev-parse", "--path-format=absolute", "--git-path", name])
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let branch = Command::new("git")
        .args(["symbolic-ref", "-q", "HEAD"])
        .current_dir(dir)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(branch);
    for name in watched {
        // Only files that exist: a missing one would make Cargo rerun the script on every build.
        if let Some(path) = git_path(&name).filter(|p| Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
