//! C2SP `tlog-policy` trust files (logs, witnesses, groups, quorum): parsing, writing and evaluating a cosigned
//! checkpoint against them.
//!
//! ```text
//! log registry.example.com/anip+1a2b3c4d+AU... [url]
//! witness w1 witness.example/w1+5e6f7a8b+BK... [url]
//! group two-of-three 2 w1 w2 w3
//! quorum two-of-three
//! ```

use std::collections::{HashMap, HashSet};

use crate::error::LogError;
use crate::tlog::checkpoint::{
    COSIGNATURE_TYPE, Checkpoint, ED25519_TYPE, SignedCheckpoint, VerifierKey,
};
use crate::tlog::cosignature::Cosignature;

/// The most logs, witnesses or groups a policy may define (each).
pub const MAX_POLICY_ITEMS: usize = 64;

/// One member rule of the quorum tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Witness(usize),
    Group {
        threshold: usize,
        members: Vec<usize>,
    },
}

/// A parsed trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    logs: Vec<(VerifierKey, Option<String>)>,
    witnesses: Vec<(String, VerifierKey, Option<String>)>,
    /// Named nodes in definition order (witnesses and groups share the namespace).
    names: Vec<(String, Node)>,
    /// Index into `names`, or `None` for `quorum none`.
    quorum: Option<usize>,
}

/// A checkpoint that passed a policy: the body, the note, the log key that signed and the counted cosignatures.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCheckpoint {
    /// The checkpoint body.
    pub checkpoint: Checkpoint,
    /// The parsed note.
    pub signed: SignedCheckpoint,
    /// The log verifier key that signed it (`name+id+b64`).
    pub log_key: String,
    /// Verified cosignatures of the policy's witnesses.
    pub cosignatures: Vec<Cosignature>,
}

impl Policy {
    /// A policy that trusts `log_keys` (type 0x01) and needs no cosignature (`quorum none`).
    ///
    /// Errors: [`LogError::InvalidPolicy`] when a key is not a log key or is listed twice.
    pub fn from_log_keys(log_keys: Vec<VerifierKey>) -> Result<Self, LogError> {
        let mut policy = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            names: Vec::new(),
            quorum: None,
        };
        for key in log_keys {
            policy.add_log(0, key, None)?;
        }
        Ok(policy)
    }

    /// The trusted log keys.
    pub fn log_keys(&self) -> Vec<VerifierKey> {
        self.logs.iter().map(|(k, _)| k.clone()).collect()
    }

    /// The witnesses: policy name, key, URL.
    pub fn witnesses(&self) -> impl Iterator<Item = (&str, &VerifierKey, Option<&str>)> {
        self.witnesses
            .iter()
            .map(|(n, k, u)| (n.as_str(), k, u.as_deref()))
    }

    fn add_log(
        &mut self,
        line: usize,
        key: VerifierKey,
        url: Option<String>,
    ) -> Result<(), LogError> {
        if key.key_type() != ED25519_TYPE {
            return Err(invalid(
                line,
                "a log key must be an Ed25519 (0x01) verifier key",
            ));
        }
        if self
            .logs
            .iter()
            .any(|(k, _)| k.public_key() == key.public_key())
            || self.logs.len() >= MAX_POLICY_ITEMS
        {
            return Err(invalid(line, "duplicate log key or too many logs"));
        }
        self.logs.push((key, url));
        Ok(())
    }

    /// Parses a policy file (C2SP `tlog-policy`): `log`, `witness`, `group` and exactly one `quorum` line; `#`
    /// comments and blank lines; space/tab separators; names defined before use; `none` reserved.
    ///
    /// Errors: [`LogError::InvalidPolicy`] with the line number.
    pub fn parse(text: &str) -> Result<Self, LogError> {
        if let Some(b) = text
            .bytes()
            .find(|&b| b < 0x20 && b != b'\t' && b != b'\n' || b == 0x7f)
        {
            return Err(invalid(0, &format!("control character 0x{b:02x}")));
        }
        let mut policy = Policy::from_log_keys(Vec::new())?;
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut quorum_seen = false;
        for (i, raw) in text.split('\n').enumerate() {
            let line = i + 1;
            let words: Vec<&str> = raw.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            let Some(&keyword) = words.first() else {
                continue;
            };
            if keyword.starts_with('#') {
                continue;
            }
            match (keyword, words.len()) {
                ("log", 2 | 3) => {
                    let key =
                        VerifierKey::parse(words[1]).map_err(|e| invalid(line, &e.to_string()))?;
                    policy.add_log(line, key, words.get(2).map(|s| (*s).to_owned()))?;
                }
                ("witness", 3 | 4) => {
                    let name = words[1];
                    define(&by_name, name, line)?;
                    let key =
                        VerifierKey::parse(words[2]).map_err(|e| invalid(line, &e.to_string()))?;
                    if key.key_type() != COSIGNATURE_TYPE {
                        return Err(invalid(
                            line,
                            "a witness key must be a cosignature/v1 (0x04) verifier key",
                        ));
                    }
                    if policy
                        .witnesses
                        .iter()
                        .any(|(_, k, _)| k.public_key() == key.public_key())
                        || policy.witnesses.len() >= MAX_POLICY_ITEMS
                    {
                        return Err(invalid(line, "duplicate witness key or too many witnesses"));
                    }
                    policy.witnesses.push((
                        name.to_owned(),
                        key,
                        words.get(3).map(|s| (*s).to_owned()),
                    ));
                    by_name.insert(name.to_owned(), policy.names.len());
                    policy
                        .names
                        .push((name.to_owned(), Node::Witness(policy.witnesses.len() - 1)));
                }
                ("group", n) if n >= 4 => {
                    let name = words[1];
                    define(&by_name, name, line)?;
                    let mut members = Vec::new();
                    for member in &words[3..] {
                        let &index = by_name.get(*member).ok_or_else(|| {
                            invalid(line, &format!("{member:?} is not defined above"))
                        })?;
                        if members.contains(&index) {
                            return Err(invalid(line, &format!("{member:?} is listed twice")));
                        }
                        members.push(index);
                    }
                    let threshold = match words[2] {
                        "all" => members.len(),
                        "any" => 1,
                        k => {
                            let k: usize = k
                                .parse()
                                .ok()
                                .filter(|k: &usize| {
                                    (1..=members.len()).contains(k) && k.to_string() == words[2]
                                })
                                .ok_or_else(|| {
                                    invalid(line, "threshold is not all, any or 1..=members")
                                })?;
                            k
                        }
                    };
                    let groups = policy
                        .names
                        .iter()
                        .filter(|(_, n)| matches!(n, Node::Group { .. }))
                        .count();
                    if groups >= MAX_POLICY_ITEMS {
                        return Err(invalid(line, "too many groups"));
                    }
                    by_name.insert(name.to_owned(), policy.names.len());
                    policy
                        .names
                        .push((name.to_owned(), Node::Group { threshold, members }));
                }
                ("quorum", 2) => {
                    if quorum_seen {
                        return Err(invalid(line, "a second quorum line"));
                    }
                    quorum_seen = true;
                    policy.quorum = match words[1] {
                        "none" => None,
                        name => Some(*by_name.get(name).ok_or_else(|| {
                            invalid(line, &format!("{name:?} is not defined above"))
                        })?),
                    };
                }
                _ => {
                    return Err(invalid(
                        line,
                        &format!("unknown or malformed {keyword:?} line"),
                    ));
                }
            }
        }
        if !quorum_seen {
            return Err(invalid(0, "no quorum line"));
        }
        Ok(policy)
    }

    /// The policy as a file, parseable by [`Policy::parse`].
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (key, url) in &self.logs {
            out.push_str(&format!(
                "log {key}{}\n",
                url.as_ref().map(|u| format!(" {u}")).unwrap_or_default()
            ));
        }
        for (name, node) in &self.names {
            match node {
                Node::Witness(w) => {
                    let (_, key, url) = &self.witnesses[*w];
                    let url = url.as_ref().map(|u| format!(" {u}")).unwrap_or_default();
                    out.push_str(&format!("witness {name} {key}{url}\n"));
                }
                Node::Group { threshold, members } => {
                    let members: Vec<&str> =
                        members.iter().map(|m| self.names[*m].0.as_str()).collect();
                    out.push_str(&format!("group {name} {threshold} {}\n", members.join(" ")));
                }
            }
        }
        let quorum = self
            .quorum
            .map(|q| self.names[q].0.as_str())
            .unwrap_or("none");
        out.push_str(&format!("quorum {quorum}\n"));
        out
    }

    /// Verifies a signed checkpoint: signed by one of the policy's logs (key name = origin), every listed key's
    /// signature valid, and the witnesses' valid cosignatures meeting the quorum.
    ///
    /// Errors: [`LogError::InvalidCheckpoint`], [`LogError::OriginMismatch`], [`LogError::UnverifiedCheckpoint`],
    /// [`LogError::BadSignature`] or [`LogError::QuorumNotMet`].
    pub fn verify_checkpoint(&self, text: &str) -> Result<VerifiedCheckpoint, LogError> {
        let signed = SignedCheckpoint::parse(text)?;
        let log_key = signed.verify_log(&self.log_keys())?.to_string();
        let keys: Vec<VerifierKey> = self.witnesses.iter().map(|(_, k, _)| k.clone()).collect();
        let cosignatures = signed.verify_cosignatures(&keys)?;
        let signed_by: HashSet<usize> = self
            .witnesses
            .iter()
            .enumerate()
            .filter(|(_, (_, k, _))| cosignatures.iter().any(|c| c.name == k.name()))
            .map(|(i, _)| i)
            .collect();
        if let Some(q) = self.quorum
            && !self.satisfied(q, &signed_by)
        {
            return Err(LogError::QuorumNotMet(format!(
                "{} of {} witnesses cosigned; the quorum {:?} is not met",
                signed_by.len(),
                self.witnesses.len(),
                self.names[q].0
            )));
        }
        Ok(VerifiedCheckpoint {
            checkpoint: signed.checkpoint.clone(),
            signed,
            log_key,
            cosignatures,
        })
    }

    fn satisfied(&self, node: usize, signed_by: &HashSet<usize>) -> bool {
        match &self.names[node].1 {
            Node::Witness(w) => signed_by.contains(w),
            Node::Group { threshold, members } => {
                members
                    .iter()
                    .filter(|m| self.satisfied(**m, signed_by))
                    .count()
                    >= *threshold
            }
        }
    }
}

fn define(by_name: &HashMap<String, usize>, name: &str, line: usize) -> Result<(), LogError> {
    if name == "none" || by_name.contains_key(name) {
        return Err(invalid(
            line,
            &format!("name {name:?} is reserved or already defined"),
        ));
    }
    Ok(())
}

fn invalid(line: usize, message: &str) -> LogError {
    LogError::InvalidPolicy {
        line,
        message: message.to_owned(),
    }
}
