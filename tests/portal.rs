//! The portal in a real browser (headless chromium through chromedriver), on the local
//! server, walking the seeds' flows as people would: request access → a staff admin
//! approves → set the password from the mail → sign in → file a Missing ERA case with two
//! claim numbers and a file → the guest link from the receipt → an agent answers → the
//! client sees the unseen badge and replies → the agent resolves → the client closes; a
//! collaborator from another company sees only that case; a client user is refused the
//! vendor desk. Every page is checked with axe-core (no serious or critical violation),
//! photographed at 390 px and 1280 px (target/portal-screenshots/), and its load figures
//! printed. The portal calls only the public API, whose two engines the other tests hold
//! to the same behaviour, so the browser runs against the local one.

use crate::common::*;
use serde_json::json;

/// The set-password (or confirm-email) link in the newest mail to `to`, as a portal path.
async fn mailed_link(desk: &Desk, to: &str, page: &str) -> String {
    desk.deliver_now().await;
    let mails = desk.mails().await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to.contains(to) && m.text.contains(page))
        .unwrap_or_else(|| panic!("no mail to {to} links {page}"));
    let start = mail.text.find(page).unwrap();
    mail.text[start..].split_whitespace().next().unwrap().to_string()
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
/// Shift toggles: pressed at its first appearance in `press_keys`, released at the next.
const SHIFT: &str = "\u{E008}";

/// Types on the keyboard into whatever has the focus, as a person does.
async fn press_keys(browser: &Browser, keys: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut typing = KeyActions::new("keyboard".into());
    let mut shift = false;
    for key in keys.chars() {
        if key == '\u{E008}' {
            shift = !shift;
            typing = typing.then(if shift {
                KeyAction::Down { value: key }
            } else {
                KeyAction::Up { value: key }
            });
            continue;
        }
        typing = typing
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    browser.client.perform_actions(typing).await.unwrap();
}

/// A person with a password: invited by the staff admin through the API, their password
/// set from the mailed link through the API.
async fn person(desk: &Desk, root: &str, email: &str, name: &str, company: &str, role: &str) {
    let (status, body) = desk
        .call(
            "POST",
            "/v1/users",
            Some(root),
            Some(json!({"email": email, "name": name, "company": company, "roles": [role]})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let link = mailed_link(desk, email, "/portal/set-password#token=").await;
    let token = link.split("#token=").nth(1).unwrap();
    let (status, body) = desk
        .call(
            "POST",
            "/v1/passwords",
            None,
            Some(json!({"token": token, "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_walk_the_portal_in_a_real_browser() {
    let _turn = heavy_turn().await;
    let started = std::time::Instant::now();
    let desk = Desk::local().await;
    let root = first_staff_admin(&desk).await;
    for (code, support) in [("ACME", "support@acme.test"), ("OTHER", "help@other.test")] {
        let (status, body) = desk
            .call(
                "POST",
                "/v1/companies",
                Some(&root),
                Some(json!({"code": code, "name": format!("{code} Billing"), "first_level_support_email": support})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    // A unit ACME sold, waiting for its warranty registration (seed 004).
    units_for(&desk, &root, "PUMP-1", 24, "ACME", &["SN-7001"]).await;
    person(&desk, &root, "agent@vendor.test", "Alex Agent", "VENDOR", "agent_l1").await;
    person(&desk, &root, "eve@other.test", "Eve Other", "OTHER", "adjuster").await;
    person(&desk, &root, "adam@acme.test", "Adam Adjuster", "ACME", "adjuster").await;
    let browser = Browser::start(&desk.base).await;
    let mut pages = Vec::new();

    // A newcomer opens the portal: the sign-in page, with the way to ask for access.
    browser.open("/").await;
    assert_eq!(browser.path().await, "/portal/sign-in");
    pages.push(browser.check_page("sign-in").await);
    browser.open("/portal/forgot-password").await;
    pages.push(browser.check_page("forgot-password").await);
    browser.open("/portal/sign-in").await;
    browser.press_in("main", "No account yet? Request access").await;
    browser.sees("Request access").await;
    browser.open("/portal/request-access").await;
    pages.push(browser.check_page("request-access").await);
    // A bad address is refused next to its field, nothing sent.
    browser.fill("Full name", "Cleo Client").await;
    browser.fill("Work email", "cleo-at-acme").await;
    browser.fill("Company code", "ACME").await;
    browser
        .fill(
            "What you need access for",
            "I file Missing ERA cases for our billing team.",
        )
        .await;
    browser.press_in("main", "Send the request").await;
    browser
        .wait_until("document.querySelector('.field[data-field=\"email\"] .error:not([hidden])')")
        .await;
    browser.fill("Work email", "cleo@acme.test").await;
    browser.press_in("main", "Send the request").await;
    browser.sees("Your request is on its way").await;

    // The staff admin signs in with the keyboard alone: the first Tab reaches the skip
    // link, which leads to the page's content; Tab moves through the form, Enter sends it.
    browser.open("/portal/sign-in").await;
    // A new page puts the focus on its heading (screen readers read where they are).
    let focused = || async {
        browser
            .client
            .execute(
                "const a = document.activeElement; return a.id || a.tagName.toLowerCase();",
                vec![],
            )
            .await
            .unwrap()
    };
    assert_eq!(focused().await, "h1");
    // Going back from there: the language, the home link, then the skip link.
    for expected in ["language", "a", "skip"] {
        press_keys(&browser, &format!("{SHIFT}{TAB}{SHIFT}")).await;
        assert_eq!(focused().await, expected);
    }
    press_keys(&browser, ENTER).await;
    browser.wait_until("document.activeElement.id === 'main'").await;
    press_keys(&browser, TAB).await;
    assert_eq!(
        browser
            .client
            .active_element()
            .await
            .unwrap()
            .attr("name")
            .await
            .unwrap()
            .as_deref(),
        Some("email")
    );
    press_keys(&browser, "root@vendor.test").await;
    press_keys(&browser, TAB).await;
    press_keys(&browser, PASSWORD).await;
    press_keys(&browser, ENTER).await;
    browser
        .wait_until("location.pathname === '/portal' && document.querySelector('#sign-out')")
        .await;
    browser.ready().await;

    // The staff admin approves her as a Claims Supervisor (a client admin role).
    browser.press("Access requests").await;
    browser.sees("Cleo Client").await;
    browser.tick("Claims Supervisor").await;
    browser.press_in("main", "Approve").await;
    browser.sees("No request waits").await;
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // The mailed link: she chooses her password (two that differ are refused first).
    let link = mailed_link(&desk, "cleo@acme.test", "/portal/set-password#token=").await;
    browser.open(&link).await;
    pages.push(browser.check_page("set-password").await);
    browser.fill("New password", PASSWORD).await;
    browser.fill("Repeat the password", "something-else-1A").await;
    browser.press_in("main", "Set password").await;
    browser.sees("The two passwords differ").await;
    browser.fill("Repeat the password", PASSWORD).await;
    browser.press_in("main", "Set password").await;
    browser.sees("Your password is set").await;

    // She signs in: her lists are empty; she files a Missing ERA case.
    browser.sign_in("cleo@acme.test", PASSWORD).await;
    browser.sees("My open cases").await;
    browser.sees("Cases I collaborate on").await;
    browser.open("/portal/new").await;
    pages.push(browser.check_page("new-case").await);
    browser.choose("Send to", "vendor").await;
    browser.choose("Type", "missing_era").await;
    // The type's own fields appear, each marked required.
    browser.sees("Details for this type").await;
    browser.fill("Provider", "Sunrise Clinic").await;
    browser.fill("Payer", "Blue Payer").await;
    browser.fill("Check number", "CHK-4471").await;
    browser.fill("Subject", "ERA missing for check CHK-4471").await;
    browser
        .fill(
            "Description",
            "The payer says the ERA was sent on 28 October; we never got it.",
        )
        .await;
    browser.fill("Claim numbers", "Claim # 88121; 88122").await;
    // Too many bytes are refused before anything is uploaded.
    let files = tempfile::tempdir().unwrap();
    let big = files.path().join("scan.pdf");
    std::fs::File::create(&big).unwrap().set_len(21 * 1024 * 1024).unwrap();
    let chooser = browser
        .client
        .find(fantoccini::Locator::Css("input[type=file]"))
        .await
        .unwrap();
    chooser.send_keys(&big.display().to_string()).await.unwrap();
    browser.sees("a case takes at most 20 MB").await;
    browser.press_in("main", "Submit the case").await;
    // The amount and date were left out: the API names the field, shown beside it.
    browser
        .wait_until("document.querySelector('[aria-invalid=\"true\"]')")
        .await;
    let eob = files.path().join("eob.txt");
    std::fs::write(&eob, b"EOB for claims 88121 and 88122").unwrap();
    chooser.clear().await.unwrap();
    chooser.send_keys(&eob.display().to_string()).await.unwrap();
    browser.fill("Amount", "1250.00").await;
    browser.field("Check date").await.send_keys("10282026").await.unwrap();
    browser.press_in("main", "Submit the case").await;
    browser.sees("Case ACME-000001 is filed").await;
    browser.press_in("main", "Open case ACME-000001").await;
    browser.sees("Claim # 88121; Claim # 88122").await;
    browser.sees("eob.txt").await;
    let case_path = browser.path().await;
    browser.open(&case_path).await;
    // The case's service levels: its targets on the desk's business hours.
    browser.sees("Service levels").await;
    browser.sees("of business hours").await;
    pages.push(browser.check_page("case").await);
    // The file comes back down, byte for byte.
    browser.press_in("main", "Download eob.txt").await;
    let downloaded = browser.downloads.join("eob.txt");
    for _ in 0..200 {
        if std::fs::read(&downloaded).is_ok_and(|b| !b.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        std::fs::read(&downloaded).expect("the download"),
        b"EOB for claims 88121 and 88122"
    );
    // She shares the case with a person of another company.
    browser.fill("Add a collaborator", "eve@other.test").await;
    browser.press_in("main", "Add").await;
    browser.sees("eve@other.test").await;
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // The guest link from the receipt opens the case without signing in; a guest replies.
    let guest = desk.guest_page("ACME-000001").await;
    browser.open(&guest).await;
    browser.sees("ERA missing for check CHK-4471").await;
    pages.push(browser.check_page("guest").await);
    browser.fill("Your message", "Our clearinghouse ID is CH-12.").await;
    browser.press_in("main", "Send").await;
    browser.sees("Our clearinghouse ID is CH-12.").await;

    // The agent finds it on the vendor desk, takes it, answers, and keeps a note apart.
    browser.sign_in("agent@vendor.test", PASSWORD).await;
    browser.open("/portal/queue").await;
    browser.sees("ACME-000001").await;
    // The work list shows each case's next target, with the time left (or overdue).
    browser
        .wait_until("[...document.querySelectorAll('td[data-label=\"Next target\"] time')].length > 0")
        .await;
    pages.push(browser.check_page("queue").await);
    browser.press_in("main", "ACME-000001").await;
    browser.sees("Your message").await;
    browser.press_in("main", "Assign to me").await;
    browser.hears("Status is now Assigned").await;
    // Level 1 hands it to level 2, and the agent takes it back by name.
    browser.press_in("main", "Hand to level 2").await;
    browser.sees("Level 2 (nobody yet)").await;
    browser.sees("handed to level 2 support").await;
    browser.press_in("main", "Assign to me").await;
    browser.hears("Status is now Assigned").await;
    // The same words were announced a moment ago: wait for the page drawn after this
    // assignment (nobody-yet gone) before typing into it.
    browser
        .wait_until("!document.querySelector('main').innerText.includes('Level 2 (nobody yet)')")
        .await;
    browser
        .fill(
            "Your message",
            "We asked Blue Payer to resend the ERA. What was the check amount?",
        )
        .await;
    browser.press_in("#reply", "Send").await;
    browser.sees("We asked Blue Payer to resend the ERA.").await;
    // The agent follows the case (its replies and status changes then reach them).
    browser.press_in("main", "Follow this case").await;
    browser.hears("You follow this case").await;
    browser.sees("Stop following").await;
    browser.press_in("main", "Wait for customer").await;
    browser.hears("Status is now Waiting For Customer").await;
    browser.fill("Your message", "Payer rep: Dana, ticket 5521.").await;
    browser.tick("Internal note").await;
    browser.press_in("#reply", "Send").await;
    browser.sees("Internal notes").await;
    // It is more urgent than the customer said: the targets follow, counted from its start.
    browser.choose("Priority", "urgent").await;
    browser.press_in("main", "Change priority").await;
    browser.sees("around the clock").await;
    browser.sees("priority changed from").await;
    browser.open("/portal/held-mail").await;
    pages.push(browser.check_page("held-mail").await);
    // The month's report of targets met and missed, on screen and as CSV.
    browser.open("/portal/reports").await;
    browser.sees("Cases filed in").await;
    pages.push(browser.check_page("reports").await);
    browser.press_in("main", "Download CSV").await;
    let mut report = String::new();
    for _ in 0..400 {
        let found = std::fs::read_dir(&browser.downloads)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("service-levels-"));
        if let Some(entry) = found.filter(|e| std::fs::metadata(e.path()).is_ok_and(|m| m.len() > 0)) {
            report = std::fs::read_to_string(entry.path()).unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(report.starts_with("month,priority,tickets,"), "{report}");
    browser.open("/portal/people").await;
    pages.push(browser.check_page("people").await);
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // The client sees the unseen badge, opens the case (no internal note), and answers:
    // the case goes back to support.
    browser.sign_in("cleo@acme.test", PASSWORD).await;
    browser
        .wait_until("document.querySelector('#list-mine tr.is-unseen .unseen')")
        .await;
    pages.push(browser.check_page("home").await);
    browser.press_in("#list-mine", "ACME-000001").await;
    browser.sees("We asked Blue Payer to resend the ERA.").await;
    assert!(
        !browser.main_text().await.contains("Payer rep: Dana"),
        "a client sees no internal note"
    );
    browser.open(&case_path).await;
    pages.push(browser.check_page("case-conversation").await);
    browser
        .fill("Your message", "Thank you; the check was for $1,250.")
        .await;
    browser.press_in("#reply", "Send").await;
    browser.sees("Pending Support").await;
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // The agent resolves it.
    browser.sign_in("agent@vendor.test", PASSWORD).await;
    browser.open(&case_path).await;
    browser.press_in("main", "Resolve").await;
    browser.hears("Status is now Resolved").await;
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // The client closes it; her profile's date format shows on every page.
    browser.sign_in("cleo@acme.test", PASSWORD).await;
    browser.open(&case_path).await;
    browser.press_in("main", "Close the case").await;
    browser.client.accept_alert().await.unwrap();
    browser.hears("Status is now Closed").await;
    browser.open("/portal/profile").await;
    pages.push(browser.check_page("profile").await);
    browser.choose("Date format", "us").await;
    browser.press_in("main", "Save").await;
    browser.open("/portal").await;
    browser.sees("11/02/2026").await;
    // Spanish, picked from the header, holds across pages.
    browser.language("es").await;
    browser.sees("Mis casos abiertos").await;
    browser.open("/portal/warranty").await;
    browser.sees("Consulta de número de serie").await;
    pages.push(browser.check_page("warranty-es").await);
    // The API's problems are told in the page's language.
    browser.fill("Número de serie", "NOPE-1").await;
    browser.press_in("main", "Consultar").await;
    browser.sees("No se encontró, o no es suyo.").await;
    browser.language("en").await;
    // The dealer registers the unit waiting on its list, then looks it up.
    browser.sees("Units pending registration").await;
    browser.press_in("main", "Register SN-7001").await;
    browser.fill("End customer", "Bo Farmer").await;
    browser
        .field("Delivery date")
        .await
        .send_keys("10012026")
        .await
        .unwrap();
    browser.press_in("main", "Register the warranty").await;
    browser.sees("The warranty for SN-7001 is registered").await;
    browser.sees("Every unit of yours is registered").await;
    browser.fill("Serial number", "SN-7001").await;
    browser.press_in("main", "Look up").await;
    browser.sees("Warranty until").await;
    browser.sees("10/01/2028").await;
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // The collaborator from another company sees that case, and nothing else of ACME's.
    let (status, other) = desk
        .call(
            "POST",
            "/v1/tickets",
            Some(&desk.token("adam@acme.test", "ACME", claimdesk_core::domain::roles::Role::Adjuster)),
            Some(ticket_body(None)),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    browser.sign_in("eve@other.test", PASSWORD).await;
    browser
        .wait_until("document.querySelector('#list-collaborating a')")
        .await;
    browser.sees("ACME-000001").await;
    let mine = browser
        .client
        .find(fantoccini::Locator::Css("#list-company"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !mine.contains("ACME-"),
        "another company's list shows no ACME case: {mine}"
    );
    browser
        .open(&format!("/portal/cases/{}", other["id"].as_str().unwrap()))
        .await;
    browser.wait_until("document.querySelector('main .form-problem')").await;
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // A client user (an adjuster) files to their company's desk only, and the vendor desk's
    // queue refuses them.
    browser.sign_in("adam@acme.test", PASSWORD).await;
    browser.open("/portal/new").await;
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css("select[name=desk]"))
            .await
            .is_err(),
        "no desk to choose"
    );
    browser.sees("Our company's first-level support").await;
    browser.open("/portal/queue").await;
    browser.sees("the queue is for the support side").await;
    // What they file goes to their company's first level (seed 000).
    browser.open("/portal/new").await;
    browser.choose("Type", "support").await;
    browser.fill("Subject", "Cannot print the EOB report").await;
    browser
        .fill("Description", "The print button does nothing since this morning.")
        .await;
    browser.press_in("main", "Submit the case").await;
    browser.sees("Case ACME-000003 is filed").await;
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // A company admin finds it on the company's internal desk and escalates it to the
    // vendor's help desk.
    browser.sign_in("cleo@acme.test", PASSWORD).await;
    browser.open("/portal/queue").await;
    browser.sees("Our internal desk").await;
    browser.press_in("#q-internal", "ACME-000003").await;
    browser.sees("Internal desk").await;
    browser.press_in("main", "Escalate to the vendor's help desk").await;
    browser.hears("Status is now").await;
    browser.sees("Vendor desk").await;
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // The staff admin's own pages.
    browser.sign_in("root@vendor.test", PASSWORD).await;
    browser.open("/portal/access-requests").await;
    pages.push(browser.check_page("access-requests").await);
    browser.open("/portal/companies").await;
    pages.push(browser.check_page("companies").await);
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // Warranty claims (seed 004): Adam files a claim on the unit registered above, with a
    // causal part to return and labour; a typed amount with too many decimals is refused
    // beside its field; he submits it and the warranty check shows.
    browser.sign_in("adam@acme.test", PASSWORD).await;
    browser.open("/portal/claims/new?serial=SN-7001").await;
    pages.push(browser.check_page("claim-new").await);
    browser.field("Failure date").await.send_keys("10202026").await.unwrap();
    browser.fill("Usage at failure", "410").await;
    browser.fill("Complaint", "Pump leaks at the seal").await;
    browser.fill("Cause", "Cracked impeller").await;
    browser.fill("Correction", "Replaced the impeller").await;
    browser.fill("Part number", "IMP-9").await;
    browser.fill("Quantity", "2").await;
    browser.fill("Unit price", "50.001").await;
    browser.tick("This part caused the failure").await;
    browser.tick("The part must be returned").await;
    browser.press_in("main", "Add labour").await;
    browser.fill("Labour code", "L-40").await;
    browser.fill("Hours", "1.5").await;
    browser.fill("Rate per hour", "80").await;
    browser.press_in("main", "Save the draft").await;
    browser
        .wait_until("document.querySelector('.field[data-field=\"lines[0].unit_price\"] .error:not([hidden])')")
        .await;
    browser.fill("Unit price", "50.00").await;
    browser.press_in("main", "Save the draft").await;
    browser.sees("Warranty claim on SN-7001").await;
    browser.sees("$220.00").await;
    pages.push(browser.check_page("claim").await);
    browser.press_in("main", "Submit the claim").await;
    browser.sees("The unit is registered to the dealer.").await;
    // He sends the invoice with a question: a case of the claim, on the vendor's desk.
    browser
        .fill("Your message", "Here is the invoice for the impeller.")
        .await;
    let invoice = files.path().join("invoice.txt");
    std::fs::write(&invoice, b"INVOICE 2026-1001: impeller x2").unwrap();
    browser
        .field("Files (invoices, photos)")
        .await
        .send_keys(&invoice.display().to_string())
        .await
        .unwrap();
    browser.press_in("main", "Send").await;
    browser.sees("Question about the warranty claim on SN-7001").await;
    browser.sees("invoice.txt").await;
    browser.open("/portal/claims?list=active").await;
    browser.press_in("main", "SN-7001").await;
    browser.sees("Conversation").await;
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // The agent finds it in the submitted queue, takes it, approves the part line for less
    // with a reason and asks for the causal part back.
    browser.sign_in("agent@vendor.test", PASSWORD).await;
    browser.open("/portal/claims").await;
    pages.push(browser.check_page("claims-queue").await);
    browser.press_in("main", "SN-7001").await;
    browser.press_in("main", "Take the claim").await;
    browser.sees("Decide line by line").await;
    // The part line approved for less, with a reason from the deployment's catalogue.
    browser.fill("Approved amount", "90.00").await;
    browser.choose("Reason", "price_above_list").await;
    browser.press_in("main", "Decide line by line").await;
    browser.sees("Partially approved").await;
    browser.sees("price_above_list").await;
    browser.sees("Issue an RMA").await;
    browser
        .fill("Instructions for the dealer", "Ship to Dock 4, Springfield")
        .await;
    browser.press_in("main", "Issue an RMA").await;
    browser.sees("RMA ACME-RMA-000001").await;
    pages.push(browser.check_page("rma").await);
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // Adam sees the RMA issued to his company and ships the part with a tracking number.
    browser.sign_in("adam@acme.test", PASSWORD).await;
    browser.open("/portal/rmas").await;
    pages.push(browser.check_page("rmas").await);
    browser.press_in("main", "ACME-RMA-000001").await;
    browser.fill("Carrier", "UPS").await;
    browser.fill("Tracking number", "1Z999AA10123456784").await;
    browser.press_in("main", "Mark as shipped").await;
    browser.sees("1Z999AA10123456784").await;
    browser.sees("Shipped").await;
    browser.open("/portal/claims?list=active").await;
    browser.sees("Partially approved").await;
    browser.sees("$210.00").await;
    pages.push(browser.check_page("claims").await);
    browser.sign_out().await;
    desk.advance_seconds(47 * 60).await;

    // Help resources (issue 16). The agent writes an article (its script is removed) and
    // posts an announcement for ACME.
    browser.sign_in("agent@vendor.test", PASSWORD).await;
    browser.open("/portal/help").await;
    browser.press_in("main", "New article").await;
    browser.fill("Title", "Finding a missing ERA").await;
    browser.fill("Category", "Remittances").await;
    browser.fill("Tags", "era, 835").await;
    browser
        .fill(
            "Article",
            "<p>Ask the payer to <b>resend the ERA</b> to your clearinghouse.</p><script>alert(1)</script>",
        )
        .await;
    browser.choose("State", "published").await;
    browser.press_in("main", "Save").await;
    browser.sees("resend the ERA").await;
    browser
        .wait_until("!document.querySelector('.article-body script') && !!document.querySelector('.article-body b')")
        .await;
    // Files for the article: one added by mistake and removed, then the guide readers get.
    let article_files = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("old-form.txt", "Superseded form"),
        ("era-guide.txt", "How to ask for an ERA"),
    ] {
        let path = article_files.path().join(name);
        std::fs::write(&path, text).unwrap();
        let chooser = browser
            .client
            .find(fantoccini::Locator::Css("main input[type=file]"))
            .await
            .unwrap();
        chooser.send_keys(&path.display().to_string()).await.unwrap();
        browser.press_in("main", "Upload").await;
        browser.sees(&format!("Download {name}")).await;
        if name == "old-form.txt" {
            browser.press_in("main", "Remove").await;
            browser.hears("old-form.txt was removed").await;
            browser
                .wait_until("!document.querySelector('main').innerText.includes('Download old-form.txt')")
                .await;
        }
    }
    pages.push(browser.check_page("article").await);
    browser.open("/portal/announcements").await;
    browser.fill("Title", "Clearinghouse maintenance").await;
    browser.fill("Message", "ERAs arrive late on Saturday.").await;
    browser.choose("For", "company").await;
    browser.fill("Company code", "ACME").await;
    browser.press_in("main", "Post announcement").await;
    browser.hears("Announcement posted").await;
    browser.sees("Clearinghouse maintenance").await;
    pages.push(browser.check_page("announcements").await);
    browser.sign_out().await;

    // ACME's adjuster sees the banner and puts it away; typing a new case suggests the
    // article; the search box and the knowledge base find it; he says it helped.
    browser.sign_in("adam@acme.test", PASSWORD).await;
    browser
        .wait_until("document.querySelector('#banner')?.innerText.includes('Clearinghouse maintenance')")
        .await;
    pages.push(browser.check_page("home-with-banner").await);
    browser.press_in("#banner", "Dismiss").await;
    browser.hears("Announcement dismissed").await;
    browser.open("/portal/new").await;
    browser.fill("Subject", "Missing ERA").await;
    browser.fill("Description", "We never received the remittance ER").await;
    browser
        .wait_until("document.querySelector('#suggestions')?.innerText.includes('Finding a missing ERA')")
        .await;
    pages.push(browser.check_page("new-case-suggestions").await);
    browser.open("/portal/search?q=missing%20ERA").await;
    browser.sees("Finding a missing ERA").await;
    pages.push(browser.check_page("search").await);
    browser.open("/portal/help").await;
    browser.sees("Remittances").await;
    pages.push(browser.check_page("help").await);
    browser.press_in("main", "Finding a missing ERA").await;
    browser.sees("Download era-guide.txt").await;
    assert!(!browser.main_text().await.contains("old-form.txt"));
    browser.press_in("main", "Download era-guide.txt").await;
    browser.press_in("main", "Yes").await;
    browser.hears("Thank you for your answer").await;
    browser.sees("1 found this helpful").await;
    assert!(
        !browser.main_text().await.contains("Clearinghouse maintenance")
            && browser
                .client
                .execute("return document.querySelector('#banner').innerText", vec![])
                .await
                .unwrap()
                .as_str()
                .is_some_and(|t| !t.contains("Clearinghouse maintenance")),
        "a dismissed announcement stays away"
    );
    browser.sign_out().await;

    // Cleo's bell rings for the agent's answers on her case; she reads and marks them.
    desk.deliver_now().await;
    browser.sign_in("cleo@acme.test", PASSWORD).await;
    browser
        .wait_until("!document.querySelector('#bell .badge').hidden")
        .await;
    browser.open("/portal/notifications").await;
    browser.sees("ACME-000001").await;
    pages.push(browser.check_page("notifications").await);
    browser.press_in("main", "Mark all as seen").await;
    browser.hears("All notifications are marked as seen").await;
    browser
        .wait_until("document.querySelector('#bell .badge').hidden")
        .await;
    browser.sign_out().await;

    // Every page loads the same files (the shell imports every page's module), so the
    // first load, with an empty cache, is every page's first load; later ones revalidate.
    let slowest = pages.iter().max_by(|a, b| a.ready_ms.total_cmp(&b.ready_ms)).unwrap();
    println!(
        "portal: {} pages checked; a first load (empty cache) transfers {:.1} KB in {} files; slowest page {} interactive in {:.0} ms; the walk took {:.1} s",
        pages.len(),
        pages[0].transfer_bytes as f64 / 1024.0,
        pages[0].requests,
        slowest.name,
        slowest.ready_ms,
        started.elapsed().as_secs_f64()
    );
    browser.stop().await;
}
