//! Timestamps: RFC 3339, UTC, whole seconds (`2026-06-06T06:29:57Z`), as ANIP writes them.

use time::OffsetDateTime;
use time::macros::format_description;

/// Now, as RFC 3339 seconds in UTC.
pub fn now_rfc3339() -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn shape() {
        let now = super::now_rfc3339();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T');
    }
}
