//! A stored JSON document (manifest, definition, lock, template, lineage, links …): its text is checked once, when it
//! enters the server (publish, or a row read from the store), and is then served as it is through
//! `serde_json::value::RawValue`, so a response embeds the stored canonical bytes without re-parsing or re-encoding.

use std::fmt;
use std::ops::Deref;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// One JSON value's text, known to be well formed.
#[derive(Clone)]
pub struct Document(Box<RawValue>);

impl Document {
    /// Checks `text` is one JSON value. Errors: the parser's, for text that is not.
    pub fn parse(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(Document)
    }

    /// The JSON text of `value`. Errors: the serializer's (a map with non-string keys, a failing `Serialize`).
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(Document)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// Whether the document is empty: no text, `{}`, `[]` or `null`.
    pub fn is_empty_json(&self) -> bool {
        matches!(self.as_str().trim(), "" | "{}" | "[]" | "null")
    }
}

impl Deref for Document {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Document({} bytes)", self.as_str().len())
    }
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Document;

    #[test]
    fn serves_the_stored_bytes_and_refuses_what_is_not_json() {
        let text = r#"{"b":1,"a":[1.0,"\u00e9"]}"#;
        let doc = Document::parse(text.to_owned()).unwrap();
        // Embedded as is: key order, number spelling and escapes survive.
        assert_eq!(serde_json::to_string(&doc).unwrap(), text);
        assert!(Document::parse("{".to_owned()).is_err());
        assert!(Document::parse("{} {}".to_owned()).is_err());
        assert!(Document::parse("[]".to_owned()).unwrap().is_empty_json());
        assert!(!doc.is_empty_json());
    }
}
