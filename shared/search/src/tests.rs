use super::*;
use chrono::TimeZone;
use claimdesk_core::domain::access::{sees_internal_notes, side_for};
use claimdesk_core::domain::roles::{Identity, Role};

fn index() -> Connection {
    let connection = Connection::open_in_memory().unwrap();
    ensure_schema(&connection).unwrap();
    connection
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

fn hit(kind: Kind, id: &str, title: &str) -> Hit {
    Hit {
        kind,
        id: id.into(),
        title: title.into(),
        excerpt: String::new(),
        number: None,
        state: "new".into(),
        at: at(),
    }
}

fn ticket(id: &str, company: &str, desk: Desk, words: &str) -> Vec<Change> {
    vec![
        Change::Put(Box::new(Document {
            item: format!("TICKET#{id}|META"),
            kind: Kind::Ticket,
            ticket: Some(id.into()),
            message: false,
            internal: false,
            company: Some(company.into()),
            desk: Some(desk),
            visibility: None,
            state: "new".into(),
            at: at(),
            title: format!("{id} subject"),
            body: words.into(),
            hit: hit(Kind::Ticket, id, "subject"),
        })),
        Change::Put(Box::new(Document {
            item: format!("TICKET#{id}|MSG#note"),
            kind: Kind::Ticket,
            ticket: Some(id.into()),
            message: true,
            internal: true,
            company: None,
            desk: None,
            visibility: None,
            state: String::new(),
            at: at(),
            title: String::new(),
            body: "secretnote".into(),
            hit: hit(Kind::Ticket, id, ""),
        })),
    ]
}

fn article(id: &str, visibility: Visibility, state: &str, title: &str, body: &str) -> Change {
    Change::Put(Box::new(Document {
        item: format!("ARTICLE#{id}|META"),
        kind: Kind::Article,
        ticket: None,
        message: false,
        internal: false,
        company: None,
        desk: None,
        visibility: Some(visibility),
        state: state.into(),
        at: at(),
        title: title.into(),
        body: body.into(),
        hit: hit(Kind::Article, id, title),
    }))
}

fn viewer(company: &str, role: Role) -> (Identity, Viewer) {
    let who = Identity {
        user_id: format!("u-{company}").into(),
        email: format!("{role:?}@{company}.test").to_lowercase().into(),
        name: None,
        company: company.into(),
        roles: vec![role],
    };
    let viewer = Viewer::from(&who);
    (who, viewer)
}

fn found(connection: &Connection, viewer: &Viewer, text: &str, kinds: Vec<Kind>) -> Vec<String> {
    search(
        connection,
        &TermStats::default(),
        &SearchRequest {
            viewer: viewer.clone(),
            text: text.into(),
            kinds,
            state: None,
            from: None,
            to: None,
            offset: 0,
            limit: 50,
        },
    )
    .unwrap()
    .into_iter()
    .map(|h| h.id)
    .collect()
}

/// The SQL's visibility is `access::side_for`'s, for every standing, company, desk and
/// collaboration, and internal notes reach the support side only.
#[test]
fn search_finds_exactly_the_tickets_and_notes_side_for_allows() {
    let connection = index();
    let mut n = 0;
    let mut cases = Vec::new();
    for company in ["ACME", "GLOBEX"] {
        for desk in [Desk::Vendor, Desk::Internal] {
            for collaborating in [false, true] {
                n += 1;
                let id = format!("t_{n}");
                apply(&connection, &ticket(&id, company, desk, "sharedword")).unwrap();
                cases.push((id, company, desk, collaborating));
            }
        }
    }
    for role in [Role::AgentL1, Role::Owner, Role::Adjuster] {
        for company in ["ACME", "GLOBEX", "VENDOR"] {
            let (who, viewer) = viewer(company, role);
            for (id, _, _, collaborating) in &cases {
                if *collaborating {
                    apply(
                        &connection,
                        &[Change::Collaborator {
                            ticket: id.clone(),
                            email: who.email.to_string(),
                        }],
                    )
                    .unwrap();
                }
            }
            let words = found(&connection, &viewer, "sharedword", vec![Kind::Ticket]);
            let notes = found(&connection, &viewer, "secretnote", vec![Kind::Ticket]);
            for (id, ticket_company, desk, collaborating) in &cases {
                let side = side_for(&who, ticket_company, *desk, *collaborating);
                assert_eq!(words.contains(id), side.is_some(), "{role:?} of {company} on {id}");
                assert_eq!(
                    notes.contains(id),
                    side.is_some_and(sees_internal_notes),
                    "{role:?} of {company}: the note of {id}"
                );
            }
            connection.execute("DELETE FROM search_collaborators", []).unwrap();
        }
    }
}

#[test]
fn clients_find_published_client_articles_only() {
    let connection = index();
    apply(
        &connection,
        &[
            article("a_pub", Visibility::Clients, "published", "Reset a password", "steps"),
            article(
                "a_staff",
                Visibility::Staff,
                "published",
                "Reset a password internally",
                "steps",
            ),
            article(
                "a_draft",
                Visibility::Clients,
                "draft",
                "Reset a password soon",
                "steps",
            ),
        ],
    )
    .unwrap();
    let (_, client) = viewer("ACME", Role::Adjuster);
    let (_, agent) = viewer("VENDOR", Role::AgentL1);
    assert_eq!(found(&connection, &client, "password", vec![]), ["a_pub"]);
    assert_eq!(found(&connection, &agent, "password", vec![]).len(), 3);
    let suggested = suggest(
        &connection,
        &TermStats::default(),
        &SuggestRequest {
            viewer: agent,
            text: "passw".into(),
            typing: true,
            limit: 5,
        },
    )
    .unwrap();
    // Suggestions are published articles only, even for staff.
    assert_eq!(suggested.articles.len(), 2);
}

#[test]
fn the_title_outranks_the_body_and_a_removed_document_is_gone() {
    let connection = index();
    apply(
        &connection,
        &[
            article(
                "a_body",
                Visibility::Clients,
                "published",
                "Other",
                "invoice invoice rejected",
            ),
            article(
                "a_title",
                Visibility::Clients,
                "published",
                "Invoice rejected",
                "see below",
            ),
        ],
    )
    .unwrap();
    let (_, client) = viewer("ACME", Role::Adjuster);
    assert_eq!(
        found(&connection, &client, "invoice rejected", vec![]),
        ["a_title", "a_body"]
    );
    apply(
        &connection,
        &[Change::Remove {
            item: "ARTICLE#a_title|META".into(),
        }],
    )
    .unwrap();
    assert_eq!(found(&connection, &client, "invoice", vec![]), ["a_body"]);
    // Putting a document again replaces it.
    apply(
        &connection,
        &[article("a_body", Visibility::Clients, "published", "Other", "nothing")],
    )
    .unwrap();
    assert!(found(&connection, &client, "invoice", vec![]).is_empty());
    assert_eq!(document_count(&connection).unwrap(), 1);
}

#[test]
fn spanish_and_english_forms_find_each_other_and_hostile_text_is_just_text() {
    let connection = index();
    apply(
        &connection,
        &[article(
            "a_es",
            Visibility::Clients,
            "published",
            "La impresora no imprime",
            "Cuando la impresión de facturas falla, reinicie el servicio de impresión.",
        )],
    )
    .unwrap();
    let (_, client) = viewer("ACME", Role::Adjuster);
    assert_eq!(found(&connection, &client, "impresoras", vec![]), ["a_es"]);
    assert_eq!(found(&connection, &client, "impresion", vec![]), ["a_es"]);
    for hostile in [
        "\"",
        "*",
        "NEAR(",
        "OR",
        "a OR b",
        "impresora\" OR \"x",
        "title:x",
        "^x",
        "(((",
        "NOT",
        "-x",
        "\u{0}",
    ] {
        found(&connection, &client, hostile, vec![]);
    }
    let long: String = "impresora ".repeat(10_000);
    assert_eq!(found(&connection, &client, &long, vec![]), ["a_es"]);
}

/// Typo tolerance: a misspelt word finds what its neighbour one edit away finds, in both
/// languages; a correctly spelt word is never "corrected" away; a word with no neighbour
/// finds nothing.
#[test]
fn a_misspelt_word_finds_its_nearest_indexed_neighbour() {
    let connection = index();
    apply(
        &connection,
        &[
            article(
                "a_era",
                Visibility::Clients,
                "published",
                "Remittance advice never arrived",
                "Ask the payer to resend the electronic remittance advice.",
            ),
            article(
                "a_es",
                Visibility::Clients,
                "published",
                "La impresora no imprime",
                "Reinicie el servicio de impresión.",
            ),
        ],
    )
    .unwrap();
    let (_, client) = viewer("ACME", Role::Adjuster);
    for typo in ["remitance", "remittence", "remmittance", "advcie", "rmeittance"] {
        assert_eq!(found(&connection, &client, typo, vec![]), ["a_era"], "{typo}");
    }
    assert_eq!(found(&connection, &client, "impresoar", vec![]), ["a_es"]);
    assert_eq!(found(&connection, &client, "remittance", vec![]), ["a_era"]);
    assert!(found(&connection, &client, "zzzzzzzz", vec![]).is_empty());
    // Short words are not guessed at (too many neighbours one letter away).
    assert!(found(&connection, &client, "avd", vec![]).is_empty());
    // While typing, the last word's prefix comes first; a misspelling still finds it.
    let suggested = suggest(
        &connection,
        &TermStats::default(),
        &SuggestRequest {
            viewer: client.clone(),
            text: "remitance zq".into(),
            typing: true,
            limit: 5,
        },
    )
    .unwrap();
    assert_eq!(suggested.articles.first().map(|h| h.id.as_str()), Some("a_era"));
}
