//! Keys that differ from a known field only in case are refused, because ANIP's Go decoder would read them.
//!
//! Go's `encoding/json` fills a struct field from an exact key or, failing that, from any key equal to the field
//! name under Unicode case folding (so `PACKAGE_VERSION`, `Package_Version` and `pac\u{212A}age_version`, with a
//! Kelvin sign, all fill `package_version`), the last such key winning. Serde reads only the exact key. A document
//! holding such a key therefore means one thing to ANIP's tools and another to ours; this module refuses it.
//!
//! [`from_value`] is the one way the crate turns a parsed value into a struct: it runs serde (with
//! `serde_path_to_error` for the path) over a thin deserializer that checks every struct's keys against the struct's
//! own field list, at every depth (structs inside options, sequences and other structs). Objects read by hand (bundle
//! roots, `/keys` answers) use [`check_keys`] with their field list.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, Visitor};
use serde_json::Value;

use crate::error::{FormatError, FormatKind};
use crate::json::push_key;
use crate::record::Object;

/// Whether `key` is not `field` but Go's decoder would match it to `field` (simple Unicode case folding: ASCII
/// letters either case, `ſ` (U+017F) for `s`, the Kelvin sign (U+212A) for `k`).
pub fn folds_to(key: &str, field: &str) -> bool {
    key != field
        && key.chars().count() == field.chars().count()
        && key.chars().zip(field.chars()).all(|(k, f)| same_fold(k, f))
}

fn same_fold(k: char, f: char) -> bool {
    let base = |c: char| match c {
        '\u{17F}' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    base(k) == base(f)
}

/// Refuses an object holding a key that differs from one of `fields` only in case: an
/// [`FormatKind::AmbiguousKey`] error at `path` + the key (`path` is a JSON path such as `registry_keys[0]`, or empty
/// for the document itself).
pub fn check_keys(object: &Object, fields: &[&str], path: &str) -> Result<(), FormatError> {
    for key in object.keys() {
        if let Some(field) = fields.iter().find(|field| folds_to(key, field)) {
            return Err(ambiguous_error(path, key, field));
        }
    }
    Ok(())
}

fn ambiguous_error(path: &str, key: &str, field: &str) -> FormatError {
    let mut at = path.to_owned();
    push_key(&mut at, key);
    FormatError::new(
        FormatKind::AmbiguousKey,
        at,
        format!(
            "key {key:?} differs from the field {field:?} only in case; ANIP's decoder would read it as \
             {field:?}, so it is refused as ambiguous"
        ),
    )
}

/// Converts a parsed JSON value into `T`, naming the path of the first field of the wrong type, and refusing (as
/// [`FormatKind::AmbiguousKey`]) any key of any struct inside that differs from one of the struct's fields only in
/// case. `what` prefixes the paths (empty: paths start at the value).
pub fn from_value<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, FormatError> {
    let found = RefCell::new(None);
    let result = serde_path_to_error::deserialize(Checked {
        inner: value,
        found: &found,
    });
    result.map_err(|e| {
        let mut path = e.path().to_string();
        if found.borrow().is_some() {
            // The failing key itself is an unnamed last segment; the path names the struct holding it.
            path = match path.strip_suffix("?") {
                Some("") => ".".to_owned(),
                Some(parent) => parent.trim_end_matches('.').to_owned(),
                None => path,
            };
        }
        let base = match (path.as_str(), what.is_empty()) {
            (".", _) => what.to_owned(),
            (_, true) => path,
            (_, false) => format!("{what}.{path}"),
        };
        if let Some((key, field)) = found.into_inner() {
            return ambiguous_error(&base, &key, field);
        }
        let at = if base.is_empty() {
            "$".to_owned()
        } else {
            base
        };
        let message = e.into_inner().to_string();
        // serde's own words for a `deny_unknown_fields` refusal: "unknown field `x`, expected ...".
        if message.starts_with("unknown field `") {
            return FormatError::new(FormatKind::UnknownField, at, message);
        }
        FormatError::wrong_type(at, message)
    })
}

/// Where the first ambiguous key found is kept (key, field), for the error's path.
type Found<'f> = &'f RefCell<Option<(String, &'static str)>>;

/// A deserializer whose structs have their keys checked; options, sequences, maps and struct members stay wrapped.
struct Checked<'f, D> {
    inner: D,
    found: Found<'f>,
}

macro_rules! forward {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.inner.$method(visitor)
        }
    )*};
}

macro_rules! wrapped {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.inner.$method(Wrap { visitor, fields: None, found: self.found })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Checked<'_, D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any
    );
    wrapped!(deserialize_option, deserialize_seq, deserialize_map);

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let (fields, found) = (None, self.found);
        self.inner.deserialize_newtype_struct(
            name,
            Wrap {
                visitor,
                fields,
                found,
            },
        )
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let wrap = Wrap {
            visitor,
            fields: Some(fields),
            found: self.found,
        };
        self.inner.deserialize_struct(name, fields, wrap)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_enum(name, variants, visitor)
    }
}

/// A visitor whose option content, sequence elements and map values are deserialized through [`Checked`], and
/// whose map keys are checked against `fields` when it is visiting a struct.
struct Wrap<'f, V> {
    visitor: V,
    fields: Option<&'static [&'static str]>,
    found: Found<'f>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(formatter)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let found = self.found;
        self.visitor.visit_some(Checked {
            inner: deserializer,
            found,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        let found = self.found;
        self.visitor.visit_newtype_struct(Checked {
            inner: deserializer,
            found,
        })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let (fields, found) = (None, self.found);
        self.visitor.visit_seq(Access {
            inner: seq,
            fields,
            found,
        })
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let (fields, found) = (self.fields, self.found);
        self.visitor.visit_map(Access {
            inner: map,
            fields,
            found,
        })
    }
}

/// A sequence or map whose elements and values go through [`Checked`]; a struct's keys are checked on the way.
struct Access<'f, A> {
    inner: A,
    fields: Option<&'static [&'static str]>,
    found: Found<'f>,
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Access<'_, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let found = self.found;
        self.inner.next_element_seed(Seed { seed, found })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Access<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(fields) = self.fields else {
            return self.inner.next_key_seed(seed);
        };
        let Some(key) = self.inner.next_key::<String>()? else {
            return Ok(None);
        };
        if let Some(field) = fields.iter().find(|field| folds_to(&key, field)) {
            let message = format!("key {key:?} differs from the field {field:?} only in case");
            *self.found.borrow_mut() = Some((key, field));
            return Err(de::Error::custom(message));
        }
        seed.deserialize(de::value::StringDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let found = self.found;
        self.inner.next_value_seed(Seed { seed, found })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A seed that deserializes through [`Checked`].
struct Seed<'f, S> {
    seed: S,
    found: Found<'f>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        let found = self.found;
        self.seed.deserialize(Checked {
            inner: deserializer,
            found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_follows_go() {
        assert!(folds_to("PACKAGE_VERSION", "package_version"));
        assert!(folds_to("Package_Version", "package_version"));
        assert!(folds_to("pac\u{212A}age_id", "package_id"));
        assert!(folds_to("\u{17F}chema_version", "schema_version"));
        assert!(!folds_to("package_version", "package_version"));
        assert!(!folds_to("package-version", "package_version"));
        assert!(!folds_to("package_versions", "package_version"));
        assert!(!folds_to("PACKAGE_VERSİON", "package_version"));
    }
}
