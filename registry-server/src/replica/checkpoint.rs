//! The origin's identity as one sync reads it first: its `/keys` (no pinned key listed with other bytes, a log
//! announced) and its checkpoint, signed under the pinned keys for the announced log origin.

use serde_json::Value;
use verifier::keys::{KeyId, KeySet, PublicKey};
use verifier::tlog::{SignedCheckpoint, VerifierKey};

use super::Replica;
use super::follow::{Failure, refused, unexpected};

/// The origin's `/keys` (no pinned key listed with other bytes) and its checkpoint, signed under the pinned keys.
pub(super) async fn origin_checkpoint(
    replica: &Replica,
) -> Result<(String, SignedCheckpoint, String), Failure> {
    let keys_answer = replica
        .origin
        .get("/keys")
        .await
        .map_err(Failure::Transient)?;
    if keys_answer.status != 200 {
        return Err(unexpected("/keys", &keys_answer));
    }
    let keys_json = String::from_utf8(keys_answer.body)
        .map_err(|_| refused("keys_malformed", "/keys is not UTF-8".into()))?;
    let keys: Value = serde_json::from_str(&keys_json)
        .map_err(|e| refused("keys_malformed", format!("/keys is not JSON: {e}")))?;
    let listed = listed_keys(&keys).map_err(|e| refused("keys_malformed", e))?;
    let swapped = verifier::mirror::swapped_keys(&replica.mirror.keys, &listed);
    if !swapped.is_empty() {
        return Err(refused(
            "key_changed",
            format!("the origin's /keys: {}", swapped.join("; ")),
        ));
    }
    let Some(log_origin) = keys.pointer("/log/origin").and_then(Value::as_str) else {
        return Err(refused(
            "no_log",
            "the origin's /keys announces no transparency log".into(),
        ));
    };
    let vkeys = replica
        .mirror
        .keys
        .iter()
        .map(|(_, key)| VerifierKey::log(log_origin, key))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            refused(
                "no_log",
                format!("the origin's log origin {log_origin:?}: {e}"),
            )
        })?;
    let answer = replica
        .origin
        .get("/log/checkpoint")
        .await
        .map_err(Failure::Transient)?;
    if answer.status != 200 {
        return Err(unexpected("/log/checkpoint", &answer));
    }
    let text = String::from_utf8(answer.body).map_err(|_| {
        refused(
            "checkpoint_not_verified",
            "the checkpoint is not UTF-8".into(),
        )
    })?;
    let signed = SignedCheckpoint::parse(&text)
        .map_err(|e| refused("checkpoint_not_verified", format!("{e}\n{text}")))?;
    signed
        .verify_log(&vkeys)
        .map_err(|e| refused("checkpoint_not_verified", format!("{e}\n{text}")))?;
    replica.learned_log_origin(log_origin);
    Ok((keys_json, signed, text))
}

/// The Ed25519 keys a `/keys` answer lists. Errors: a listed key that does not parse.
fn listed_keys(keys: &Value) -> Result<KeySet, String> {
    let mut set = KeySet::new();
    for (i, item) in keys
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
        if !field("algorithm").eq_ignore_ascii_case("ed25519") {
            continue;
        }
        let id =
            KeyId::new(field("key_id")).map_err(|e| format!("/keys items[{i}]: {}", e.message))?;
        let key = PublicKey::from_base64(field("public_key"))
            .map_err(|e| format!("/keys items[{i}]: {}", e.message))?;
        set.insert(id, key)
            .map_err(|e| format!("/keys items[{i}]: {}", e.message))?;
    }
    Ok(set)
}
