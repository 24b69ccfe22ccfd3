//! AWS's timestamp form in answers and condition keys: `2026-11-23T05:00:00Z`.

use time::OffsetDateTime;

/// `2026-11-23T05:00:00Z`: ISO 8601 in UTC with whole seconds, as AWS writes `Expiration`,
/// `CreateDate` and `aws:CurrentTime`.
pub fn iso8601(at: OffsetDateTime) -> String {
    rig_core::rfc3339(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_whole_seconds_utc() {
        let at = OffsetDateTime::from_unix_timestamp(1795410000).unwrap();
        assert_eq!(iso8601(at), "2026-11-23T05:00:00Z");
    }
}
