//! A table written in the first item layout (tickets without a list summary, one rendered
//! outbox item per mail or event on the `due` index) is brought to the current layout by
//! the one-off migration, in pages, resumed from a printed cursor, on both engines; after
//! it the lists work, the old pending mail and event go out once, and the email history
//! keeps every mail.

use crate::common::*;
use claimdesk_core::ports::{Clock, Condition, IndexKey, Item, Write};
use claimdesk_core::store;
use serde_json::json;

/// An outbox entry as the first layout wrote it.
fn first_layout_mail(ticket: &str, id: &str, state: &str, due: Option<&str>) -> Item {
    let mut item = Item::new(
        store::ticket_pk(ticket),
        format!("MAIL#2026-11-02T09:00:00.000000Z#{id}"),
        json!({
            "id": id, "state": state, "attempts": 0, "created_at": "2026-11-02T09:00:00Z",
            "sent_at": if state == "sent" { json!("2026-11-02T09:00:01Z") } else { json!(null) },
            "mail": {
                "id": id, "kind": "reply", "from": "Claimdesk <support@claimdesk.local>",
                "to": "legacy@acme.test", "subject": format!("[ACME-000001] Legacy {id}"),
                "text": format!("Legacy body of {id}"), "html": format!("<p>Legacy body of {id}</p>"),
                "ticket_id": ticket, "reply_to": null,
                "message_id": format!("<{id}.{ticket}@claimdesk.local>"), "thread_id": null
            }
        }),
    );
    item.due = due.map(|at| IndexKey::new("OUTBOX#1", format!("{at}#{id}")));
    item
}

/// A ticket's item as the table holds it.
async fn stored_ticket(core: &claimdesk_core::services::Core, id: &str) -> Item {
    core.table
        .get(&store::ticket_pk(id), store::META)
        .await
        .unwrap()
        .unwrap()
}

async fn a_first_layout_table_is_migrated_in_resumable_pages(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    let summarised = vendor_ticket(&desk, &cast).await;
    desk.deliver_now().await;
    let core = desk.core();

    // Layout 6: a ticket with its list summary, its record without the summary's members.
    let mut older = stored_ticket(core, &summarised).await;
    let older_ticket: claimdesk_core::domain::ticket::Ticket = store::from_item(&older).unwrap();
    let summary = store::to_data(&store::Listing::of(&older_ticket));
    older
        .data
        .as_object_mut()
        .unwrap()
        .retain(|name, value| summary.get(name) != Some(value));
    older.summary = Some(summary);

    // Back to the first layout: the ticket without its summary, and three outbox items.
    let mut ticket = stored_ticket(core, &id).await;
    // The first layout kept the whole record and no summary, with the id in its index keys.
    // (Its record is whole already: layout 7 keeps it so.)
    ticket.summary = None;
    for key in [&mut ticket.gsi1, &mut ticket.gsi2].into_iter().flatten() {
        key.sk = format!("{}#{id}", key.sk);
    }
    let now = store::ts(desk.clock.now());
    let mut event = Item::new(
        "EVENT#e_legacy",
        store::EVENT,
        json!({
            "id": "e_legacy", "state": "pending", "attempts": 0, "created_at": "2026-11-02T09:00:00Z",
            "event": {"id": "e_legacy", "detail_type": "ticket.created", "at": "2026-11-02T09:00:00Z",
                      "detail": {"legacy": true}}
        }),
    );
    event.due = Some(IndexKey::new("OUTBOX#3", format!("{now}#e_legacy")));
    let writes = vec![
        Write::Put {
            item: ticket,
            condition: Condition::None,
        },
        Write::Put {
            item: older,
            condition: Condition::None,
        },
        Write::create(first_layout_mail(&id, "m_legacy_sent", "sent", None)),
        Write::create(first_layout_mail(&id, "m_legacy_pending", "pending", Some(&now))),
        Write::create(event),
    ];
    core.table.write(writes).await.unwrap();
    // The lists read every layout's tickets, before the migration as after it.
    let (status, list) = desk
        .call("GET", "/v1/tickets?view=company", Some(&cast.client), None)
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");

    // Two pages, then the run stops (as if interrupted) and is resumed from its cursor.
    let mut pages = Vec::new();
    let first = core
        .migrate_table(None, 3, Some(2), |page| pages.push(page.clone()))
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    let resume = first.next.clone().expect("stopped before the end");
    let rest = core.migrate_table(Some(resume), 3, None, |_| {}).await.unwrap();
    assert!(rest.next.is_none());
    assert_eq!(first.raced + rest.raced, 0);
    assert_eq!(
        first.rewritten + rest.rewritten,
        5,
        "the two tickets and the three outbox items"
    );
    let migrated = stored_ticket(core, &summarised).await;
    assert!(migrated.summary.is_none(), "layout 7: no summary on a ticket");
    assert_eq!(migrated.data["subject"].as_str(), Some(older_ticket.subject.as_str()));
    let again = core.migrate_table(None, 100, None, |_| {}).await.unwrap();
    assert_eq!(again.rewritten, 0, "a second run changes nothing");
    core.ensure_current_layout().await.unwrap();
    assert!(
        core.ensure_current_layout().await.unwrap().is_none(),
        "a table recorded current is not walked again"
    );

    let (status, list) = desk
        .call("GET", "/v1/tickets?view=company", Some(&cast.client), None)
        .await;
    assert_eq!(status, 200, "{list}");
    // Both were filed at the same instant (the clock stands still): their order is the
    // table key's, so the check is of the set.
    let mut listed: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    let mut expected = [summarised.as_str(), id.as_str()];
    expected.sort_unstable();
    assert_eq!(listed, expected);

    // The pending mail and event go out once, as they were rendered; the sent one does not.
    desk.deliver_now().await;
    desk.deliver_now().await;
    let legacy: Vec<SentMail> = desk
        .mails()
        .await
        .into_iter()
        .filter(|m| m.to == "legacy@acme.test")
        .collect();
    assert_eq!(legacy.len(), 1, "only the pending one, once");
    assert!(legacy[0].text.contains("Legacy body of m_legacy_pending"));
    let events = desk.published_events().await;
    assert_eq!(events.iter().filter(|(_, id, _)| id == "e_legacy").count(), 1);

    let (_, view) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    let mut states: Vec<(String, String)> = view["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to"] == "legacy@acme.test")
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                e["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            ("m_legacy_pending".to_string(), "sent".to_string()),
            ("m_legacy_sent".to_string(), "sent".to_string())
        ]
    );
}

on_both_engines!(a_first_layout_table_is_migrated_in_resumable_pages);
