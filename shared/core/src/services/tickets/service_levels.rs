//! Service levels on tickets: the clocks follow every change (`settle_service_level`, from
//! `Core::ticket_write`), and warnings and breaches fire when due (`fire_service_level_alarms`,
//! from the sweep and from any status change that comes first), each once: the alarm is
//! marked on the ticket in the same version-checked write that queues its mail and event.
//! The monthly report of targets met and missed reads the lists' summaries.

use crate::domain::company::Company;
use crate::domain::lifecycle::Side;
use crate::domain::roles::Identity;
use crate::domain::service_levels::clock::{Alarm, Fired, Observed, Outcome, ServiceSummary};
use crate::domain::ticket::{Priority, Ticket};
use crate::domain::validate::Invalid;
use crate::ports::{Index, Query, SortKey};
use crate::services::mail::notify::Outbox;
use crate::services::{Core, ServiceError};
use crate::slugs::serde_name;
use crate::store;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

impl Core {
    /// Every change of a ticket passes here: the clocks follow its desk, priority, status and
    /// replies, and what they note (a late answer, a restart) joins the ticket's history.
    pub(crate) fn settle_service_level(&self, ticket: &mut Ticket) {
        let Some(sla) = ticket.sla.as_mut() else {
            return;
        };
        let seen = Observed {
            company: ticket.company.as_str(),
            priority: ticket.priority,
            desk: ticket.lifecycle.desk,
            status: ticket.lifecycle.status,
            support_reply_at: ticket
                .last_reply
                .as_ref()
                .filter(|r| r.side == Side::Support)
                .map(|r| r.at),
        };
        let now = ticket.updated_at;
        for note in sla.settle(&self.settings.service_levels, seen, now) {
            ticket.lifecycle.note(now, "system", &note.reason());
        }
    }

    /// The warnings and breaches due by `now`: into the ticket's history and the outbox.
    pub(crate) fn fire_service_level_alarms(
        &self,
        ticket: &mut Ticket,
        now: DateTime<Utc>,
        outbox: &mut Outbox<'_>,
        company: &Company,
    ) {
        let Some(sla) = ticket.sla.as_mut() else {
            return;
        };
        let fired = sla.fire(now);
        for alarm in &fired {
            let reason = self.alarm_reason(alarm);
            ticket.lifecycle.note(now, "system", &reason);
            outbox.service_level_alarm(ticket, alarm, company);
        }
    }

    fn alarm_reason(&self, fired: &Fired) -> String {
        let due = crate::store::ts(fired.due_at);
        match fired.alarm {
            Alarm::Warning => format!(
                "{} due soon: {} % of the target has run (due {due})",
                fired.metric.label(),
                self.settings.service_levels.warning_percent
            ),
            Alarm::Breach => format!("{} target missed (due {due})", fired.metric.label()),
        }
    }
}

/// Whether a service-level alarm of the ticket is due by `now`.
pub fn alarm_due(ticket: &Ticket, now: DateTime<Utc>) -> bool {
    ticket
        .sla
        .as_ref()
        .and_then(|sla| sla.next_alarm())
        .is_some_and(|(at, _, _)| at <= now)
}

/// Targets met and missed per priority among the cases filed in one month.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceLevelReport {
    /// `YYYY-MM`: the month the counted cases were filed in (UTC).
    pub month: String,
    /// The company reported on; every company when absent.
    pub company: Option<String>,
    /// One row per priority, urgent first.
    pub rows: Vec<ReportRow>,
    /// Cases of the month filed before service levels existed (not counted in the rows).
    pub unmeasured: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportRow {
    pub priority: Priority,
    pub tickets: u64,
    pub first_response_met: u64,
    pub first_response_missed: u64,
    /// Still running, paused, or stopped with nothing to measure.
    pub first_response_open: u64,
    pub resolution_met: u64,
    pub resolution_missed: u64,
    pub resolution_open: u64,
}

impl ReportRow {
    fn new(priority: Priority) -> ReportRow {
        ReportRow {
            priority,
            tickets: 0,
            first_response_met: 0,
            first_response_missed: 0,
            first_response_open: 0,
            resolution_met: 0,
            resolution_missed: 0,
            resolution_open: 0,
        }
    }

    /// The counts' names, in the order of `counts` (the CSV's columns after month and priority).
    const COLUMNS: [&'static str; 7] = [
        "tickets",
        "first_response_met",
        "first_response_missed",
        "first_response_open",
        "resolution_met",
        "resolution_missed",
        "resolution_open",
    ];

    fn counts(&self) -> [u64; 7] {
        [
            self.tickets,
            self.first_response_met,
            self.first_response_missed,
            self.first_response_open,
            self.resolution_met,
            self.resolution_missed,
            self.resolution_open,
        ]
    }

    fn count(&mut self, service: &ServiceSummary) {
        self.tickets += 1;
        for (outcome, met, missed, open) in [
            (
                service.first_response,
                &mut self.first_response_met,
                &mut self.first_response_missed,
                &mut self.first_response_open,
            ),
            (
                service.resolution,
                &mut self.resolution_met,
                &mut self.resolution_missed,
                &mut self.resolution_open,
            ),
        ] {
            *match outcome {
                Outcome::Met => met,
                Outcome::Missed => missed,
                Outcome::Running | Outcome::Paused | Outcome::Stopped => open,
            } += 1;
        }
    }
}

const REPORT_PRIORITIES: [Priority; 4] = [Priority::Urgent, Priority::High, Priority::Medium, Priority::Low];

impl ServiceLevelReport {
    /// The report as CSV (RFC 4180, one row per priority).
    pub fn to_csv(&self) -> Result<Vec<u8>, ServiceError> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        let failed = |e: csv::Error| ServiceError::Internal(format!("csv: {e}"));
        writer
            .write_record(["month", "priority"].into_iter().chain(ReportRow::COLUMNS))
            .map_err(failed)?;
        for row in &self.rows {
            let mut record = vec![self.month.clone(), serde_name(&row.priority)];
            record.extend(row.counts().iter().map(u64::to_string));
            writer.write_record(&record).map_err(failed)?;
        }
        writer
            .into_inner()
            .map_err(|e| ServiceError::Internal(format!("csv: {e}")))
    }
}

impl Core {
    /// `GET /v1/reports/service-levels`: for the vendor's staff, the cases filed in `month`
    /// (of one company, or of all) counted per priority by how their targets stand. It reads
    /// the month's entries of each company's lists (their summaries hold the outcomes): the
    /// cost follows the cases of that month, whatever the table holds.
    pub async fn service_level_report(
        &self,
        who: &Identity,
        month: Option<&str>,
        company: Option<&str>,
    ) -> Result<ServiceLevelReport, ServiceError> {
        self.require_agent(who, "read the service-level report")?;
        let month = match month {
            Some(text) => {
                let text = text.trim();
                NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
                    .ok()
                    .filter(|_| text.len() == 7)
                    .ok_or_else(|| Invalid::new("month", "a month as YYYY-MM"))?;
                text.to_string()
            }
            None => self.now().format("%Y-%m").to_string(),
        };
        let companies = match company {
            Some(code) => {
                let code = crate::domain::validate::code("company", Some(code), 12)?;
                if self.company(&code).await?.is_none() {
                    return Err(Invalid::new("company", format!("company {code} is not registered")).into());
                }
                vec![code]
            }
            None => self.every_company_code().await?,
        };
        let mut rows: Vec<ReportRow> = REPORT_PRIORITIES.iter().map(|p| ReportRow::new(*p)).collect();
        let mut unmeasured = 0;
        for code in &companies {
            for open in [true, false] {
                let mut query = Query::new(Index::Gsi2, store::company_view(code, open));
                query.sort = SortKey::BeginsWith(month.clone());
                query.limit = 500;
                loop {
                    let page = self.table.query(&query).await?;
                    for listing in self.listings_of(&page.items).await? {
                        match (
                            listing.service,
                            REPORT_PRIORITIES.iter().position(|p| *p == listing.priority),
                        ) {
                            (Some(service), Some(row)) => rows[row].count(&service),
                            _ => unmeasured += 1,
                        }
                    }
                    match page.next {
                        Some(next) => query.after = Some(next),
                        None => break,
                    }
                }
            }
        }
        Ok(ServiceLevelReport {
            month,
            company: (companies.len() == 1 && company.is_some()).then(|| companies[0].clone()),
            rows,
            unmeasured,
        })
    }

    /// Every company's code, from staff's list of companies.
    async fn every_company_code(&self) -> Result<Vec<String>, ServiceError> {
        let mut query = Query::new(Index::Gsi3, store::ALL_COMPANIES);
        query.limit = 500;
        let mut codes = Vec::new();
        loop {
            let page = self.table.query(&query).await?;
            for item in &page.items {
                let company: Company = crate::services::people::directory::summary_of(item)?;
                codes.push(company.code.to_string());
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(codes),
            }
        }
    }
}
