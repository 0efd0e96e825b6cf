//! Shared helpers for `registry-server`'s integration tests (include with `mod support;`).

pub(crate) mod postgres;
