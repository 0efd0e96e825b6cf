//! Unit tests of the configuration: flags, variables, refusals.

use super::parse::{parse_addr, parse_database_url};
use super::*;
use clap::Parser;
use verifier::keys::{KeyId, SigningKey};

fn config(args: &[&str]) -> Config {
    let mut all = vec!["registry-server"];
    all.extend_from_slice(args);
    Config::try_parse_from(all).unwrap()
}

#[test]
fn a_dev_registry_listens_on_loopback_unless_told_otherwise() {
    let dev = config(&["--data-dir", "/tmp/x"]).settings().unwrap();
    assert_eq!(dev.addr, "127.0.0.1:8200".parse().unwrap());
    let told = config(&["--data-dir", "/tmp/x", "--addr", ":9"])
        .settings()
        .unwrap();
    assert_eq!(told.addr, "0.0.0.0:9".parse().unwrap());
    assert_eq!(
        default_addr(Mode::Production),
        "0.0.0.0:8200".parse().unwrap()
    );
}

#[test]
fn the_announced_url_is_one_a_client_can_reach() {
    for (addr, url) in [
        ("0.0.0.0:8200", "http://127.0.0.1:8200"),
        ("[::]:8200", "http://[::1]:8200"),
        ("127.0.0.1:0", "http://127.0.0.1:0"),
        ("192.0.2.7:80", "http://192.0.2.7:80"),
    ] {
        assert_eq!(local_url(addr.parse().unwrap()), url);
    }
}

#[test]
fn a_public_base_url_with_credentials_is_refused_without_echoing_them() {
    for url in [
        "https://user:s3cret-pw@registry.example.com",
        "http://s3cret-pw@registry.example.com:8200/x",
    ] {
        let error = config(&["--data-dir", "/tmp/x", "--public-base-url", url])
            .settings()
            .unwrap_err()
            .to_string();
        assert!(error.contains("credentials"), "{error}");
        assert!(!error.contains("s3cret-pw"), "{error}");
    }
    let error = config(&[
        "--data-dir",
        "/tmp/x",
        "--public-base-url",
        "ftp://u:s3cret-pw@h",
    ])
    .settings()
    .unwrap_err()
    .to_string();
    assert!(!error.contains("s3cret-pw"), "{error}");
    let ok = config(&[
        "--data-dir",
        "/tmp/x",
        "--public-base-url",
        "https://h/p?a=b@c",
    ]);
    assert!(ok.settings().is_ok());
}

#[test]
fn addresses() {
    assert_eq!(parse_addr(":8200").unwrap().port(), 8200);
    assert_eq!(parse_addr("127.0.0.1:0").unwrap().port(), 0);
    assert!(parse_addr("localhost:9").is_ok());
    assert!(parse_addr("nonsense").is_err());
}

#[test]
fn database_urls() {
    assert!(matches!(
        parse_database_url("postgres://u@h/db"),
        Ok(StoreLocation::Postgres(_))
    ));
    assert_eq!(
        parse_database_url("sqlite:///tmp/x.db").unwrap(),
        StoreLocation::Sqlite(PathBuf::from("/tmp/x.db"))
    );
    assert!(parse_database_url("mysql://x").is_err());
    assert!(parse_database_url("sqlite://").is_err());
}

#[test]
fn dev_mode_on_the_embedded_store_makes_a_token() {
    let settings = config(&["--data-dir", "/tmp/x"]).settings().unwrap();
    assert!(settings.generated_token);
    assert!(settings.signing.dev_key);
    assert!(
        settings
            .publish_token
            .unwrap()
            .expose()
            .starts_with("anip_dev_")
    );
}

#[test]
fn production_refusals() {
    let key = SigningKey::from_seed(KeyId::new("k").unwrap(), &[7; 32]);
    let seed = key.seed_base64();
    let dev_seed = SigningKey::dev().seed_base64();
    let token = "t".repeat(32);
    assert!(config(&["--mode", "production"]).settings().is_err());
    assert!(
        config(&[
            "--mode",
            "PRODUCTION",
            "--key-id",
            "k",
            "--private-key",
            &dev_seed
        ])
        .settings()
        .is_err()
    );
    assert!(
        config(&[
            "--mode",
            "production",
            "--key-id",
            "k",
            "--private-key",
            &seed,
            "--publish-token",
            "short"
        ])
        .settings()
        .is_err()
    );
    assert!(
        config(&["--mode", "production", "--private-key", &seed])
            .settings()
            .is_err()
    );
    let ok = config(&[
        "--mode",
        "production",
        "--key-id",
        "k",
        "--private-key",
        &seed,
        "--publish-token",
        &token,
    ])
    .settings()
    .unwrap();
    assert!(!ok.signing.dev_key && !ok.generated_token);
    assert!(!format!("{ok:?}").contains(&seed));
    assert!(!format!("{ok:?}").contains(&token));
}

#[test]
fn more_production_refusals_and_the_legacy_switch() {
    let key = SigningKey::from_seed(KeyId::new("k").unwrap(), &[7; 32]);
    let seed = key.seed_base64();
    let token = "t".repeat(32);
    let dev_extra = format!("old={}", SigningKey::dev().public_key().to_base64());
    let base = [
        "--mode",
        "production",
        "--key-id",
        "k",
        "--private-key",
        &seed,
        "--publish-token",
        &token,
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        config(&args).settings()
    };
    assert!(
        with(&["--extra-public-keys", &dev_extra]).is_err(),
        "dev key trusted in production"
    );
    assert!(
        with(&["--admin-token", "short"]).is_err(),
        "short admin token"
    );
    assert!(
        with(&["--admin-token", &token]).is_err(),
        "admin token equal to the publish token"
    );
    assert!(with(&["--admin-token", &"a".repeat(40)]).is_ok());
    let off = with(&["--legacy-global-publish-token-enabled", "false"]).unwrap();
    assert!(
        off.publish_token.is_none(),
        "the switch turns the token off"
    );
    let dev_off = config(&[
        "--data-dir",
        "/tmp/x",
        "--legacy-global-publish-token-enabled=false",
    ])
    .settings()
    .unwrap();
    assert!(dev_off.publish_token.is_none() && !dev_off.generated_token);
}

#[test]
fn extra_keys_follow_the_active_key() {
    let old = SigningKey::from_seed(KeyId::new("old").unwrap(), &[1; 32]);
    let new = SigningKey::from_seed(KeyId::new("new").unwrap(), &[2; 32]);
    let extras = format!(
        "old={},new={}",
        old.public_key().to_base64(),
        new.public_key().to_base64()
    );
    let settings = config(&[
        "--key-id",
        "new",
        "--private-key",
        &new.seed_base64(),
        "--extra-public-keys",
        &extras,
    ])
    .settings()
    .unwrap();
    let ids: Vec<String> = settings
        .signing
        .keys
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(ids, ["new", "old"]);
    let clash = format!("new={}", old.public_key().to_base64());
    assert!(
        config(&[
            "--key-id",
            "new",
            "--private-key",
            &new.seed_base64(),
            "--extra-public-keys",
            &clash
        ])
        .settings()
        .is_err()
    );
}

#[test]
fn publisher_identity_follows_the_text_rules() {
    for args in [
        ["--publisher-id", "studio\u{0}\u{1b}[31mred"],
        ["--publisher-type", "studio\nofficial"],
        ["--publisher-type", "org\u{85}x"],
    ] {
        let mut all = vec!["--data-dir", "/tmp/x"];
        all.extend_from_slice(&args);
        let error = config(&all).settings().unwrap_err().to_string();
        assert!(error.contains("no control characters"), "{args:?}: {error}");
    }
    let long = "p".repeat(verifier::validate::MAX_TEXT_FIELD_BYTES + 1);
    assert!(config(&["--publisher-id", &long]).settings().is_err());
    let ok = config(&[
        "--data-dir",
        "/tmp/x",
        "--publisher-id",
        " acme ",
        "--publisher-type",
        "org",
    ]);
    assert_eq!(ok.settings().unwrap().publisher_id, "acme");
}

#[test]
fn an_extra_key_with_the_active_key_bytes_is_refused() {
    let active = SigningKey::from_seed(KeyId::new("active").unwrap(), &[3; 32]);
    let other = SigningKey::from_seed(KeyId::new("other").unwrap(), &[4; 32]);
    let b64 = |k: &SigningKey| k.public_key().to_base64();
    let with = |extras: String| {
        config(&[
            "--key-id",
            "active",
            "--private-key",
            &active.seed_base64(),
            "--extra-public-keys",
            &extras,
        ])
        .settings()
    };
    let error = with(format!("alias={}", b64(&active)))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("key alias has the same bytes as key active"),
        "{error}"
    );
    let error = with(format!("old={},older={}", b64(&other), b64(&other)))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("key older has the same bytes as key old"),
        "{error}"
    );
    // The active key listed under its own id stays accepted, once.
    let same = with(format!("active={},old={}", b64(&active), b64(&other))).unwrap();
    assert_eq!(same.signing.keys.len(), 2);
    let dev_alias = format!("alias={}", SigningKey::dev().public_key().to_base64());
    assert!(
        config(&["--data-dir", "/tmp/x", "--extra-public-keys", &dev_alias])
            .settings()
            .is_err()
    );
}

#[test]
fn booleans() {
    assert_eq!(parse_bool("YES"), Ok(true));
    assert_eq!(parse_bool("off"), Ok(false));
    assert!(parse_bool("maybe").is_err());
}
