//! The global date and time conditions of "Global conditions in IAM policies"
//! (docs.dynatrace.com/…/iam-global-conditions): `global:week-day` (`=`, `IN`), `global:date`
//! (`<`, `>`, `=`), `global:date-time` (`<`, `>`) and `global:time-of-day` (`<`, `>`). They
//! are tested against the request's time, not against a request attribute.
//!
//! "For global:date, global:date-time, and global:time-of-day, the value needs to be
//! specified with a time zone according to ISO/WD 8601-1 … the character Z is used to
//! designate that the date is in UTC." The week day is taken "(GMT time zone)".

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time, UtcOffset};

use crate::policy::Operator;

/// A global condition tested against the request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TimeKey {
    WeekDay,
    Date,
    DateTime,
    TimeOfDay,
}

impl TimeKey {
    pub(crate) fn from_attribute(key: &str) -> Option<TimeKey> {
        match key {
            "global:week-day" => Some(TimeKey::WeekDay),
            "global:date" => Some(TimeKey::Date),
            "global:date-time" => Some(TimeKey::DateTime),
            "global:time-of-day" => Some(TimeKey::TimeOfDay),
            _ => None,
        }
    }

    /// The operators the documentation lists for the key.
    pub(crate) fn operators(self) -> &'static [Operator] {
        match self {
            TimeKey::WeekDay => &[Operator::Equals, Operator::In],
            TimeKey::Date => &[Operator::LessThan, Operator::GreaterThan, Operator::Equals],
            TimeKey::DateTime | TimeKey::TimeOfDay => &[Operator::LessThan, Operator::GreaterThan],
        }
    }
}

const WEEK_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Parses `Z`, `+hh:mm` or `-hh:mm`.
fn parse_zone(text: &str) -> Option<UtcOffset> {
    if text == "Z" {
        return Some(UtcOffset::UTC);
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = text[1..].split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

/// `2022-05-03Z`, `2022-05-03+01:00`.
fn parse_date(text: &str) -> Option<(Date, UtcOffset)> {
    let (date, zone) = (text.get(..10)?, text.get(10..)?);
    let date = Date::parse(date, format_description!("[year]-[month]-[day]")).ok()?;
    Some((date, parse_zone(zone)?))
}

/// `09:00+01:00`, `17:00:30Z`.
fn parse_time_of_day(text: &str) -> Option<(Time, UtcOffset)> {
    let split = text.find(['Z', '+', '-'])?;
    let (clock, zone) = text.split_at(split);
    let time = match clock.len() {
        5 => Time::parse(clock, format_description!("[hour]:[minute]")).ok()?,
        8 => Time::parse(clock, format_description!("[hour]:[minute]:[second]")).ok()?,
        _ => return None,
    };
    Some((time, parse_zone(zone)?))
}

/// Whether `text` is a valid value for `key`; else what was expected.
pub(crate) fn check_value(key: TimeKey, text: &str) -> Result<(), &'static str> {
    let ok = match key {
        // Guess: day names compare without regard to case.
        TimeKey::WeekDay => WEEK_DAYS.iter().any(|d| d.eq_ignore_ascii_case(text)),
        TimeKey::Date => parse_date(text).is_some(),
        TimeKey::DateTime => OffsetDateTime::parse(text, &Rfc3339).is_ok(),
        TimeKey::TimeOfDay => parse_time_of_day(text).is_some(),
    };
    if ok {
        Ok(())
    } else {
        Err(expected(key))
    }
}

/// What a value of `key` looks like, for messages.
pub(crate) fn expected(key: TimeKey) -> &'static str {
    match key {
        TimeKey::WeekDay => "a day of the week such as \"Monday\"",
        TimeKey::Date => "a date with a time zone such as \"2022-05-03Z\"",
        TimeKey::DateTime => "a date-time with a time zone such as \"2022-05-03T05:00:00+01:00\"",
        TimeKey::TimeOfDay => "a time of day with a time zone such as \"09:00+01:00\"",
    }
}

/// Whether `now op value` holds for `key`; `Err` if the value is not of the key's form.
/// A date and a time of day are compared in the value's own time zone: `global:date >
/// "2022-05-03Z"` holds when it is already the 4th of May in UTC.
pub(crate) fn holds(
    key: TimeKey,
    operator: Operator,
    value: &str,
    now: OffsetDateTime,
) -> Result<bool, ()> {
    use std::cmp::Ordering;
    let ordering = match key {
        TimeKey::WeekDay => {
            let today = WEEK_DAYS[now
                .to_offset(UtcOffset::UTC)
                .weekday()
                .number_days_from_monday() as usize];
            if !WEEK_DAYS.iter().any(|d| d.eq_ignore_ascii_case(value)) {
                return Err(());
            }
            return Ok(today.eq_ignore_ascii_case(value));
        }
        TimeKey::Date => {
            let (date, zone) = parse_date(value).ok_or(())?;
            now.to_offset(zone).date().cmp(&date)
        }
        TimeKey::DateTime => {
            let at = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| ())?;
            now.cmp(&at)
        }
        TimeKey::TimeOfDay => {
            let (time, zone) = parse_time_of_day(value).ok_or(())?;
            now.to_offset(zone).time().cmp(&time)
        }
    };
    Ok(match operator {
        Operator::LessThan => ordering == Ordering::Less,
        Operator::GreaterThan => ordering == Ordering::Greater,
        _ => ordering == Ordering::Equal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn documented_examples() {
        // "In this example the policy grants access on the 4th of May 2022 in UTC time zone."
        let may4 = datetime!(2022-05-04 12:00 UTC);
        let may5 = datetime!(2022-05-05 00:30 UTC);
        for (now, expected) in [(may4, true), (may5, false)] {
            let after = holds(TimeKey::Date, Operator::GreaterThan, "2022-05-03Z", now).unwrap();
            let before = holds(TimeKey::Date, Operator::LessThan, "2022-05-05Z", now).unwrap();
            assert_eq!(after && before, expected, "{now}");
        }
        // 09:00+01:00 is 08:00 UTC.
        let t =
            |h, m| datetime!(2022-05-04 00:00 UTC).replace_time(Time::from_hms(h, m, 0).unwrap());
        assert!(!holds(
            TimeKey::TimeOfDay,
            Operator::GreaterThan,
            "09:00+01:00",
            t(7, 59)
        )
        .unwrap());
        assert!(holds(
            TimeKey::TimeOfDay,
            Operator::GreaterThan,
            "09:00+01:00",
            t(8, 1)
        )
        .unwrap());
        assert!(holds(
            TimeKey::DateTime,
            Operator::GreaterThan,
            "2022-05-03T05:00:00+01:00",
            datetime!(2022-05-03 04:00:01 UTC)
        )
        .unwrap());
        // 2022-05-04 was a Wednesday.
        assert!(holds(TimeKey::WeekDay, Operator::Equals, "Wednesday", may4).unwrap());
        assert!(holds(TimeKey::WeekDay, Operator::Equals, "Monday", may4) == Ok(false));
    }

    #[test]
    fn values_need_zones() {
        assert!(check_value(TimeKey::Date, "2022-05-03").is_err());
        assert!(check_value(TimeKey::Date, "2022-05-03+01:00").is_ok());
        assert!(check_value(TimeKey::TimeOfDay, "17:00").is_err());
        assert!(check_value(TimeKey::TimeOfDay, "17:00:30Z").is_ok());
        assert!(check_value(TimeKey::DateTime, "2022-05-03T05:00:00").is_err());
        assert!(check_value(TimeKey::WeekDay, "Someday").is_err());
    }
}
