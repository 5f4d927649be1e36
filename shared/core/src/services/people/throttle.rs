//! Failed sign-ins, counted per account and per address in the table (so that every Lambda
//! instance sees the same counts): a few are free, then each one more doubles the pause
//! before the next try, up to fifteen minutes. The counts fade after fifteen quiet minutes.
//! Unknown accounts are counted the same way as known ones, so a pause says nothing about
//! whether an account exists.

use crate::domain::ids::Email;
use crate::services::commit::Commit;
use crate::services::{item_of, Core, ServiceError};
use crate::store;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Failures further apart than this start a new count.
pub const WINDOW_MINUTES: i64 = 15;
/// The longest pause, in seconds.
pub const LONGEST_PAUSE_SECONDS: i64 = 15 * 60;
/// Failures without a pause: per account (a person mistyping), per address (an office
/// behind one address, where many people sign in).
pub const FREE_PER_ACCOUNT: u32 = 5;
pub const FREE_PER_ADDRESS: u32 = 20;

/// Submissions of the public forms (access requests, password resets) without a pause:
/// per address, and per email they name (so nobody's mailbox is flooded from our address).
pub const FREE_FORMS_PER_ADDRESS: u32 = 30;
pub const FREE_FORMS_PER_EMAIL: u32 = 3;

const SIGN_IN_PAUSED: &str = "too many failed sign-ins; wait before trying again";
const FORM_PAUSED: &str = "too many requests from here or for this email; wait before trying again";

/// What tries are counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub pk: String,
    pub free: u32,
    /// What a 429 says while the scope is paused.
    pub paused: &'static str,
}

impl Scope {
    /// An account, by its email's hash: the table never learns which addresses were tried.
    pub fn account(email: &Email) -> Scope {
        Scope {
            pk: store::throttle_pk("signin", "account", &store::sha256_hex(email)),
            free: FREE_PER_ACCOUNT,
            paused: SIGN_IN_PAUSED,
        }
    }

    pub fn address(address: &str) -> Scope {
        Scope {
            pk: store::throttle_pk("signin", "address", address),
            free: FREE_PER_ADDRESS,
            paused: SIGN_IN_PAUSED,
        }
    }

    /// The public forms sent from one address.
    pub fn form_address(address: &str) -> Scope {
        Scope {
            pk: store::throttle_pk("form", "address", address),
            free: FREE_FORMS_PER_ADDRESS,
            paused: FORM_PAUSED,
        }
    }

    /// The public forms naming one email (by its hash).
    pub fn form_email(email: &Email) -> Scope {
        Scope {
            pk: store::throttle_pk("form", "email", &store::sha256_hex(email)),
            free: FREE_FORMS_PER_EMAIL,
            paused: FORM_PAUSED,
        }
    }
}

/// The failures of one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    pub count: u32,
    pub last_at: DateTime<Utc>,
    #[serde(default)]
    pub paused_until: Option<DateTime<Utc>>,
}

impl Failures {
    /// The count after one more failure at `now`.
    pub fn after_failure(previous: Option<&Failures>, now: DateTime<Utc>, free: u32) -> Failures {
        let count = match previous {
            Some(p) if now - p.last_at < Duration::minutes(WINDOW_MINUTES) => p.count.saturating_add(1),
            _ => 1,
        };
        Failures {
            count,
            last_at: now,
            paused_until: pause_after(count, free).map(|seconds| now + Duration::seconds(seconds)),
        }
    }

    /// Seconds until the next try is allowed, if any.
    pub fn wait_at(&self, now: DateTime<Utc>) -> Option<i64> {
        let until = self.paused_until?;
        (until > now).then(|| ((until - now).num_milliseconds() + 999) / 1000)
    }

    /// When the record stops mattering: the pause is over and the window has passed.
    fn fades_at(&self) -> DateTime<Utc> {
        let window_end = self.last_at + Duration::minutes(WINDOW_MINUTES);
        self.paused_until.map_or(window_end, |p| p.max(window_end))
    }
}

/// The pause after the `count`th failure: none while free, then 1, 2, 4 … seconds.
pub fn pause_after(count: u32, free: u32) -> Option<i64> {
    let over = count.checked_sub(free)?;
    Some(
        1i64.checked_shl(over.min(20))
            .unwrap_or(i64::MAX)
            .min(LONGEST_PAUSE_SECONDS),
    )
}

/// A scope's failures as read, with the record's version (none: absent or faded).
pub type Seen = Option<(Failures, u64)>;

impl Core {
    async fn failures(&self, scope: &Scope) -> Result<Seen, ServiceError> {
        Ok(self
            .get_record::<Failures>(&scope.pk, store::META)
            .await?
            .map(|l| (l.record, l.version)))
    }

    /// Counts one try of a public form against each scope, or refuses with 429 while any
    /// of them is paused.
    pub(super) async fn count_form(&self, scopes: &[Scope]) -> Result<(), ServiceError> {
        let seen = self.refuse_while_paused(scopes).await?;
        for (scope, seen) in scopes.iter().zip(seen) {
            self.count_failure(scope, seen).await?;
        }
        Ok(())
    }

    /// Every scope's failures in one read, in the order of `scopes`; a 429 while any of
    /// them is paused. What was read serves the counting or forgetting that follows.
    pub(super) async fn refuse_while_paused(&self, scopes: &[Scope]) -> Result<Vec<Seen>, ServiceError> {
        let now = self.now();
        let keys: Vec<(String, String)> = scopes.iter().map(|s| (s.pk.clone(), store::META.to_string())).collect();
        let items = self.table.get_many(&keys).await?;
        let mut seen = Vec::with_capacity(scopes.len());
        for scope in scopes {
            let item = items.iter().find(|i| i.pk == scope.pk && !i.is_expired(now));
            seen.push(match item {
                Some(item) => Some((store::from_item::<Failures>(item)?, item.version)),
                None => None,
            });
        }
        let wait = scopes
            .iter()
            .zip(&seen)
            .filter_map(|(scope, seen)| Some((scope, seen.as_ref()?.0.wait_at(now)?)))
            .max_by_key(|(_, seconds)| *seconds);
        match wait {
            Some((scope, seconds)) => Err(ServiceError::RateLimited {
                detail: scope.paused.into(),
                retry_after: u32::try_from(seconds).unwrap_or(u32::MAX),
            }),
            None => Ok(seen),
        }
    }

    /// Counts one more failure on what was `seen`. Two failures at once may race for the
    /// record: the loser reads again and counts once more (three tries; a count is a
    /// pause, not a ledger).
    pub(super) async fn count_failure(&self, scope: &Scope, seen: Seen) -> Result<(), ServiceError> {
        let mut read = seen;
        for _ in 0..3 {
            let now = self.now();
            let live = read.as_ref().filter(|(f, _)| f.fades_at() > now).map(|(f, _)| f);
            let next = Failures::after_failure(live, now, scope.free);
            let mut item = item_of(scope.pk.clone(), store::META, &next);
            item.expires_at = Some(next.fades_at().timestamp());
            let write = match read {
                Some((_, version)) => crate::ports::Write::replace(item, version),
                None => crate::ports::Write::create(item),
            };
            if self.commit(vec![write]).await? == Commit::Done {
                return Ok(());
            }
            read = self.failures(scope).await?;
        }
        Ok(())
    }

    /// A successful sign-in clears its account's count (not its address's). The record is
    /// overwritten with no failures rather than deleted: the sign-in function's role may
    /// put items, not delete them, and the record fades by its TTL anyway.
    pub(super) async fn forget_failures(&self, scope: &Scope, seen: Seen) -> Result<(), ServiceError> {
        let now = self.now();
        if let Some((failures, version)) = seen {
            if failures.count == 0 || failures.fades_at() <= now {
                return Ok(());
            }
            let cleared = Failures {
                count: 0,
                last_at: now,
                paused_until: None,
            };
            let mut item = item_of(scope.pk.clone(), store::META, &cleared);
            item.expires_at = Some(cleared.fades_at().timestamp());
            // A failure counted meanwhile wins: it is newer than this success.
            let _ = self.commit(vec![crate::ports::Write::replace(item, version)]).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap() + Duration::minutes(minute)
    }

    #[test]
    fn pauses_start_after_the_free_failures_double_and_stop_at_fifteen_minutes() {
        assert_eq!(pause_after(4, 5), None);
        assert_eq!(pause_after(5, 5), Some(1));
        assert_eq!(pause_after(6, 5), Some(2));
        assert_eq!(pause_after(9, 5), Some(16));
        assert_eq!(pause_after(40, 5), Some(LONGEST_PAUSE_SECONDS));
        assert_eq!(pause_after(u32::MAX, 5), Some(LONGEST_PAUSE_SECONDS));
    }

    #[test]
    fn failures_count_within_the_window_and_start_over_after_it() {
        let mut failures = Failures::after_failure(None, at(0), 2);
        assert_eq!((failures.count, failures.wait_at(at(0))), (1, None));
        failures = Failures::after_failure(Some(&failures), at(1), 2);
        assert_eq!(failures.count, 2);
        assert_eq!(failures.wait_at(at(1)), Some(1));
        assert_eq!(failures.wait_at(at(2)), None, "the pause is over");
        let later = Failures::after_failure(Some(&failures), at(1 + WINDOW_MINUTES), 2);
        assert_eq!(later.count, 1, "a quiet window starts the count again");
    }

    #[test]
    fn an_account_is_counted_by_its_hash_not_its_address() {
        let scope = Scope::account(&Email::new("Ann@Acme.Test"));
        assert!(!scope.pk.contains("ann"));
        assert_eq!(scope, Scope::account(&Email::new("ann@acme.test")));
        assert_ne!(scope.pk, Scope::address("127.0.0.1").pk);
    }
}
