//! The transparency log's own objects: entries rebuilt from receipts, signed and cosigned checkpoints, tlog-proofs
//! and policies, each with tamper cases (wrong key, wrong origin, altered size or root, truncated proofs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use verifier::keys::{KeyId, KeySet, SigningKey};
use verifier::receipt::{Receipt, ReceiptPayload};
use verifier::tlog::checkpoint::{Checkpoint, SignedCheckpoint, VerifierKey, log_verifier_keys};
use verifier::tlog::cosignature::cosign;
use verifier::tlog::entry::Entry;
use verifier::tlog::tree::MemoryTree;
use verifier::tlog::{Policy, TlogProof, check_consistency, check_inclusion, leaf_hash};

const ORIGIN: &str = "registry.example.com/anip";

fn key(seed: u8) -> SigningKey {
    SigningKey::from_seed(KeyId::new(&format!("k{seed}")).expect("id"), &[seed; 32])
}

pub(crate) fn package_entry(n: u32) -> Entry {
    let receipt = Receipt {
        receipt_id: format!("rcpt-{n}"),
        package_id: "acme.search".into(),
        package_version: format!("1.0.{n}"),
        registry_signature: format!("ed25519:k1:sig{n}"),
        publisher_id: "acme".into(),
        publisher_type: "org".into(),
        issued_at: "2026-01-02T03:04:05Z".into(),
        ..Receipt::default()
    };
    let payload = ReceiptPayload {
        package_id: receipt.package_id.clone(),
        package_version: receipt.package_version.clone(),
        issued_at: receipt.issued_at.clone(),
        contract_signature: "contract".into(),
        definition_digest: format!("sha256:{:064x}", n),
        manifest_digest: format!("sha256:{:064x}", n + 1),
        lock_digest: format!("sha256:{:064x}", n + 2),
        package_execution_signature: "exec <&>".into(),
        ..ReceiptPayload::default()
    };
    Entry::from_receipt(&receipt, &payload).expect("entry")
}

pub(crate) fn log_with(n: u32) -> (MemoryTree, Vec<Vec<u8>>) {
    let mut tree = MemoryTree::new();
    let mut entries = Vec::new();
    for i in 0..n {
        let bytes = package_entry(i).to_bytes().expect("bytes");
        tree.push_leaf_hash(leaf_hash(&bytes));
        entries.push(bytes);
    }
    (tree, entries)
}

fn signed(tree: &MemoryTree, size: u64, signer: &SigningKey) -> String {
    Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: tree.root(size).expect("root"),
    }
    .sign(signer)
    .expect("sign")
}

fn policy_for(k: &SigningKey) -> Policy {
    Policy::from_log_keys(vec![
        VerifierKey::log(ORIGIN, &k.public_key()).expect("vkey"),
    ])
    .expect("policy")
}

#[test]
fn checkpoints_sign_and_verify_and_refuse_tampering() {
    let (tree, _) = log_with(10);
    let k1 = key(1);
    let note = signed(&tree, 10, &k1);
    let policy = policy_for(&k1);
    let verified = policy.verify_checkpoint(&note).expect("verifies");
    assert_eq!(verified.checkpoint.size, 10);
    assert_eq!(verified.signed.to_text(), note);

    // Wrong key: the note of another key under the same origin.
    let err = policy
        .verify_checkpoint(&signed(&tree, 10, &key(2)))
        .unwrap_err();
    assert_eq!(err.code(), "unverified_checkpoint");
    // Wrong origin.
    let other = Checkpoint {
        origin: "evil.example/anip".into(),
        size: 10,
        root: tree.root(10).expect("r"),
    }
    .sign(&k1)
    .expect("sign");
    assert_eq!(
        policy.verify_checkpoint(&other).unwrap_err().code(),
        "origin_mismatch"
    );
    // Altered size or root under the original signature.
    let altered = note.replacen("\n10\n", "\n11\n", 1);
    assert_eq!(
        policy.verify_checkpoint(&altered).unwrap_err().code(),
        "checkpoint_signature_invalid"
    );
    let root = verifier::tlog::proof::encode_hash(&tree.root(10).expect("r"));
    let altered = note.replacen(
        &root,
        &verifier::tlog::proof::encode_hash(&tree.root(9).expect("r")),
        1,
    );
    assert_eq!(
        policy.verify_checkpoint(&altered).unwrap_err().code(),
        "checkpoint_signature_invalid"
    );
    // Extension lines, garbage, a missing signature block.
    assert!(
        policy
            .verify_checkpoint(&note.replacen("\n\n", "\next\n\n", 1))
            .is_err()
    );
    assert!(
        policy
            .verify_checkpoint("registry.example.com/anip\n10\n")
            .is_err()
    );
    // Rotation: every trusted key gives a verifier key, so a checkpoint of the old key still verifies.
    let mut keys = KeySet::new();
    keys.insert(KeyId::new("k2").expect("id"), key(2).public_key())
        .expect("k2");
    keys.insert(KeyId::new("k1").expect("id"), k1.public_key())
        .expect("k1");
    let vkeys = log_verifier_keys(ORIGIN, &keys).expect("vkeys");
    let rotated = Policy::from_log_keys(
        vkeys
            .iter()
            .map(|v| VerifierKey::parse(v).expect("v"))
            .collect(),
    )
    .expect("p");
    assert!(rotated.verify_checkpoint(&note).is_ok());
    assert!(
        rotated
            .verify_checkpoint(&signed(&tree, 10, &key(2)))
            .is_ok()
    );
}

#[test]
fn cosignatures_and_quorum() {
    let (tree, _) = log_with(5);
    let k1 = key(1);
    let note = signed(&tree, 5, &k1);
    let (w1, w2, w3) = (key(11), key(12), key(13));
    let vk = |name: &str, k: &SigningKey| VerifierKey::cosigner(name, &k.public_key()).expect("vk");
    let policy_text = format!(
        "# two of three\nlog {}\n\nwitness a {}\nwitness b {} https://b.example/\n  witness c\t{}\ngroup two 2 a b c\nquorum two\n",
        VerifierKey::log(ORIGIN, &k1.public_key()).expect("log"),
        vk("w1.example/w", &w1),
        vk("w2.example/w", &w2),
        vk("w3.example/w", &w3),
    );
    let policy = Policy::parse(&policy_text).expect("policy");
    assert_eq!(Policy::parse(&policy.to_text()).expect("again"), policy);
    assert_eq!(
        policy.verify_checkpoint(&note).unwrap_err().code(),
        "quorum_not_met"
    );

    let mut cp = SignedCheckpoint::parse(&note).expect("parse");
    cp.add_signature_line(&cosign(&cp.body, "w1.example/w", 1_700_000_000, &w1).expect("c1"))
        .expect("add");
    assert_eq!(
        policy.verify_checkpoint(&cp.to_text()).unwrap_err().code(),
        "quorum_not_met"
    );
    // A cosignature by an unknown witness does not count.
    cp.add_signature_line(&cosign(&cp.body, "w9.example/w", 1_700_000_000, &key(19)).expect("c9"))
        .expect("add");
    assert_eq!(
        policy.verify_checkpoint(&cp.to_text()).unwrap_err().code(),
        "quorum_not_met"
    );
    cp.add_signature_line(&cosign(&cp.body, "w3.example/w", 1_700_000_001, &w3).expect("c3"))
        .expect("add");
    let verified = policy.verify_checkpoint(&cp.to_text()).expect("quorum met");
    assert_eq!(verified.cosignatures.len(), 2);
    assert_eq!(verified.cosignatures[1].timestamp, 1_700_000_001);
    // A cosignature of another body (made for size 4) under a listed witness is refused outright.
    let other = Checkpoint {
        origin: ORIGIN.into(),
        size: 4,
        root: tree.root(4).expect("r"),
    };
    let forged = cosign(&other.body(), "w2.example/w", 1_700_000_002, &w2).expect("c2");
    cp.add_signature_line(&forged).expect("add");
    assert_eq!(
        policy.verify_checkpoint(&cp.to_text()).unwrap_err().code(),
        "checkpoint_signature_invalid"
    );
}

#[test]
fn policy_files_are_checked() {
    let log = VerifierKey::log(ORIGIN, &key(1).public_key())
        .expect("log")
        .to_string();
    let wit = VerifierKey::cosigner("w.example", &key(2).public_key())
        .expect("w")
        .to_string();
    for bad in [
        String::new(),
        format!("log {log}\n"),
        format!("log {log}\nquorum none\nquorum none\n"),
        format!("log {log}\nquorum w\n"),
        format!("log {log}\nwitness w {wit}\ngroup g 2 w\nquorum g\n"),
        format!("log {log}\nwitness w {wit}\ngroup g any w w\nquorum g\n"),
        format!("log {log}\nwitness none {wit}\nquorum none\n"),
        format!("log {wit}\nquorum none\n"),
        format!("log {log}\nwitness w {log}\nquorum none\n"),
        format!("log {log}\nlog {log}\nquorum none\n"),
        format!("log {log}\nfrobnicate\nquorum none\n"),
        format!("log {log}\r\nquorum none\n"),
    ] {
        let err = Policy::parse(&bad).expect_err(&bad);
        assert_eq!(err.code(), "invalid_log_policy", "{bad:?}");
    }
    assert!(
        Policy::parse(&format!(
            "log {log}\nwitness w {wit}\ngroup g all w\nquorum g\n"
        ))
        .is_ok()
    );
}

#[test]
fn inclusion_and_consistency_from_a_tree() {
    let (tree, entries) = log_with(300);
    for (index, size) in [(0u64, 1u64), (0, 300), (255, 256), (299, 300), (17, 200)] {
        let proof = tree.inclusion_proof(index, size).expect("proof");
        let root = tree.root(size).expect("root");
        let leaf = leaf_hash(&entries[index as usize]);
        check_inclusion(&proof, index, leaf, size, root).expect("inclusion");
        assert!(check_inclusion(&proof, index, leaf_hash(b"other"), size, root).is_err());
        if !proof.is_empty() {
            assert!(
                check_inclusion(&proof[..proof.len() - 1], index, leaf, size, root).is_err(),
                "truncated"
            );
        }
    }
    for (old, new) in [(1u64, 300u64), (256, 257), (100, 300), (300, 300)] {
        let proof = tree.consistency_proof(old, new).expect("proof");
        let (r1, r2) = (tree.root(old).expect("r1"), tree.root(new).expect("r2"));
        check_consistency(&proof, old, r1, new, r2).expect("consistent");
        if !proof.is_empty() {
            let err = check_consistency(&proof[1..], old, r1, new, r2).unwrap_err();
            assert_eq!(err.code(), "consistency_proof_failed");
            assert!(
                check_consistency(&proof, old, tree.root(old - 1).unwrap_or(r2), new, r2).is_err()
            );
        }
    }
}

#[test]
fn tlog_proofs_encode_parse_and_verify_offline() {
    let (tree, entries) = log_with(20);
    let k1 = key(1);
    let policy = policy_for(&k1);
    let proof = TlogProof {
        extra: Some(b"acme.search@1.0.3".to_vec()),
        index: 3,
        hashes: tree.inclusion_proof(3, 20).expect("proof"),
        checkpoint: signed(&tree, 20, &k1),
    };
    let text = proof.encode();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "));
    let parsed = TlogProof::parse(&text).expect("parse");
    assert_eq!(parsed, proof);
    assert_eq!(
        parsed
            .verify(&entries[3], &policy)
            .expect("verifies")
            .checkpoint
            .size,
        20
    );
    // Another entry, another index, a truncated proof, another key.
    assert_eq!(
        parsed.verify(&entries[4], &policy).unwrap_err().code(),
        "inclusion_proof_failed"
    );
    let moved = TlogProof {
        index: 4,
        ..proof.clone()
    };
    assert!(moved.verify(&entries[3], &policy).is_err());
    let truncated = TlogProof {
        hashes: proof.hashes[..proof.hashes.len() - 1].to_vec(),
        ..proof.clone()
    };
    assert!(
        TlogProof::parse(&truncated.encode())
            .expect("parses")
            .verify(&entries[3], &policy)
            .is_err()
    );
    assert_eq!(
        parsed
            .verify(&entries[3], &policy_for(&key(2)))
            .unwrap_err()
            .code(),
        "unverified_checkpoint"
    );
    // Malformed text.
    for bad in [
        text.replacen("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1),
        text.replacen("index 3", "index 03", 1),
        text.replacen("index 3", "index -3", 1),
        text.replacen("\n\n", "\n", 1),
        format!("{}\n", &text[..text.find("\n\n").expect("blank")]),
    ] {
        assert!(TlogProof::parse(&bad).is_err(), "{bad}");
    }
}
