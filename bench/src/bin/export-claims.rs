//! What exporting a claim list costs, and that its memory does not grow with its length:
//! seeds a dealer with 10,000 claims and another with 100,000 (straight into the local
//! engine's table, as the API writes them), then exports each dealer's whole list as CSV
//! and as Excel through `Core::export_claims`, printing rows, wall time, file size and the
//! peak heap the export added (a counting allocator wraps the system one).
//!
//! Usage: export-claims [--sizes 10000,100000]

use claimdesk_bench::{argument, identity, local_core};
use claimdesk_core::domain::roles::Role;
use claimdesk_core::domain::warranty_claim::Claim;
use claimdesk_core::ports::{ManualClock, Table, Write};
use claimdesk_core::services::warranty::claims::ClaimQuery;
use claimdesk_core::services::warranty::export::ExportFormat;
use claimdesk_core::store;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The system allocator, counting the bytes live and the most ever live since `reset`.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed straight to the system allocator; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Starts a measurement: the peak is what is live now.
fn reset() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// One claim as the API drafts it: two part lines, a labour line and freight, with text
/// of a realistic length in every field.
fn sample_claim() -> Claim {
    serde_json::from_value(serde_json::json!({
        "id": "wc_sample", "dealer_company": "ACME",
        "unit": {"serial": "SN-000000", "sku": "PUMP-9", "warranty_start": "2026-01-15", "registered_dealer": "ACME"},
        "currency": "USD", "failure_date": "2026-10-20", "usage": 410, "usage_unit": "hours",
        "complaint": "Pump leaks at the seal after two hours of running under load; the customer saw water under the unit.",
        "cause": "Cracked impeller, probably from a dry start", "correction": "Replaced impeller and seal, tested for an hour",
        "fault_code": "F-12",
        "lines": [
            {"id": "l1", "kind": "part", "part_number": "IMP-9", "description": "Impeller", "quantity": 2, "unit_price": 5000, "causal": true, "return_required": true, "claimed": 10000},
            {"id": "l2", "kind": "part", "part_number": "SEAL-2", "description": "Seal", "quantity": 1, "unit_price": 1200, "causal": false, "return_required": false, "claimed": 1200},
            {"id": "l3", "kind": "labour", "labour_code": "L-40", "description": "Replace impeller", "hundredths": 150, "rate": 8000, "claimed": 12000},
            {"id": "l4", "kind": "other", "category": "freight", "description": "Parts freight", "amount": 2500, "claimed": 2500},
        ],
        "state": "draft",
        "history": [{"at": "2026-11-02T09:00:00Z", "by": "dana@acme.test", "to": "draft", "why": "drafted"}],
        "created_by": "dana@acme.test", "created_at": "2026-11-02T09:00:00Z", "updated_at": "2026-11-02T09:00:00Z",
    }))
    .expect("the sample claim parses")
}

async fn seed(table: &dyn Table, dealer: &str, count: usize) {
    let template = sample_claim();
    let start = Instant::now();
    let mut writes = Vec::with_capacity(100);
    for n in 0..count {
        let mut claim = template.clone();
        claim.id = format!("wc_{dealer}{n:08}").to_lowercase();
        claim.dealer_company = dealer.to_string();
        claim.unit.serial = format!("SN-{n:06}");
        claim.created_at += chrono::Duration::seconds(n as i64);
        claim.updated_at = claim.created_at;
        writes.push(Write::create(store::warranty_claim_item(&claim, 1).expect("an item")));
        if writes.len() == 100 || n + 1 == count {
            table.write(std::mem::take(&mut writes)).await.expect("seeded");
        }
    }
    println!(
        "seeded {count} claims for {dealer} in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let sizes: Vec<usize> = argument("--sizes", "10000,100000")
        .split(',')
        .map(|s| s.parse().expect("--sizes N,M"))
        .collect();
    let dir = tempfile::tempdir().expect("a folder");
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let (core, _) = local_core(dir.path(), clock);
    let table = core.table.clone();
    let dealers: Vec<String> = (0..sizes.len()).map(|n| format!("D{n}")).collect();
    for (dealer, size) in dealers.iter().zip(&sizes) {
        seed(table.as_ref(), dealer, *size).await;
    }
    println!(
        "{:>8} {:>6} {:>9} {:>10} {:>15}",
        "rows", "format", "wall s", "file MiB", "peak heap MiB"
    );
    for (dealer, size) in dealers.iter().zip(&sizes) {
        let who = identity("owner@dealer.test", dealer, Role::Owner);
        for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
            let file = dir.path().join(format!("{dealer}.{}", format.extension()));
            let base = reset();
            let start = Instant::now();
            let query = ClaimQuery::default();
            let rows = core.export_claims(&who, &query, format, &file).await.expect("exported");
            let wall = start.elapsed().as_secs_f64();
            let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
            let bytes = std::fs::metadata(&file).map(|m| m.len() as usize).unwrap_or(0);
            assert_eq!(rows, *size);
            println!(
                "{rows:>8} {:>6} {wall:>9.2} {:>10.1} {:>15.2}",
                format.extension(),
                mib(bytes),
                mib(peak)
            );
        }
    }
}
