//! Known answers for the transparency log: the transparency-dev/merkle inclusion and consistency vectors (copied
//! from the crates.io package `sigstore-merkle` 0.15.1, `test-data/merkle/testdata/`), the C2SP `signed-note` and
//! `tlog-cosignature` worked examples, Go's `x/mod/sumdb/note` worked example, and the C2SP `tlog-tiles` path and
//! tiling examples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use verifier::tlog::checkpoint::{SignedCheckpoint, VerifierKey, split_note};
use verifier::tlog::paths::{TilePath, tiles_for_size};
use verifier::tlog::{Hash, check_consistency, check_inclusion};

fn vectors(kind: &str) -> Vec<(PathBuf, Value)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("fixture dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/merkle")
        .join(kind);
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let v = serde_json::from_slice(&std::fs::read(&p).expect("read")).expect("json");
            (p, v)
        })
        .collect()
}

/// A vector's hash: the 32 decoded bytes; `None` for an empty value (no hash at all, which a caller of our API
/// cannot even build, so the vector is refused); for the vectors' deliberate "don't care" values (other text that
/// is not 32 bytes) a stand-in hash that is equal exactly when the texts are equal.
fn hash(v: &Value) -> Option<Hash> {
    let text = v.as_str().unwrap_or_default();
    if text.is_empty() {
        return None;
    }
    Some(
        match B64
            .decode(text)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
        {
            Some(bytes) => Hash(bytes),
            None => Hash(Sha256::digest(format!("not a hash: {text}")).into()),
        },
    )
}

fn proof(v: &Value) -> Option<Vec<Hash>> {
    match v.as_array() {
        Some(a) => a.iter().map(hash).collect(),
        None => Some(Vec::new()),
    }
}

#[test]
fn merkle_inclusion_vectors() {
    let all = vectors("inclusion");
    assert!(all.len() > 80, "{} inclusion vectors", all.len());
    let mut happy = 0;
    for (path, v) in &all {
        let result = match (proof(&v["proof"]), hash(&v["leafHash"]), hash(&v["root"])) {
            (Some(p), Some(leaf), Some(root)) => check_inclusion(
                &p,
                v["leafIdx"].as_u64().expect("leafIdx"),
                leaf,
                v["treeSize"].as_u64().expect("treeSize"),
                root,
            )
            .map_err(|e| e.to_string()),
            _ => Err("not a hash".to_owned()),
        };
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        assert_eq!(result.is_err(), want_err, "{}: {result:?}", path.display());
        happy += usize::from(!want_err);
    }
    assert!(happy >= 5, "only {happy} valid inclusion vectors");
}

#[test]
fn merkle_consistency_vectors() {
    let all = vectors("consistency");
    assert!(all.len() > 80, "{} consistency vectors", all.len());
    let mut happy = 0;
    for (path, v) in &all {
        let result = match (proof(&v["proof"]), hash(&v["root1"]), hash(&v["root2"])) {
            (Some(p), Some(r1), Some(r2)) => check_consistency(
                &p,
                v["size1"].as_u64().expect("size1"),
                r1,
                v["size2"].as_u64().expect("size2"),
                r2,
            )
            .map_err(|e| e.to_string()),
            _ => Err("not a hash".to_owned()),
        };
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        assert_eq!(result.is_err(), want_err, "{}: {result:?}", path.display());
        happy += usize::from(!want_err);
    }
    assert!(happy >= 5, "only {happy} valid consistency vectors");
}

/// The example note of the C2SP signed-note specification: the text keeps its inner blank line (the split is at
/// the last one) and the signature line gives the key name, the 4-byte id and a 64-byte Ed25519 signature.
#[test]
fn c2sp_signed_note_example() {
    let note = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n\
                — quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
    let (text, sigs) = split_note(note).expect("spec example parses");
    assert_eq!(
        text,
        "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    );
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].name, "quasimodo.example/salvatore");
    assert_eq!(sigs[0].id, 0x367b_a04b);
    assert_eq!(sigs[0].sig.len(), 64);
    // A control character or a missing final newline is refused.
    assert!(split_note(&note.replace("sera.", "sera.\u{7}")).is_err());
    assert!(split_note(note.trim_end()).is_err());
}

/// Go's x/mod/sumdb/note worked example: the verifier key round-trips, PeterNeumann's signature verifies, a changed
/// text does not, and EnochRoot's key (another name and id) is not PeterNeumann's.
#[test]
fn go_note_worked_example() {
    let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    let key = VerifierKey::parse(vkey).expect("vkey");
    assert_eq!(key.to_string(), vkey);
    assert_eq!(
        (key.name(), key.id(), key.key_type()),
        ("PeterNeumann", 0xc74f_20a3, 1)
    );
    let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    let note = format!(
        "{text}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\
         — EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
    );
    let (body, sigs) = split_note(&note).expect("note");
    assert_eq!(body, text);
    assert_eq!(sigs.len(), 2);
    assert_eq!(
        (sigs[0].name.as_str(), sigs[0].id),
        ("PeterNeumann", key.id())
    );
    assert!(key.verify_note(body.as_bytes(), &sigs[0].sig));
    assert!(!key.verify_note(b"If you think cryptography is the answer\n", &sigs[0].sig));
    let enoch =
        VerifierKey::parse("EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop")
            .expect("enoch");
    assert!(enoch.verify_note(body.as_bytes(), &sigs[1].sig));
    assert!(!key.verify_note(body.as_bytes(), &sigs[1].sig));
    // A key id that does not match the name and key is refused.
    assert!(
        VerifierKey::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
    assert!(
        VerifierKey::parse("Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
}

/// The example of C2SP tlog-cosignature: the checkpoint parses and the witness line carries the timestamp of the
/// spec's signed message (`time 1679315147`).
#[test]
fn c2sp_cosignature_example() {
    let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\
                — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
                — witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";
    let signed = SignedCheckpoint::parse(note).expect("spec example");
    assert_eq!(signed.checkpoint.origin, "example.com/behind-the-sofa");
    assert_eq!(signed.checkpoint.size, 20_852_163);
    assert_eq!(signed.signatures.len(), 2);
    let witness = &signed.signatures[1];
    assert_eq!(witness.sig.len(), 8 + 64);
    assert_eq!(
        u64::from_be_bytes(witness.sig[..8].try_into().expect("8")),
        1_679_315_147
    );
    assert_eq!(signed.to_text(), note);
}

/// C2SP tlog-tiles: index 1234067 is `x001/x234/067`; a tree of 70,000 entries is 273 full level-0 tiles, a
/// partial level-0 tile of width 112, one full level-1 tile, a partial level-1 tile of width 17 and a partial
/// level-2 tile of width 1; a tree of 256 is a full level-0 tile and a level-1 tile of width 1.
#[test]
fn c2sp_tile_examples() {
    let t = TilePath::tile(0, 1_234_067, 256).expect("tile");
    assert_eq!(t.to_string(), "tile/0/x001/x234/067");
    assert_eq!(TilePath::parse("tile/0/x001/x234/067").expect("parse"), t);
    let e = TilePath::entries(1_234_067, 7).expect("entries");
    assert_eq!(e.to_string(), "tile/entries/x001/x234/067.p/7");
    assert_eq!(TilePath::parse(&e.to_string()).expect("parse"), e);

    let tiles = tiles_for_size(70_000);
    let count = |level: u8, width: u32| {
        tiles
            .iter()
            .filter(|t| t.level() == Some(level) && t.width() == width)
            .count()
    };
    assert_eq!(count(0, 256), 273);
    assert_eq!(count(0, 112), 1);
    assert_eq!(count(1, 256), 1);
    assert_eq!(count(1, 17), 1);
    assert_eq!(count(2, 1), 1);
    assert_eq!(tiles.len(), 277);
    let small = tiles_for_size(256);
    assert_eq!(small.len(), 2);
    assert!(small.iter().any(|t| t.level() == Some(1) && t.width() == 1));
}
