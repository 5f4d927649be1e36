//! Request-rate limits per user and per company, as token buckets: each caller may spend a
//! burst at once and then a steady rate. On AWS, API Gateway's throttling does this job
//! in front of the functions (the template's `ApiRateLimit`/`ApiBurstLimit`); the local
//! server asks this limiter before it dispatches.
//!
//! The buckets run on the given clock, so tests drive them with a manual one and never
//! wait on the wall clock.

use super::problem::Problem;
use crate::services::problems::ProblemKind;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// A steady rate and the burst a quiet caller may spend at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Per signed-in user; per client address for callers without a token (guest links,
    /// mail intake).
    pub per_user: Rate,
    /// Shared by all users of one company.
    pub per_company: Rate,
}

impl Default for RateLimits {
    /// Far above what a person at a portal does (a page load is a few calls), low enough
    /// that one runaway script cannot starve the desk.
    fn default() -> Self {
        RateLimits {
            per_user: Rate {
                per_second: 20.0,
                burst: 100,
            },
            per_company: Rate {
                per_second: 100.0,
                burst: 500,
            },
        }
    }
}

/// Who a request counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller<'a> {
    User {
        user_id: &'a str,
        company: &'a str,
    },
    /// No (valid) token: counted by where it comes from.
    Address(&'a str),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Beyond this many callers, buckets that have filled up again are forgotten (a full
/// bucket is what a new caller starts with, so nothing changes for them).
const FORGET_ABOVE: usize = 10_000;

impl RateLimiter {
    pub fn new(limits: RateLimits) -> RateLimiter {
        RateLimiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from each of the caller's buckets, or none when any is empty: a
    /// refused request costs nothing. The problem names the limit and when to come back.
    pub fn admit(&self, caller: &Caller, now: DateTime<Utc>) -> Result<(), Problem> {
        let keys: Vec<(String, Rate, &str)> = match caller {
            Caller::User { user_id, company } => vec![
                (format!("user:{user_id}"), self.limits.per_user, "this user"),
                (format!("company:{company}"), self.limits.per_company, "this company"),
            ],
            Caller::Address(address) => vec![(format!("address:{address}"), self.limits.per_user, "this address")],
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let mut refilled = Vec::with_capacity(keys.len());
        for (key, rate, who) in &keys {
            let bucket = refill(buckets.get(key).copied(), *rate, now);
            if bucket.tokens < 1.0 {
                let wait = ((1.0 - bucket.tokens) / rate.per_second).ceil().max(1.0) as u32;
                return Err(too_many(who, wait));
            }
            refilled.push(bucket);
        }
        if buckets.len() > FORGET_ABOVE {
            let limits = self.limits;
            buckets.retain(|key, b| {
                let rate = if key.starts_with("company:") {
                    limits.per_company
                } else {
                    limits.per_user
                };
                refill(Some(*b), rate, now).tokens < f64::from(rate.burst)
            });
        }
        for ((key, _, _), mut bucket) in keys.into_iter().zip(refilled) {
            bucket.tokens -= 1.0;
            buckets.insert(key, bucket);
        }
        Ok(())
    }
}

fn refill(bucket: Option<Bucket>, rate: Rate, now: DateTime<Utc>) -> Bucket {
    let burst = f64::from(rate.burst);
    match bucket {
        None => Bucket { tokens: burst, at: now },
        Some(b) => {
            let elapsed = (now - b.at).num_milliseconds().max(0) as f64 / 1000.0;
            Bucket {
                tokens: (b.tokens + elapsed * rate.per_second).min(burst),
                at: now.max(b.at),
            }
        }
    }
}

fn too_many(who: &str, wait: u32) -> Problem {
    let mut problem = Problem::new(
        429,
        ProblemKind::RateLimited,
        "Too many requests",
        format!("too many requests from {who}; retry in {wait} s"),
    );
    problem.retry_after = Some(wait);
    problem
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn limiter() -> RateLimiter {
        RateLimiter::new(RateLimits {
            per_user: Rate {
                per_second: 1.0,
                burst: 3,
            },
            per_company: Rate {
                per_second: 2.0,
                burst: 5,
            },
        })
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_user_spends_the_burst_then_the_rate() {
        let l = limiter();
        let ann = Caller::User {
            user_id: "ann",
            company: "ACME",
        };
        for _ in 0..3 {
            l.admit(&ann, t0()).unwrap();
        }
        let refused = l.admit(&ann, t0()).unwrap_err();
        assert_eq!((refused.status, refused.retry_after), (429, Some(1)));
        assert!(refused.detail.contains("this user"));
        l.admit(&ann, t0() + Duration::seconds(1)).unwrap();
        assert!(l.admit(&ann, t0() + Duration::seconds(1)).is_err());
    }

    #[test]
    fn a_company_is_limited_as_a_whole_and_a_refusal_costs_nothing() {
        let l = limiter();
        let user = |id| Caller::User {
            user_id: id,
            company: "ACME",
        };
        for id in ["a", "a", "a", "b", "b"] {
            l.admit(&user(id), t0()).unwrap();
        }
        let refused = l.admit(&user("c"), t0()).unwrap_err();
        assert!(refused.detail.contains("this company"), "{refused:?}");
        // c's own bucket was not charged for the refusal: after the company refills, c
        // still has its whole burst.
        let later = t0() + Duration::seconds(3);
        for _ in 0..3 {
            l.admit(&user("c"), later).unwrap();
        }
        // Another company is not affected at all.
        l.admit(
            &Caller::User {
                user_id: "z",
                company: "OTHER",
            },
            t0(),
        )
        .unwrap();
    }

    #[test]
    fn callers_without_a_token_count_by_address() {
        let l = limiter();
        for _ in 0..3 {
            l.admit(&Caller::Address("10.0.0.1"), t0()).unwrap();
        }
        assert!(l.admit(&Caller::Address("10.0.0.1"), t0()).is_err());
        l.admit(&Caller::Address("10.0.0.2"), t0()).unwrap();
    }
}
