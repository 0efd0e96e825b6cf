//! Checkpoints as C2SP signed notes: the registry's Ed25519 keys as note keys (key name = the log origin), the
//! checkpoint body (`tlog-checkpoint`) and its signature line (`signed-note`, via the `signed_note` crate).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use verifier::keys::{PublicKey, SigningKey};

use crate::error::Error;

/// The Ed25519 signature-type byte of a note key.
const ALG_ED25519: u8 = 0x01;

/// `0x01 || public key`: the encoded note public key.
fn encoded_key(key: &PublicKey) -> Vec<u8> {
    let mut out = vec![ALG_ED25519];
    out.extend_from_slice(&key.to_bytes());
    out
}

/// The note key id (`signed_note::key_id`) of `key` under `name`.
pub fn key_hash(name: &str, key: &PublicKey) -> u32 {
    signed_note::key_id(name, &encoded_key(key))
}

/// The C2SP verifier key `name+hash+base64(0x01 || key)` of `key` under the key name `name`.
pub fn verifier_key(name: &str, key: &PublicKey) -> String {
    let encoded = encoded_key(key);
    format!(
        "{name}+{:08x}+{}",
        signed_note::key_id(name, &encoded),
        B64.encode(&encoded)
    )
}

/// The checkpoint body: origin line, tree size, base64 root hash, each ending in a newline.
pub fn checkpoint_body(origin: &str, size: u64, root: &[u8; 32]) -> String {
    format!("{origin}\n{size}\n{}\n", B64.encode(root))
}

/// The signed note of the checkpoint of `size` leaves with root `root`, signed by `key` under `origin`.
pub fn sign_checkpoint(
    origin: &str,
    key: &SigningKey,
    size: u64,
    root: &[u8; 32],
) -> Result<String, Error> {
    let body = checkpoint_body(origin, size, root);
    let signature = signed_note::Signature::new(
        origin.to_owned(),
        key_hash(origin, &key.public_key()),
        key.sign(body.as_bytes()).to_vec(),
    )
    .map_err(|e| Error::Internal(format!("checkpoint signature: {e}")))?;
    let note = signed_note::Note::new(body.as_bytes(), &[signature])
        .map_err(|e| Error::Internal(format!("checkpoint note: {e}")))?;
    String::from_utf8(note.to_bytes()).map_err(|e| Error::Internal(format!("checkpoint note: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use signed_note::{Note, StandardVerifier, VerifierList};

    /// Our signed checkpoint verifies with `signed_note`'s verifier built from our verifier key, and not under
    /// another key.
    #[test]
    fn checkpoint_verifies_with_the_published_verifier_key() {
        let key = SigningKey::dev();
        let note = sign_checkpoint("localhost/anip-registry", &key, 3, &[7u8; 32]).unwrap();
        let vkey = verifier_key("localhost/anip-registry", &key.public_key());
        let verifier = StandardVerifier::new(&vkey).unwrap();
        let parsed = Note::from_bytes(note.as_bytes()).unwrap();
        let (verified, _) = parsed
            .verify(&VerifierList::new(vec![Box::new(verifier)]))
            .unwrap();
        assert_eq!(verified.len(), 1);
        let cp = tlog_tiles::Checkpoint::from_bytes(parsed.text()).unwrap();
        assert_eq!((cp.origin(), cp.size()), ("localhost/anip-registry", 3));
        let other = SigningKey::from_seed(verifier::keys::KeyId::new("other").unwrap(), &[9u8; 32]);
        let wrong = StandardVerifier::new(&verifier_key(
            "localhost/anip-registry",
            &other.public_key(),
        ))
        .unwrap();
        assert!(
            parsed
                .verify(&VerifierList::new(vec![Box::new(wrong)]))
                .is_err()
        );
    }
}
