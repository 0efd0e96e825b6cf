//! Transparency-log entries, entry bundles, tile paths and the in-memory tree: canonical bytes rebuilt from
//! receipts, the 64 KiB limit, truncated bundles, non-canonical paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use verifier::receipt::{Receipt, ReceiptPayload};
use verifier::template_receipt::TemplateReceipt;
use verifier::tlog::entry::{Entry, MAX_ENTRY_LEN, encode_bundle, parse_bundle};
use verifier::tlog::leaf_hash;
use verifier::tlog::paths::{TilePath, bundles_for_size};

use super::tlog_checks::{log_with, package_entry};

#[test]
fn entries_are_canonical_and_round_trip() {
    let entry = package_entry(7);
    let bytes = entry.to_bytes().expect("bytes");
    let text = String::from_utf8(bytes.clone()).expect("utf8");
    assert!(
        text.starts_with("{\"contract_signature\":\"contract\","),
        "{text}"
    );
    assert!(text.contains("\"kind\":\"package_version\""));
    assert!(text.contains("\"v\":1"));
    assert!(
        text.contains("\"package_execution_signature\":\"exec <&>\""),
        "digest encoding keeps <&>: {text}"
    );
    assert_eq!(Entry::parse(&bytes).expect("parse"), entry);
    // Whitespace, a reordered key, an extra or missing field, another v: refused.
    assert!(Entry::parse(text.replace(",", ", ").as_bytes()).is_err());
    assert!(Entry::parse(text.replace("\"v\":1", "\"v\":2").as_bytes()).is_err());
    assert!(Entry::parse(text.replace("{", "{\"a\":\"b\",").as_bytes()).is_err());
    assert!(Entry::parse(text.replace("\"publisher_id\":\"acme\",", "").as_bytes()).is_err());
    // A receipt and a payload of different versions make no entry.
    let receipt = Receipt {
        package_id: "a".into(),
        package_version: "1.0.0".into(),
        ..Receipt::default()
    };
    let payload = ReceiptPayload {
        package_id: "a".into(),
        package_version: "1.0.1".into(),
        ..ReceiptPayload::default()
    };
    assert_eq!(
        Entry::from_receipt(&receipt, &payload).unwrap_err().code(),
        "invalid_log_entry"
    );
    // Templates, lifecycle and ownership.
    let t = Entry::from_template_receipt(&TemplateReceipt {
        template_id: "t".into(),
        ..TemplateReceipt::default()
    });
    assert_eq!(Entry::parse(&t.to_bytes().expect("t")).expect("t"), t);
    let l = Entry::lifecycle(
        "package",
        "a",
        "1.0.0",
        "revoked",
        "key leak",
        "admin",
        "2026-01-01T00:00:00Z",
    )
    .expect("l");
    assert_eq!(
        Entry::parse(&l.to_bytes().expect("l"))
            .expect("l")
            .get("status"),
        Some("revoked")
    );
    assert!(Entry::lifecycle("module", "a", "1", "revoked", "", "", "").is_err());
    assert!(Entry::ownership("package", "a", "p", "steal", "").is_err());
}

#[test]
fn entries_of_64_kib_are_refused() {
    let big = "x".repeat(MAX_ENTRY_LEN);
    let entry =
        Entry::lifecycle("package", "a", "1.0.0", "revoked", &big, "admin", "t").expect("entry");
    let err = entry.to_bytes().unwrap_err();
    assert_eq!(err.code(), "log_entry_too_large");
    assert!(encode_bundle(&[vec![0u8; 65_536]]).is_err());
}

#[test]
fn bundles_round_trip_and_refuse_truncation() {
    let (_, entries) = log_with(3);
    let bundle = encode_bundle(&entries).expect("bundle");
    let parsed = parse_bundle(&bundle, 3).expect("parse");
    assert_eq!(
        parsed,
        entries.iter().map(Vec::as_slice).collect::<Vec<_>>()
    );
    assert!(parse_bundle(&bundle, 2).is_err());
    assert!(parse_bundle(&bundle, 4).is_err());
    assert!(parse_bundle(&bundle[..bundle.len() - 1], 3).is_err());
    assert!(parse_bundle(&bundle[..1], 1).is_err());
    assert_eq!(
        bundles_for_size(513)
            .iter()
            .map(|b| b.width())
            .collect::<Vec<_>>(),
        vec![256, 256, 1]
    );
}

#[test]
fn tile_paths_refuse_non_canonical_forms() {
    for bad in [
        "tile/0/1",
        "tile/00/001",
        "tile/64/001",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/007",
        "tile/0/x001",
        "tile/0/001/002",
        "tile/entries/1234",
        "tile/data/001",
        "tile/8/0/001",
        "tile/0/001/",
        "tile/-1/001",
        "tile/+1/001",
        "/tile/0/001",
        "tile/entries/x018/x446/x744/x073/x709/x551/616",
    ] {
        let err = TilePath::parse(bad).expect_err(bad);
        assert_eq!(err.code(), "invalid_tile_path", "{bad}");
    }
    for good in [
        "tile/0/000",
        "tile/63/000.p/1",
        "tile/entries/x001/000.p/255",
        "tile/1/x999/999",
    ] {
        assert_eq!(TilePath::parse(good).expect(good).to_string(), good);
    }
    assert!(TilePath::tile(64, 0, 256).is_err());
    assert!(TilePath::entries(0, 0).is_err());
}

#[test]
fn tree_serves_tiles_matching_its_hashes() {
    let (tree, entries) = log_with(300);
    let tile = tree
        .tile(&TilePath::tile(0, 0, 256).expect("t"))
        .expect("tile");
    assert_eq!(tile.len(), 256 * 32);
    assert_eq!(&tile[32..64], &leaf_hash(&entries[1]).0);
    let partial = tree
        .tile(&TilePath::tile(0, 1, 44).expect("t"))
        .expect("entries 256..300");
    assert_eq!(&partial[43 * 32..], &leaf_hash(&entries[299]).0);
    assert!(
        tree.tile(&TilePath::tile(0, 1, 45).expect("t")).is_err(),
        "beyond the tree"
    );
    let level1 = tree
        .tile(&TilePath::tile(1, 0, 1).expect("t"))
        .expect("level 1");
    assert_eq!(
        level1,
        tree.root(256).expect("root").0.to_vec(),
        "a level-1 hash is a full tile's root"
    );
    assert!(
        tree.tile(&TilePath::tile(1, 0, 2).expect("t")).is_err(),
        "level 1 has one full hash"
    );
}
