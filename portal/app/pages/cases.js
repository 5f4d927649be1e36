// The home lists (seed 002's four views with seed 001's unseen badges), the case page for
// signed-in people, and the guest page that a mailed access key opens (seed 003).
import * as api from "../api.js";
import { solutionForm } from "./help.js";
import { t } from "../i18n.js";
import { h, field, onSubmit, announce, time, statusBadge, bytes, showProblem, saveFile } from "../ui.js";
import { heading, go } from "../main.js";
import { pickFiles, uploadFiles } from "./files.js";
import { serviceLevelCard, dueCell } from "./service-levels.js";

/** One list of cases as a table, with "Show more" while the API has more. */
export function caseList({ title, view, company, id, columns = ["number", "subject", "status", "updated"] }) {
  const section = h("section", { class: "list", id, "aria-labelledby": `${id}-h` });
  const body = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("home.more"));
  const empty = h("p", { class: "empty", hidden: true }, t("home.empty"));
  const table = h(
    "table",
    {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, t(`list.${c}`))))),
    body,
  );
  section.append(h("h2", { id: `${id}-h` }, title), h("div", { class: "table-wrap" }, table), empty, more);
  let cursor = null;
  async function load() {
    const page = await api.get(`/v1/tickets${api.query({ view, company, cursor, limit: 25 })}`);
    for (const item of page.items) body.append(row(item, columns));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    empty.hidden = body.children.length > 0;
    table.hidden = body.children.length === 0;
  }
  more.addEventListener("click", () => load().catch((p) => showProblem(section, p)));
  return { section, load };
}

function row(item, columns) {
  const cells = {
    number: () => [
      h("a", { href: `/portal/cases/${encodeURIComponent(item.id)}` }, item.number),
      item.unseen ? h("span", { class: "unseen", title: t("home.unseen") }, h("span", { class: "visually-hidden" }, ` (${t("home.unseen")})`)) : null,
    ],
    subject: () => item.subject,
    status: () => statusBadge(item.status, item.sub_status),
    updated: () => time(item.updated_at),
    company: () => item.company,
    assignee: () => item.assignee || "—",
    due: () => dueCell(item),
  };
  // Each cell names its column, for the phone layout where a row is a card.
  return h(
    "tr",
    { class: item.unseen ? "is-unseen" : null },
    columns.map((c) => h("td", { "data-label": t(`list.${c}`) }, cells[c]())),
  );
}

export async function home(main, _params, me) {
  heading(t("home.title"));
  main.append(h("p", {}, h("a", { href: "/portal/new", class: "button" }, t("nav.new"))));
  const views =
    me.standing === "agent"
      ? [["mine", "queue.mine"], ["closed", "home.closed"], ["collaborating", "home.collaborating"], ["following", "home.following"]]
      : [["mine", "home.mine"], ["company", "home.company"], ["closed", "home.closed"], ["collaborating", "home.collaborating"], ["following", "home.following"]];
  const lists = views.map(([view, key]) => caseList({ title: t(key), view, id: `list-${view}` }));
  main.append(...lists.map((l) => l.section));
  await Promise.all(lists.map((l) => l.load()));
}

let catalogue = null;

/** The deployment's ticket types (names and field labels), read once per page load. */
async function ticketTypes() {
  if (!catalogue) catalogue = api.get("/v1/ticket-types").then((c) => c.items).catch(() => []);
  return catalogue;
}

/** The facts of a case, as a description list. */
function facts(ticket, types = []) {
  const type = types.find((ty) => ty.id === ticket.ticket_type);
  const labelOf = (name) => type?.required_fields?.find((f) => f.name === name)?.label || name.replace(/_/g, " ");
  const claims = (ticket.links?.claims || []).map((c) => `${c.kind === "cms" ? "CMS #" : "Claim #"} ${c.number}`).join("; ");
  const rows = [
    ["case.number", ticket.number],
    ["case.type", type?.name || ticket.ticket_type],
    ["case.priority", t(`priority.${ticket.priority}`)],
    ["case.company", ticket.company],
    ["case.requester", ticket.contact?.name ? `${ticket.contact.name} <${ticket.contact.email}>` : ticket.requester?.email],
    ["case.assignee", ticket.assignee || (ticket.desk === "vendor" ? t(ticket.level === "l2" ? "case.level2" : "case.level1") : "—")],
    ["case.opened", time(ticket.created_at)],
    claims ? ["case.claims", claims] : null,
    ticket.links?.serial_number ? ["new.serial", ticket.links.serial_number] : null,
  ].filter(Boolean);
  const extra = Object.entries(ticket.fields || {});
  return h(
    "dl",
    { class: "facts" },
    rows.map(([key, value]) => [h("dt", {}, t(key)), h("dd", {}, value)]),
    extra.map(([name, value]) => [h("dt", {}, labelOf(name)), h("dd", {}, value)]),
  );
}

function messageItem(message) {
  return h(
    "li",
    { class: `message side-${message.side}${message.internal ? " internal" : ""}` },
    h(
      "p",
      { class: "meta" },
      h("strong", {}, message.author_name || message.author),
      " · ",
      time(message.created_at),
      message.internal ? h("span", { class: "tag" }, t("case.internalNote")) : null,
    ),
    h("div", { class: "body" }, message.body),
  );
}

/** Follows the case, or stops: its replies and status changes are then mailed to the
 * reader and ring their bell. */
function followButton(view, reload) {
  const path = `/v1/tickets/${encodeURIComponent(view.id)}/following`;
  const button = h("button", { type: "button", class: "secondary", id: "follow" }, view.following ? t("case.unfollow") : t("case.follow"));
  const box = h("p", { class: "follow" }, button, " ", h("span", { class: "hint" }, view.following ? t("case.followingHint") : t("case.followHint")));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const answer = view.following ? await api.remove(path) : await api.put(path);
      await reload(t(answer.following ? "case.followed" : "case.unfollowed"), "#follow");
    } catch (problem) {
      showProblem(box, problem);
    } finally {
      button.disabled = false;
    }
  });
  return box;
}

/**
 * Renders a ticket view into `root`. `actions` gives what the reader may do; each change
 * reloads the view in place (no page reload), keeping focus where the person was.
 */
function renderView(root, view, { me, guestKey, reload, types }) {
  // The view is the ticket itself, with what this reader sees of it alongside.
  const ticket = view;
  const support = view.your_side === "support";
  const closed = ticket.status === "closed";
  const publicMessages = view.messages.filter((m) => !m.internal);
  const notes = view.messages.filter((m) => m.internal);
  const parts = [];

  parts.push(
    h(
      "section",
      { class: "status card", "aria-labelledby": "status-h" },
      h("h2", { id: "status-h" }, t("case.status")),
      h("p", {}, statusBadge(ticket.status, ticket.sub_status), " ", h("span", { class: "desk" }, t(`case.desk.${ticket.desk}`))),
      h("p", { class: "meaning" }, t(`meaning.${ticket.status}`)),
      facts(ticket, types),
      guestKey ? null : followButton(view, reload),
    ),
  );
  parts.push(serviceLevelCard(ticket));
  parts.push(
    h("section", { "aria-labelledby": "desc-h" }, h("h2", { id: "desc-h" }, t("case.description")), h("div", { class: "body card" }, ticket.description)),
  );
  parts.push(
    h(
      "section",
      { "aria-labelledby": "conv-h" },
      h("h2", { id: "conv-h" }, t("case.conversation")),
      publicMessages.length ? h("ol", { class: "messages" }, publicMessages.map(messageItem)) : h("p", { class: "empty" }, t("case.noMessages")),
    ),
  );
  if (support && notes.length) {
    parts.push(
      h("section", { "aria-labelledby": "notes-h", class: "notes" }, h("h2", { id: "notes-h" }, t("case.notes")), h("ol", { class: "messages" }, notes.map(messageItem))),
    );
  }

  // The vendor's staff publish what solved a resolved case, for every client to find.
  if (support && me?.standing === "agent" && ["resolved", "closed"].includes(ticket.status)) parts.push(solutionForm(view));

  // Share an update (a guest's goes through the key).
  const files = pickFiles(ticket.attachment_bytes || 0);
  const reply = h(
    "form",
    { class: "card", novalidate: true, id: "reply" },
    h("h2", {}, t("case.reply")),
    field({ name: "body", label: t("case.message"), kind: "textarea", required: true }),
    support ? h("div", { class: "check" }, h("input", { type: "checkbox", id: "internal", name: "internal" }), h("label", { for: "internal" }, t("case.replyInternal"))) : null,
    guestKey ? null : files.element,
    h("button", { type: "submit" }, t("case.send")),
  );
  onSubmit(reply, async (data) => {
    const attachmentIds = guestKey ? [] : await uploadFiles(ticket.id, files.chosen());
    const body = { body: data.get("body"), internal: data.get("internal") === "on", attachment_ids: attachmentIds };
    const path = guestKey
      ? `/v1/guest/tickets/${encodeURIComponent(ticket.id)}/messages${api.query({ key: guestKey })}`
      : `/v1/tickets/${encodeURIComponent(ticket.id)}/messages`;
    const outcome = await api.post(path, body, { headers: { "Idempotency-Key": api.idempotencyKey() }, token: guestKey ? null : undefined });
    if (outcome.outcome === "follow_up_opened") {
      const number = outcome.follow_up.number;
      announce(t("case.followUp", { number }));
      if (!guestKey) go(`/portal/cases/${encodeURIComponent(outcome.follow_up.id)}`);
      return;
    }
    await reload(t("case.sent"), "#reply textarea");
  });
  parts.push(reply);

  // Files.
  parts.push(
    h(
      "section",
      { "aria-labelledby": "files-h" },
      h("h2", { id: "files-h" }, t("case.files")),
      view.attachments.length
        ? h(
            "ul",
            { class: "files" },
            view.attachments
              .filter((a) => a.state === "stored")
              .map((a) =>
                h(
                  "li",
                  {},
                  guestKey
                    ? `${a.filename} (${bytes(a.size || a.declared_size)})`
                    : h(
                        "button",
                        {
                          type: "button",
                          class: "link",
                          onclick: (e) =>
                            saveFile(`/v1/tickets/${encodeURIComponent(ticket.id)}/attachments/${encodeURIComponent(a.id)}`, a.filename).catch((p) =>
                              showProblem(e.target.closest("section"), p),
                            ),
                        },
                        t("case.download", { name: a.filename }),
                      ),
                  guestKey ? null : ` (${bytes(a.size || a.declared_size)})`,
                ),
              ),
          )
        : h("p", { class: "empty" }, t("case.noFiles")),
    ),
  );

  if (!guestKey) {
    parts.push(actions(ticket, view, me, reload));
    // Collaborators (seed 002).
    const collab = h(
      "form",
      { class: "inline", novalidate: true },
      field({ name: "email", label: t("case.addCollaborator"), kind: "email", required: true }),
      h("button", { type: "submit" }, t("case.add")),
    );
    onSubmit(collab, async (data) => {
      await api.post(`/v1/tickets/${encodeURIComponent(ticket.id)}/collaborators`, { email: data.get("email").trim() }, { headers: { "Idempotency-Key": api.idempotencyKey() } });
      await reload(t("form.saved"), "#collab-h");
    });
    parts.push(
      h(
        "section",
        { "aria-labelledby": "collab-h" },
        h("h2", { id: "collab-h", tabindex: "-1" }, t("case.collaborators")),
        view.collaborators.length ? h("ul", {}, view.collaborators.map((c) => h("li", {}, c))) : h("p", { class: "empty" }, "—"),
        closed ? null : collab,
      ),
    );
  }

  parts.push(
    h(
      "section",
      { "aria-labelledby": "hist-h" },
      h("h2", { id: "hist-h" }, t("case.history")),
      h(
        "ol",
        { class: "history" },
        ticket.history.map((e) =>
          // A note (a service-level alarm, a new priority) says what happened in its words.
          e.note
            ? h("li", { class: "note" }, time(e.at), " — ", e.reason, " ", h("span", { class: "by" }, t("case.historyBy", { by: e.by })))
            : h(
                "li",
                {},
                time(e.at),
                " — ",
                e.from ? `${t(`status.${e.from}`)} → ` : "",
                h("strong", {}, t(`status.${e.to}`) + (e.sub_status ? `: ${e.sub_status}` : "")),
                " ",
                h("span", { class: "by" }, t("case.historyBy", { by: e.by })),
              ),
        ),
      ),
    ),
  );
  if (view.emails?.length) {
    parts.push(
      h(
        "section",
        { "aria-labelledby": "mail-h" },
        h("h2", { id: "mail-h" }, t("case.mails")),
        h("ul", { class: "mails" }, view.emails.map((m) => h("li", {}, time(m.at || m.sent_at || m.created_at), " · ", m.direction || "", " · ", m.subject || ""))),
      ),
    );
  }
  root.replaceChildren(...parts);
}

function actionButton(label, onclick, cls = "secondary") {
  return h("button", { type: "button", class: cls, onclick }, label);
}

/** What the reader may do to the case's status: the customer's and the support side's. */
function actions(ticket, view, me, reload) {
  const section = h("section", { class: "actions card", "aria-labelledby": "act-h" }, h("h2", { id: "act-h", tabindex: "-1" }, t("case.actions")));
  const change = async (body) => {
    try {
      const changed = await api.post(`/v1/tickets/${encodeURIComponent(ticket.id)}/status`, body, { headers: { "Idempotency-Key": api.idempotencyKey() } });
      await reload(t("case.changed", { status: t(`status.${changed.ticket.status}`) }), "#act-h");
    } catch (problem) {
      showProblem(section, problem);
    }
  };
  if (ticket.status === "closed") return section.appendChild(h("p", {}, t("meaning.closed"))) && section;
  const support = view.your_side === "support";
  if (support) {
    const assign = h(
      "form",
      { class: "inline", novalidate: true },
      field({ name: "assignee", label: t("case.assignTo"), kind: "email", value: ticket.assignee || "" }),
      h("button", { type: "submit" }, t("case.assign")),
    );
    onSubmit(assign, (data) => change({ action: "assign", assignee: data.get("assignee").trim() || undefined }));
    const waitFor = h(
      "form",
      { class: "inline", novalidate: true },
      field({ name: "sub_status", label: t("case.waitFor"), required: true }),
      h("button", { type: "submit" }, t("case.wait")),
    );
    onSubmit(waitFor, (data) => change({ action: "wait_for", sub_status: data.get("sub_status").trim() }));
    const priority = h(
      "form",
      { class: "inline", novalidate: true },
      field({
        name: "priority",
        label: t("case.priority"),
        kind: "select",
        value: ticket.priority,
        options: ["low", "medium", "high", "urgent"].map((p) => [p, t(`priority.${p}`)]),
      }),
      h("button", { type: "submit" }, t("case.setPriority")),
    );
    onSubmit(priority, (data) => change({ action: "set_priority", priority: data.get("priority") }));
    section.append(
      h(
        "div",
        { class: "buttons" },
        actionButton(t("case.assignMe"), () => change({ action: "assign" })),
        ticket.desk === "vendor"
          ? ticket.level === "l2"
            ? actionButton(t("case.toLevel1"), () => change({ action: "assign", level: "l1" }))
            : actionButton(t("case.toLevel2"), () => change({ action: "assign", level: "l2" }))
          : null,
        actionButton(t("case.waitCustomer"), () => change({ action: "wait_for_customer" })),
        actionButton(t("case.resolve"), () => change({ action: "resolve" }), "primary"),
      ),
      assign,
      waitFor,
      priority,
    );
  }
  if (ticket.desk === "internal" && me?.standing === "client_admin") {
    section.append(h("div", { class: "buttons" }, actionButton(t("case.escalate"), () => change({ action: "escalate" }))));
  }
  if (!support || me?.standing === "agent") {
    section.append(
      h(
        "div",
        { class: "buttons" },
        actionButton(t("case.close"), () => {
          if (confirm(t("case.closeConfirm"))) change({ action: "close" });
        }),
      ),
    );
  }
  return section;
}

export async function casePage(main, [id], me) {
  const h1 = heading("…");
  const root = h("div", { class: "case" });
  main.append(root);
  const reload = async (message, focus) => {
    const [view, types] = await Promise.all([api.get(`/v1/tickets/${encodeURIComponent(id)}`), ticketTypes()]);
    h1.textContent = `${view.number} · ${view.subject}`;
    document.title = `${h1.textContent} · ${t("app.name")}`;
    renderView(root, view, { me, reload, types });
    if (message) announce(message);
    if (focus) root.querySelector(focus)?.focus();
  };
  await reload();
}

export async function guest(main, [id]) {
  const h1 = heading(t("guest.title"));
  const key = new URLSearchParams(location.hash.slice(1)).get("key");
  if (!key) {
    main.append(h("p", { class: "form-problem", role: "alert" }, t("guest.noKey")));
    return;
  }
  const root = h("div", { class: "case" });
  main.append(root);
  const reload = async (message, focus) => {
    const view = await api.call("GET", `/v1/guest/tickets/${encodeURIComponent(id)}${api.query({ key })}`, undefined, { token: null });
    h1.textContent = `${view.number} · ${view.subject}`;
    renderView(root, view, { guestKey: key, reload });
    if (message) announce(message);
    if (focus) root.querySelector(focus)?.focus();
  };
  await reload();
}
