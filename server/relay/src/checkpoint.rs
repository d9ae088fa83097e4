//! Signatures that make the ledger proof for someone who does not trust
//! its database: the relay signs each entry's place in the chain and the
//! chain's head with an Ed25519 key held outside the database (the
//! environment or a key file). Whoever edits an entry and recomputes every
//! hash after it, or deletes the newest entries, cannot sign the result:
//! `verify` names it. A third party checks an export with the public key
//! alone (`consentry-relay verify-export`).
//!
//! What is signed, as text (the domain first, so an entry's signature can
//! never pass for a head's):
//! - an entry: `consentry-ledger-entry\n{seq}\n{hash}`
//! - the head: `consentry-ledger-head\n{seq}\n{hash}\n{time}`
//!
//! ```
//! use consentry_relay::checkpoint::{verify_entry, Signer};
//! let signer = Signer::from_text(&Signer::generate_text().unwrap()).unwrap();
//! let signature = signer.sign_entry(7, "ab12");
//! assert!(verify_entry(&signer.public_key(), 7, "ab12", &signature));
//! assert!(!verify_entry(&signer.public_key(), 8, "ab12", &signature));
//! ```

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

/// The relay's signing key.
pub struct Signer {
    pair: Ed25519KeyPair,
}

fn entry_message(seq: i64, hash: &str) -> String {
    format!("consentry-ledger-entry\n{seq}\n{hash}")
}

fn head_message(seq: i64, hash: &str, time: i64) -> String {
    format!("consentry-ledger-head\n{seq}\n{hash}\n{time}")
}

/// Bytes from base64 in either alphabet, padded or not.
fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(text).ok().or_else(|| {
        STANDARD
            .decode(format!("{text}{}", "=".repeat((4 - text.len() % 4) % 4)))
            .ok()
    })
}

impl Signer {
    /// A new key as text (base64url of its 32-byte seed): what
    /// `consentry-relay keygen` prints.
    pub fn generate_text() -> Result<String, String> {
        let mut seed = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
            .map_err(|_| "no random numbers from the system".to_string())?;
        Ok(URL_SAFE_NO_PAD.encode(seed))
    }

    /// The key from its text (base64 of the 32-byte seed).
    pub fn from_text(text: &str) -> Result<Signer, String> {
        let seed = decode(text)
            .filter(|s| s.len() == 32)
            .ok_or("the ledger's signing key is not base64 of 32 bytes (make one with consentry-relay keygen)")?;
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|e| format!("the ledger's signing key: {e}"))?;
        Ok(Signer { pair })
    }

    /// The public key, base64url: what a verifier needs.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.pair.public_key().as_ref())
    }

    fn sign(&self, message: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.pair.sign(message.as_bytes()).as_ref())
    }

    /// Signs entry `seq` with chain hash `hash`.
    pub fn sign_entry(&self, seq: i64, hash: &str) -> String {
        self.sign(&entry_message(seq, hash))
    }

    /// Signs the head: the chain ends at `seq` with `hash`, at `time` (ms).
    pub fn sign_head(&self, seq: i64, hash: &str, time: i64) -> String {
        self.sign(&head_message(seq, hash, time))
    }
}

/// Writes a new key to `path` (readable by its owner only) unless a file
/// is there already.
pub fn create_key_file(path: &std::path::Path) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match file {
        Ok(mut f) => f
            .write_all(Signer::generate_text()?.as_bytes())
            .map_err(|e| format!("signing key file {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("signing key file {}: {e}", path.display())),
    }
}

fn verify(public_key: &str, message: &str, signature: &str) -> bool {
    match (decode(public_key), decode(signature)) {
        (Some(key), Some(sig)) => UnparsedPublicKey::new(&ED25519, key)
            .verify(message.as_bytes(), &sig)
            .is_ok(),
        _ => false,
    }
}

/// Whether `signature` signs entry `seq` with `hash` under `public_key`.
pub fn verify_entry(public_key: &str, seq: i64, hash: &str, signature: &str) -> bool {
    verify(public_key, &entry_message(seq, hash), signature)
}

/// Whether `signature` signs the head (`seq`, `hash`, `time`).
pub fn verify_head(public_key: &str, seq: i64, hash: &str, time: i64, signature: &str) -> bool {
    verify(public_key, &head_message(seq, hash, time), signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_signature_is_no_head_signature_and_another_key_fails() {
        let a = Signer::from_text(&Signer::generate_text().unwrap()).unwrap();
        let b = Signer::from_text(&Signer::generate_text().unwrap()).unwrap();
        let entry = a.sign_entry(3, "h");
        assert!(verify_entry(&a.public_key(), 3, "h", &entry));
        assert!(!verify_head(&a.public_key(), 3, "h", 0, &entry));
        assert!(!verify_entry(&b.public_key(), 3, "h", &entry));
        let head = a.sign_head(3, "h", 10);
        assert!(verify_head(&a.public_key(), 3, "h", 10, &head));
        assert!(!verify_head(&a.public_key(), 3, "h", 11, &head));
    }

    #[test]
    fn a_key_reads_in_either_base64_and_a_wrong_length_is_named() {
        let seed = [7u8; 32];
        let a = Signer::from_text(&URL_SAFE_NO_PAD.encode(seed)).unwrap();
        let b = Signer::from_text(&STANDARD.encode(seed)).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert!(Signer::from_text("abcd").err().unwrap().contains("32 bytes"));
    }
}
