//! Checkpoints as C2SP signed notes: the registry's Ed25519 keys as note keys (key name = the log origin), the
//! checkpoint body (`tlog-checkpoint`) and its signature line (`signed-note`, via the `signed_note` crate).

use verifier::keys::{PublicKey, SigningKey};
use verifier::tlog::{Checkpoint, Hash, VerifierKey};

use crate::error::Error;

/// The C2SP verifier key `name+hash+base64(0x01 || key)` of `key` under the key name `name`.
pub fn verifier_key(name: &str, key: &PublicKey) -> Result<String, Error> {
    VerifierKey::log(name, key)
        .map(|k| k.to_string())
        .map_err(|e| Error::Config(format!("log key: {e}")))
}

/// The signed note of the checkpoint of `size` leaves with root `root`, signed by `key` under `origin`.
pub fn sign_checkpoint(
    origin: &str,
    key: &SigningKey,
    size: u64,
    root: &[u8; 32],
) -> Result<String, Error> {
    Checkpoint {
        origin: origin.to_owned(),
        size,
        root: Hash(*root),
    }
    .sign(key)
    .map_err(|e| Error::Internal(format!("checkpoint: {e}")))
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
        let vkey = verifier_key("localhost/anip-registry", &key.public_key()).unwrap();
        let verifier = StandardVerifier::new(&vkey).unwrap();
        let parsed = Note::from_bytes(note.as_bytes()).unwrap();
        let (verified, _) = parsed
            .verify(&VerifierList::new(vec![Box::new(verifier)]))
            .unwrap();
        assert_eq!(verified.len(), 1);
        let cp = tlog_tiles::Checkpoint::from_bytes(parsed.text()).unwrap();
        assert_eq!((cp.origin(), cp.size()), ("localhost/anip-registry", 3));
        let other = SigningKey::from_seed(verifier::keys::KeyId::new("other").unwrap(), &[9u8; 32]);
        let wrong = StandardVerifier::new(
            &verifier_key("localhost/anip-registry", &other.public_key()).unwrap(),
        )
        .unwrap();
        assert!(
            parsed
                .verify(&VerifierList::new(vec![Box::new(wrong)]))
                .is_err()
        );
    }
}
