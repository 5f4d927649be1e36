//! Request rates: per user and per company on the local server (429 with Retry-After);
//! API Gateway throttling in the SAM template is checked by `tests/template.rs`. The
//! limiter runs on the server's clock, which the test holds still and moves by hand.

use crate::common::*;
use chrono::Duration;
use claimdesk_core::http::limits::{Rate, RateLimits};

fn small_limits() -> RateLimits {
    RateLimits {
        per_user: Rate {
            per_second: 1.0,
            burst: 5,
        },
        per_company: Rate {
            per_second: 2.0,
            burst: 8,
        },
    }
}

async fn get(desk: &Desk, token: Option<&str>) -> Answer {
    desk.send("GET", "/v1/tickets?view=mine", token, Vec::new(), None).await
}

fn assert_limited(answer: &Answer, who: &str) {
    let text = String::from_utf8_lossy(&answer.body).to_string();
    assert_eq!(answer.status, 429, "{text}");
    assert_eq!(answer.header("content-type"), Some("application/problem+json"));
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert!(text.contains("rate-limited") && text.contains(who), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_a_user_and_a_company_beyond_their_rate_get_429_with_retry_after() {
    let desk = Desk::local_with(|config| config.rate_limits = Some(small_limits())).await;
    let cast = company_with_cast(&desk).await; // two calls by the agent
                                               // The adjuster spends her burst of 5; the sixth call is refused, and writes nothing.
    for _ in 0..5 {
        assert_eq!(get(&desk, Some(&cast.client)).await.status, 200);
    }
    assert_limited(&get(&desk, Some(&cast.client)).await, "this user");
    let refused = desk
        .send(
            "POST",
            "/v1/tickets",
            Some(&cast.client),
            vec![("content-type".into(), "application/json".into())],
            Some(ticket_body(None).to_string().into_bytes()),
        )
        .await;
    assert_limited(&refused, "this user");
    // Her company had 8: the owner gets the 3 left, then the company as a whole is refused.
    for _ in 0..3 {
        assert_eq!(get(&desk, Some(&cast.admin)).await.status, 200);
    }
    assert_limited(&get(&desk, Some(&cast.admin)).await, "this company");
    // Another company is not slowed by ACME's burst.
    assert_eq!(get(&desk, Some(&cast.other_user)).await.status, 200);
    // A second later each bucket has one more token: one call each, then refused again.
    desk.let_time_pass(Duration::seconds(1)).await;
    assert_eq!(get(&desk, Some(&cast.client)).await.status, 200);
    assert_limited(&get(&desk, Some(&cast.client)).await, "this user");
    // Callers without a token (guest links, the mail intake) count by address.
    for _ in 0..5 {
        assert_eq!(
            desk.send("GET", "/v1/openapi.json", None, Vec::new(), None)
                .await
                .status,
            200
        );
    }
    assert_limited(
        &desk.send("GET", "/v1/openapi.json", None, Vec::new(), None).await,
        "this address",
    );
    // Nothing was filed by the refused create.
    desk.let_time_pass(Duration::seconds(10)).await;
    let (_, list) = desk
        .call("GET", "/v1/tickets?view=company", Some(&cast.admin), None)
        .await;
    assert_eq!(list["items"], serde_json::json!([]));
}
