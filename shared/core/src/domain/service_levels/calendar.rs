//! Business hours: open hours per weekday in a named time zone, less holidays, and the two
//! questions service levels ask of them: how much open time lies between two instants, and
//! when a given amount of open time, counted from an instant, runs out.
//!
//! "Open" means what a wall clock in the calendar's zone shows: an instant is open when its
//! local date is a working day that is no holiday and its local time of day lies in that
//! weekday's hours. The arithmetic walks the open windows a local day (or a stretch of
//! constant UTC offset, around a daylight-saving change) at a time, in whole seconds; the
//! tests hold it to a reference that walks minute by minute.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use std::collections::BTreeSet;

/// Seconds in a day of 24 hours.
const DAY: i64 = 86_400;
/// How far ahead a stretch of one UTC offset is assumed to reach (no zone changes its
/// offset twice within two days).
const STRETCH: i64 = 2 * DAY;
/// The walk gives up after this many steps (a stretch or a local day each): about ten years,
/// far beyond any target, so a calendar that is never open cannot loop for ever.
const MAX_STEPS: usize = 8_000;

/// A weekday's open hours, in seconds after local midnight: `open < close ≤ 86,400`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub open: u32,
    pub close: u32,
}

#[derive(Debug, Clone)]
pub struct Calendar {
    zone_name: String,
    zone: jiff::tz::TimeZone,
    /// Monday first.
    week: [Option<Hours>; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// A calendar of this zone (an IANA name such as `America/Chicago`), weekly hours (Monday
    /// first) and holidays (local dates).
    pub fn new(zone_name: &str, week: [Option<Hours>; 7], holidays: BTreeSet<NaiveDate>) -> Result<Calendar, String> {
        let zone = jiff::tz::TimeZone::get(zone_name).map_err(|_| format!("unknown time zone {zone_name:?}"))?;
        if week.iter().all(Option::is_none) {
            return Err("the calendar is never open: name at least one weekday's hours".into());
        }
        if let Some(bad) = week
            .iter()
            .flatten()
            .find(|h| h.open >= h.close || h.close as i64 > DAY)
        {
            return Err(format!(
                "open hours must open before they close, within the day ({} to {})",
                clock(bad.open),
                clock(bad.close)
            ));
        }
        Ok(Calendar {
            zone_name: zone_name.to_string(),
            zone,
            week,
            holidays,
        })
    }

    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The longest weekday's open hours, in seconds: what a "business day" of a target means.
    pub fn business_day(&self) -> i64 {
        self.week
            .iter()
            .flatten()
            .map(|h| (h.close - h.open) as i64)
            .max()
            .unwrap_or(0)
    }

    /// The zone's UTC offset at an instant, in seconds.
    pub fn offset_at(&self, at: i64) -> i64 {
        match jiff::Timestamp::from_second(at) {
            Ok(ts) => self.zone.to_offset(ts).seconds() as i64,
            Err(_) => 0,
        }
    }

    /// The open hours of a local date: none on a weekday without hours or a holiday.
    fn hours_on(&self, date: NaiveDate) -> Option<Hours> {
        if self.holidays.contains(&date) {
            return None;
        }
        self.week[date.weekday().num_days_from_monday() as usize]
    }

    /// Whether the instant is open (the reference the tests compare the walk with).
    pub fn is_open_at(&self, at: i64) -> bool {
        let Some(local) = DateTime::from_timestamp(at + self.offset_at(at), 0) else {
            return false;
        };
        let local = local.naive_utc();
        let second = local.num_seconds_from_midnight();
        self.hours_on(local.date())
            .is_some_and(|h| h.open <= second && second < h.close)
    }

    /// The first instant after `at` (at most a stretch later) whose offset differs from
    /// `offset`, or the end of the stretch.
    fn stretch_end(&self, at: i64, offset: i64) -> i64 {
        let far = at + STRETCH;
        if self.offset_at(far) == offset {
            return far;
        }
        // The offset changes once in (at, far]: find the first second of the new one.
        let (mut same, mut changed) = (at, far);
        while changed - same > 1 {
            let middle = same + (changed - same) / 2;
            if self.offset_at(middle) == offset {
                same = middle;
            } else {
                changed = middle;
            }
        }
        changed
    }

    /// Calls `window(start, end)` for each open window from `from` on, in order, until it
    /// answers `false` (or the walk gives up).
    fn walk(&self, from: i64, mut window: impl FnMut(i64, i64) -> bool) {
        let mut at = from;
        for _ in 0..MAX_STEPS {
            let offset = self.offset_at(at);
            let stretch_end = self.stretch_end(at, offset);
            // The local day holding `at`, in seconds of local time since the epoch.
            let midnight = (at + offset).div_euclid(DAY) * DAY;
            let end = (midnight + DAY - offset).min(stretch_end);
            let date = DateTime::from_timestamp(midnight, 0).map(|d| d.date_naive());
            if let Some(hours) = date.and_then(|d| self.hours_on(d)) {
                let start = (midnight + hours.open as i64 - offset).max(at);
                let close = (midnight + hours.close as i64 - offset).min(end);
                if start < close && !window(start, close) {
                    return;
                }
            }
            at = end;
        }
    }

    /// Open seconds in `[from, to)`.
    pub fn open_seconds(&self, from: i64, to: i64) -> i64 {
        let mut total = 0;
        if from >= to {
            return 0;
        }
        self.walk(from, |start, end| {
            if start >= to {
                return false;
            }
            total += end.min(to) - start;
            end < to
        });
        total
    }

    /// The instant at which `amount` seconds of open time, counted from `from`, have passed
    /// (the end of that time: a target of one open hour from Friday 17:30, closing at 18:00,
    /// runs out at 7:30 on Monday). `None` only if the calendar opens for less than that in
    /// the next ten years.
    pub fn add_open(&self, from: i64, amount: i64) -> Option<i64> {
        if amount <= 0 {
            return Some(from);
        }
        let mut left = amount;
        let mut found = None;
        self.walk(from, |start, end| {
            if end - start >= left {
                found = Some(start + left);
                return false;
            }
            left -= end - start;
            true
        });
        found
    }
}

/// `HH:MM` of seconds after midnight.
pub fn clock(seconds: u32) -> String {
    format!("{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// Seconds after midnight of `HH:MM` (`24:00` is the end of the day).
pub fn parse_clock(text: &str) -> Option<u32> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    match (hours, minutes) {
        (24, 0) => Some(24 * 3600),
        (0..=23, 0..=59) => Some(hours * 3600 + minutes * 60),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    /// The seed's calendar: 7:00–18:00 Central, Monday to Friday, and a holiday on a Friday
    /// (Independence Day observed, 3 July 2026) before a weekend.
    pub fn seed_calendar() -> Calendar {
        let day = Some(Hours {
            open: 7 * 3600,
            close: 18 * 3600,
        });
        let holidays = [NaiveDate::from_ymd_opt(2026, 7, 3).unwrap()].into_iter().collect();
        Calendar::new("America/Chicago", [day, day, day, day, day, None, None], holidays).unwrap()
    }

    /// Central time, as a Unix second.
    pub fn central(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        let zone = jiff::tz::TimeZone::get("America/Chicago").unwrap();
        let local = jiff::civil::date(y as i16, m as i8, d as i8).at(h as i8, min as i8, 0, 0);
        zone.to_ambiguous_zoned(local)
            .compatible()
            .unwrap()
            .timestamp()
            .as_second()
    }

    /// The reference: minute by minute.
    fn brute_open_minutes(calendar: &Calendar, from: i64, to: i64) -> i64 {
        (0..)
            .map(|n| from + 60 * n)
            .take_while(|m| *m < to)
            .filter(|m| calendar.is_open_at(*m))
            .count() as i64
    }

    fn brute_add(calendar: &Calendar, from: i64, minutes: i64) -> i64 {
        let mut count = 0;
        let mut at = from;
        loop {
            if calendar.is_open_at(at) {
                count += 1;
                if count == minutes {
                    return at + 60;
                }
            }
            at += 60;
        }
    }

    #[test]
    fn a_friday_evening_hour_runs_out_on_monday_morning() {
        let calendar = seed_calendar();
        let friday = central(2026, 12, 4, 17, 30);
        assert_eq!(calendar.add_open(friday, 4 * 3600), Some(central(2026, 12, 7, 10, 30)));
        assert_eq!(calendar.open_seconds(friday, central(2026, 12, 7, 10, 30)), 4 * 3600);
        // Exactly at closing time the amount runs out at the close, not the next opening.
        assert_eq!(calendar.add_open(friday, 1800), Some(central(2026, 12, 4, 18, 0)));
    }

    #[test]
    fn a_holiday_friday_before_a_weekend_is_skipped() {
        let calendar = seed_calendar();
        let thursday = central(2026, 7, 2, 17, 0);
        // One hour on Thursday, none on the holiday Friday or the weekend, one on Monday.
        assert_eq!(calendar.add_open(thursday, 2 * 3600), Some(central(2026, 7, 6, 8, 0)));
        assert_eq!(
            calendar.open_seconds(central(2026, 7, 3, 0, 0), central(2026, 7, 6, 0, 0)),
            0
        );
    }

    #[test]
    fn daylight_saving_changes_keep_the_local_hours() {
        let calendar = seed_calendar();
        // 2026: 8 March (spring) and 1 November (autumn); 2027: 14 March and 7 November.
        for (friday, monday) in [
            ((2026, 3, 6), (2026, 3, 9)),
            ((2026, 10, 30), (2026, 11, 2)),
            ((2027, 3, 12), (2027, 3, 15)),
            ((2027, 11, 5), (2027, 11, 8)),
        ] {
            let from = central(friday.0, friday.1, friday.2, 17, 0);
            let due = calendar.add_open(from, 2 * 3600).unwrap();
            assert_eq!(due, central(monday.0, monday.1, monday.2, 8, 0), "{friday:?}");
        }
    }

    #[test]
    fn a_round_the_clock_calendar_counts_the_short_and_long_days() {
        let all_day = Some(Hours {
            open: 0,
            close: 24 * 3600,
        });
        let calendar = Calendar::new("America/Chicago", [all_day; 7], BTreeSet::new()).unwrap();
        let spring = (central(2026, 3, 8, 0, 0), central(2026, 3, 9, 0, 0));
        let autumn = (central(2026, 11, 1, 0, 0), central(2026, 11, 2, 0, 0));
        assert_eq!(calendar.open_seconds(spring.0, spring.1), 23 * 3600);
        assert_eq!(calendar.open_seconds(autumn.0, autumn.1), 25 * 3600);
    }

    #[test]
    fn calendars_that_cannot_work_are_refused() {
        assert!(Calendar::new("Mars/Olympus", [None; 7], BTreeSet::new()).is_err());
        assert!(Calendar::new("America/Chicago", [None; 7], BTreeSet::new()).is_err());
        let backwards = Some(Hours {
            open: 18 * 3600,
            close: 7 * 3600,
        });
        assert!(Calendar::new("America/Chicago", [backwards; 7], BTreeSet::new()).is_err());
        assert_eq!(parse_clock("07:30"), Some(27_000));
        assert_eq!(parse_clock("24:00"), Some(86_400));
        assert_eq!(parse_clock("24:01"), None);
        assert_eq!(parse_clock("7:30"), None);
    }

    /// Random weekly hours (some days closed; hours that straddle 1:00–3:00, where the
    /// clocks change, included), random holidays around the 2026 and 2027 changes.
    pub fn calendars() -> impl Strategy<Value = Calendar> {
        let hours = prop_oneof![
            1 => Just(None),
            3 => (0u32..14 * 4, 1u32..10 * 4).prop_map(|(open, length)| {
                let open = open * 900;
                Some(Hours { open, close: (open + length * 900).min(24 * 3600) })
            }),
        ];
        let holidays = proptest::collection::btree_set(
            (0i64..120).prop_map(|n| {
                // Days around the changes: late February to late March, late October to
                // late November, both years.
                let base = [(2026, 2, 25), (2026, 10, 20), (2027, 2, 25), (2027, 10, 20)][(n % 4) as usize];
                NaiveDate::from_ymd_opt(base.0, base.1, base.2).unwrap() + chrono::Duration::days(n / 4)
            }),
            0..12,
        );
        (proptest::array::uniform7(hours), holidays).prop_filter_map("open some day", |(mut week, holidays)| {
            if week.iter().all(Option::is_none) {
                week[0] = Some(Hours {
                    open: 7 * 3600,
                    close: 18 * 3600,
                });
            }
            Calendar::new("America/Chicago", week, holidays).ok()
        })
    }

    /// Minute-aligned instants within a few weeks of the four changes.
    pub fn instants() -> impl Strategy<Value = i64> {
        (0usize..4, 0i64..35 * 24 * 60).prop_map(|(which, minute)| {
            let start = [(2026, 2, 20), (2026, 10, 15), (2027, 2, 20), (2027, 10, 15)][which];
            Utc.with_ymd_and_hms(start.0, start.1, start.2, 0, 0, 0)
                .unwrap()
                .timestamp()
                + minute * 60
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn open_time_between_two_instants_agrees_with_counting_minutes(
            calendar in calendars(), from in instants(), minutes in 0i64..12 * 24 * 60,
        ) {
            let to = from + minutes * 60;
            prop_assert_eq!(calendar.open_seconds(from, to), 60 * brute_open_minutes(&calendar, from, to));
        }

        #[test]
        fn adding_open_time_agrees_with_counting_minutes(
            calendar in calendars(), from in instants(), minutes in 1i64..40 * 60,
        ) {
            let due = calendar.add_open(from, minutes * 60).unwrap();
            prop_assert_eq!(due, brute_add(&calendar, from, minutes));
            prop_assert_eq!(calendar.open_seconds(from, due), minutes * 60);
        }
    }
}
