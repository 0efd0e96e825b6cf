//! Puts the git commit into `registry --version` (see build/git_commit.rs).

#[path = "build/git_commit.rs"]
mod git_commit;

fn main() {
    git_commit::emit();
}
