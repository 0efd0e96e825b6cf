//! A bundle as the publish request ANIP's `publish-bundle` would send (reference §11.2).

use super::*;

impl Bundle {
    /// Turns the bundle into the publish request ANIP's `publish-bundle` would send (reference §11.2).
    pub fn to_publish_request(&self) -> Result<PublishRequest, FormatError> {
        let empty = Object::new();
        let package = self.object("package").unwrap_or(&empty);
        let publication = self.object("publication").unwrap_or(&empty);
        // `source`: the root shallow-merged with `package`, package keys winning.
        let source = |key: &str| package.get(key).or_else(|| self.root.get(key));
        let text = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let non_empty_object = |v: Option<&Value>| {
            v.and_then(Value::as_object)
                .filter(|o| !o.is_empty())
                .cloned()
        };

        let lineage = non_empty_object(source("lineage"))
            .or_else(|| non_empty_object(self.root.get("lineage")))
            .or_else(|| non_empty_object(publication.get("lineage")));
        let lineage_ref = |path: &[&str]| {
            let mut value = lineage.as_ref().map(|l| Value::Object(l.clone()));
            for key in path {
                value = value.and_then(|v| v.get(*key).cloned());
            }
            text(value.as_ref())
        };
        let from_source = |key: &str| text(source(key)).or_else(|| text(publication.get(key)));

        let required = |value: Option<String>, field: &str, looked: &str| {
            value.ok_or_else(|| {
                FormatError::wrong_type(
                    field,
                    format!("the bundle has no {field} (looked in {looked})"),
                )
            })
        };
        let package_id = required(text(source("package_id")), "package_id", "package")?;
        let package_version = required(
            text(source("package_version")),
            "package_version",
            "package",
        )?;
        let project_ref = required(
            from_source("project_ref").or_else(|| lineage_ref(&["project_ref"])),
            "project_ref",
            "package, publication and lineage",
        )?;
        let product_revision_ref = required(
            from_source("product_revision_ref")
                .or_else(|| lineage_ref(&["product_revision_ref"]))
                .or_else(|| lineage_ref(&["product_revision", "ref"])),
            "product_revision_ref",
            "package, publication and lineage",
        )?;
        let developer_revision_ref = required(
            from_source("developer_revision_ref")
                .or_else(|| lineage_ref(&["developer_revision_ref"]))
                .or_else(|| lineage_ref(&["developer_revision", "ref"])),
            "developer_revision_ref",
            "package, publication and lineage",
        )?;
        let contract_signature = required(
            from_source("contract_signature")
                .or_else(|| lineage_ref(&["developer_revision", "contract_signature"])),
            "contract_signature",
            "package, publication and lineage",
        )?;

        let document = |top: &str, inner: &str| {
            self.root
                .get(top)
                .and_then(Value::as_object)
                .or_else(|| package.get(inner).and_then(Value::as_object))
                .cloned()
                .ok_or_else(|| {
                    FormatError::wrong_type(top, format!("the bundle has no {top} object (looked at the top level and in package.{inner})"))
                })
        };
        let manifest = document("manifest", "manifest")?;
        let service_definition = document("service_definition", "service_definition")?;
        let recommended_lock = document("lock", "recommended_lock")?;

        let source_manifest = source("manifest").and_then(Value::as_object);
        let readme = text(source("readme"))
            .or_else(|| text(source_manifest.and_then(|m| m.get("readme"))))
            .unwrap_or_default();
        let links_value = source("source_links")
            .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
            .or_else(|| source_manifest.and_then(|m| m.get("source_links")));
        let source_links = links_from_value(links_value);
        let materials_value = source("implementation_materials")
            .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
            .or_else(|| source_manifest.and_then(|m| m.get("implementation_material")));
        let mut implementation_materials: Vec<ImplementationMaterial> = Vec::new();
        for material in materials_value
            .map(materials_from_value)
            .unwrap_or_default()
        {
            let duplicate = implementation_materials.iter().any(|m| {
                m.reference == material.reference
                    && m.bundle_tree_sha256 == material.bundle_tree_sha256
            });
            if !material.reference.is_empty() && !duplicate {
                implementation_materials.push(material);
            }
        }

        Ok(PublishRequest {
            package_id,
            package_version,
            project_ref,
            product_revision_ref,
            developer_revision_ref,
            contract_signature,
            publisher_id: from_source("publisher_id").unwrap_or_default(),
            publisher_type: from_source("publisher_type").unwrap_or_default(),
            lineage,
            schema_version: text(source("schema_version"))
                .unwrap_or_else(|| SERVICE_DEFINITION_SCHEMA.to_owned()),
            manifest,
            service_definition,
            recommended_lock,
            readme,
            source_links,
            implementation_materials,
        })
    }
}
