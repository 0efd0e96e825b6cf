//! Log entries: one canonical JSON object per leaf (`"v": 1` and a `"kind"`), rebuilt byte for byte from receipts.
//!
//! The entry bytes are the digest encoding of [`crate::canonical`] of a flat object of strings plus `"v": 1`. A
//! package entry pins every value of the receipt and its signed payload (ids, digests, receipt id, time, publisher,
//! the registry signature itself), so a holder of a receipt and its record rebuilds the entry with
//! [`Entry::from_receipt`] and checks that this exact acceptance is in the log. No package document is ever logged.

use serde_json::{Map, Number, Value};

use crate::canonical;
use crate::error::LogError;
use crate::receipt::{Receipt, ReceiptPayload};
use crate::record::PackageRecord;
use crate::template_receipt::TemplateReceipt;
use tlog_tiles::Hash;

/// The entry format version written in `"v"`.
pub const ENTRY_VERSION: u64 = 1;

/// Entries must be shorter than this many bytes (the entry bundle's u16 length prefix).
pub const MAX_ENTRY_LEN: usize = 65_535;

/// The fields of a `package_version` entry besides `kind` and `v`, in no particular order.
pub const PACKAGE_VERSION_FIELDS: [&str; 12] = [
    "package_id",
    "package_version",
    "receipt_id",
    "issued_at",
    "publisher_id",
    "publisher_type",
    "contract_signature",
    "definition_digest",
    "manifest_digest",
    "lock_digest",
    "package_execution_signature",
    "registry_signature",
];

/// The fields of a `template_version` entry besides `kind` and `v`.
pub const TEMPLATE_VERSION_FIELDS: [&str; 10] = [
    "template_id",
    "template_version",
    "receipt_id",
    "issued_at",
    "publisher_id",
    "publisher_type",
    "manifest_digest",
    "template_digest",
    "package_digest",
    "registry_signature",
];

/// The fields of a `lifecycle` entry besides `kind` and `v`.
pub const LIFECYCLE_FIELDS: [&str; 7] = [
    "artifact", "id", "version", "status", "reason", "actor", "at",
];

/// The fields of an `ownership` entry besides `kind` and `v`.
pub const OWNERSHIP_FIELDS: [&str; 5] = ["artifact", "id", "publisher_id", "action", "at"];

/// What one log entry records. Every field is a string and is written as given (no normalisation), so the bytes
/// depend only on the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An accepted package version (its receipt and signed payload).
    PackageVersion(Fields),
    /// An accepted template version (its template receipt).
    TemplateVersion(Fields),
    /// A lifecycle change of a package or template version.
    Lifecycle(Fields),
    /// An ownership claim or transfer of a package or template id.
    Ownership(Fields),
}

/// The string fields of an entry, by name (sorted, without `kind` and `v`).
pub type Fields = std::collections::BTreeMap<String, String>;

impl Entry {
    /// The `kind` string: `package_version`, `template_version`, `lifecycle` or `ownership`.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::PackageVersion(_) => "package_version",
            Entry::TemplateVersion(_) => "template_version",
            Entry::Lifecycle(_) => "lifecycle",
            Entry::Ownership(_) => "ownership",
        }
    }

    /// The entry's fields.
    pub fn fields(&self) -> &Fields {
        match self {
            Entry::PackageVersion(f)
            | Entry::TemplateVersion(f)
            | Entry::Lifecycle(f)
            | Entry::Ownership(f) => f,
        }
    }

    /// One field's value (`None` when the kind has no such field).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields().get(name).map(String::as_str)
    }

    /// The entry of an accepted package version: the receipt as served and the payload it signs (which carries the
    /// digests and signatures the receipt does not repeat).
    ///
    /// Errors: [`LogError::InvalidEntry`] when the receipt and payload name different versions or times.
    pub fn from_receipt(receipt: &Receipt, payload: &ReceiptPayload) -> Result<Entry, LogError> {
        if receipt.package_id != payload.package_id
            || receipt.package_version != payload.package_version
            || receipt.issued_at != payload.issued_at
        {
            return Err(LogError::InvalidEntry(
                "the receipt and the payload are for different package versions or times".into(),
            ));
        }
        let values = [
            &receipt.package_id,
            &receipt.package_version,
            &receipt.receipt_id,
            &receipt.issued_at,
            &receipt.publisher_id,
            &receipt.publisher_type,
            &payload.contract_signature,
            &payload.definition_digest,
            &payload.manifest_digest,
            &payload.lock_digest,
            &payload.package_execution_signature,
            &receipt.registry_signature,
        ];
        Ok(Entry::PackageVersion(zip(&PACKAGE_VERSION_FIELDS, &values)))
    }

    /// The entry of a package version from its receipt and record: [`Entry::from_receipt`] with the payload the
    /// receipt signs ([`ReceiptPayload::from_record`] at the receipt's `issued_at`). The server and every client
    /// build package entries this way.
    ///
    /// Errors: as [`Entry::from_receipt`].
    pub fn from_record(receipt: &Receipt, record: &PackageRecord) -> Result<Entry, LogError> {
        Entry::from_receipt(
            receipt,
            &ReceiptPayload::from_record(record, &receipt.issued_at),
        )
    }

    /// The entry of an accepted template version, from its receipt alone.
    pub fn from_template_receipt(receipt: &TemplateReceipt) -> Entry {
        let values = [
            &receipt.template_id,
            &receipt.template_version,
            &receipt.receipt_id,
            &receipt.issued_at,
            &receipt.publisher_id,
            &receipt.publisher_type,
            &receipt.manifest_digest,
            &receipt.template_digest,
            &receipt.package_digest,
            &receipt.registry_signature,
        ];
        Entry::TemplateVersion(zip(&TEMPLATE_VERSION_FIELDS, &values))
    }

    /// A lifecycle entry. `artifact` is `package` or `template`; `at` is RFC 3339.
    ///
    /// Errors: [`LogError::InvalidEntry`] for another artifact.
    #[allow(clippy::too_many_arguments)]
    pub fn lifecycle(
        artifact: &str,
        id: &str,
        version: &str,
        status: &str,
        reason: &str,
        actor: &str,
        at: &str,
    ) -> Result<Entry, LogError> {
        check_artifact(artifact)?;
        let values = [artifact, id, version, status, reason, actor, at].map(str::to_owned);
        Ok(Entry::Lifecycle(zip(&LIFECYCLE_FIELDS, &values.each_ref())))
    }

    /// An ownership entry. `artifact` is `package` or `template`, `action` is `claim` or `transfer`.
    ///
    /// Errors: [`LogError::InvalidEntry`] for another artifact or action.
    pub fn ownership(
        artifact: &str,
        id: &str,
        publisher_id: &str,
        action: &str,
        at: &str,
    ) -> Result<Entry, LogError> {
        check_artifact(artifact)?;
        if !matches!(action, "claim" | "transfer") {
            return Err(LogError::InvalidEntry(format!(
                "ownership action {action:?} is not claim or transfer"
            )));
        }
        let values = [artifact, id, publisher_id, action, at].map(str::to_owned);
        Ok(Entry::Ownership(zip(&OWNERSHIP_FIELDS, &values.each_ref())))
    }

    /// The entry as a JSON object (`kind`, `v` and the fields).
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("kind".into(), Value::String(self.kind().into()));
        map.insert("v".into(), Value::Number(Number::from(ENTRY_VERSION)));
        for (k, v) in self.fields() {
            map.insert(k.clone(), Value::String(v.clone()));
        }
        Value::Object(map)
    }

    /// The entry bytes: the canonical (digest) encoding of [`Entry::to_value`].
    ///
    /// Errors: [`LogError::EntryTooLarge`] when the bytes reach 64 KiB.
    pub fn to_bytes(&self) -> Result<Vec<u8>, LogError> {
        let bytes = canonical::digest_bytes(&self.to_value());
        if bytes.len() > MAX_ENTRY_LEN {
            return Err(LogError::EntryTooLarge(bytes.len()));
        }
        Ok(bytes)
    }

    /// Reads entry bytes. They must be exactly the canonical encoding of a known kind with `"v": 1` and exactly
    /// that kind's fields, all strings.
    ///
    /// Errors: [`LogError::EntryTooLarge`], or [`LogError::InvalidEntry`] saying what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Entry, LogError> {
        if bytes.len() > MAX_ENTRY_LEN {
            return Err(LogError::EntryTooLarge(bytes.len()));
        }
        let value = crate::json::parse_strict(bytes)
            .map_err(|e| LogError::InvalidEntry(format!("not JSON: {e}")))?;
        let Value::Object(mut map) = value else {
            return Err(LogError::InvalidEntry("not a JSON object".into()));
        };
        let kind = match map.remove("kind") {
            Some(Value::String(kind)) => kind,
            _ => {
                return Err(LogError::InvalidEntry(
                    "kind is missing or not a string".into(),
                ));
            }
        };
        match map.remove("v") {
            Some(Value::Number(n)) if n.as_u64() == Some(ENTRY_VERSION) => {}
            _ => return Err(LogError::InvalidEntry("v is not 1".into())),
        }
        let names: &[&str] = match kind.as_str() {
            "package_version" => &PACKAGE_VERSION_FIELDS,
            "template_version" => &TEMPLATE_VERSION_FIELDS,
            "lifecycle" => &LIFECYCLE_FIELDS,
            "ownership" => &OWNERSHIP_FIELDS,
            other => return Err(LogError::InvalidEntry(format!("unknown kind {other:?}"))),
        };
        let mut fields = Fields::new();
        for name in names {
            match map.remove(*name) {
                Some(Value::String(s)) => {
                    fields.insert((*name).to_owned(), s);
                }
                _ => {
                    return Err(LogError::InvalidEntry(format!(
                        "{kind} entry: {name} is missing or not a string"
                    )));
                }
            }
        }
        if let Some(extra) = map.keys().next() {
            return Err(LogError::InvalidEntry(format!(
                "{kind} entry: unknown field {extra:?}"
            )));
        }
        let entry = match kind.as_str() {
            "package_version" => Entry::PackageVersion(fields),
            "template_version" => Entry::TemplateVersion(fields),
            "lifecycle" => Entry::Lifecycle(fields),
            _ => Entry::Ownership(fields),
        };
        if entry.to_bytes()? != bytes {
            return Err(LogError::InvalidEntry(
                "bytes are not the canonical encoding of the entry".into(),
            ));
        }
        Ok(entry)
    }
}

/// The RFC 6962 leaf hash of entry bytes: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    tlog_tiles::record_hash(entry)
}

fn check_artifact(artifact: &str) -> Result<(), LogError> {
    if matches!(artifact, "package" | "template") {
        Ok(())
    } else {
        Err(LogError::InvalidEntry(format!(
            "artifact {artifact:?} is not package or template"
        )))
    }
}

fn zip(names: &[&str], values: &[&String]) -> Fields {
    names
        .iter()
        .zip(values)
        .map(|(n, v)| ((*n).to_owned(), (*v).clone()))
        .collect()
}

/// Encodes a C2SP entry bundle: each entry as a big-endian u16 length then its bytes.
///
/// Errors: [`LogError::EntryTooLarge`] for an entry of 64 KiB or more.
pub fn encode_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, LogError> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.as_ref().len() + 2).sum());
    for entry in entries {
        let entry = entry.as_ref();
        let len = u16::try_from(entry.len()).map_err(|_| LogError::EntryTooLarge(entry.len()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Splits a C2SP entry bundle into its entries (borrowed), checking that it holds exactly `count` of them.
///
/// Errors: [`LogError::InvalidBundle`] for a truncated length or entry, or a different count.
pub fn parse_bundle(bundle: &[u8], count: usize) -> Result<Vec<&[u8]>, LogError> {
    let mut out = Vec::with_capacity(count);
    let mut rest = bundle;
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| LogError::InvalidBundle("truncated length prefix".into()))?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(LogError::InvalidBundle(format!(
                "entry {} claims {len} bytes, {} remain",
                out.len(),
                tail.len()
            )));
        }
        let (entry, tail) = tail.split_at(len);
        out.push(entry);
        rest = tail;
        if out.len() > count {
            break;
        }
    }
    if out.len() != count {
        return Err(LogError::InvalidBundle(format!(
            "bundle holds {}{} entries, expected {count}",
            out.len(),
            if rest.is_empty() { "" } else { "+" }
        )));
    }
    Ok(out)
}
