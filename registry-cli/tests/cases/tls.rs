//! A registry over https whose certificate comes from a private CA: trusted through `--ca-file` or
//! `ANIP_REGISTRY_CA_FILE` (besides the built-in roots), refused without it, and a CA file that is not one refused.

use crate::support::tls::TlsFront;
use crate::support::{World, cli, cli_with_env};

#[test]
fn an_https_registry_behind_a_private_ca_is_trusted_through_the_ca_file() {
    let world = World::new();
    world.publish_demo("demo-tls", "1.0.0");
    let front = TlsFront::start(&world.registry.addr.to_string());
    let ca = world.write("ca.pem", front.ca_pem.as_bytes());
    let verify = ["verify", "demo-tls@1.0.0", "--registry-url", &front.url];

    let run = cli(&[&verify[..], &["--ca-file", &ca, "--format", "json"]].concat());
    run.assert_code(0);
    run.assert_check("log_inclusion", "pass");
    cli_with_env(&verify, &[("ANIP_REGISTRY_CA_FILE", &ca)]).assert_code(0);

    // Without the CA the certificate is not trusted: the registry cannot be read (exit 1).
    cli(&verify)
        .assert_code(1)
        .assert_stderr_contains("certificate");

    let junk = world.write("junk.pem", b"not a certificate");
    cli(&[&verify[..], &["--ca-file", &junk]].concat())
        .assert_code(1)
        .assert_stderr_contains("--ca-file");
    cli(&[&verify[..], &["--ca-file", "/nonexistent/ca.pem"]].concat())
        .assert_code(1)
        .assert_stderr_contains("--ca-file /nonexistent/ca.pem");
}
