//! Guest access keys (seed 003): a random key mailed to the submitter opens one ticket
//! without a login. Only its SHA-256 is stored, so a leaked table does not leak keys.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A guest key as its ticket keeps it: the hash, and when it stops opening the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub hash: String,
    pub expires_at: DateTime<Utc>,
}

/// Does one of the ticket's keys, unexpired at `now`, have this hash?
pub fn opens(keys: &[StoredKey], hash: &str, now: DateTime<Utc>) -> bool {
    keys.iter().any(|k| k.hash == hash && k.expires_at > now)
}

/// 32 random bytes: twice the 128 bits the brief asks for.
pub const KEY_BYTES: usize = 32;

/// Encodes raw random bytes (drawn by the caller) as the key a user sees.
pub fn encode_key(raw: &[u8; KEY_BYTES]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

/// The stored form of a key: hex SHA-256.
pub fn hash_key(key: &str) -> String {
    crate::store::sha256_hex(key.trim())
}

/// A well-formed key has exactly the length `encode_key` produces; anything else cannot
/// match and need not be looked up.
pub fn looks_like_key(key: &str) -> bool {
    key.len() == 43 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_and_hashes_differ_from_keys() {
        let key = encode_key(&[7u8; KEY_BYTES]);
        assert!(looks_like_key(&key));
        assert_eq!(hash_key(&key).len(), 64);
        assert_ne!(hash_key(&key), key);
        assert!(!looks_like_key("short"));
    }
}
