//! Times in manifests: RFC 3339 UTC with whole seconds, and the `YYYYMMDDHHMMSS` version.

use time::OffsetDateTime;

/// RFC 3339 in UTC with a `Z` and whole seconds.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A time that is neither RFC 3339 nor a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an RFC 3339 time (2027-01-31T12:00:00Z) or a date (2027-01-31)")]
pub struct TimeError {
    pub input: String,
}

/// Parses RFC 3339 (`2027-01-31T12:00:00Z`, any offset) or a date (`2027-01-31`, midnight UTC).
pub fn parse_time(s: &str) -> Result<OffsetDateTime, TimeError> {
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    if let Some(d) = parse_date(s) {
        return Ok(d.midnight().assume_utc());
    }
    Err(TimeError {
        input: s.to_string(),
    })
}

/// A `YYYY-MM-DD` date (four-digit year, two-digit month and day, a real calendar day).
pub fn parse_date(s: &str) -> Option<time::Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    time::Date::from_calendar_date(year, month, day).ok()
}

/// The bundle version of a commit time: `YYYYMMDDHHMMSS` in UTC.
pub fn version_of(t: OffsetDateTime) -> u64 {
    let t = t.to_offset(time::UtcOffset::UTC);
    let date = (t.year().max(0) as u64) * 10_000
        + u64::from(u8::from(t.month())) * 100
        + u64::from(t.day());
    let tod = u64::from(t.hour()) * 10_000 + u64::from(t.minute()) * 100 + u64::from(t.second());
    date * 1_000_000 + tod
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        let t = parse_time("2024-06-01T10:00:00+02:00").unwrap();
        assert_eq!(format_time(t), "2024-06-01T08:00:00Z");
        assert_eq!(version_of(t), 20240601080000);
        assert_eq!(
            format_time(parse_time("2024-02-29").unwrap()),
            "2024-02-29T00:00:00Z"
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-1-01",
            "2024-01-0x",
            "",
            "soon",
        ] {
            assert_eq!(
                parse_time(bad).unwrap_err().to_string(),
                format!(
                    "`{bad}` is not an RFC 3339 time (2027-01-31T12:00:00Z) or a date (2027-01-31)"
                )
            );
        }
    }
}
