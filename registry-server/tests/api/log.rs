//! The transparency log over HTTP: every publish, template publish and lifecycle change is an entry, provable
//! against the signed checkpoint (checked here with `tlog_tiles`/`signed_note`, not with the server's own code);
//! tiles and entry bundles agree with the proofs; bad tile paths and proof parameters answer stable codes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::StatusCode;
use serde_json::Value;
use signed_note::{Note, StandardVerifier, VerifierList};
use sqlx::Connection as _;
use tlog_tiles::{Checkpoint, Hash};

use crate::helpers::{ADMIN_TOKEN, TestApp, demo, error_of};
use crate::templates::{publish_template, small_template};

/// The checkpoint, verified with the note verifier key `/keys` publishes: `(size, root)`.
pub async fn verified_checkpoint(app: &TestApp) -> (u64, Hash, String) {
    let keys = app.get_json("/keys", StatusCode::OK).await;
    let origin = keys["log"]["origin"].as_str().unwrap().to_owned();
    let vkey = keys["log"]["verifier_keys"][0].as_str().unwrap();
    let response = app.get("/log/checkpoint").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let text = response.text().await.unwrap();
    let note = Note::from_bytes(text.as_bytes()).unwrap();
    let verifiers = VerifierList::new(vec![Box::new(StandardVerifier::new(vkey).unwrap())]);
    note.verify(&verifiers)
        .expect("checkpoint signed by the published log key");
    let cp = Checkpoint::from_bytes(note.text()).unwrap();
    assert_eq!(cp.origin(), origin);
    (cp.size(), *cp.hash(), text)
}

fn hashes(value: &Value) -> Vec<Hash> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash(B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap()))
        .collect()
}

async fn lifecycle(app: &TestApp, id: &str, version: &str, status: &str) -> StatusCode {
    app.client
        .patch(format!(
            "{}/admin/packages/{id}/{version}/lifecycle",
            app.api
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"status": status, "reason": "superseded by a fix"}))
        .send()
        .await
        .unwrap()
        .status()
}

/// The entries of the whole log, read from entry bundles (full tiles and the partial tail).
pub async fn all_entries(app: &TestApp, size: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut n = 0u64;
    while n * 256 < size {
        let width = (size - n * 256).min(256);
        let path = if width == 256 {
            format!("/log/tile/entries/{}", tile_index(n))
        } else {
            format!("/log/tile/entries/{}.p/{width}", tile_index(n))
        };
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let bytes = response.bytes().await.unwrap();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            out.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
        }
        n += 1;
    }
    assert_eq!(out.len() as u64, size);
    out
}

/// C2SP tile index `N` as `x001/x234/067`.
fn tile_index(n: u64) -> String {
    let mut s = format!("{:03}", n % 1000);
    let mut n = n / 1000;
    while n > 0 {
        s = format!("x{:03}/{s}", n % 1000);
        n /= 1000;
    }
    s
}

/// The RFC 6962 root of `entries`, computed here from the leaves alone.
pub fn root_of(entries: &[Vec<u8>]) -> Hash {
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Hash(sha2_empty()),
            1 => leaves[0],
            n => {
                let k = n.next_power_of_two() / 2;
                tlog_tiles::node_hash(mth(&leaves[..k]), mth(&leaves[k..]))
            }
        }
    }
    fn sha2_empty() -> [u8; 32] {
        tlog_tiles::EMPTY_HASH.0
    }
    let leaves: Vec<Hash> = entries.iter().map(|e| tlog_tiles::record_hash(e)).collect();
    mth(&leaves)
}

async fn every_change_is_an_entry_and_provable(app: &TestApp) {
    assert_eq!(
        app.publish(demo("log-demo", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.publish(demo("log-demo", "1.1.0")).await.status(),
        StatusCode::CREATED
    );
    let template = serde_json::to_vec(&small_template("3.0.0")).unwrap();
    assert_eq!(
        publish_template(app, template).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        lifecycle(app, "log-demo", "1.0.0", "deprecated").await,
        StatusCode::OK
    );
    // Acknowledged means sequenced: the checkpoint read right after the answers holds all four.
    let (size, root, note) = verified_checkpoint(app).await;
    assert_eq!(size, 4);
    let entries = all_entries(app, size).await;
    assert_eq!(
        root_of(&entries),
        root,
        "the entry bundles rebuild the checkpoint's root"
    );
    let kinds: Vec<String> = entries
        .iter()
        .map(|e| {
            serde_json::from_slice::<Value>(e).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "package_version",
            "package_version",
            "template_version",
            "lifecycle"
        ]
    );
    let last: Value = serde_json::from_slice(&entries[3]).unwrap();
    assert_eq!(
        (last["id"].as_str(), last["status"].as_str()),
        (Some("log-demo"), Some("deprecated"))
    );

    // Receipt with proof: the entry pins the receipt's signature and proves against the checkpoint.
    let plain = app
        .get("/packages/log-demo/1.1.0/receipt")
        .await
        .text()
        .await
        .unwrap();
    let proved = app
        .get_json("/packages/log-demo/1.1.0/receipt?proof=1", StatusCode::OK)
        .await;
    assert_eq!(
        proved["receipt"],
        serde_json::from_str::<Value>(&plain).unwrap()
    );
    assert_eq!(proved["log_index"], 1);
    let entry = B64.decode(proved["log_entry"].as_str().unwrap()).unwrap();
    assert_eq!(entry, entries[1]);
    let fields: Value = serde_json::from_slice(&entry).unwrap();
    assert_eq!(
        fields["registry_signature"],
        proved["receipt"]["registry_signature"]
    );
    let text = proved["tlog_proof"].as_str().unwrap();
    let (head, checkpoint) = text.split_once("\n\n").unwrap();
    assert_eq!(
        checkpoint, note,
        "the proof carries the current signed checkpoint"
    );
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("c2sp.org/tlog-proof@v1"));
    assert_eq!(lines.next(), Some("index 1"));
    let proof: Vec<Hash> = lines
        .map(|l| Hash(B64.decode(l).unwrap().try_into().unwrap()))
        .collect();
    tlog_tiles::check_record(&proof, size, root, 1, tlog_tiles::record_hash(&entry)).unwrap();
    let t = app
        .get_json(
            "/templates/linear-fronting-starter/3.0.0/receipt?proof=1",
            StatusCode::OK,
        )
        .await;
    assert_eq!(t["log_index"], 2);

    // The proof routes agree, and a consistency proof links an older size to the current one.
    for index in 0..size {
        let p = app
            .get_json(
                &format!("/log/proof/inclusion?index={index}&tree_size={size}"),
                StatusCode::OK,
            )
            .await;
        assert_eq!(p["root_hash"], B64.encode(root.0));
        let leaf = tlog_tiles::record_hash(&entries[index as usize]);
        tlog_tiles::check_record(&hashes(&p["hashes"]), size, root, index, leaf).unwrap();
    }
    let c = app
        .get_json(
            &format!("/log/proof/consistency?old=3&new={size}"),
            StatusCode::OK,
        )
        .await;
    let old_root = root_of(&entries[..3]);
    tlog_tiles::check_tree(&hashes(&c["hashes"]), size, root, 3, old_root).unwrap();

    // The level-0 hash tile holds each leaf hash.
    let tile = app.get(&format!("/log/tile/0/000.p/{size}")).await;
    assert_eq!(tile.status(), StatusCode::OK);
    assert_eq!(tile.headers()["cache-control"], "public, max-age=60");
    let tile = tile.bytes().await.unwrap();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(&tile[i * 32..(i + 1) * 32], tlog_tiles::record_hash(e).0);
    }
    // The receipt route without ?proof=1 is unchanged, and other queries are refused.
    let (status, code) =
        error_of(app.get("/packages/log-demo/1.1.0/receipt?proof=yes").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_proof_request")
    );
}

async fn bad_tile_paths_and_proof_parameters(app: &TestApp) {
    assert_eq!(
        app.publish(demo("log-bad", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    for path in [
        "/log/tile/x",
        "/log/tile/0/abc",
        "/log/tile/0/000.p/0",
        "/log/tile/0/000.p/256",
        "/log/tile/8/000",
        "/log/tile/0/0000",
        "/log/tile/0/x000/001",
        "/log/tile/entries/000.p/x",
        "/log/tile/data/000",
        "/log/tile/entries",
        "/log/tile/0/-1",
    ] {
        let (status, code) = error_of(app.get(path).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_tile_path"),
            "{path}"
        );
    }
    for path in [
        "/log/tile/0/000",
        "/log/tile/0/000.p/2",
        "/log/tile/1/000.p/1",
        "/log/tile/entries/001.p/1",
        "/log/tile/entries/x001/000",
    ] {
        let (status, code) = error_of(app.get(path).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "tile_not_found"),
            "{path}"
        );
    }
    assert_eq!(
        app.get("/log/tile/0/000.p/1").await.status(),
        StatusCode::OK
    );
    for (path, want) in [
        ("/log/proof/inclusion", "invalid_proof_request"),
        ("/log/proof/inclusion?index=0", "invalid_proof_request"),
        (
            "/log/proof/inclusion?index=1&tree_size=1",
            "invalid_proof_request",
        ),
        (
            "/log/proof/inclusion?index=-1&tree_size=1",
            "invalid_proof_request",
        ),
        (
            "/log/proof/inclusion?index=+0&tree_size=1",
            "invalid_proof_request",
        ),
        (
            "/log/proof/inclusion?index=0&tree_size=1&x=1",
            "invalid_proof_request",
        ),
        (
            "/log/proof/inclusion?index=0&index=0&tree_size=1",
            "invalid_proof_request",
        ),
        (
            "/log/proof/inclusion?index=0&tree_size=99999999999999999999",
            "invalid_proof_request",
        ),
        (
            "/log/proof/inclusion?index=0&tree_size=2",
            "tree_size_too_large",
        ),
        (
            "/log/proof/consistency?old=0&new=1",
            "invalid_proof_request",
        ),
        (
            "/log/proof/consistency?old=2&new=1",
            "invalid_proof_request",
        ),
        ("/log/proof/consistency?old=1&new=5", "tree_size_too_large"),
    ] {
        let (status, code) = error_of(app.get(path).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, want),
            "{path}"
        );
    }
    assert_eq!(
        app.get("/log/proof/consistency?old=1&new=1").await.status(),
        StatusCode::OK
    );
}

async fn ui_shows_the_log_and_each_versions_proof(app: &TestApp) {
    assert_eq!(
        app.publish(demo("log-ui", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.publish(demo("log-ui", "1.0.1")).await.status(),
        StatusCode::CREATED
    );
    let page = |path: &'static str| async move {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.text().await.unwrap()
    };
    let log = page("/registry/log").await;
    assert!(log.contains(r#"<dd id="log-size">2</dd>"#), "{log}");
    let keys = app.get_json("/keys", StatusCode::OK).await;
    let vkey = keys["log"]["verifier_keys"][0].as_str().unwrap();
    assert!(log.contains(vkey), "the log key is shown");
    let keys = page("/registry/keys").await;
    assert!(keys.contains(r#"id="log-keys""#));
    let version = page("/registry/packages/log-ui/1.0.1").await;
    assert!(
        version.contains(r#"<dd id="log-index">1</dd>"#),
        "{version}"
    );
    assert!(version.contains("verifies</span>"), "{version}");
    // The entry rewritten behind the server's back: the page's own check finds it.
    let sql = "UPDATE log_entries SET entry = $1 WHERE artifact_id = 'log-ui' AND artifact_version = '1.0.1'";
    if app.database_url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(&sql.replace('$', "?"))
            .bind(b"{}".to_vec())
            .execute(&mut db)
            .await
            .unwrap();
    } else {
        let mut db = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql)
            .bind(b"{}".to_vec())
            .execute(&mut db)
            .await
            .unwrap();
    }
    let version = page("/registry/packages/log-ui/1.0.1").await;
    assert!(version.contains("does not verify</span>"), "{version}");
}

/// Ownership is public too: a first publish's claim and an admin transfer (of the artifact, and of its namespace)
/// each append an `ownership` entry, in the change's transaction, before the change is answered.
async fn ownership_changes_are_entries(app: &TestApp) {
    let acme = crate::publishers::new_publisher(app, "acme", &["acme"]).await;
    crate::publishers::new_publisher(app, "beta", &[]).await;
    for id in ["acme/widgets", "acme/gadgets"] {
        let response = crate::publishers::publish_with(app, &acme, demo(id, "1.0.0")).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    // A publisher's own yank is answered once its `lifecycle` entry is in a signed checkpoint.
    crate::governance::ok(
        app,
        reqwest::Method::PATCH,
        "/me/packages/acme%2Fgadgets/1.0.0/lifecycle",
        &acme,
        Some(serde_json::json!({"status": "yanked", "reason": "broken"})),
        StatusCode::OK,
    )
    .await;
    let (size, _, _) = verified_checkpoint(app).await;
    let yanks: Vec<Value> = all_entries(app, size)
        .await
        .iter()
        .map(|bytes| serde_json::from_slice::<Value>(bytes).unwrap())
        .filter(|e| e["kind"] == "lifecycle")
        .collect();
    assert_eq!(yanks.len(), 1, "{yanks:?}");
    assert_eq!(
        (
            yanks[0]["id"].as_str(),
            yanks[0]["status"].as_str(),
            yanks[0]["actor"].as_str()
        ),
        (Some("acme/gadgets"), Some("yanked"), Some("publisher:acme"))
    );
    crate::governance::admin(
        app,
        reqwest::Method::POST,
        "/admin/artifact-transfer/package/acme/widgets",
        Some(serde_json::json!({"target_publisher_id": "beta"})),
    )
    .await;
    crate::governance::admin(
        app,
        reqwest::Method::POST,
        "/admin/namespace-transfer/acme",
        Some(serde_json::json!({"target_publisher_id": "beta"})),
    )
    .await;
    let (size, root, _) = verified_checkpoint(app).await;
    let entries = all_entries(app, size).await;
    assert_eq!(root_of(&entries), root);
    let ownership: Vec<(String, String, String, String)> = entries
        .iter()
        .map(|bytes| serde_json::from_slice::<Value>(bytes).unwrap())
        .filter(|e| e["kind"] == "ownership")
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap().to_owned();
            (
                field("artifact"),
                field("id"),
                field("publisher_id"),
                field("action"),
            )
        })
        .collect();
    let expected = |id: &str, publisher: &str, action: &str| {
        (
            "package".to_owned(),
            id.to_owned(),
            publisher.to_owned(),
            action.to_owned(),
        )
    };
    // The artifact transfer takes widgets out of the namespace; the namespace transfer then moves only gadgets.
    assert_eq!(
        ownership,
        vec![
            expected("acme/widgets", "acme", "claim"),
            expected("acme/gadgets", "acme", "claim"),
            expected("acme/widgets", "beta", "transfer"),
            expected("acme/gadgets", "beta", "transfer"),
        ]
    );
    // The claim is sequenced before the version it came with.
    let position = |kind: &str| {
        entries
            .iter()
            .position(|b| serde_json::from_slice::<Value>(b).unwrap()["kind"] == kind)
            .unwrap()
    };
    assert!(position("ownership") < position("package_version"));
}

crate::on_both_stores!(
    ownership_changes_are_entries,
    every_change_is_an_entry_and_provable,
    bad_tile_paths_and_proof_parameters,
    ui_shows_the_log_and_each_versions_proof
);
