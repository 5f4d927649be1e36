//! RMAs (seed 004, issue 15): the support side asks a dealer back for parts of a claim; the
//! dealer ships them, the warehouse counts them, and they are credited or replaced. The
//! rules are the pure domain's (`domain::warranty_claim::rma`); this reads and writes the
//! records and tells the other side by mail at every step.

use crate::domain::ids::new_id;
use crate::domain::roles::Identity;
use crate::domain::validate::{self, Invalid};
use crate::domain::warranty_claim::lifecycle::Side;
use crate::domain::warranty_claim::rma::{self, PartCondition, Rma, RmaError, RmaEvent, RmaState};
use crate::domain::warranty_claim::ClaimRma;
use crate::mail::templates::MailKind;
use crate::ports::{Index, Query, Write};
use crate::services::mail::notify::Outbox;
use crate::services::people::directory::{page_of, page_type, summary_of};
use crate::services::problems::ProblemKind;
use crate::services::warranty::named_dealer;
use crate::services::{item_of, Core, Loaded, Plan, ServiceError};
use crate::slugs::serde_name;
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /v1/warranty-claims/{id}/rmas`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RmaRequest {
    /// The part lines to send back, and how many of each.
    #[schema(required, max_items = 200)]
    pub lines: Option<Vec<RmaLineDraft>>,
    /// Where to send them, how to pack them.
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RmaLineDraft {
    /// The claim's part line (`l1`, …).
    #[schema(required, value_type = String)]
    pub line: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(required, value_type = u32, minimum = 1)]
    pub quantity: Option<u64>,
}

/// `POST /v1/rmas/{id}/actions`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RmaAction {
    /// `ship` (the dealer, with `carrier` and `tracking_number`), `receive` (with `lines`),
    /// `credit`, `replace`, `close` (an issued one is cancelled, with `why`).
    #[schema(required, value_type = String)]
    pub action: Option<String>,
    #[schema(value_type = Option<String>, max_length = 60)]
    pub carrier: Option<String>,
    #[schema(value_type = Option<String>, max_length = 60)]
    pub tracking_number: Option<String>,
    /// What arrived, per RMA line.
    #[schema(max_items = 200)]
    pub lines: Option<Vec<ReceivedDraft>>,
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub why: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceivedDraft {
    #[schema(required, value_type = String)]
    pub line: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(required, value_type = u32)]
    pub received: Option<u64>,
    #[schema(required)]
    pub condition: Option<PartCondition>,
}

/// What an RMA list shows of each.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RmaSummary {
    pub id: String,
    pub number: String,
    pub claim_id: String,
    pub dealer_company: String,
    pub serial: String,
    pub state: RmaState,
    /// Parts asked back, in all.
    pub parts: u32,
    pub tracking_number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

page_type! {
    RmaPage of RmaSummary,
}

/// The query of `GET /v1/rmas`.
pub type RmaQuery = super::DealerListQuery;

/// What the number record of an RMA holds (its uniqueness, beside the ticket numbers').
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RmaNumber {
    rma_id: String,
}

fn refusal(e: RmaError) -> ServiceError {
    match e {
        RmaError::WrongSide(_) => ServiceError::forbidden(ProblemKind::NotYourSide, e.to_string()),
        RmaError::NotNow { .. } | RmaError::ClaimNotNow(_) => {
            ServiceError::conflict(ProblemKind::TransitionNotAllowed, e.to_string())
        }
        RmaError::Field { field, why } => Invalid::new(field, why).into(),
    }
}

impl Core {
    /// The portal page of an RMA, for mail.
    fn rma_link(&self, rma: &Rma) -> String {
        format!(
            "{}/portal/rmas/{}",
            self.settings.public_base_url.trim_end_matches('/'),
            rma.id
        )
    }

    /// The mail of an RMA's step: to the dealer who filed the claim, or to the support desk
    /// when the dealer acted.
    fn rma_mail(&self, outbox: &mut Outbox<'_>, rma: &Rma, kind: MailKind, to: &str) {
        let last = rma.history.last().map(|h| h.why.clone()).unwrap_or_default();
        let context = serde_json::json!({
            "name": to,
            "link": self.rma_link(rma),
            "rma": {
                "number": rma.number, "serial": rma.serial, "state": serde_name(&rma.state),
                "why": last, "instructions": rma.instructions,
                "carrier": rma.shipment.as_ref().map(|s| s.carrier.clone()),
                "tracking_number": rma.shipment.as_ref().map(|s| s.tracking_number.clone()),
                "lines": rma.lines,
            },
        });
        outbox.account_mail(kind, to, context);
    }

    /// `POST /v1/warranty-claims/{id}/rmas`: the support side asks for parts back.
    pub async fn plan_issue_rma(
        &self,
        who: &Identity,
        claim_id: &str,
        request: &RmaRequest,
    ) -> Result<Plan<Rma>, ServiceError> {
        let Loaded {
            record: mut claim,
            version,
        } = self.open_claim(who, claim_id).await?;
        if !who.is_agent() {
            return Err(ServiceError::forbidden(
                ProblemKind::NotYourSide,
                "the support side issues RMAs",
            ));
        }
        let drafts = request
            .lines
            .as_deref()
            .ok_or_else(|| Invalid::new("lines", "name the part lines to send back"))?;
        if drafts.len() > 200 {
            return Err(Invalid::new("lines", "at most 200").into());
        }
        let parts = drafts
            .iter()
            .enumerate()
            .map(|(n, d)| {
                let line = validate::line(&format!("lines[{n}].line"), d.line.as_deref(), 20)?;
                let quantity = d
                    .quantity
                    .and_then(|q| u32::try_from(q).ok())
                    .ok_or_else(|| Invalid::new(format!("lines[{n}].quantity"), "is required (a whole number)"))?;
                Ok((line, quantity))
            })
            .collect::<Result<Vec<_>, Invalid>>()?;
        let instructions = validate::optional_text("instructions", request.instructions.as_deref(), 2000)?;
        let lease = self.next_in_sequence(&claim.dealer_company, store::RMA_COUNTER).await?;
        let number = rma::rma_number(&claim.dealer_company, lease.number());
        let rma = rma::issue(
            &claim,
            new_id("rma"),
            number.clone(),
            &parts,
            instructions.unwrap_or_default(),
            who.email.as_str(),
            self.now(),
        )
        .map_err(refusal)?;
        claim.rmas.push(ClaimRma {
            id: rma.id.clone(),
            number: number.clone(),
        });
        claim.updated_at = self.now();
        let mut outbox = Outbox::new(self);
        self.rma_mail(&mut outbox, &rma, MailKind::RmaIssued, &rma.dealer_contact);
        let mut writes = vec![
            Write::create(store::rma_item(&rma, 1)),
            Write::replace(store::warranty_claim_item(&claim, version)?, version),
            Write::create(item_of(
                store::company_pk(&claim.dealer_company),
                store::number_sk(&number),
                &RmaNumber { rma_id: rma.id.clone() },
            )),
        ];
        writes.extend(outbox.into_writes());
        let mut plan = Plan::new(writes, rma);
        plan.numbers.push(lease);
        Ok(plan)
    }

    /// An RMA its reader may see: its dealer's people and the support side (404 otherwise).
    pub async fn open_rma(&self, who: &Identity, id: &str) -> Result<Loaded<Rma>, ServiceError> {
        if !crate::domain::ids::plausible_id("rma", id) {
            return Err(ServiceError::NotFound("RMA"));
        }
        let loaded = self
            .get_record::<Rma>(&store::rma_pk(id), store::META)
            .await?
            .ok_or(ServiceError::NotFound("RMA"))?;
        if !who.is_agent() && loaded.record.dealer_company != who.company.as_str() {
            return Err(ServiceError::NotFound("RMA"));
        }
        Ok(loaded)
    }

    /// A claim's RMAs (to tell whether the claim may close).
    pub async fn rmas_of(&self, rmas: &[ClaimRma]) -> Result<Vec<Rma>, ServiceError> {
        let keys: Vec<(String, String)> = rmas
            .iter()
            .map(|r| (store::rma_pk(&r.id), store::META.to_string()))
            .collect();
        let items = self.table.get_many(&keys).await?;
        items
            .iter()
            .map(|item| store::from_item::<Rma>(item).map_err(ServiceError::from))
            .collect()
    }

    /// `POST /v1/rmas/{id}/actions`.
    pub async fn plan_rma_action(
        &self,
        who: &Identity,
        id: &str,
        action: &RmaAction,
    ) -> Result<Plan<Rma>, ServiceError> {
        let Loaded {
            record: mut rma,
            version,
        } = self.open_rma(who, id).await?;
        let name = validate::line("action", action.action.as_deref(), 40)?;
        let event = match name.as_str() {
            "ship" => RmaEvent::Ship {
                carrier: validate::line("carrier", action.carrier.as_deref(), 60)?,
                tracking_number: validate::line("tracking_number", action.tracking_number.as_deref(), 60)?,
            },
            "receive" => {
                let drafts = action
                    .lines
                    .as_deref()
                    .ok_or_else(|| Invalid::new("lines", "count every line of the RMA"))?;
                if drafts.len() > 200 {
                    return Err(Invalid::new("lines", "at most 200").into());
                }
                let counts = drafts
                    .iter()
                    .enumerate()
                    .map(|(n, d)| {
                        let line = validate::line(&format!("lines[{n}].line"), d.line.as_deref(), 20)?;
                        let received = d.received.and_then(|q| u32::try_from(q).ok()).ok_or_else(|| {
                            Invalid::new(format!("lines[{n}].received"), "is required (a whole number)")
                        })?;
                        let condition = d
                            .condition
                            .ok_or_else(|| Invalid::new(format!("lines[{n}].condition"), "is required"))?;
                        Ok((line, received, condition))
                    })
                    .collect::<Result<Vec<_>, Invalid>>()?;
                RmaEvent::Receive { counts }
            }
            "credit" => RmaEvent::Credit,
            "replace" => RmaEvent::Replace,
            "close" => RmaEvent::Close {
                why: validate::optional_text("why", action.why.as_deref(), 2000)?,
            },
            _ => {
                return Err(Invalid::new("action", "must be one of ship, receive, credit, replace, close").into());
            }
        };
        rma::apply(&mut rma, event, Side::of(who), who.email.as_str(), self.now()).map_err(refusal)?;
        // The dealer hears of every step the support side takes; the desk hears of a shipment.
        let mut outbox = Outbox::new(self);
        let to = match Side::of(who) {
            Side::Dealer => self.settings.vendor_desk_email.clone(),
            Side::Agent => rma.dealer_contact.clone(),
        };
        self.rma_mail(&mut outbox, &rma, MailKind::RmaUpdated, &to);
        let mut writes = vec![Write::replace(store::rma_item(&rma, version), version)];
        writes.extend(outbox.into_writes());
        Ok(Plan::new(writes, rma))
    }

    /// Which list an RMA query reads: every RMA issued to a dealer, or a support queue.
    /// Shared by the list and its export.
    pub(crate) fn rma_list(&self, who: &Identity, query: &RmaQuery) -> Result<Query, ServiceError> {
        let (pk, index, newest_first) = match named_dealer(who, query.dealer.as_deref(), "RMAs")? {
            None if who.is_agent() => {
                let state = query.list.as_deref().unwrap_or("shipped");
                if !["issued", "shipped", "received"].contains(&state) {
                    return Err(Invalid::new("list", "must be issued, shipped or received").into());
                }
                (store::rma_queue_view(state), Index::Gsi3, false)
            }
            dealer => {
                if query.list.is_some() {
                    return Err(Invalid::new("list", "is for the support side's queues").into());
                }
                let dealer = dealer.unwrap_or_else(|| who.company.to_string());
                (store::dealer_rmas_view(&dealer), Index::Gsi1, true)
            }
        };
        let mut q = Query::new(index, pk);
        q.newest_first = newest_first;
        Ok(q)
    }

    /// `GET /v1/rmas`: every RMA issued to a dealer, or the support side's queues.
    pub async fn list_rmas(&self, who: &Identity, query: &RmaQuery) -> Result<RmaPage, ServiceError> {
        let (limit, after) = page_of(query.cursor.as_deref(), query.limit)?;
        let mut q = self.rma_list(who, query)?;
        q.limit = limit;
        q.after = after;
        let page = self.table.query(&q).await?;
        Ok(RmaPage {
            items: page.items.iter().map(summary_of).collect::<Result<_, _>>()?,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }
}
