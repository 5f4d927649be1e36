//! Warranty claims (seed 004, issue 15): a dealer drafts a claim on one of its units,
//! submits it (the warranty check runs against the product's terms), the support side takes
//! it, asks for information or decides line by line, pays and closes. The rules are the
//! pure domain's (`domain::warranty_claim`); this reads and writes the records.

use crate::domain::ids::new_id;
use crate::domain::ids::{Email, TicketId};
use crate::domain::roles::Identity;
use crate::domain::ticket::{ContactDraft, TicketDraft};
use crate::domain::validate::{self, Invalid};
use crate::domain::warranty::{Product, Serial};
use crate::domain::warranty_claim::check::check;
use crate::domain::warranty_claim::draft::ClaimDraft;
use crate::domain::warranty_claim::lifecycle::{self, ClaimError, ClaimEvent, ClaimHistory, ClaimState, Side};
use crate::domain::warranty_claim::rma::still_open;
use crate::domain::warranty_claim::{Claim, ClaimCase, ClaimedUnit, LineDecision};
use crate::mail::templates::MailKind;
use crate::ports::{Index, Query, SortKey, Write};
use crate::services::mail::notify::Outbox;
use crate::services::people::directory::{page_of, page_type, summary_of};
use crate::services::problems::ProblemKind;
use crate::services::tickets::conversation::MessageDraft;
use crate::services::warranty::named_dealer;
use crate::services::{item_of, Core, Loaded, Plan, ServiceError};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The link from a serial to a warranty claim filed on it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SerialWarrantyClaimLink {
    pub claim_id: String,
}

/// A warranty claim as the serial lookup shows it to the unit's dealer and staff.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SerialWarrantyClaim {
    pub id: String,
    pub state: ClaimState,
    pub failure_date: chrono::NaiveDate,
    pub currency: String,
    pub claimed: i64,
    pub approved: i64,
    pub created_at: DateTime<Utc>,
}

/// What a claim list shows of each claim.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClaimSummary {
    pub id: String,
    pub dealer_company: String,
    pub serial: String,
    pub state: ClaimState,
    pub currency: String,
    pub claimed: i64,
    pub approved: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

page_type! {
    ClaimPage of ClaimSummary,
}

/// The query of `GET /v1/warranty-claims` (and its export).
pub type ClaimQuery = super::DealerListQuery;

/// `POST /v1/warranty-claims/{id}/actions`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimAction {
    /// `submit` (the dealer, also to resubmit), `take`, `request_information` (with `why`),
    /// `decide` (with `decisions`, or without to accept the check's suggestions), `pay`,
    /// `close` (the support side; a dealer closes a draft to withdraw it).
    #[schema(required, value_type = String)]
    pub action: Option<String>,
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub why: Option<String>,
    #[schema(max_items = 200)]
    pub decisions: Option<Vec<LineDecisionDraft>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineDecisionDraft {
    /// The line's id (`l1`, `l2`, …).
    #[schema(required, value_type = String)]
    pub line: Option<String>,
    /// Minor units approved, from 0 to the line's claimed amount.
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(required, value_type = u64)]
    pub approved: Option<u64>,
    /// A reason code (needed when approving less than claimed).
    #[schema(value_type = Option<String>, max_length = 60)]
    pub reason: Option<String>,
}

fn refusal(e: ClaimError) -> ServiceError {
    match e {
        ClaimError::WrongSide(_) => ServiceError::forbidden(ProblemKind::NotYourSide, e.to_string()),
        ClaimError::NotNow { .. } => ServiceError::conflict(ProblemKind::TransitionNotAllowed, e.to_string()),
        ClaimError::NoLines => Invalid::new("lines", e.to_string()).into(),
        ClaimError::NoQuestion => Invalid::new("why", e.to_string()).into(),
        ClaimError::Decision { .. } | ClaimError::Money(_) => Invalid::new("decisions", e.to_string()).into(),
    }
}

impl Core {
    /// The unit as a claim sees it now: its product and whether (and to whom) it is
    /// registered. Another dealer's serial is unknown to this one.
    async fn claimed_unit(&self, serial: &str, dealer: &str) -> Result<(ClaimedUnit, Product), ServiceError> {
        let unknown = || Invalid::new("serial", "unknown serial number");
        let found = self
            .get_record::<Serial>(&store::serial_pk(serial), store::META)
            .await?
            .ok_or_else(unknown)?
            .record;
        if found.dealer_company != dealer {
            return Err(unknown().into());
        }
        let product = self
            .get_record::<Product>(&store::product_pk(&found.sku), store::META)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("serial {serial} names a missing product")))?
            .record;
        let unit = ClaimedUnit {
            serial: found.serial.clone(),
            sku: found.sku.clone(),
            warranty_start: found.registration.as_ref().map(|r| r.warranty_start),
            registered_dealer: found.registration.as_ref().map(|_| found.dealer_company.clone()),
        };
        Ok((unit, product))
    }

    /// `POST /v1/warranty-claims`: a dealer's people draft a claim on one of its units.
    pub async fn plan_create_claim(&self, who: &Identity, draft: &ClaimDraft) -> Result<Plan<Claim>, ServiceError> {
        if who.is_agent() {
            return Err(ServiceError::forbidden(
                ProblemKind::NotYourSide,
                "dealers file warranty claims",
            ));
        }
        let valid = draft.validate()?;
        let (unit, _) = self.claimed_unit(&valid.serial, &who.company).await?;
        let now = self.now();
        let claim = Claim {
            id: new_id("wc"),
            dealer_company: who.company.to_string(),
            unit,
            currency: valid.currency,
            failure_date: valid.failure_date,
            usage: valid.usage,
            usage_unit: valid.usage_unit,
            complaint: valid.complaint,
            cause: valid.cause,
            correction: valid.correction,
            fault_code: valid.fault_code,
            lines: valid.lines,
            state: ClaimState::Draft,
            coverage: None,
            check: None,
            history: vec![ClaimHistory {
                at: now,
                by: who.email.to_string(),
                from: None,
                to: ClaimState::Draft,
                why: "drafted".into(),
            }],
            reviewer: None,
            rmas: Vec::new(),
            cases: Vec::new(),
            created_by: who.email.to_string(),
            created_at: now,
            updated_at: now,
        };
        let item = store::warranty_claim_item(&claim, 1)?;
        Ok(Plan::new(vec![Write::create(item)], claim))
    }

    /// The claim a new case is about: one the filer may see, of the company the case is for.
    pub(crate) async fn claim_of_case(
        &self,
        who: &Identity,
        id: &str,
        company: &str,
    ) -> Result<Loaded<Claim>, ServiceError> {
        let unknown = || Invalid::new("warranty_claim", crate::domain::ticket::UNKNOWN_WARRANTY_CLAIM);
        let loaded = match self.open_claim(who, id).await {
            Err(ServiceError::NotFound(_)) => return Err(unknown().into()),
            other => other?,
        };
        if loaded.record.dealer_company != company {
            return Err(unknown().into());
        }
        Ok(loaded)
    }

    /// Puts the support side's question to the dealer in the claim's conversation: on its
    /// latest case while that is open (a reply, mailed with its reply address), else on a
    /// new case for the dealer who filed the claim (its receipt carries the question). The
    /// dealer answers in the portal or from their inbox, through the cases' own mail.
    async fn ask_in_case(
        &self,
        who: &Identity,
        claim: &mut Claim,
        question: &str,
    ) -> Result<(Vec<Write>, Vec<crate::services::NumberLease>), ServiceError> {
        if let Some(id) = claim.cases.last().and_then(|c| TicketId::parse(&c.id)) {
            let (loaded, viewer) = self.open_ticket(who, &id).await?;
            if loaded.record.lifecycle.status.is_open() {
                let message = MessageDraft {
                    body: Some(question.to_string()),
                    ..MessageDraft::default()
                };
                let plan = self.plan_add_message(&loaded, &viewer, &message).await?;
                return Ok((plan.writes, plan.numbers));
            }
        }
        // The catalogue's warranty claim type; a deployment's own catalogue without one
        // lends its first type that asks nothing more.
        let ticket_type = self
            .catalogue
            .find("warranty_claim")
            .or_else(|| {
                self.catalogue
                    .types
                    .iter()
                    .find(|t| t.required_fields.is_empty() && !t.account_management && !t.needs_owner_approval)
            })
            .map_or_else(|| "warranty_claim".to_string(), |t| t.id.clone());
        let contact = self.user_by_email(&Email::from(claim.created_by.clone())).await?;
        let draft = TicketDraft {
            desk: Some(crate::domain::lifecycle::Desk::Vendor),
            company: Some(claim.dealer_company.clone()),
            contact: Some(ContactDraft {
                name: Some(contact.map_or_else(|| claim.created_by.clone(), |u| u.name)),
                email: Some(claim.created_by.clone()),
                phone: None,
            }),
            ticket_type: Some(ticket_type),
            subject: Some(format!(
                "Warranty claim on {}: information requested",
                claim.unit.serial
            )),
            description: Some(question.to_string()),
            serial_number: Some(claim.unit.serial.clone()),
            warranty_claim: Some(claim.id.clone()),
            ..TicketDraft::default()
        };
        let valid = draft.validate(who, &self.catalogue)?;
        let plan = self.plan_ticket(who, valid).await?;
        claim.cases.push(ClaimCase {
            id: plan.value.ticket.id.to_string(),
            number: plan.value.ticket.number.clone(),
        });
        Ok((plan.writes, plan.numbers))
    }

    /// A claim its reader may see: its dealer's people and the support side; anyone else
    /// gets 404, as for tickets.
    pub async fn open_claim(&self, who: &Identity, id: &str) -> Result<Loaded<Claim>, ServiceError> {
        if !crate::domain::ids::plausible_id("wc", id) {
            return Err(ServiceError::NotFound("warranty claim"));
        }
        let loaded = self
            .get_record::<Claim>(&store::warranty_claim_pk(id), store::META)
            .await?
            .ok_or(ServiceError::NotFound("warranty claim"))?;
        if !who.is_agent() && loaded.record.dealer_company != who.company.as_str() {
            return Err(ServiceError::NotFound("warranty claim"));
        }
        Ok(loaded)
    }

    /// `PATCH /v1/warranty-claims/{id}`: the dealer rewrites a draft, or a claim sent back
    /// for information, before submitting it (again). The unit stays the claim's.
    pub async fn plan_edit_claim(
        &self,
        who: &Identity,
        id: &str,
        draft: &ClaimDraft,
    ) -> Result<Plan<Claim>, ServiceError> {
        let loaded = self.open_claim(who, id).await?;
        if who.is_agent() {
            return Err(ServiceError::forbidden(
                ProblemKind::NotYourSide,
                "the dealer edits its claim",
            ));
        }
        let mut claim = loaded.record;
        if !claim.state.editable() {
            return Err(ServiceError::conflict(
                ProblemKind::TransitionNotAllowed,
                format!("a claim that is {:?} cannot be edited", claim.state),
            ));
        }
        let valid = draft.validate()?;
        if valid.serial != claim.unit.serial {
            return Err(Invalid::new("serial", "is the claim's unit: draft a new claim for another one").into());
        }
        claim.failure_date = valid.failure_date;
        claim.usage = valid.usage;
        claim.usage_unit = valid.usage_unit;
        claim.currency = valid.currency;
        claim.complaint = valid.complaint;
        claim.cause = valid.cause;
        claim.correction = valid.correction;
        claim.fault_code = valid.fault_code;
        claim.lines = valid.lines;
        claim.updated_at = self.now();
        let item = store::warranty_claim_item(&claim, loaded.version)?;
        Ok(Plan::new(vec![Write::replace(item, loaded.version)], claim))
    }

    /// `POST /v1/warranty-claims/{id}/actions`.
    pub async fn plan_claim_action(
        &self,
        who: &Identity,
        id: &str,
        action: &ClaimAction,
    ) -> Result<Plan<Claim>, ServiceError> {
        let loaded = self.open_claim(who, id).await?;
        let mut claim = loaded.record;
        let name = validate::line("action", action.action.as_deref(), 40)?;
        let event = match name.as_str() {
            "submit" => {
                // The unit as it is now (it may have been registered since the draft), the
                // product's terms in force now.
                let (unit, product) = self.claimed_unit(&claim.unit.serial, &claim.dealer_company).await?;
                claim.unit = unit;
                let coverage = product.coverage();
                let result = check(
                    &claim.unit,
                    &claim.dealer_company,
                    &coverage,
                    claim.failure_date,
                    self.now().date_naive(),
                    self.settings.claim_filing_days,
                );
                ClaimEvent::Submit {
                    coverage,
                    check: result,
                }
            }
            "take" => ClaimEvent::Take,
            "request_information" => ClaimEvent::RequestInformation {
                why: validate::text("why", action.why.as_deref(), 2000)?,
            },
            "decide" => ClaimEvent::Decide {
                decisions: decisions_of(&claim, action.decisions.as_deref())?,
            },
            "pay" => ClaimEvent::Pay,
            "close" => {
                if who.is_agent() {
                    let rmas = self.rmas_of(&claim.rmas).await?;
                    if let Some(open) = still_open(&rmas) {
                        return Err(ServiceError::conflict(
                            ProblemKind::TransitionNotAllowed,
                            format!(
                                "RMA {} is still {:?}: credit, replace or cancel it before closing the claim",
                                open.number, open.state
                            ),
                        ));
                    }
                }
                ClaimEvent::Close
            }
            _ => {
                return Err(Invalid::new(
                    "action",
                    "must be one of submit, take, request_information, decide, pay, close",
                )
                .into())
            }
        };
        lifecycle::apply(
            &mut claim,
            event,
            Side::of(who),
            who.email.as_str(),
            self.now(),
            &self.settings.adjustment_reasons,
        )
        .map_err(refusal)?;
        // The question goes into the claim's conversation, whose mail the dealer answers.
        let mut case_writes = Vec::new();
        let mut numbers = Vec::new();
        if let ClaimState::InformationRequested = claim.state {
            let question = claim.history.last().map(|h| h.why.clone()).unwrap_or_default();
            (case_writes, numbers) = self.ask_in_case(who, &mut claim, &question).await?;
        }
        let item = store::warranty_claim_item(&claim, loaded.version)?;
        let mut writes = vec![Write::replace(item, loaded.version)];
        writes.extend(case_writes);
        let submissions = claim.history.iter().filter(|h| h.to == ClaimState::Submitted).count();
        if name == "submit" && submissions == 1 {
            // From its first submission the claim is part of the unit's history.
            writes.push(Write::create(item_of(
                store::serial_pk(&claim.unit.serial),
                store::serial_warranty_claim_sk(claim.updated_at, &claim.id),
                &SerialWarrantyClaimLink {
                    claim_id: claim.id.clone(),
                },
            )));
        }
        writes.extend(self.claim_mail(&claim)?);
        let mut plan = Plan::new(writes, claim);
        plan.numbers = numbers;
        Ok(plan)
    }

    /// Who hears of the claim's new state: the support desk of a submission, the dealer who
    /// filed it of what the support side did (taking it in review mails nobody).
    fn claim_mail(&self, claim: &Claim) -> Result<Vec<Write>, ServiceError> {
        let to = match claim.state {
            ClaimState::Submitted => self.settings.vendor_desk_email.clone(),
            // The question reached the dealer through the claim's case and its mail.
            ClaimState::Approved | ClaimState::PartiallyApproved | ClaimState::Rejected | ClaimState::Paid => {
                claim.created_by.clone()
            }
            // Closed by the support side (a withdrawn draft was the dealer's own doing).
            ClaimState::Closed if claim.history.last().is_some_and(|h| h.why == "closed") => claim.created_by.clone(),
            _ => return Ok(Vec::new()),
        };
        let totals = claim
            .totals()
            .map_err(|e| ServiceError::Internal(format!("claim {}: {e}", claim.id)))?;
        let state = crate::slugs::serde_name(&claim.state);
        let context = serde_json::json!({
            "name": to,
            "link": format!("{}/portal/claims/{}", self.settings.public_base_url.trim_end_matches('/'), claim.id),
            "claim": {
                "id": claim.id, "serial": claim.unit.serial, "state": state,
                "why": claim.history.last().map(|h| h.why.clone()),
                "currency": claim.currency.as_str(),
                "claimed": claim.currency.format(totals.claimed),
                "approved": claim.currency.format(totals.approved),
            },
        });
        let mut outbox = Outbox::new(self);
        outbox.account_mail(MailKind::ClaimUpdated, &to, context);
        Ok(outbox.into_writes())
    }

    /// The warranty claims submitted on a serial, oldest first.
    pub async fn warranty_claims_of(&self, serial: &str) -> Result<Vec<SerialWarrantyClaim>, ServiceError> {
        let mut query = Query::new(Index::Table, store::serial_pk(serial));
        query.sort = SortKey::BeginsWith(store::SERIAL_WARRANTY_CLAIM_PREFIX.into());
        query.limit = 100;
        let links = self.table.query(&query).await?.items;
        let keys: Vec<(String, String)> = links
            .iter()
            .map(|item| {
                let link: SerialWarrantyClaimLink = store::from_item(item)?;
                Ok((store::warranty_claim_pk(&link.claim_id), store::META.to_string()))
            })
            .collect::<Result<_, ServiceError>>()?;
        let mut claims = Vec::with_capacity(keys.len());
        for item in self.table.get_many(&keys).await? {
            let claim: Claim = store::from_item(&item)?;
            let totals = claim
                .totals()
                .map_err(|e| ServiceError::Internal(format!("claim {}: {e}", claim.id)))?;
            claims.push(SerialWarrantyClaim {
                id: claim.id,
                state: claim.state,
                failure_date: claim.failure_date,
                currency: claim.currency.as_str().to_string(),
                claimed: totals.claimed,
                approved: totals.approved,
                created_at: claim.created_at,
            });
        }
        claims.sort_by_key(|c| c.created_at);
        Ok(claims)
    }

    /// Which list a claim query reads: a dealer's lists (seed 004), or the support side's
    /// queues. Shared by the list and its export.
    pub(crate) fn claim_list(&self, who: &Identity, query: &ClaimQuery) -> Result<Query, ServiceError> {
        let list = query.list.as_deref();
        let (pk, index, newest_first) = match named_dealer(who, query.dealer.as_deref(), "claims")? {
            None if who.is_agent() => {
                let queue = match list.unwrap_or("submitted") {
                    // The claims this agent took and is reviewing.
                    "mine" => store::reviewer_queue_view(who.email.as_str()),
                    state @ ("submitted" | "information_requested") => store::claim_queue_view(state),
                    _ => return Err(Invalid::new("list", "must be submitted, mine or information_requested").into()),
                };
                (queue, Index::Gsi3, false)
            }
            dealer => {
                let dealer = dealer.unwrap_or_else(|| who.company.to_string());
                match list.unwrap_or("all") {
                    "all" => (store::dealer_all_claims_view(&dealer), Index::Gsi2, true),
                    l @ ("active" | "draft" | "closed") => (store::dealer_claims_view(&dealer, l), Index::Gsi1, true),
                    _ => return Err(Invalid::new("list", "must be active, draft, closed or all").into()),
                }
            }
        };
        let mut q = Query::new(index, pk);
        q.newest_first = newest_first;
        Ok(q)
    }

    /// `GET /v1/warranty-claims`: a dealer's lists (seed 004), or the support side's queues.
    pub async fn list_claims(&self, who: &Identity, query: &ClaimQuery) -> Result<ClaimPage, ServiceError> {
        let (limit, after) = page_of(query.cursor.as_deref(), query.limit)?;
        let mut q = self.claim_list(who, query)?;
        q.limit = limit;
        q.after = after;
        let page = self.table.query(&q).await?;
        Ok(ClaimPage {
            items: page.items.iter().map(summary_of).collect::<Result<_, _>>()?,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }
}

/// The decisions asked for, or the warranty check's suggestions when none are given.
fn decisions_of(
    claim: &Claim,
    drafts: Option<&[LineDecisionDraft]>,
) -> Result<Vec<(String, LineDecision)>, ServiceError> {
    let Some(drafts) = drafts else {
        let check = claim
            .check
            .as_ref()
            .ok_or_else(|| Invalid::new("decisions", "are required: this claim has no warranty check"))?;
        return claim
            .lines
            .iter()
            .map(|l| {
                Ok((
                    l.id.clone(),
                    check.suggest(l).map_err(|e| refusal(ClaimError::Money(e)))?,
                ))
            })
            .collect();
    };
    drafts
        .iter()
        .enumerate()
        .map(|(n, d)| {
            let line = validate::line(&format!("decisions[{n}].line"), d.line.as_deref(), 20)?;
            let approved = d
                .approved
                .and_then(|a| i64::try_from(a).ok())
                .ok_or_else(|| Invalid::new(format!("decisions[{n}].approved"), "is required (minor units)"))?;
            let reason = validate::optional_line(&format!("decisions[{n}].reason"), d.reason.as_deref(), 60)?;
            Ok((line, LineDecision { approved, reason }))
        })
        .collect()
}
