//! `registry completions SHELL` and `registry man`: generated from the clap definitions, printed on stdout.

use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::error::{CliError, Result};

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "registry", &mut script);
    deliver(&script)
}

/// Prints the man page (roff) of `registry`, or with `out_dir` writes one page per command there
/// (`registry.1`, `registry-publish.1`, …) and names them on stderr.
pub fn man(out_dir: Option<&str>) -> Result<()> {
    let command = Cli::command();
    if let Some(dir) = out_dir {
        std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(command, dir))
            .map_err(|e| CliError::CouldNotRun(format!("writing man pages to {dir}: {e}")))?;
        crate::errln!("wrote the man pages to {dir}");
        return Ok(());
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|e| CliError::CouldNotRun(format!("rendering the man page: {e}")))?;
    deliver(&page)
}

/// Generated text must arrive whole (a script cut short is worse than none): a write error is exit 1.
fn deliver(bytes: &[u8]) -> Result<()> {
    crate::output::deliver_out(bytes)
        .map_err(|e| CliError::CouldNotRun(format!("writing to stdout: {e}")))
}
