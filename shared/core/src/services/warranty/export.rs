//! Exports of a claim or RMA list, with its filters, as CSV (RFC 4180) or Excel `.xlsx` (issue
//! 15). Rows are written as the list's pages arrive, 100 claims at a time, into a file the
//! caller names: memory stays flat however many rows (the workbook is written in
//! `rust_xlsxwriter`'s constant-memory mode, which keeps rows in its own temporary file).
//! Where the file goes next is the engine's (`ports::Blobs::publish_export`): streamed by
//! the local server, or stored in S3 behind a short-lived link (a Lambda response cannot
//! exceed 6 MB).
//!
//! Every text cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`,
//! `@`, a tab, a carriage return or NUL) is neutralised with a leading apostrophe (OWASP
//! ASVS 1.2.10, CSV injection).

use crate::domain::money::Currency;
use crate::domain::roles::Identity;
use crate::domain::validate::Invalid;
use crate::domain::warranty_claim::rma::Rma;
use crate::domain::warranty_claim::Claim;
use crate::ports::{Item, Query};
use crate::services::warranty::claims::ClaimQuery;
use crate::services::warranty::rmas::RmaQuery;
use crate::services::{Core, ServiceError};
use crate::slugs::serde_name;
use crate::store;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Claims read per page (DynamoDB's BatchGetItem takes at most 100 keys).
const PAGE: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(format: Option<&str>) -> Result<ExportFormat, Invalid> {
        match format.unwrap_or("csv") {
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            _ => Err(Invalid::new("format", "must be csv or xlsx")),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Text a spreadsheet would not take for a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

enum Cell<'a> {
    Text(&'a str),
    Money(i64, &'a Currency),
    Count(u64),
}

const COLUMNS: &[&str] = &[
    "Claim",
    "Dealer",
    "Serial",
    "SKU",
    "State",
    "Failure date",
    "Usage",
    "Usage unit",
    "Fault code",
    "Complaint",
    "Cause",
    "Correction",
    "Currency",
    "Claimed",
    "Approved",
    "Parts claimed",
    "Parts approved",
    "Labour claimed",
    "Labour approved",
    "Other claimed",
    "Other approved",
    "RMAs",
    "Filed by",
    "Created",
    "Updated",
];

/// Writes one claim's row.
fn claim_row(claim: &Claim, sink: &mut dyn Sink) -> Result<(), ServiceError> {
    let totals = claim
        .totals()
        .map_err(|e| ServiceError::Internal(format!("claim {}: {e}", claim.id)))?;
    let state = serde_name(&claim.state);
    let failure = claim.failure_date.to_string();
    let unit = serde_name(&claim.usage_unit);
    let rmas = claim
        .rmas
        .iter()
        .map(|r| r.number.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let created = claim.created_at.to_rfc3339();
    let updated = claim.updated_at.to_rfc3339();
    let c = &claim.currency;
    sink.row(&[
        Cell::Text(&claim.id),
        Cell::Text(&claim.dealer_company),
        Cell::Text(&claim.unit.serial),
        Cell::Text(&claim.unit.sku),
        Cell::Text(&state),
        Cell::Text(&failure),
        Cell::Count(claim.usage),
        Cell::Text(&unit),
        Cell::Text(&claim.fault_code),
        Cell::Text(&claim.complaint),
        Cell::Text(&claim.cause),
        Cell::Text(&claim.correction),
        Cell::Text(c.as_str()),
        Cell::Money(totals.claimed, c),
        Cell::Money(totals.approved, c),
        Cell::Money(totals.parts.claimed, c),
        Cell::Money(totals.parts.approved, c),
        Cell::Money(totals.labour.claimed, c),
        Cell::Money(totals.labour.approved, c),
        Cell::Money(totals.other.claimed, c),
        Cell::Money(totals.other.approved, c),
        Cell::Text(&rmas),
        Cell::Text(&claim.created_by),
        Cell::Text(&created),
        Cell::Text(&updated),
    ])
}

trait Sink {
    fn header(&mut self, columns: &[&str]) -> Result<(), ServiceError>;
    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ServiceError>;
    fn finish(self: Box<Self>) -> Result<(), ServiceError>;
}

fn failed(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("the export could not be written: {e}"))
}

struct CsvSink(csv::Writer<BufWriter<File>>);

impl Sink for CsvSink {
    fn header(&mut self, columns: &[&str]) -> Result<(), ServiceError> {
        self.0.write_record(columns).map_err(failed)
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ServiceError> {
        let fields = cells.iter().map(|cell| match cell {
            Cell::Text(t) => neutralise(t).into_owned(),
            Cell::Money(minor, currency) => currency.format(*minor),
            Cell::Count(n) => n.to_string(),
        });
        self.0.write_record(fields).map_err(failed)
    }

    fn finish(self: Box<Self>) -> Result<(), ServiceError> {
        let mut writer = self.0.into_inner().map_err(|e| failed(e.error()))?;
        std::io::Write::flush(&mut writer).map_err(failed)
    }
}

struct XlsxSink {
    workbook: rust_xlsxwriter::Workbook,
    path: std::path::PathBuf,
    row: u32,
    /// One number format per count of decimals (0, 2, 3).
    formats: HashMap<u32, rust_xlsxwriter::Format>,
    bold: rust_xlsxwriter::Format,
}

impl XlsxSink {
    fn new(path: &Path, name: &str) -> Result<XlsxSink, ServiceError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(failed)?;
        sheet.set_name(name).map_err(failed)?;
        Ok(XlsxSink {
            workbook,
            path: path.to_path_buf(),
            row: 0,
            formats: HashMap::new(),
            bold: rust_xlsxwriter::Format::new().set_bold(),
        })
    }
}

impl Sink for XlsxSink {
    fn header(&mut self, columns: &[&str]) -> Result<(), ServiceError> {
        let sheet = self.workbook.worksheet_from_index(0).map_err(failed)?;
        for (n, name) in columns.iter().enumerate() {
            sheet
                .write_string_with_format(0, n as u16, *name, &self.bold)
                .map_err(failed)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(failed)?;
        self.row = 1;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ServiceError> {
        let sheet = self.workbook.worksheet_from_index(0).map_err(failed)?;
        for (n, cell) in cells.iter().enumerate() {
            let column = n as u16;
            match cell {
                Cell::Text(t) => sheet.write_string(self.row, column, neutralise(t)),
                Cell::Count(v) => sheet.write_number(self.row, column, *v as f64),
                Cell::Money(minor, currency) => {
                    // A spreadsheet's numbers are floating point: the amount is shown in
                    // major units with the currency's decimals; the exact figure is the CSV's.
                    let decimals = currency.decimals();
                    let format = self.formats.entry(decimals).or_insert_with(|| {
                        let pattern = match decimals {
                            0 => "#,##0".to_string(),
                            d => format!("#,##0.{}", "0".repeat(d as usize)),
                        };
                        rust_xlsxwriter::Format::new().set_num_format(pattern)
                    });
                    let major = *minor as f64 / 10f64.powi(decimals as i32);
                    sheet.write_number_with_format(self.row, column, major, format)
                }
            }
            .map_err(failed)?;
        }
        self.row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), ServiceError> {
        self.workbook.save(&self.path).map_err(failed)
    }
}

/// What one kind of record looks like as rows: its columns and each record's cells.
trait Rows: serde::de::DeserializeOwned {
    const SHEET: &'static str;
    const COLUMNS: &'static [&'static str];
    fn row(&self, sink: &mut dyn Sink) -> Result<(), ServiceError>;
}

impl Rows for Claim {
    const SHEET: &'static str = "Warranty claims";
    const COLUMNS: &'static [&'static str] = COLUMNS;
    fn row(&self, sink: &mut dyn Sink) -> Result<(), ServiceError> {
        claim_row(self, sink)
    }
}

impl Rows for Rma {
    const SHEET: &'static str = "RMAs";
    const COLUMNS: &'static [&'static str] = &[
        "RMA",
        "Claim",
        "Dealer",
        "Serial",
        "State",
        "Parts",
        "Asked back",
        "Received",
        "Carrier",
        "Tracking number",
        "Instructions",
        "Issued by",
        "Created",
        "Updated",
    ];
    fn row(&self, sink: &mut dyn Sink) -> Result<(), ServiceError> {
        let state = serde_name(&self.state);
        let parts = self
            .lines
            .iter()
            .map(|l| {
                format!("{} × {} {}", l.quantity, l.part_number, l.description)
                    .trim()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("; ");
        let asked: u64 = self.lines.iter().map(|l| u64::from(l.quantity)).sum();
        let received: u64 = self.lines.iter().map(|l| u64::from(l.received.unwrap_or(0))).sum();
        let (carrier, tracking) = self
            .shipment
            .as_ref()
            .map_or(("", ""), |s| (s.carrier.as_str(), s.tracking_number.as_str()));
        let created = self.created_at.to_rfc3339();
        let updated = self.updated_at.to_rfc3339();
        sink.row(&[
            Cell::Text(&self.number),
            Cell::Text(&self.claim_id),
            Cell::Text(&self.dealer_company),
            Cell::Text(&self.serial),
            Cell::Text(&state),
            Cell::Text(&parts),
            Cell::Count(asked),
            Cell::Count(received),
            Cell::Text(carrier),
            Cell::Text(tracking),
            Cell::Text(&self.instructions),
            Cell::Text(&self.created_by),
            Cell::Text(&created),
            Cell::Text(&updated),
        ])
    }
}

fn open_sink<T: Rows>(format: ExportFormat, file: &Path) -> Result<Box<dyn Sink + Send>, ServiceError> {
    Ok(match format {
        ExportFormat::Csv => {
            let out = BufWriter::new(File::create(file).map_err(failed)?);
            Box::new(CsvSink(
                csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(out),
            ))
        }
        ExportFormat::Xlsx => Box::new(XlsxSink::new(file, T::SHEET)?),
    })
}

impl Core {
    /// Writes the claims of a list (the same filters as `GET /v1/warranty-claims`, every
    /// page) to `file` as `format`; answers how many claims it holds.
    pub async fn export_claims(
        &self,
        who: &Identity,
        query: &ClaimQuery,
        format: ExportFormat,
        file: &Path,
    ) -> Result<usize, ServiceError> {
        let q = self.claim_list(who, query)?;
        self.export_list::<Claim>(q, format, file).await
    }

    /// Writes the RMAs of a list (the same filters as `GET /v1/rmas`) to `file`.
    pub async fn export_rmas(
        &self,
        who: &Identity,
        query: &RmaQuery,
        format: ExportFormat,
        file: &Path,
    ) -> Result<usize, ServiceError> {
        let q = self.rma_list(who, query)?;
        self.export_list::<Rma>(q, format, file).await
    }

    /// Every page of a list, its records read 100 at a time and written as rows.
    async fn export_list<T: Rows>(
        &self,
        mut q: Query,
        format: ExportFormat,
        file: &Path,
    ) -> Result<usize, ServiceError> {
        q.limit = PAGE;
        let mut sink = open_sink::<T>(format, file)?;
        sink.header(T::COLUMNS)?;
        let mut rows = 0;
        loop {
            let page = self.table.query(&q).await?;
            let keys: Vec<(String, String)> = page.items.iter().map(|i| (i.pk.clone(), i.sk.clone())).collect();
            let mut records: HashMap<String, Item> = HashMap::with_capacity(keys.len());
            for item in self.table.get_many(&keys).await? {
                records.insert(item.pk.clone(), item);
            }
            // In the list's order; a record gone between the query and the read is left out.
            for key in &keys {
                if let Some(item) = records.get(&key.0) {
                    store::from_item::<T>(item)?.row(sink.as_mut())?;
                    rows += 1;
                }
            }
            match page.next {
                Some(next) => q.after = Some(next),
                None => break,
            }
        }
        sink.finish()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_the_rest_kept() {
        for hostile in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\0x"] {
            assert_eq!(neutralise(hostile), format!("'{hostile}"), "{hostile:?}");
        }
        for plain in ["Pump leaks", "1-2", "a=b", "", "'quoted"] {
            assert_eq!(neutralise(plain), plain);
        }
    }

    #[test]
    fn formats_are_csv_unless_told_xlsx() {
        assert_eq!(ExportFormat::parse(None), Ok(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse(Some("xlsx")), Ok(ExportFormat::Xlsx));
        assert!(ExportFormat::parse(Some("pdf")).is_err());
    }
}
