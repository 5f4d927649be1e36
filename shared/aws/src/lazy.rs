//! SDK clients made on first use. Building a client costs a cold start about a millisecond
//! (its runtime plugins, endpoint resolver, retry and identity configuration), and most
//! functions use one or two of the four: `create-ticket` never sends mail or publishes, so
//! it never pays for the SES, EventBridge or S3 clients. DynamoDB's is lazy too: building it
//! costs 0.5–0.7 ms, work the first request needs and an init does not.

use std::sync::OnceLock;

pub struct LazyClient<C> {
    make: Box<dyn Fn() -> C + Send + Sync>,
    client: OnceLock<C>,
}

impl<C> LazyClient<C> {
    /// A client that `make` builds when it is first asked for.
    pub fn new(make: impl Fn() -> C + Send + Sync + 'static) -> LazyClient<C> {
        LazyClient {
            make: Box::new(make),
            client: OnceLock::new(),
        }
    }

    /// The client `make` builds from this SDK configuration, when first asked for.
    pub fn of(sdk: &aws_config::SdkConfig, make: fn(&aws_config::SdkConfig) -> C) -> LazyClient<C>
    where
        C: 'static,
    {
        let sdk = sdk.clone();
        LazyClient::new(move || make(&sdk))
    }

    /// A client built already (tests, tools).
    pub fn ready(client: C) -> LazyClient<C> {
        let cell = OnceLock::new();
        let _ = cell.set(client);
        LazyClient {
            make: Box::new(|| unreachable!("the client was given ready")),
            client: cell,
        }
    }

    pub fn get(&self) -> &C {
        self.client.get_or_init(|| (self.make)())
    }

    /// Whether the client has been built (the cold-start test checks that a function built
    /// only what it used).
    pub fn is_built(&self) -> bool {
        self.client.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_client_is_made_once_and_only_when_asked_for() {
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let lazy = LazyClient::new(move || counter.fetch_add(1, Ordering::SeqCst) + 41);
        assert!(!lazy.is_built());
        assert_eq!(made.load(Ordering::SeqCst), 0);
        assert_eq!(*lazy.get(), 41);
        assert_eq!(*lazy.get(), 41);
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert!(LazyClient::ready(7).is_built());
    }
}
