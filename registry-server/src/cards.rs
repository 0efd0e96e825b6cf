//! What the UI lists and searches of a version, computed once from its documents (at publish, or by the backfill
//! for versions stored before cards existed) and stored with its row, so list pages never read documents.

use serde::Deserialize;
use serde_json::Value;

use crate::store::{Card, StoredPackage, StoredTemplate};

#[derive(Deserialize)]
struct ManifestBits {
    #[serde(default)]
    name: Option<Value>,
}

#[derive(Deserialize)]
struct DefinitionBits {
    #[serde(default)]
    capability_formalizations: Vec<CapabilityBits>,
}

#[derive(Deserialize)]
struct CapabilityBits {
    #[serde(default)]
    capability_id: Option<Value>,
    #[serde(default)]
    title: Option<Value>,
}

/// A JSON string's trimmed text, or empty.
pub fn text_of(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// The README's first line of prose (else its first heading), without Markdown markers, at most 240 characters.
pub fn description_of(readme: &str) -> String {
    let strip = |line: &str| {
        line.trim()
            .trim_start_matches(['#', '>', '-', '*', '+', ' '])
            .trim()
            .replace(['*', '_', '`'], "")
    };
    let lines = readme.lines().map(str::trim).filter(|l| !l.is_empty());
    let prose = lines
        .clone()
        .find(|l| !l.starts_with('#') && !l.starts_with("```") && !l.starts_with('<'));
    let chosen = prose
        .or_else(|| lines.clone().next())
        .map(strip)
        .unwrap_or_default();
    truncate(&chosen, 240)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Lower-cased fields joined by newlines (search terms never contain a newline, so none matches across fields).
fn haystack<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for field in fields {
        out.push_str(&field.to_lowercase());
        out.push('\n');
    }
    out
}

/// A package version's card: manifest `name`, README description, capability ids and titles.
pub fn package_card(p: &StoredPackage) -> Card {
    let name = serde_json::from_str::<ManifestBits>(&p.manifest_json)
        .map(|m| text_of(m.name.as_ref()))
        .unwrap_or_default();
    let capabilities: Vec<(String, String)> =
        serde_json::from_str::<DefinitionBits>(&p.service_definition_json)
            .map(|d| {
                d.capability_formalizations
                    .iter()
                    .map(|c| (text_of(c.capability_id.as_ref()), text_of(c.title.as_ref())))
                    .filter(|(id, _)| !id.is_empty())
                    .collect()
            })
            .unwrap_or_default();
    let description = description_of(&p.readme);
    let search_ident = haystack([
        p.package_id.as_str(),
        &p.package_version,
        &p.project_ref,
        &p.product_revision_ref,
        &p.developer_revision_ref,
        &p.publisher_id,
        &p.publisher_type,
    ]);
    let search_content = haystack(
        [name.as_str(), &description].into_iter().chain(
            capabilities
                .iter()
                .flat_map(|(id, title)| [id.as_str(), title.as_str()]),
        ),
    );
    Card {
        capabilities_json: serde_json::to_string(&capabilities).unwrap_or_else(|_| "[]".into()),
        name,
        description,
        search_ident,
        search_content,
    }
}

/// The capabilities of a card, as `(id, title)`.
pub fn capabilities_of(card: &Card) -> Vec<(String, String)> {
    serde_json::from_str(&card.capabilities_json).unwrap_or_default()
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A JSON object member's trimmed text, or empty.
pub fn text_at(value: &Value, key: &str) -> String {
    text_of(value.get(key))
}

/// A template version's card: title (manifest `template_title`, else template `title`) and summary.
pub fn template_card(t: &StoredTemplate) -> Card {
    let manifest = parse(&t.manifest_json);
    let template = parse(&t.template_json);
    let name = [
        text_at(&manifest, "template_title"),
        text_at(&template, "title"),
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .unwrap_or_default();
    let description = text_at(&template, "summary");
    let systems: Vec<String> = serde_json::from_str::<Vec<Value>>(&t.systems_json)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let search_ident = haystack(
        [
            t.template_id.as_str(),
            &t.template_version,
            &t.template_kind,
            &t.project_type,
            &t.anip_spec_version,
            &t.domain,
            &t.industry,
            &t.publisher_id,
            &t.publisher_type,
        ]
        .into_iter()
        .chain(systems.iter().map(String::as_str)),
    );
    Card {
        search_content: haystack([name.as_str(), &description]),
        name,
        description,
        capabilities_json: "[]".into(),
        search_ident,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_come_from_the_readme() {
        assert_eq!(
            description_of("# Title\n\nA *governed* service.\nMore."),
            "A governed service."
        );
        assert_eq!(description_of("# Only a title"), "Only a title");
        assert_eq!(description_of(""), "");
        assert_eq!(description_of(&"x".repeat(300)).chars().count(), 241);
    }
}
