//! Puts the git commit into `registry-server --version` (the logic is shared with the CLI's build script).

#[path = "../registry-cli/build/git_commit.rs"]
mod git_commit;

fn main() {
    git_commit::emit();
}
