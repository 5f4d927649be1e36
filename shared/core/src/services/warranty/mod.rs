//! Warranty registration by the dealer, and the serial lookup.

pub mod claims;
pub mod companies;
pub mod export;
pub mod rmas;

use crate::domain::roles::Identity;
use crate::domain::validate::{self, Invalid};
use crate::domain::warranty::{self, Product, Registration, RegistrationDraft, Serial, WarrantyRefusal};
use crate::ports::{Index, Query, SortKey, Write};
use crate::services::people::directory::{page_of, page_type, summary_of};
use crate::services::problems::ProblemKind;
use crate::services::tickets::SerialClaim;
use crate::services::{Core, Plan, ServiceError};
use crate::store;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A serial lookup. Dates and the number of claims are for anyone signed in; who the
/// customer is only for the owning company and support staff; what a claim says only for
/// the company that filed it and support staff.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SerialLookup {
    pub serial: String,
    pub sku: String,
    pub product_name: String,
    pub warranty_months: u32,
    pub registered: bool,
    pub warranty_start: Option<NaiveDate>,
    pub warranty_end: Option<NaiveDate>,
    pub under_warranty: bool,
    pub claims_count: usize,
    pub claim_dates: Vec<DateTime<Utc>>,
    /// Warranty claims submitted on the unit (by its dealer), for anyone signed in.
    #[serde(default)]
    pub warranty_claims_count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<SerialDetails>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SerialDetails {
    pub dealer_company: String,
    pub registration: Option<Registration>,
    pub claims: Vec<SerialClaim>,
    /// The unit's warranty claims: its dealer's own, so shown with the details.
    #[serde(default)]
    pub warranty_claims: Vec<claims::SerialWarrantyClaim>,
}

impl From<WarrantyRefusal> for ServiceError {
    fn from(r: WarrantyRefusal) -> Self {
        match r {
            WarrantyRefusal::Invalid(i) => ServiceError::Invalid(i),
            // Another company's serial is reported as unknown: serials are not to be probed.
            WarrantyRefusal::NotYourSerial => Invalid::new("serial", "unknown serial number").into(),
            WarrantyRefusal::AlreadyRegistered => ServiceError::conflict(ProblemKind::AlreadyRegistered, r.to_string()),
        }
    }
}

page_type! {
    UnitPage of Serial,
}

/// The dealer a list query names, if any: staff may name any company by its code; anyone
/// else names none (they list their own company's `what`).
pub(crate) fn named_dealer(who: &Identity, dealer: Option<&str>, what: &str) -> Result<Option<String>, Invalid> {
    match dealer {
        None => Ok(None),
        Some(code) if who.is_agent() => validate::code("dealer", Some(code), 12).map(Some),
        Some(_) => Err(Invalid::new(
            "dealer",
            format!("only staff list another company's {what}"),
        )),
    }
}

/// The query of a dealer's list, or of a support queue (warranty claims, RMAs): which list,
/// which dealer (staff only), a cursor and a page size.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct DealerListQuery {
    /// Which list or queue (the operation names them; each has its default).
    #[param(nullable = false)]
    pub list: Option<String>,
    /// Support: the dealer whose list to read (everyone else reads their own company's).
    #[param(nullable = false)]
    pub dealer: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (25 when absent).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// The query of a dealer's units pending registration.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct UnitQuery {
    /// Staff: the dealer company (everyone else lists their own company's units).
    #[param(nullable = false)]
    pub dealer: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (25 when absent).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

impl Core {
    /// Seed 004's "units pending registration": the serials assigned to a dealer whose
    /// warranty nobody has registered yet, by serial number. A dealer's people see their
    /// own company's; staff name the dealer.
    pub async fn pending_units(
        &self,
        who: &Identity,
        dealer: Option<&str>,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<UnitPage, ServiceError> {
        let dealer = match named_dealer(who, dealer, "units")? {
            Some(code) => code,
            None if who.is_agent() => return Err(Invalid::new("dealer", "is required for staff").into()),
            None => who.company.to_string(),
        };
        let (limit, after) = page_of(cursor, limit)?;
        let mut query = Query::new(Index::Gsi2, store::pending_units_view(&dealer));
        query.limit = limit;
        query.after = after;
        let page = self.table.query(&query).await?;
        Ok(UnitPage {
            items: page.items.iter().map(summary_of).collect::<Result<_, _>>()?,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    async fn serial_and_product(
        &self,
        serial: &str,
    ) -> Result<Option<(crate::services::Loaded<Serial>, Product)>, ServiceError> {
        let Some(loaded) = self
            .get_record::<Serial>(&store::serial_pk(serial), store::META)
            .await?
        else {
            return Ok(None);
        };
        let product = self
            .get_record::<Product>(&store::product_pk(&loaded.record.sku), store::META)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("serial {serial} names a missing product")))?;
        Ok(Some((loaded, product.record)))
    }

    pub async fn plan_register_warranty(
        &self,
        who: &Identity,
        draft: &RegistrationDraft,
    ) -> Result<Plan<Serial>, ServiceError> {
        let serial_no = validate::code("serial", draft.serial.as_deref(), 60)?;
        let (loaded, product) = self
            .serial_and_product(&serial_no)
            .await?
            .ok_or_else(|| Invalid::new("serial", "unknown serial number"))?;
        let registered = warranty::register(&loaded.record, &product, draft, who, self.now())?;
        // Off the dealer's list of units pending registration.
        let item = store::serial_item(&registered, loaded.version);
        let mut outbox = crate::services::mail::notify::Outbox::new(self);
        outbox.event(
            "warranty.registered",
            serde_json::json!({ "serial": serial_no, "sku": registered.sku, "dealer_company": registered.dealer_company }),
        );
        let mut writes = vec![Write::replace(item, loaded.version)];
        writes.extend(outbox.into_writes());
        Ok(Plan::new(writes, registered))
    }

    pub async fn lookup_serial(&self, who: &Identity, serial: &str) -> Result<SerialLookup, ServiceError> {
        let serial_no =
            validate::code("serial", Some(serial), 60).map_err(|_| ServiceError::NotFound("serial number"))?;
        let (loaded, product) = self
            .serial_and_product(&serial_no)
            .await?
            .ok_or(ServiceError::NotFound("serial number"))?;
        let serial = loaded.record;
        let mut query = Query::new(Index::Table, store::serial_pk(&serial_no));
        query.sort = SortKey::BeginsWith(store::SERIAL_CLAIM_PREFIX.into());
        query.limit = 1000;
        let claims: Vec<SerialClaim> = self
            .table
            .query(&query)
            .await?
            .items
            .iter()
            .map(store::from_item)
            .collect::<Result<_, _>>()?;
        let warranty_claims = self.warranty_claims_of(&serial_no).await?;
        let today = self.now().date_naive();
        let registration = serial.registration.clone();
        Ok(SerialLookup {
            serial: serial.serial.clone(),
            sku: serial.sku.clone(),
            product_name: product.name,
            warranty_months: product.warranty_months,
            registered: registration.is_some(),
            warranty_start: registration.as_ref().map(|r| r.warranty_start),
            warranty_end: registration.as_ref().map(|r| r.warranty_end),
            under_warranty: registration
                .as_ref()
                .is_some_and(|r| r.warranty_start <= today && today < r.warranty_end),
            claims_count: claims.len(),
            claim_dates: claims.iter().map(|c| c.opened_at).collect(),
            warranty_claims_count: warranty_claims.len(),
            details: warranty::sees_details(who, &serial).then(|| SerialDetails {
                dealer_company: serial.dealer_company.clone(),
                registration,
                claims: claims
                    .into_iter()
                    .filter(|c| warranty::sees_claim(who, &c.company))
                    .collect(),
                warranty_claims,
            }),
        })
    }
}
