//! The clock both servers read. Three modes: real time, real time shifted by an offset, or
//! frozen at an instant. A [`Clock`] is a handle: clones share the same state, so moving one
//! moves every reader (an issuer and an sts-mock started with the same handle agree on "now").
//!
//! The command-line form (`--clock`) and the run-time form (`PUT .../clock` with a JSON
//! [`ClockChange`]) are parsed here once, so both servers accept exactly the same inputs.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// How a [`Clock`] tells the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// The machine's time.
    Real,
    /// The machine's time plus a fixed offset.
    Offset,
    /// A fixed instant that only moves when told to.
    Frozen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Real,
    Offset(Duration),
    Frozen(OffsetDateTime),
}

/// The one clock. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Clock {
    mode: Arc<RwLock<Mode>>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::real()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock").field("mode", &self.read()).finish()
    }
}

/// What a clock reports about itself: the answer of `GET .../clock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    /// The clock's current time, RFC 3339 in UTC with whole seconds (`2026-11-23T05:00:00Z`).
    pub now: String,
    /// `real`, `offset` or `frozen`.
    pub mode: ClockMode,
    /// Seconds ahead of real time (negative: behind); for `offset` and `frozen` clocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_seconds: Option<i64>,
}

/// A change of clock, as the JSON body of `PUT .../clock`: exactly one of the fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockChange {
    /// Freeze the clock at this RFC 3339 instant.
    pub now: Option<String>,
    /// Move a frozen clock, or the offset of a running one, by this many seconds.
    pub advance_seconds: Option<i64>,
    /// Run at real time plus this many seconds.
    pub offset_seconds: Option<i64>,
    /// `true`: back to real time.
    pub real: Option<bool>,
}

/// Why a clock setting was refused; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClockError(String);

/// A year either way is far beyond any token or credential lifetime; a bound keeps the
/// arithmetic far from `OffsetDateTime`'s range, whatever a client sends.
const MAX_SHIFT_SECONDS: i64 = 100 * 365 * 24 * 3600;

fn real_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn shift(seconds: i64) -> Result<Duration, ClockError> {
    if seconds.unsigned_abs() > MAX_SHIFT_SECONDS as u64 {
        return Err(ClockError(format!(
            "{seconds} seconds is out of range: at most {MAX_SHIFT_SECONDS} either way (100 years)"
        )));
    }
    Ok(Duration::seconds(seconds))
}

fn parse_instant(text: &str) -> Result<OffsetDateTime, ClockError> {
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
        ClockError(format!(
            "`{text}` is not an RFC 3339 instant such as 2026-11-23T05:00:00Z: {e}"
        ))
    })?;
    let at = at.to_offset(UtcOffset::UTC);
    // Keep frozen instants within the range every reader (epoch seconds, RFC 3339) can show.
    if !(1970..=9999).contains(&at.year()) {
        return Err(ClockError(format!(
            "`{text}` is outside the years 1970 to 9999"
        )));
    }
    Ok(at)
}

impl Clock {
    /// Real time.
    pub fn real() -> Clock {
        Clock::with(Mode::Real)
    }

    /// Frozen at `at` until moved.
    pub fn frozen_at(at: OffsetDateTime) -> Clock {
        Clock::with(Mode::Frozen(at.to_offset(UtcOffset::UTC)))
    }

    /// Real time shifted by `seconds` (negative: in the past).
    pub fn offset_by(seconds: i64) -> Result<Clock, ClockError> {
        Ok(Clock::with(Mode::Offset(shift(seconds)?)))
    }

    fn with(mode: Mode) -> Clock {
        Clock {
            mode: Arc::new(RwLock::new(mode)),
        }
    }

    fn read(&self) -> Mode {
        *self.mode.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self, mode: Mode) {
        *self.mode.write().unwrap_or_else(|e| e.into_inner()) = mode;
    }

    /// The current time, in UTC.
    pub fn now(&self) -> OffsetDateTime {
        match self.read() {
            Mode::Real => real_now(),
            Mode::Offset(by) => real_now().saturating_add(by),
            Mode::Frozen(at) => at,
        }
    }

    /// The current time in whole seconds since the Unix epoch (JWT `iat`/`exp` form).
    pub fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// The current time as a [`SystemTime`], for APIs that take one.
    pub fn system_time(&self) -> SystemTime {
        self.now().into()
    }

    /// The clock's mode.
    pub fn mode(&self) -> ClockMode {
        match self.read() {
            Mode::Real => ClockMode::Real,
            Mode::Offset(_) => ClockMode::Offset,
            Mode::Frozen(_) => ClockMode::Frozen,
        }
    }

    /// Freezes the clock at `at`.
    pub fn freeze(&self, at: OffsetDateTime) {
        self.write(Mode::Frozen(at.to_offset(UtcOffset::UTC)));
    }

    /// Moves the clock by `seconds`: a frozen clock to a new instant, a running one by its
    /// offset (a real clock becomes an offset one).
    pub fn advance(&self, seconds: i64) -> Result<(), ClockError> {
        let by = shift(seconds)?;
        let mut mode = self.mode.write().unwrap_or_else(|e| e.into_inner());
        *mode = match *mode {
            Mode::Frozen(at) => Mode::Frozen(at.saturating_add(by)),
            Mode::Offset(old) => Mode::Offset(shift((old + by).whole_seconds())?),
            Mode::Real => Mode::Offset(by),
        };
        Ok(())
    }

    /// Runs at real time plus `seconds`.
    pub fn set_offset(&self, seconds: i64) -> Result<(), ClockError> {
        self.write(Mode::Offset(shift(seconds)?));
        Ok(())
    }

    /// Back to real time.
    pub fn set_real(&self) {
        self.write(Mode::Real);
    }

    /// What the clock reports about itself.
    pub fn state(&self) -> ClockState {
        let mode = self.read();
        let now = match mode {
            Mode::Real => real_now(),
            Mode::Offset(by) => real_now().saturating_add(by),
            Mode::Frozen(at) => at,
        };
        let offset_seconds = match mode {
            Mode::Real => None,
            Mode::Offset(by) => Some(by.whole_seconds()),
            Mode::Frozen(at) => Some((at - real_now()).whole_seconds()),
        };
        ClockState {
            now: rfc3339(now),
            mode: self.mode(),
            offset_seconds,
        }
    }

    /// Applies a run-time change (the body of `PUT .../clock`) and returns the new state.
    /// Exactly one field must be given; nothing changes when the change is refused.
    pub fn apply(&self, change: &ClockChange) -> Result<ClockState, ClockError> {
        let given = [
            change.now.is_some(),
            change.advance_seconds.is_some(),
            change.offset_seconds.is_some(),
            change.real.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            return Err(ClockError(format!(
                "give exactly one of \"now\", \"advance_seconds\", \"offset_seconds\" or \"real\", got {given}"
            )));
        }
        if let Some(now) = &change.now {
            self.freeze(parse_instant(now)?);
        } else if let Some(seconds) = change.advance_seconds {
            self.advance(seconds)?;
        } else if let Some(seconds) = change.offset_seconds {
            self.set_offset(seconds)?;
        } else if change.real == Some(true) {
            self.set_real();
        } else {
            return Err(ClockError(
                "\"real\" can only be true (to go back to real time)".to_string(),
            ));
        }
        Ok(self.state())
    }
}

/// `--clock` values: an RFC 3339 instant (frozen there), `+SECONDS` or `-SECONDS` (offset from
/// real time), or `real`.
impl FromStr for Clock {
    type Err = ClockError;

    fn from_str(text: &str) -> Result<Clock, ClockError> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("real") {
            return Ok(Clock::real());
        }
        if let Some(rest) = text.strip_prefix('+').or_else(|| text.strip_prefix('-')) {
            let seconds: i64 = rest.parse().map_err(|_| {
                ClockError(format!(
                    "`{text}` is not +SECONDS or -SECONDS (e.g. +3600), nor an RFC 3339 instant"
                ))
            })?;
            let seconds = if text.starts_with('-') {
                -seconds
            } else {
                seconds
            };
            return Clock::offset_by(seconds);
        }
        parse_instant(text).map(Clock::frozen_at)
    }
}

/// RFC 3339 in UTC with whole seconds, as every answer shows time.
pub fn rfc3339(at: OffsetDateTime) -> String {
    // By hand rather than through `format!`: it is written several times per request.
    let at = at.to_offset(UtcOffset::UTC);
    let mut out = String::with_capacity(20);
    let two = |out: &mut String, n: u8| {
        out.push((b'0' + n / 10) as char);
        out.push((b'0' + n % 10) as char);
    };
    let year = at.year().clamp(0, 9999) as u16;
    two(&mut out, (year / 100) as u8);
    two(&mut out, (year % 100) as u8);
    out.push('-');
    two(&mut out, u8::from(at.month()));
    out.push('-');
    two(&mut out, at.day());
    out.push('T');
    two(&mut out, at.hour());
    out.push(':');
    two(&mut out, at.minute());
    out.push(':');
    two(&mut out, at.second());
    out.push('Z');
    out
}

/// The clock's HTTP form, the same on both servers (`GET`/`PUT /_sts-mock/clock`,
/// `/_issuer/clock`): `GET` answers the state; `PUT` with a JSON [`ClockChange`] changes the
/// clock and answers the new state. Returns the status and the JSON body; a refused body is
/// `400` with `{"error": "invalid_request", "message": ...}` and changes nothing.
pub fn http_answer(clock: &Clock, method_is_put: bool, body: &[u8]) -> (u16, serde_json::Value) {
    let refuse = |message: String| {
        (
            400,
            serde_json::json!({ "error": "invalid_request", "message": message }),
        )
    };
    if !method_is_put {
        return (200, serde_json::json!(clock.state()));
    }
    let change: ClockChange = match serde_json::from_slice(body) {
        Ok(change) => change,
        Err(e) => {
            return refuse(format!(
                "the body must be a JSON object such as {{\"advance_seconds\": 60}}: {e}"
            ))
        }
    };
    match clock.apply(&change) {
        Ok(state) => (200, serde_json::json!(state)),
        Err(e) => refuse(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clocks_move_only_when_told_and_clones_share_state() {
        let clock: Clock = "2026-11-23T05:00:00Z".parse().unwrap();
        let other = clock.clone();
        assert_eq!(clock.unix(), 1_795_410_000);
        other.advance(90).unwrap();
        assert_eq!(clock.unix(), 1_795_410_090);
        assert_eq!(clock.state().now, "2026-11-23T05:01:30Z");
        assert_eq!(clock.mode(), ClockMode::Frozen);
        other.set_real();
        assert_eq!(clock.mode(), ClockMode::Real);
        assert!((clock.unix() - real_now().unix_timestamp()).abs() <= 1);
    }

    #[test]
    fn offsets_follow_real_time() {
        let clock: Clock = "+3600".parse().unwrap();
        assert_eq!(clock.mode(), ClockMode::Offset);
        assert!((clock.unix() - real_now().unix_timestamp() - 3600).abs() <= 1);
        clock.advance(-7200).unwrap();
        assert_eq!(clock.state().offset_seconds, Some(-3600));
        let behind: Clock = "-60".parse().unwrap();
        assert_eq!(behind.state().offset_seconds, Some(-60));
        let real = Clock::real();
        real.advance(10).unwrap();
        assert_eq!(real.mode(), ClockMode::Offset);
    }

    #[test]
    fn run_time_changes_take_exactly_one_field() {
        let clock = Clock::real();
        let state = clock
            .apply(&ClockChange {
                now: Some("2030-01-01T00:00:00+01:00".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(state.now, "2029-12-31T23:00:00Z");
        assert_eq!(state.mode, ClockMode::Frozen);
        let state = clock
            .apply(&serde_json::from_str(r#"{"advance_seconds": 3600}"#).unwrap())
            .unwrap();
        assert_eq!(state.now, "2030-01-01T00:00:00Z");
        for bad in [
            r#"{}"#,
            r#"{"now": "2030-01-01T00:00:00Z", "real": true}"#,
            r#"{"real": false}"#,
            r#"{"now": "yesterday"}"#,
            r#"{"advance_seconds": 99999999999}"#,
        ] {
            let change: ClockChange = serde_json::from_str(bad).unwrap();
            assert!(clock.apply(&change).is_err(), "{bad}");
            assert_eq!(
                clock.state().now,
                "2030-01-01T00:00:00Z",
                "{bad} changed it"
            );
        }
        assert!(serde_json::from_str::<ClockChange>(r#"{"nwo": "x"}"#).is_err());
        clock
            .apply(&serde_json::from_str(r#"{"real": true}"#).unwrap())
            .unwrap();
        assert_eq!(clock.mode(), ClockMode::Real);
    }

    #[test]
    fn rfc3339_is_whole_seconds_in_utc() {
        let at = OffsetDateTime::from_unix_timestamp(1_795_410_007).unwrap();
        assert_eq!(rfc3339(at), "2026-11-23T05:00:07Z");
        assert_eq!(rfc3339(OffsetDateTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let plus_two = at.to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(rfc3339(plus_two), "2026-11-23T05:00:07Z");
    }

    #[test]
    fn command_line_forms_and_their_errors() {
        assert_eq!("real".parse::<Clock>().unwrap().mode(), ClockMode::Real);
        for bad in [
            "",
            "+",
            "+1h",
            "tomorrow",
            "2026-13-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
        ] {
            let e = bad.parse::<Clock>().unwrap_err();
            assert!(!e.to_string().is_empty(), "{bad}");
        }
    }
}
