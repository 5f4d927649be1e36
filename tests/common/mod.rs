//! One test harness, two engines. `Desk::local()` starts the real local server on a free
//! port; `Desk::aws()` builds the AWS engine against the emulator (moto) that the test
//! command started, with tables, bucket, bus and SES identity of its own, and drives the
//! Lambda handlers with the `events/` payloads through `lambda_http` types. Tests are
//! written once against `Desk` and run on both with `on_both_engines!`.
#![allow(dead_code)]

mod network;
#[allow(unused_imports)]
pub use network::{Fault, FaultProxy, Relay, DYNAMODB, DYNAMODB_WRITES};

mod aws;
mod browser;
mod desk;
mod events;
mod fixtures;
mod mail;

pub use aws::*;
pub use browser::*;
pub use desk::*;
pub use events::*;
pub use fixtures::*;
pub use mail::*;

/// Tests that load the machine (the schema fuzzer: a server and a Python process) or that
/// race against a time budget (fifty replies on AWS) take turns, so the one does not eat the
/// other's budget on a 2-core machine. Other tests go on beside either.
pub async fn heavy_turn() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::LazyLock<tokio::sync::Mutex<()>> = std::sync::LazyLock::new(Default::default);
    TURN.lock().await
}

/// Runs each named `async fn(Desk)` as two tests, `local::<name>` and `aws::<name>`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Desk::local().await).await
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Desk::aws().await).await
                }
            )*
        }
    };
}

pub use claimdesk_bench::{emulator_sdk, ENDPOINT_VARIABLE};
