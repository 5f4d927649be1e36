//! Staff-only catalogue records: companies, products, serial numbers.

use crate::domain::company::{Company, CompanyDraft};
use crate::domain::roles::Identity;
use crate::domain::validate::{self, Invalid};
use crate::domain::warranty::{Product, ProductDraft, Serial, SerialDraft};
use crate::ports::Write;
use crate::services::problems::ProblemKind;
use crate::services::{item_of, Core, Plan, ServiceError};
use crate::store;

impl Core {
    pub async fn plan_create_company(
        &self,
        who: &Identity,
        draft: &CompanyDraft,
    ) -> Result<Plan<Company>, ServiceError> {
        self.require_agent(who, "register companies")?;
        let company = draft.validate(self.now())?;
        self.refuse_existing(&store::company_pk(&company.code), "company")
            .await?;
        Ok(Plan::new(
            vec![Write::create(store::company_item(&company, 1))],
            company,
        ))
    }

    pub async fn plan_create_product(
        &self,
        who: &Identity,
        draft: &ProductDraft,
    ) -> Result<Plan<Product>, ServiceError> {
        self.require_agent(who, "define products")?;
        let product = draft.validate()?;
        self.refuse_existing(&store::product_pk(&product.sku), "product")
            .await?;
        let item = item_of(store::product_pk(&product.sku), store::META, &product);
        Ok(Plan::new(vec![Write::create(item)], product))
    }

    /// Seed 004: serials are created by the vendor and assigned to a dealer company.
    pub async fn plan_create_serial(&self, who: &Identity, draft: &SerialDraft) -> Result<Plan<Serial>, ServiceError> {
        self.require_agent(who, "create serial numbers")?;
        let serial = validate::code("serial", draft.serial.as_deref(), 60)?;
        let sku = validate::code("sku", draft.sku.as_deref(), 40)?;
        let dealer = validate::code("dealer_company", draft.dealer_company.as_deref(), 12)?;
        self.refuse_existing(&store::serial_pk(&serial), "serial number")
            .await?;
        if self.table.get(&store::product_pk(&sku), store::META).await?.is_none() {
            return Err(Invalid::new("sku", "unknown product").into());
        }
        if self.company(&dealer).await?.is_none() {
            return Err(Invalid::new("dealer_company", "unknown company").into());
        }
        let record = Serial {
            serial,
            sku,
            dealer_company: dealer,
            created_by: who.email.to_string(),
            created_at: self.now(),
            registration: None,
        };
        let item = store::serial_item(&record, 1);
        Ok(Plan::new(vec![Write::create(item)], record))
    }
}

impl Core {
    /// A clear 409 for a record that exists, rather than a failed conditional write.
    async fn refuse_existing(&self, pk: &str, what: &str) -> Result<(), ServiceError> {
        if self.table.get(pk, store::META).await?.is_some() {
            return Err(ServiceError::conflict(
                ProblemKind::AlreadyExists,
                format!("this {what} already exists"),
            ));
        }
        Ok(())
    }
}
