//! Byte offsets (what every span in ruleforge is) to LSP positions and back.
//!
//! An LSP position is a 0-based line and a column counted in the code units of the
//! negotiated encoding: UTF-16 unless the client offers UTF-8 (LSP 3.17
//! `general.positionEncodings`). Columns past the end of a line clamp to the line's end, and
//! an offset inside a character snaps to that character's start, so no input can panic here.

use lsp_types::{Position, Range};

/// The position encoding agreed with the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// Picks UTF-8 when the client lists it, else UTF-16 (the protocol's default, which
    /// every client must support).
    pub fn negotiate(offered: Option<&[lsp_types::PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&lsp_types::PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> lsp_types::PositionEncodingKind {
        match self {
            Encoding::Utf8 => lsp_types::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp_types::PositionEncodingKind::UTF16,
        }
    }
}

/// The start of every line of a text, to convert in both directions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    encoding: Encoding,
}

impl LineIndex {
    pub fn new(text: &str, encoding: Encoding) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex {
            line_starts,
            encoding,
        }
    }

    /// The position of byte `offset` of `text` (clamped to the text).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let prefix = &text[start..offset];
        let character = match self.encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }

    /// The byte offset of `pos` in `text`: a line past the end is the end of the text, a
    /// column past the end of its line is the end of the line (before its line break), a
    /// column inside a character is that character's start.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.line_starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .line_starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |&next| next - 1);
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let want = pos.character as usize;
        let mut units = 0;
        for (i, ch) in line.char_indices() {
            if units >= want {
                return start + i;
            }
            units += match self.encoding {
                Encoding::Utf8 => ch.len_utf8(),
                Encoding::Utf16 => ch.len_utf16(),
            };
            if units > want {
                // Inside this character: its start.
                return start + i;
            }
        }
        start + line.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `é` is 2 bytes and 1 UTF-16 unit; `𝄞` is 4 bytes and 2 UTF-16 units (a surrogate pair).
    const TEXT: &str = "title: é𝄞x\r\nid: 1\n";

    #[test]
    fn utf16_counts_code_units_after_non_ascii_text() {
        let idx = LineIndex::new(TEXT, Encoding::Utf16);
        let x = TEXT.find('x').unwrap();
        assert_eq!(x, 13);
        assert_eq!(idx.position(TEXT, x), Position::new(0, 10));
        assert_eq!(idx.offset(TEXT, Position::new(0, 10)), x);
        let id = TEXT.find("id").unwrap();
        assert_eq!(idx.position(TEXT, id), Position::new(1, 0));
        assert_eq!(idx.offset(TEXT, Position::new(1, 0)), id);
    }

    #[test]
    fn utf8_counts_bytes() {
        let idx = LineIndex::new(TEXT, Encoding::Utf8);
        let x = TEXT.find('x').unwrap();
        assert_eq!(idx.position(TEXT, x), Position::new(0, 13));
        assert_eq!(idx.offset(TEXT, Position::new(0, 13)), x);
    }

    #[test]
    fn out_of_range_and_mid_character_positions_clamp() {
        let idx = LineIndex::new(TEXT, Encoding::Utf16);
        // Past the end of line 0: before its `\r\n`.
        assert_eq!(
            idx.offset(TEXT, Position::new(0, 99)),
            TEXT.find('\r').unwrap()
        );
        assert_eq!(idx.offset(TEXT, Position::new(9, 0)), TEXT.len());
        // The second unit of the surrogate pair: the pair's start.
        let clef = TEXT.find('𝄞').unwrap();
        assert_eq!(idx.offset(TEXT, Position::new(0, 9)), clef);
        // A byte offset inside `é` snaps to its start.
        let e = TEXT.find('é').unwrap();
        assert_eq!(idx.position(TEXT, e + 1), idx.position(TEXT, e));
        assert_eq!(idx.position(TEXT, 10_000), Position::new(2, 0));
    }

    #[test]
    fn round_trip_every_char_boundary() {
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            let idx = LineIndex::new(TEXT, enc);
            for (i, _) in TEXT
                .char_indices()
                .filter(|(i, _)| TEXT.as_bytes()[*i] != b'\n')
            {
                if TEXT[i..].starts_with('\n') || TEXT[i..].starts_with("\r\n") {
                    continue;
                }
                assert_eq!(idx.offset(TEXT, idx.position(TEXT, i)), i, "{enc:?} at {i}");
            }
        }
    }
}
