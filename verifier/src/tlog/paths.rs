//! C2SP `tlog-tiles` resource paths (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`, height 8), formatted and
//! parsed on top of `tlog_tiles`' Go-sumdb paths (`tile/8/<L>/<N>`, `tile/8/data/<N>`).

use std::fmt;

use tlog_tiles::Tile;

use crate::error::LogError;

/// The tile height of every C2SP log: 8 (256 hashes a full tile).
pub const TILE_HEIGHT: u8 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u32 = 1 << TILE_HEIGHT;
/// The highest tile level a path may name.
pub const MAX_LEVEL: u8 = 63;

/// One C2SP resource: a hash tile at `level` or an entry bundle, with its index within the level and its width
/// (1..=256; 256 is a full tile, written without `.p/<W>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TilePath {
    level: Option<u8>,
    index: u64,
    width: u32,
}

impl TilePath {
    /// `None` for an entry bundle, `Some(level)` (0..=63) for a hash tile.
    pub fn level(&self) -> Option<u8> {
        self.level
    }

    /// Index of the tile within its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Width: 1..=256 hashes or entries.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// A hash tile. Errors: [`LogError::InvalidTilePath`] for a level above 63 or a width outside 1..=256.
    pub fn tile(level: u8, index: u64, width: u32) -> Result<Self, LogError> {
        Self::checked(Some(level), index, width)
    }

    /// An entry bundle. Errors: [`LogError::InvalidTilePath`] for a width outside 1..=256.
    pub fn entries(index: u64, width: u32) -> Result<Self, LogError> {
        Self::checked(None, index, width)
    }

    fn checked(level: Option<u8>, index: u64, width: u32) -> Result<Self, LogError> {
        if level.is_some_and(|l| l > MAX_LEVEL) || !(1..=TILE_WIDTH).contains(&width) {
            return Err(LogError::InvalidTilePath(format!(
                "level {level:?}, index {index}, width {width}"
            )));
        }
        Ok(TilePath {
            level,
            index,
            width,
        })
    }

    /// Whether the tile is full (256 wide).
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// Parses a C2SP path starting at `tile/` (no prefix, no leading slash): `tile/0/x001/234`,
    /// `tile/entries/005.p/7`. Leading zeroes in the level or width, a missing `x`, a width of 0 or 256 after
    /// `.p/` and anything after the path are refused.
    ///
    /// Errors: [`LogError::InvalidTilePath`].
    pub fn parse(path: &str) -> Result<Self, LogError> {
        let bad = || LogError::InvalidTilePath(path.to_owned());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level_str, rest) = rest.split_once('/').ok_or_else(bad)?;
        let level = if level_str == "entries" {
            None
        } else {
            if level_str.is_empty()
                || level_str.len() > 2
                || !level_str.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(bad());
            }
            let level: u8 = level_str.parse().map_err(|_| bad())?;
            if level > MAX_LEVEL {
                return Err(bad());
            }
            Some(level)
        };
        // The partial suffix: `.p/<W>` with W in 1..=255, no leading zero.
        if let Some((_, w)) = rest.rsplit_once(".p/")
            && (w.is_empty()
                || w.starts_with('0')
                || w.len() > 3
                || !w.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let go_level = match level {
            None => "data".to_owned(),
            Some(l) => l.to_string(),
        };
        let go = format!("tile/{TILE_HEIGHT}/{go_level}/{rest}");
        let tile = Tile::from_path(&go).map_err(|_| bad())?;
        let parsed = TilePath {
            level,
            index: tile.level_index(),
            width: tile.width(),
        };
        if parsed.to_string() != path {
            return Err(bad());
        }
        Ok(parsed)
    }

    /// The `tlog_tiles` tile (height 8; entry bundles are its data tiles).
    pub fn to_tile(&self) -> Tile {
        let mut tile = Tile::new(
            TILE_HEIGHT,
            self.level.unwrap_or(0),
            self.index,
            self.width,
            false,
        );
        if self.level.is_none() {
            tile.set_is_data();
        }
        tile
    }

    /// The first entry index the tile covers: `index * 256^(level+1)` (level 0 for bundles). Saturates.
    pub fn start_entry(&self) -> u64 {
        let shift = u32::from(TILE_HEIGHT) * (u32::from(self.level.unwrap_or(0)) + 1);
        self.index.checked_shl(shift).unwrap_or(u64::MAX)
    }
}

impl fmt::Display for TilePath {
    /// The C2SP path, without prefix: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let go = self.to_tile().path();
        // Go form: tile/8/<L or data>/<N>[.p/<W>]
        let rest = go.splitn(4, '/').nth(3).unwrap_or_default();
        match self.level {
            None => write!(f, "tile/entries/{rest}"),
            Some(l) => write!(f, "tile/{l}/{rest}"),
        }
    }
}

/// The hash tiles a tree of `size` entries publishes (every level; full tiles and the rightmost partial ones).
pub fn tiles_for_size(size: u64) -> Vec<TilePath> {
    Tile::new_tiles(TILE_HEIGHT, 0, size)
        .into_iter()
        .map(|t| TilePath {
            level: Some(t.level()),
            index: t.level_index(),
            width: t.width(),
        })
        .collect()
}

/// The entry bundles that hold entries `0..size`, in order (full bundles then at most one partial one).
pub fn bundles_for_size(size: u64) -> Vec<TilePath> {
    let full = size / u64::from(TILE_WIDTH);
    let rest = size % u64::from(TILE_WIDTH);
    let mut out: Vec<TilePath> = (0..full)
        .map(|index| TilePath {
            level: None,
            index,
            width: TILE_WIDTH,
        })
        .collect();
    if rest > 0 {
        out.push(TilePath {
            level: None,
            index: full,
            width: rest as u32,
        });
    }
    out
}
