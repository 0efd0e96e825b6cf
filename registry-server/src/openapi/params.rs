//! Parameter sets several operations share (utoipa `IntoParams`), so each is described once. These types exist for
//! the OpenAPI description only: the handlers read the same values through their own extractors.
#![allow(dead_code)]

use utoipa::IntoParams;

/// `{id}/{version}` of a package version.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PackageVersion {
    /// The id (one segment: a namespaced id's `/` as `%2F`)
    #[param(example = "work-item-fronting-demo")]
    id: String,
    /// SemVer version
    #[param(example = "0.1.0")]
    version: String,
}

/// `{id}/{version}` of a template version.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TemplateVersion {
    /// The id (one segment: a namespaced id's `/` as `%2F`)
    #[param(example = "linear-fronting-starter")]
    id: String,
    /// SemVer version
    #[param(example = "0.1.0")]
    version: String,
}

/// The query of an admin listing.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminList {
    /// Case-insensitive substring of the id
    search: Option<String>,
    /// Exact status
    status: Option<String>,
    /// Page size, 1-100 (default 25)
    limit: Option<u32>,
    /// Rows skipped
    offset: Option<u32>,
}
