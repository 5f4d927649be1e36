//! Delivers the outbox, two ways.
//!
//! - **Named by a stream** (`Settings::delivery`): a new notice is written held for the run
//!   its stream record wakes (`leased_until`, set by `notify::Outbox::into_writes`), and
//!   that run reads the notices its batch names and delivers them with no claim of its own:
//!   the hold is the claim, written with the change at no cost. On AWS (`Delivery::Stream`)
//!   the notice is on no index: Lambda hands a stream's records to one invocation at a
//!   time, and retries a failed batch until it goes (the stream keeps a record 24 hours),
//!   so no other run works on them while the hold lasts; a run starts on a held notice
//!   only while `STREAM_MARGIN_SECONDS` of it are left, so its sends end before anyone else
//!   may take it. A notice it comes too late for, and one whose mails must be retried, it
//!   puts on the outbox index. The embedded engine (`Delivery::ProcessStream`) hears of
//!   each notice its table inserts within the process, which may die: there the notice is
//!   on the outbox index from the start, due when its hold ends, and a run that comes too
//!   late claims it.
//! - **From the outbox index** (the schedule, retries, a notice whose hold ran out): a run
//!   reads the due notices of the shards it was given (keys only), reads the notices
//!   themselves in one batch, and claims each with a conditional write (a lease: two
//!   overlapping runs never work on one notice); a notice still held passes by.
//!
//! Either way a run works on a bounded number at once (`Settings::background_concurrency`),
//! renders the pending mails and hands them to the mailer at the configured send rate (a
//! token bucket shared by the run), its events to the publisher, and writes the outcome
//! back. What failed is retried from the index with backoff; after `MAX_ATTEMPTS` it is
//! marked failed and stays visible on the ticket's email history.

use crate::domain::people::{DateFormat, User};
use crate::domain::ticket::Ticket;
use crate::mail::address;
use crate::mail::templates::{self, MailKind};
use crate::ports::{Index, IndexKey, Item, Mail, Mailer, Publisher, Query, SortKey, StoreError, Write};
use crate::services::mail::feedback::Suppression;
use crate::services::mail::notify::{DeliveryState, MailOrder, Notice};
use crate::services::people::EmailRecord;
use crate::services::{Core, ServiceError};
use crate::store;
use chrono::{DateTime, Duration, Utc};
use futures_util::stream::{self, StreamExt};
use rand::seq::SliceRandom;
use serde::Serialize;
use std::collections::HashMap;

pub const MAX_ATTEMPTS: u32 = 12;
/// How long a claimed notice is ours before another run may take it over.
const LEASE_MINUTES: i64 = 5;
/// How long a new notice is held for the run its stream record wakes (stream delivery);
/// should that run never come or die, the index's runs take the notice after it.
pub const STREAM_HOLD_SECONDS: i64 = 180;
/// The stream's run starts on a held notice only while this much of its hold is left (a
/// burst it cannot reach in time is left to the index's runs, which claim it).
const STREAM_MARGIN_SECONDS: i64 = 120;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Mails and events handed over.
    pub sent: usize,
    /// Mails and events that failed this time and wait for a retry.
    pub retried: usize,
    pub failed: usize,
    pub suppressed: usize,
}

impl DeliveryReport {
    fn add(&mut self, other: DeliveryReport) {
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
        self.suppressed += other.suppressed;
    }
}

/// Every shard of the outbox (a run woken by a schedule takes them all).
pub fn all_shards() -> Vec<u32> {
    (0..store::DUE_SHARDS).collect()
}

impl Core {
    /// Delivers every notice due by now.
    pub async fn deliver_outbox(
        &self,
        mailer: &dyn Mailer,
        publisher: &dyn Publisher,
    ) -> Result<DeliveryReport, ServiceError> {
        self.deliver_outbox_shards(mailer, publisher, &all_shards()).await
    }

    /// Delivers every notice due by now on these shards (a schedule may name some, so that
    /// several rules split the work).
    pub async fn deliver_outbox_shards(
        &self,
        mailer: &dyn Mailer,
        publisher: &dyn Publisher,
        shards: &[u32],
    ) -> Result<DeliveryReport, ServiceError> {
        let mut report = DeliveryReport::default();
        let upto = format!("{}~", store::ts(self.now()));
        // Index runs that overlap (the schedule's, a retry of it, another instance) take the
        // shards in orders of their own, so they mostly drain different shards instead of racing for the same
        // claims (each lost race costs a conditional write, and a bell rung in vain); the
        // order of notices within a shard stays the order they fell due.
        let mut shards: Vec<u32> = shards.iter().copied().filter(|s| *s < store::DUE_SHARDS).collect();
        shards.shuffle(&mut rand::thread_rng());
        for shard in shards {
            let mut query = Query::new(Index::Outbox, store::outbox_pk(shard));
            query.sort = SortKey::AtMost(upto.clone());
            query.limit = 100;
            // Each notice worked on leaves the range (delivered, or due again later), so
            // re-reading the page drains the shard. A page that yields nothing (its notices
            // leased by another run, which keeps them in range, or an index lagging the
            // table) is passed: the next query starts after it.
            loop {
                let page = self.table.query(&query).await?;
                if page.items.is_empty() {
                    break;
                }
                let keys: Vec<(String, String)> = page.items.iter().map(|i| (i.pk.clone(), i.sk.clone())).collect();
                let done = self
                    .deliver_page(&keys, Take::Claim { upto: &upto }, mailer, publisher)
                    .await?;
                let progressed = done.is_some();
                report.add(done.unwrap_or_default());
                match page.next {
                    None => break,
                    Some(next) if !progressed => query.after = Some(next),
                    Some(_) => {}
                }
            }
        }
        Ok(report)
    }

    /// Delivers the notices a stream batch names (their table keys), each held for this run
    /// since it was written: no index query and no claim. A notice too close to its hold's
    /// end is put on the outbox index instead (the index's runs take it when the hold is
    /// over); one no longer held (delivered, or taken by an index run) is left alone.
    pub async fn deliver_notices(
        &self,
        mailer: &dyn Mailer,
        publisher: &dyn Publisher,
        keys: &[(String, String)],
    ) -> Result<DeliveryReport, ServiceError> {
        let mut keys = keys.to_vec();
        keys.sort();
        keys.dedup();
        let mut report = DeliveryReport::default();
        for page in keys.chunks(100) {
            report.add(
                self.deliver_page(page, Take::Held, mailer, publisher)
                    .await?
                    .unwrap_or_default(),
            );
        }
        Ok(report)
    }

    /// Works on a page of notices (by table key) a bounded number at once: what was done,
    /// or `None` when the run took none of them.
    async fn deliver_page(
        &self,
        keys: &[(String, String)],
        take: Take<'_>,
        mailer: &dyn Mailer,
        publisher: &dyn Publisher,
    ) -> Result<Option<DeliveryReport>, ServiceError> {
        // A notice that cannot be read is logged and passed, not allowed to stop the run
        // (and, on AWS, the stream shard behind it).
        let notices: Vec<(Notice, Item)> = self
            .table
            .get_many(keys)
            .await?
            .into_iter()
            .filter_map(|item| match store::from_item::<Notice>(&item) {
                Ok(notice) => Some((notice, item)),
                Err(e) => {
                    tracing::error!(pk = %item.pk, sk = %item.sk, error = %e, "unreadable notice passed");
                    None
                }
            })
            .collect();
        let known = self.what_the_page_needs(&notices).await?;
        // Collected first: a stream over a borrowing closure would not be `Send` for every
        // lifetime, which spawned callers need.
        let deliveries: Vec<_> = notices
            .into_iter()
            .map(|read| self.deliver_notice(read, take, &known, mailer, publisher))
            .collect();
        let mut working = stream::iter(deliveries).buffer_unordered(self.settings.background_concurrency.max(1));
        let mut report = None;
        while let Some(outcome) = working.next().await {
            if let Some(done) = outcome? {
                report.get_or_insert_with(DeliveryReport::default).add(done);
            }
        }
        Ok(report)
    }

    /// What a page of notices needs read, in two batches rather than a read or two per
    /// notice: the suppressions of its recipients and its tickets' descriptions.
    async fn what_the_page_needs(&self, notices: &[(Notice, Item)]) -> Result<PageReads, ServiceError> {
        let mut addresses = Vec::new();
        let mut tickets = Vec::new();
        for (notice, _) in notices {
            let pending: Vec<&MailOrder> = notice
                .mails
                .iter()
                .filter(|m| m.state == DeliveryState::Pending)
                .collect();
            addresses.extend(
                pending
                    .iter()
                    .map(|m| (store::suppression_pk(&m.to), store::META.to_string())),
            );
            if let (false, Some(id)) = (pending.is_empty(), &notice.ticket_id) {
                tickets.push((store::ticket_pk(id), store::META.to_string()));
            }
        }
        let mut reads = PageReads::default();
        for keys in [&mut addresses, &mut tickets] {
            keys.sort();
            keys.dedup();
        }
        for item in self.table.get_many(&addresses).await? {
            reads.suppressed.insert(item.pk.clone(), store::from_item(&item)?);
        }
        for item in self.table.get_many(&tickets).await? {
            let ticket: Ticket = store::from_item(&item)?;
            reads.descriptions.insert(item.pk.clone(), ticket.description);
        }
        reads.date_formats = self.date_formats_of(notices).await?;
        Ok(reads)
    }

    /// How the recipients of mails that show dates want them shown: their emails' records,
    /// then their users, two batches for the page (none when no such mail is pending).
    async fn date_formats_of(&self, notices: &[(Notice, Item)]) -> Result<HashMap<String, DateFormat>, ServiceError> {
        let mut emails: Vec<(String, String)> = notices
            .iter()
            .flat_map(|(notice, _)| &notice.mails)
            .filter(|m| {
                m.state == DeliveryState::Pending && MailKind::from_slug(&m.kind).is_some_and(MailKind::shows_dates)
            })
            .map(|m| (store::email_pk(&m.to), store::META.to_string()))
            .collect();
        emails.sort();
        emails.dedup();
        let mut formats = HashMap::new();
        if emails.is_empty() {
            return Ok(formats);
        }
        let now = self.now();
        let mut users: Vec<(String, String)> = Vec::new();
        for item in self
            .table
            .get_many(&emails)
            .await?
            .iter()
            .filter(|i| !i.is_expired(now))
        {
            let record: EmailRecord = store::from_item(item)?;
            users.push((store::user_pk(&record.user_id), store::META.to_string()));
        }
        for item in self.table.get_many(&users).await? {
            let user: User = store::from_item(&item)?;
            formats.insert(user.email.to_string(), user.date_format);
        }
        Ok(formats)
    }

    /// Works on one notice, unless it is no longer due or another run holds it.
    async fn deliver_notice(
        &self,
        (mut notice, item): (Notice, Item),
        take: Take<'_>,
        known: &PageReads,
        mailer: &dyn Mailer,
        publisher: &dyn Publisher,
    ) -> Result<Option<DeliveryReport>, ServiceError> {
        let now = self.now();
        let read_version = item.version;
        let step = next_step(take, &notice, item.outbox.as_ref(), now);
        match step {
            Step::Pass => return Ok(None),
            Step::ToIndex(due) => {
                let mut left = item;
                left.outbox = Some(store::outbox_key(&notice.id, due));
                return match self.table.write(vec![Write::replace(left, read_version)]).await {
                    Ok(()) | Err(StoreError::ConditionFailed(_)) => Ok(None),
                    Err(e) => Err(e.into()),
                };
            }
            Step::Claim | Step::Deliver => {}
        }
        // A notice never claimed rings its recipients' bells first (`notifications.rs`:
        // each notification is created at most once, so a run that dies before its claim,
        // or a run that loses the claim, rings nobody twice).
        if notice.attempts == 0 {
            self.ring_bells(&notice).await?;
        }
        notice.attempts += 1;
        let mut claimed = item;
        if step == Step::Claim {
            // Claim: lease the notice and count the attempt, conditioned on the version read:
            // one plain conditional write. Its outbox key stays (so the claim writes nothing
            // to the index); a run that reads the notice while the lease holds passes it by.
            notice.leased_until = Some(now + Duration::minutes(LEASE_MINUTES));
            claimed.data = store::to_data(&notice);
            match self
                .table
                .write(vec![Write::replace(claimed.clone(), read_version)])
                .await
            {
                Ok(()) => {}
                Err(StoreError::ConditionFailed(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
            claimed.version = read_version + 1;
        }
        let mut report = DeliveryReport::default();
        let context = rendering_context(&notice, known);
        for position in 0..notice.mails.len() {
            if notice.mails[position].state != DeliveryState::Pending {
                continue;
            }
            let outcome = self
                .send_one(&notice, &notice.mails[position], &context, known, mailer)
                .await;
            let order = &mut notice.mails[position];
            match outcome {
                Sent::Yes => {
                    order.state = DeliveryState::Sent;
                    order.sent_at = Some(now);
                    order.last_error = None;
                    order.prerendered = None;
                    report.sent += 1;
                }
                Sent::Suppressed(why) => {
                    order.state = DeliveryState::Suppressed;
                    order.last_error = Some(why);
                    order.prerendered = None;
                    report.suppressed += 1;
                }
                Sent::No(error) => {
                    settle_failure(
                        &mut order.state,
                        &mut order.last_error,
                        error,
                        notice.attempts,
                        &mut report,
                    );
                }
            }
        }
        for order in notice.events.iter_mut().filter(|e| e.state == DeliveryState::Pending) {
            match publisher.publish(&order.event).await {
                Ok(()) => {
                    order.state = DeliveryState::Sent;
                    order.last_error = None;
                    report.sent += 1;
                }
                Err(e) => settle_failure(
                    &mut order.state,
                    &mut order.last_error,
                    e.0,
                    notice.attempts,
                    &mut report,
                ),
            }
        }
        notice.leased_until = None;
        if notice.is_pending() {
            tracing::warn!(notice = %notice.id, attempt = notice.attempts, "delivery failed; will retry");
            // 1, 2, 4 … minutes, at most an hour.
            let backoff = Duration::minutes(1 << (notice.attempts - 1).min(6));
            claimed.outbox = Some(store::outbox_key(&notice.id, now + backoff));
        } else {
            // Done: the inputs go, the record of who was sent what stays.
            claimed.outbox = None;
            notice.context = None;
            notice.extras.clear();
        }
        claimed.data = store::to_data(&notice);
        let last_written = claimed.version;
        // The lease (or the hold) protects this write; should it fail, the notice is retried
        // after it (its mails may then go twice, which is better than never).
        self.table.write(vec![Write::replace(claimed, last_written)]).await?;
        Ok(Some(report))
    }

    async fn send_one(
        &self,
        notice: &Notice,
        order: &MailOrder,
        context: &serde_json::Value,
        known: &PageReads,
        mailer: &dyn Mailer,
    ) -> Sent {
        if let Some(why) = known.suppressed.get(&store::suppression_pk(&order.to)) {
            return Sent::Suppressed(format!(
                "not sent: {} is suppressed since {} ({:?}: {})",
                why.address,
                why.at.format("%Y-%m-%d %H:%M UTC"),
                why.kind,
                why.detail
            ));
        }
        let mut context = context.clone();
        if let (Some(format), Some(object)) = (known.date_formats.get(&order.to), context.as_object_mut()) {
            object.insert("date_format".into(), format.slug().into());
        }
        let mail = self.render(notice, order, &context);
        self.pace.wait().await;
        match mailer.send(&mail).await {
            Ok(()) => Sent::Yes,
            Err(e) => Sent::No(e.0),
        }
    }

    /// The mail as it goes out: rendered from the notice's inputs, with its reply address,
    /// Message-ID and thread.
    fn render(&self, notice: &Notice, order: &MailOrder, context: &serde_json::Value) -> Mail {
        let settings = &self.settings;
        let mut context = context.clone();
        if let (Some(context), Some(serde_json::Value::Object(extra))) =
            (context.as_object_mut(), notice.extras.get(order.extra))
        {
            context.extend(extra.clone());
        }
        let rendered = match &order.prerendered {
            Some(done) => Ok(templates::Rendered {
                subject: order.subject.clone(),
                text: done.text.clone(),
                html: done.html.clone(),
            }),
            None => MailKind::from_slug(&order.kind)
                .ok_or_else(|| format!("unknown mail kind {}", order.kind))
                .and_then(|kind| templates::render(kind, &context).map_err(|e| e.to_string())),
        };
        let rendered = rendered.unwrap_or_else(|e: String| {
            // The templates are compiled in and each kind is rendered by the unit tests;
            // should one still fail, the mail goes out plain rather than not at all.
            tracing::error!(error = %e, "mail template failed");
            templates::Rendered {
                subject: order.subject.clone(),
                text: format!("{} was updated.", order.subject),
                html: format!("<p>{}</p>", minijinja::HtmlEscape(&order.subject)),
            }
        });
        let domain = &settings.mail_domain;
        let ticket_id = notice.ticket_id.clone();
        Mail {
            id: order.id.clone(),
            kind: order.kind.clone(),
            from: settings.mail_from.clone(),
            to: order.to.clone(),
            subject: order.subject.clone(),
            text: rendered.text,
            html: rendered.html,
            reply_to: ticket_id
                .as_ref()
                .map(|id| address::reply_address(&settings.mail_secret, domain, id, &order.to)),
            message_id: match &ticket_id {
                Some(id) => address::message_id(&order.id, id, domain),
                None => format!("<{}@{domain}>", order.id),
            },
            thread_id: ticket_id.as_ref().map(|id| address::thread_id(id, domain)),
            ticket_id,
        }
    }
}

/// What a page of notices needs beyond the notices, read for the page at once.
#[derive(Default)]
struct PageReads {
    /// Suppressed recipients, by suppression key.
    suppressed: HashMap<String, Suppression>,
    /// Ticket descriptions, by ticket key.
    descriptions: HashMap<String, String>,
    /// Recipients' date formats (of mails that show dates), by email.
    date_formats: HashMap<String, DateFormat>,
}

/// The notice's template inputs, completed with its ticket's description.
fn rendering_context(notice: &Notice, known: &PageReads) -> serde_json::Value {
    let mut context = notice.context.clone().unwrap_or_else(|| serde_json::json!({}));
    let description = notice
        .ticket_id
        .as_ref()
        .and_then(|id| known.descriptions.get(&store::ticket_pk(id)));
    if let (Some(description), Some(view)) = (description, context.get_mut("ticket").and_then(|t| t.as_object_mut())) {
        view.insert("description".into(), description.clone().into());
    }
    context
}

/// A failed mail or event: pending again for the next run, or failed for good.
fn settle_failure(
    state: &mut DeliveryState,
    last_error: &mut Option<String>,
    error: String,
    attempts: u32,
    report: &mut DeliveryReport,
) {
    *last_error = Some(error);
    if attempts >= MAX_ATTEMPTS {
        *state = DeliveryState::Failed;
        report.failed += 1;
    } else {
        report.retried += 1;
    }
}

/// How a run takes a notice: claimed from the outbox index (due by `upto`, no lease
/// holding it), or held for it since it was written (named by the stream).
#[derive(Clone, Copy)]
enum Take<'a> {
    Claim { upto: &'a str },
    Held,
}

/// What a run does with a notice it read.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Not this run's: delivered, not due, or another run's lease or hold.
    Pass,
    /// An index run's, or one held for this run, which comes too late to deliver it
    /// unclaimed and finds it on the index already: claim it, then deliver.
    Claim,
    /// Held for this (stream) run: deliver, no claim.
    Deliver,
    /// Held for this run, which comes too late to start on it (a retried batch, a stream
    /// far behind) and finds it on no index: put it on the outbox index, due when its hold
    /// ends.
    ToIndex(DateTime<Utc>),
}

fn next_step(take: Take<'_>, notice: &Notice, outbox: Option<&IndexKey>, now: DateTime<Utc>) -> Step {
    match take {
        Take::Claim { upto } => {
            let due = outbox.is_some_and(|key| key.sk.as_str() <= upto);
            let free = notice.leased_until.is_none_or(|until| until <= now);
            if due && free {
                Step::Claim
            } else {
                Step::Pass
            }
        }
        // Held and never tried: the run its stream names. While enough of the hold is left
        // it delivers with no claim (nobody else may take the notice before the hold ends:
        // the index's runs pass a held notice, and the stream names it to one run). Past
        // that, a conditional claim makes it the run's as it would an index run's; a notice
        // on no index is left to those runs instead, since this one may be a batch retried
        // long after.
        Take::Held => match notice.leased_until {
            Some(until) if notice.attempts == 0 => {
                if until - Duration::seconds(STREAM_MARGIN_SECONDS) > now {
                    Step::Deliver
                } else if outbox.is_some() {
                    Step::Claim
                } else {
                    Step::ToIndex(until)
                }
            }
            _ => Step::Pass,
        },
    }
}

enum Sent {
    Yes,
    Suppressed(String),
    No(String),
}

/// A token bucket: at most `rate` sends a second on average, bursts up to one second's
/// worth. Shared by the notices a run works on at once; a caller that finds it empty waits
/// its turn (turns are handed out in order).
pub struct Pace {
    rate: f64,
    burst: f64,
    state: tokio::sync::Mutex<(f64, tokio::time::Instant)>,
}

impl Pace {
    pub fn new(per_second: f64) -> Pace {
        let rate = if per_second.is_finite() && per_second > 0.0 {
            per_second
        } else {
            1.0
        };
        let burst = rate.max(1.0);
        Pace {
            rate,
            burst,
            state: tokio::sync::Mutex::new((burst, tokio::time::Instant::now())),
        }
    }

    /// Takes one token, waiting until there is one.
    pub async fn wait(&self) {
        let wait = {
            let mut state = self.state.lock().await;
            let now = tokio::time::Instant::now();
            let (tokens, since) = *state;
            let refilled = (tokens + now.duration_since(since).as_secs_f64() * self.rate).min(self.burst);
            // Taking the token may leave the bucket in debt: the debt is this caller's wait.
            let left = refilled - 1.0;
            *state = (left, now);
            if left >= 0.0 {
                None
            } else {
                Some(std::time::Duration::from_secs_f64(-left / self.rate))
            }
        };
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_pace_allows_a_burst_then_the_rate() {
        let pace = Pace::new(10.0);
        let start = tokio::time::Instant::now();
        for _ in 0..10 {
            pace.wait().await;
        }
        assert_eq!(start.elapsed(), std::time::Duration::ZERO, "a second's worth at once");
        for _ in 0..20 {
            pace.wait().await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!((1.9..=2.1).contains(&elapsed), "then ten a second: {elapsed}");
    }

    #[test]
    fn a_stream_run_delivers_what_is_held_for_it_and_an_index_run_claims_what_is_due_and_free() {
        let at = |minute: i64| {
            DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
                + Duration::minutes(minute)
        };
        let notice = |attempts: u32, leased_until: Option<DateTime<Utc>>| Notice {
            id: "n_1".into(),
            created_at: at(0),
            ticket_id: None,
            context: None,
            extras: Vec::new(),
            mails: Vec::new(),
            events: Vec::new(),
            attempts,
            leased_until,
        };
        let on_index = store::outbox_key("n_1", at(0));
        let upto = format!("{}~", store::ts(at(1)));
        let claim = Take::Claim { upto: &upto };
        // Held for the stream's run (written at 0, held until 3).
        let held = notice(0, Some(at(3)));
        assert_eq!(next_step(Take::Held, &held, None, at(0)), Step::Deliver);
        assert_eq!(
            next_step(Take::Held, &held, None, at(1)),
            Step::ToIndex(at(3)),
            "too late to start"
        );
        // Held and on the index from the start (the embedded engine's stream, which dies with
        // its process), or put there by a run that came too late.
        let held_until = store::outbox_key("n_1", at(3));
        assert_eq!(next_step(Take::Held, &held, Some(&held_until), at(0)), Step::Deliver);
        assert_eq!(
            next_step(Take::Held, &held, Some(&held_until), at(1)),
            Step::Claim,
            "too late to deliver unclaimed"
        );
        assert_eq!(
            next_step(claim, &held, Some(&held_until), at(1)),
            Step::Pass,
            "the index's runs wait for the hold's end"
        );
        let after_hold = format!("{}~", store::ts(at(3)));
        assert_eq!(
            next_step(Take::Claim { upto: &after_hold }, &held, Some(&held_until), at(3)),
            Step::Claim
        );
        assert_eq!(
            next_step(Take::Held, &notice(1, Some(at(3))), None, at(0)),
            Step::Pass,
            "tried before"
        );
        assert_eq!(
            next_step(Take::Held, &notice(0, None), Some(&on_index), at(0)),
            Step::Pass,
            "never held"
        );
        // An index run takes a due notice no lease holds.
        assert_eq!(next_step(claim, &notice(0, None), Some(&on_index), at(1)), Step::Claim);
        assert_eq!(
            next_step(claim, &notice(0, None), None, at(1)),
            Step::Pass,
            "on no index"
        );
        assert_eq!(
            next_step(claim, &notice(1, Some(at(5))), Some(&on_index), at(1)),
            Step::Pass,
            "leased"
        );
        let later = store::outbox_key("n_1", at(2));
        assert_eq!(
            next_step(claim, &notice(1, None), Some(&later), at(1)),
            Step::Pass,
            "not due"
        );
    }

    #[test]
    fn a_pace_of_nothing_is_one_a_second() {
        assert_eq!(Pace::new(0.0).rate, 1.0);
        assert_eq!(Pace::new(f64::NAN).rate, 1.0);
    }
}
