//! The verifier's integration tests: one test binary, one module per concern, sharing the fixture helpers in
//! `common`.

mod common;

mod bundles;
mod hostile;
mod known_answers;
mod locks;
mod mirror_checks;
mod properties;
mod tlog_checks;
mod tlog_entries;
mod tlog_known_answers;
mod validation_definition;
mod validation_rules;
mod validation_template;
mod validation_verdicts;
