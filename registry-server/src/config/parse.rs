//! Parsed values of the configuration: secrets, booleans, listen addresses and database URLs.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use super::{Mode, StoreLocation};
use crate::error::Error as StartupError;

/// A secret string: never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Booleans as ANIP spells them: `1|true|yes|on` and `0|false|no|off`, any case. Anything else is an error.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!(
            "{other:?} is not a boolean (use true/false, 1/0, yes/no, on/off)"
        )),
    }
}

/// The port a registry listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8200;

/// The listen address without `ANIP_REGISTRY_ADDR`: loopback in dev mode, every interface in production mode.
pub fn default_addr(mode: Mode) -> SocketAddr {
    match mode {
        Mode::Dev => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT),
        Mode::Production => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), DEFAULT_PORT),
    }
}

/// `http://host:port` that reaches a server listening on `addr` from this machine: an unspecified address
/// (`0.0.0.0`, `[::]`, which no client can connect to) becomes the loopback address of its family.
pub fn local_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

pub(super) fn parse_addr(text: &str) -> Result<SocketAddr, StartupError> {
    let text = text.trim();
    let parsed = match text.strip_prefix(':') {
        Some(port) => port
            .parse::<u16>()
            .ok()
            .map(|p| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), p)),
        None => text.parse::<SocketAddr>().ok().or_else(|| {
            let (host, port) = text.rsplit_once(':')?;
            let port = port.parse::<u16>().ok()?;
            (host == "localhost").then(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
        }),
    };
    parsed.ok_or_else(|| {
        StartupError::Config(format!(
            "ANIP_REGISTRY_ADDR {text:?} is not host:port or :port"
        ))
    })
}

pub(super) fn parse_database_url(url: &str) -> Result<StoreLocation, StartupError> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(StoreLocation::Postgres(Secret(url.to_owned())));
    }
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or("");
        if path.is_empty() {
            return Err(StartupError::Config(
                "a sqlite:// database URL needs a file path".into(),
            ));
        }
        return Ok(StoreLocation::Sqlite(PathBuf::from(path)));
    }
    Err(StartupError::Config(
        "ANIP_REGISTRY_DATABASE_URL must start with postgres://, postgresql:// or sqlite://".into(),
    ))
}

/// A fresh random publish token (`anip_dev_` + 64 hex digits).
pub(super) fn random_token() -> Result<String, StartupError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StartupError::Config(format!("no randomness for a token: {e}")))?;
    Ok(format!("anip_dev_{}", hex::encode(bytes)))
}
