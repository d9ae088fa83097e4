//! The chain: hashes, signatures and the walk that verifies them, the same
//! for both stores.

use super::record::{Columns, Record};
use crate::checkpoint::{self, Signer};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 of `text`, lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An entry's hash: over the previous hash, a newline and the entry's text.
pub fn chain_hash(prev: &str, entry: &str) -> String {
    sha256_hex(&format!("{prev}\n{entry}"))
}

/// One entry to append: its place in the chain, the columns it is found by,
/// its text, hashes and signature.
pub struct Link {
    /// Its position in the chain.
    pub seq: i64,
    /// Its columns (fields of `text`).
    pub columns: Columns,
    /// The entry's JSON text.
    pub text: String,
    /// The previous entry's hash.
    pub prev: String,
    /// This entry's hash.
    pub hash: String,
    /// The relay's signature of (`seq`, `hash`).
    pub signature: String,
}

/// `records` chained after the entry `seq` whose hash is `prev`, each
/// signed (both stores append these, then sign the head).
pub fn links(mut seq: i64, mut prev: String, records: &[Record], signer: &Signer) -> Vec<Link> {
    let mut out = Vec::new();
    for r in records {
        let text = r.text();
        let hash = chain_hash(&prev, &text);
        seq += 1;
        out.push(Link {
            seq,
            columns: r.columns(),
            signature: signer.sign_entry(seq, &hash),
            text,
            prev: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    out
}

/// The signed head: where the chain ended when the relay last appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The last entry's seq (0: none yet).
    pub seq: i64,
    /// Its hash.
    pub hash: String,
    /// When it was signed, ms.
    pub time: i64,
    /// The relay's signature (none before the first entry).
    pub signature: Option<String>,
}

impl Head {
    /// The head after `links`, signed at `now`.
    pub fn after(links: &[Link], now: i64, signer: &Signer) -> Option<Head> {
        links.last().map(|l| Head {
            seq: l.seq,
            hash: l.hash.clone(),
            time: now,
            signature: Some(signer.sign_head(l.seq, &l.hash, now)),
        })
    }

    /// The head as `export` prints it.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "seq": self.seq, "hash": self.hash, "time": self.time, "signature": self.signature })
    }
}

/// Checks one stored entry on its own: its hash, its columns and its
/// signature (`verify` and `verify-export` both use this).
pub fn check_entry(e: &Entry, public_key: &str) -> Result<(), String> {
    if chain_hash(&e.prev, &e.entry) != e.hash {
        return Err(format!("entry {}: its text does not match its hash (changed)", e.seq));
    }
    let text = Columns::of(&e.entry);
    for (name, column, field) in [
        ("kind", Some(&e.columns.kind), Some(&text.kind)),
        ("phone", e.columns.phone.as_ref(), text.phone.as_ref()),
        ("external_id", e.columns.external_id.as_ref(), text.external_id.as_ref()),
        ("consent_id", e.columns.consent_id.as_ref(), text.consent_id.as_ref()),
    ] {
        if column != field {
            return Err(format!(
                "entry {}: its {name} column is not its text's (changed)",
                e.seq
            ));
        }
    }
    if e.columns.time != text.time {
        return Err(format!("entry {}: its time column is not its text's (changed)", e.seq));
    }
    match &e.signature {
        Some(s) if checkpoint::verify_entry(public_key, e.seq, &e.hash, s) => Ok(()),
        Some(_) => Err(format!(
            "entry {}: its signature does not hold for its hash under the public key (re-hashed, or another key)",
            e.seq
        )),
        None => Err(format!("entry {}: it has no signature", e.seq)),
    }
}

/// Walks the chain from its anchor (`None`: the start) through `entries`
/// in order and checks it ends at the signed `head`. `Ok(n)`: `n`
/// entries, all intact; `Err` names the first thing that does not hold
/// (both stores verify with this).
pub fn verify_chain(
    anchor: Option<(i64, String)>,
    entries: impl IntoIterator<Item = Result<Entry, String>>,
    head: Option<Head>,
    public_key: &str,
) -> Result<u64, String> {
    let (mut seq, mut prev) = anchor.unwrap_or((0, GENESIS.to_string()));
    let mut n = 0;
    for e in entries {
        let e = e?;
        if e.seq != seq + 1 {
            return Err(format!("entry {} is missing (the next is {})", seq + 1, e.seq));
        }
        if e.prev != prev {
            return Err(format!("entry {}: its previous hash is not entry {}'s", e.seq, seq));
        }
        check_entry(&e, public_key)?;
        (seq, prev) = (e.seq, e.hash);
        n += 1;
    }
    let head = match head {
        Some(h) if h.seq > 0 => h,
        _ if seq == 0 => return Ok(0),
        _ => return Err("the ledger has no signed head: its head row was removed".into()),
    };
    let signed = head
        .signature
        .as_deref()
        .is_some_and(|s| checkpoint::verify_head(public_key, head.seq, &head.hash, head.time, s));
    if !signed {
        return Err(format!(
            "the head (entry {}) is not signed by the public key (changed, or another key)",
            head.seq
        ));
    }
    if head.seq > seq {
        return Err(format!(
            "entries {} to {} are missing: the signed head is entry {} (the ledger was truncated)",
            seq + 1,
            head.seq,
            head.seq
        ));
    }
    if head.seq < seq || head.hash != prev {
        return Err(format!(
            "the chain ends at entry {seq}, which is not the signed head (entry {}): entries were rewritten",
            head.seq
        ));
    }
    Ok(n)
}

/// One ledger entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its position in the chain (1 is the first ever written).
    pub seq: i64,
    /// The entry's JSON text.
    pub entry: String,
    /// The previous entry's hash.
    pub prev: String,
    /// This entry's hash.
    pub hash: String,
    /// The columns stored beside it.
    pub columns: Columns,
    /// The relay's signature of its place.
    pub signature: Option<String>,
}

impl Entry {
    /// The entry as `export` prints it: its exact text (what the hash
    /// covers), the text read as JSON, and what proves it.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "seq": self.seq,
            "entry": serde_json::from_str::<Value>(&self.entry).unwrap_or_default(),
            "text": self.entry,
            "prev": self.prev,
            "hash": self.hash,
            "signature": self.signature,
        })
    }
}
