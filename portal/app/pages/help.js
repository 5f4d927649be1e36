// Help resources (seeds 002–004): the knowledge base, articles and solutions, one search,
// suggestions while a new case is typed, the bell and the announcements banner.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, field, onSubmit, announce, time, bytes, showProblem, saveFile } from "../ui.js";
import { heading, go } from "../main.js";
import { pickFiles, uploadTo } from "./files.js";

const isAgent = (me) => me?.standing === "agent";

/** Where a hit leads in the portal. */
function hitLink(hit) {
  const id = encodeURIComponent(hit.id);
  if (hit.kind === "ticket") return `/portal/cases/${id}`;
  if (hit.kind === "article") return `/portal/help/articles/${id}`;
  return `/portal/help/solutions/${id}`;
}

function hitItem(hit, { newTab = false } = {}) {
  return h(
    "li",
    { class: "hit" },
    h("a", { href: hitLink(hit), target: newTab ? "_blank" : null, rel: newTab ? "noopener" : null }, hit.number ? `${hit.number} · ${hit.title}` : hit.title),
    h("span", { class: "hint" }, ` · ${t(`kind.${hit.kind}`)}`),
    hit.excerpt ? h("p", { class: "excerpt" }, hit.excerpt) : null,
  );
}

/** The header's search box (a search landmark) and the bell with the unseen count. */
export function headerTools(me) {
  if (!me) return [];
  const input = h("input", { type: "search", name: "q", id: "site-search", "aria-label": t("search.label"), placeholder: t("search.placeholder") });
  const form = h("form", { role: "search", class: "site-search", "aria-label": t("search.label") }, input, h("button", { type: "submit" }, t("search.submit")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (q) go(`/portal/search${api.query({ q })}`);
  });
  // The accessible name is the visible text and the count read out: "Notifications 2 unseen".
  const count = h("span", { class: "badge", hidden: true });
  const bell = h("a", { href: "/portal/notifications", class: "bell", id: "bell" }, t("bell.label"), " ", count);
  refreshBell(bell, count);
  return [form, bell];
}

async function refreshBell(bell, count) {
  try {
    const { unseen } = await api.get("/v1/notifications/count");
    count.replaceChildren(unseen > 99 ? "99+" : String(unseen), h("span", { class: "visually-hidden" }, ` ${t("bell.unseenWord")}`));
    count.hidden = unseen === 0;
  } catch {
    count.hidden = true;
  }
}

/** The current announcements above the page, each dismissible if it allows it. */
export async function banner(root, me) {
  root.replaceChildren();
  if (!me) return;
  let items = [];
  try {
    ({ items } = await api.get("/v1/announcements"));
  } catch {
    return;
  }
  if (!items.length) return;
  root.append(
    h(
      "section",
      { class: "announcements", "aria-label": t("news.label") },
      items.map((a) => {
        const box = h("div", { class: "announcement", dataset: { id: a.id } }, h("strong", {}, a.title), h("p", {}, a.body));
        if (a.dismissible) {
          box.append(
            h(
              "button",
              {
                type: "button",
                class: "link",
                "aria-label": t("news.dismissNamed", { title: a.title }),
                onclick: async () => {
                  await api.post(`/v1/announcements/${encodeURIComponent(a.id)}/dismiss`, {}, { headers: { "Idempotency-Key": api.idempotencyKey() } });
                  box.remove();
                  announce(t("news.dismissed"));
                },
              },
              t("news.dismiss"),
            ),
          );
        }
        return box;
      }),
    ),
  );
}

/** Suggestions under the new-case form: asked as the subject and description are typed. */
export function suggestionsFor(form) {
  const list = h("div", { class: "suggestions", "aria-live": "polite", id: "suggestions" });
  let timer = null;
  let asked = 0;
  const ask = async () => {
    const data = new FormData(form);
    const subject = String(data.get("subject") || "");
    const description = String(data.get("description") || "");
    if ((subject + description).trim().length < 3) {
      list.replaceChildren();
      return;
    }
    const turn = ++asked;
    let found;
    try {
      found = await api.post("/v1/suggestions", { subject, description, ticket_type: String(data.get("ticket_type") || "") });
    } catch {
      return;
    }
    if (turn !== asked) return;
    const hits = [...found.articles, ...found.solutions];
    list.replaceChildren(
      ...(hits.length
        ? [h("h2", {}, t("suggest.title")), h("p", { class: "hint" }, t("suggest.hint")), h("ul", { class: "hits" }, hits.map((hit) => hitItem(hit, { newTab: true })))]
        : []),
    );
  };
  form.addEventListener("input", (event) => {
    if (!["subject", "description"].includes(event.target.name)) return;
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  });
  return list;
}

// What an article's HTML may hold when shown: the API cleans it on every write (ammonia);
// the portal builds the page from its own allow-list again rather than trusting a string.
const ALLOWED = {
  A: ["href", "title"], ABBR: ["title"], B: [], BLOCKQUOTE: [], BR: [], CODE: [], DD: [], DIV: [], DL: [], DT: [],
  EM: [], H2: [], H3: [], H4: [], H5: [], H6: [], HR: [], I: [], IMG: ["src", "alt", "width", "height"], LI: [],
  OL: [], P: [], PRE: [], S: [], SMALL: [], SPAN: [], STRONG: [], SUB: [], SUP: [], TABLE: [], TBODY: [],
  TD: ["colspan", "rowspan"], TH: ["colspan", "rowspan", "scope"], THEAD: [], TR: [], U: [], UL: [],
};
const DROPPED = new Set(["SCRIPT", "STYLE", "IFRAME", "OBJECT", "EMBED", "TEMPLATE", "NOSCRIPT", "SVG", "MATH"]);
const SAFE_URL = /^(https?:|mailto:|\/(?!\/)|#)/i;

/**
 * An article's HTML as nodes, built one allowed element at a time from an inert parse (a
 * parsed document runs nothing and loads nothing): unknown elements give their text, an
 * attribute not on the list or a URL of another scheme is left out, the page's own h1 stays
 * the only one.
 */
function articleNodes(html) {
  const parsed = new DOMParser().parseFromString(String(html), "text/html");
  const copy = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return [document.createTextNode(node.textContent)];
    if (node.nodeType !== Node.ELEMENT_NODE || DROPPED.has(node.tagName)) return [];
    const children = [...node.childNodes].flatMap(copy);
    const tag = node.tagName === "H1" ? "H2" : node.tagName;
    if (!(tag in ALLOWED)) return children;
    const el = document.createElement(tag);
    for (const name of ALLOWED[tag]) {
      const value = node.getAttribute(name);
      if (value === null) continue;
      if ((name === "href" || name === "src") && !SAFE_URL.test(value.trim())) continue;
      el.setAttribute(name, value);
    }
    if (tag === "A") el.setAttribute("rel", "noopener noreferrer");
    el.append(...children);
    return [el];
  };
  return [...parsed.body.childNodes].flatMap(copy);
}

/** The knowledge base: published articles by category; staff pick a state and write new ones. */
export async function knowledgeBase(main, _params, me) {
  heading(t("kb.title"));
  const params = new URLSearchParams(location.search);
  const state = params.get("state") || "published";
  if (isAgent(me)) {
    const picker = field({
      name: "state",
      label: t("kb.state"),
      kind: "select",
      value: state,
      options: ["published", "draft", "archived"].map((s) => [s, t(`kb.state.${s}`)]),
    });
    picker.querySelector("select").addEventListener("change", (e) => go(`/portal/help${api.query({ state: e.target.value })}`));
    main.append(h("p", {}, h("a", { href: "/portal/help/new", class: "button" }, t("kb.new"))), picker);
  }
  const { items } = await api.get(`/v1/articles${api.query({ state: isAgent(me) ? state : undefined, limit: 100 })}`);
  if (!items.length) {
    main.append(h("p", { class: "empty" }, t("kb.empty")));
    return;
  }
  const byCategory = new Map();
  for (const a of items) byCategory.set(a.category, [...(byCategory.get(a.category) || []), a]);
  for (const [category, articles] of byCategory) {
    main.append(
      h("section", { class: "card" }, h("h2", {}, category), h("ul", {}, articles.map((a) => h("li", {}, h("a", { href: `/portal/help/articles/${encodeURIComponent(a.id)}` }, a.title), a.visibility === "staff" ? h("span", { class: "hint" }, ` · ${t("kb.staffOnly")}`) : null)))),
    );
  }
}

function articleForm(article, onSave) {
  const form = h("form", { class: "card", novalidate: true });
  form.append(
    field({ name: "title", label: t("kb.field.title"), required: true, value: article?.title, attrs: { maxlength: 200 } }),
    field({ name: "category", label: t("kb.field.category"), required: true, value: article?.category }),
    field({ name: "tags", label: t("kb.field.tags"), hint: t("kb.field.tagsHint"), value: (article?.tags || []).join(", ") }),
    field({ name: "body", label: t("kb.field.body"), kind: "textarea", required: true, hint: t("kb.field.bodyHint"), value: article?.body }),
    field({ name: "visibility", label: t("kb.field.visibility"), kind: "select", value: article?.visibility || "clients", options: [["clients", t("kb.visibility.clients")], ["staff", t("kb.visibility.staff")]] }),
    field({ name: "state", label: t("kb.state"), kind: "select", value: article?.state || "draft", options: ["draft", "published", "archived"].map((s) => [s, t(`kb.state.${s}`)]) }),
    h("button", { type: "submit" }, t("form.save")),
  );
  onSubmit(form, async (data) => {
    const body = {
      title: data.get("title"),
      category: data.get("category"),
      tags: String(data.get("tags") || "").split(",").map((s) => s.trim()).filter(Boolean),
      body: data.get("body"),
      visibility: data.get("visibility"),
      state: data.get("state"),
    };
    await onSave(body);
  });
  return form;
}

export async function newArticle(main) {
  heading(t("kb.new"));
  main.append(
    articleForm(null, async (body) => {
      const article = await api.post("/v1/articles", body, { headers: { "Idempotency-Key": api.idempotencyKey() } });
      go(`/portal/help/articles/${encodeURIComponent(article.id)}`);
      announce(t("form.saved"));
    }),
  );
}

export async function articlePage(main, [id], me) {
  const article = await api.get(`/v1/articles/${encodeURIComponent(id)}`);
  heading(article.title);
  const body = h("div", { class: "article-body" }, articleNodes(article.body));
  const votes = h("p", { class: "hint", id: "votes" }, t("kb.votes", { yes: article.helpful, no: article.not_helpful }));
  const vote = (helpful) => async () => {
    const counted = await api.post(`/v1/articles/${encodeURIComponent(id)}/votes`, { helpful });
    votes.textContent = t("kb.votes", { yes: counted.helpful, no: counted.not_helpful });
    announce(t("kb.thanks"));
  };
  main.append(
    h("p", { class: "hint" }, `${article.category} · ${t("kb.updated")} `, time(article.updated_at), article.visibility === "staff" ? ` · ${t("kb.staffOnly")}` : "", article.state !== "published" ? ` · ${t(`kb.state.${article.state}`)}` : ""),
    h("article", { class: "card" }, body),
    articleFiles(article, me),
    h(
      "div",
      { class: "card", role: "group", "aria-labelledby": "helpful-q" },
      h("p", { id: "helpful-q" }, t("kb.helpful")),
      h("button", { type: "button", onclick: vote(true) }, t("kb.yes")),
      " ",
      h("button", { type: "button", class: "secondary", onclick: vote(false) }, t("kb.no")),
      votes,
    ),
  );
  if (isAgent(me)) {
    main.append(
      h("h2", {}, t("kb.edit")),
      articleForm(article, async (changes) => {
        await api.patch(`/v1/articles/${encodeURIComponent(id)}`, changes);
        go(location.pathname, { replace: true });
        announce(t("form.saved"));
      }),
    );
  }
  main.append(h("p", {}, h("a", { href: "/portal/help" }, t("kb.back"))));
}

/** An article's files: readers download them; staff also add and remove them. Readers
 * see no section when there are none. */
function articleFiles(article, me) {
  const files = article.files || [];
  if (!files.length && !isAgent(me)) return null;
  const base = `/v1/articles/${encodeURIComponent(article.id)}/attachments`;
  const reload = () => go(location.pathname, { replace: true });
  const section = h("section", { class: "card", "aria-labelledby": "article-files-h" }, h("h2", { id: "article-files-h" }, t("kb.files")));
  const fail = (problem) => showProblem(section, problem);
  section.append(
    files.length
      ? h(
          "ul",
          { class: "files" },
          files.map((f) =>
            h(
              "li",
              {},
              h("button", { type: "button", class: "link", onclick: () => saveFile(`${base}/${encodeURIComponent(f.id)}`, f.filename).catch(fail) }, t("case.download", { name: f.filename })),
              ` (${bytes(f.size)})`,
              isAgent(me)
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "secondary",
                      "aria-label": t("kb.removeFile", { name: f.filename }),
                      onclick: () =>
                        api
                          .remove(`${base}/${encodeURIComponent(f.id)}`)
                          .then(() => {
                            reload();
                            announce(t("kb.fileRemoved", { name: f.filename }));
                          })
                          .catch(fail),
                    },
                    t("kb.remove"),
                  )
                : null,
            ),
          ),
        )
      : h("p", { class: "empty" }, t("kb.noFiles")),
  );
  if (isAgent(me)) {
    const used = files.reduce((sum, f) => sum + f.size, 0);
    const picker = pickFiles(used, t("kb.addFiles"), "kb.filesTooLarge");
    const form = h("form", { class: "article-files", novalidate: true }, picker.element, h("button", { type: "submit" }, t("kb.upload")));
    onSubmit(form, async () => {
      const chosen = picker.chosen();
      if (!chosen.length) return;
      await uploadTo(base, chosen);
      reload();
      announce(t("kb.filesAdded"));
    });
    section.append(form);
  }
  return section;
}

export async function solutionPage(main, [id]) {
  const solution = await api.get(`/v1/solutions/${encodeURIComponent(id)}`);
  heading(solution.title);
  main.append(
    h("p", { class: "hint" }, `${t("kb.solution")} · `, time(solution.updated_at)),
    h("article", { class: "card pre" }, solution.body),
    h("p", {}, h("a", { href: "/portal/help" }, t("kb.back"))),
  );
}

/** One search across what the person may see, with a kind filter and more pages. */
export async function searchPage(main) {
  heading(t("search.title"));
  const params = new URLSearchParams(location.search);
  const q = params.get("q") || "";
  const kind = params.get("kind") || "";
  // The header holds the page's search landmark; this form refines what it found.
  const form = h("form", { class: "card" });
  form.append(
    field({ name: "q", label: t("search.words"), kind: "search", value: q, required: true }),
    field({ name: "kind", label: t("search.kind"), kind: "select", value: kind, options: [["", t("search.kind.all")], ...["ticket", "article", "solution"].map((k) => [k, t(`kind.${k}`)])] }),
    h("button", { type: "submit" }, t("search.submit")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    go(`/portal/search${api.query({ q: String(data.get("q") || "").trim(), kind: data.get("kind") || undefined })}`);
  });
  main.append(form);
  if (!q.trim()) return;
  const results = h("ul", { class: "hits", id: "results" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("search.more"));
  let cursor;
  const load = async () => {
    const page = await api.get(`/v1/search${api.query({ q, kind: kind || undefined, cursor })}`);
    results.append(...page.hits.map((hit) => hitItem(hit)));
    cursor = page.next;
    more.hidden = !cursor;
    return page.hits.length;
  };
  more.addEventListener("click", load);
  const found = await load();
  main.append(h("p", { role: "status" }, found ? t("search.found", { q }) : t("search.none", { q })), results, more);
}

/** The bell's page: the person's notifications, newest first; opening one marks it seen. */
export async function notifications(main) {
  heading(t("bell.title"));
  const page = await api.get("/v1/notifications?limit=50");
  const seeAll = h("button", { type: "button", id: "see-all" }, t("bell.seeAll"));
  seeAll.addEventListener("click", async () => {
    let left = 1;
    while (left > 0) ({ unseen: left } = await api.post("/v1/notifications/seen-all", {}, { headers: { "Idempotency-Key": api.idempotencyKey() } }));
    go(location.pathname, { replace: true });
    announce(t("bell.allSeen"));
  });
  main.append(h("p", {}, t("bell.unseen", { n: page.unseen }), " ", page.unseen ? seeAll : null));
  if (!page.items.length) {
    main.append(h("p", { class: "empty" }, t("bell.empty")));
    return;
  }
  main.append(
    h(
      "ul",
      { class: "hits" },
      page.items.map((n) =>
        h(
          "li",
          { class: n.seen_at ? "seen" : "unseen" },
          h(
            "a",
            {
              href: `/portal/cases/${encodeURIComponent(n.ticket_id)}`,
              onclick: () => {
                if (!n.seen_at) api.post(`/v1/notifications/${encodeURIComponent(n.id)}/seen`, {}).catch(() => {});
              },
            },
            n.title,
          ),
          h("span", { class: "hint" }, " · ", t(`bell.kind.${n.kind}`), " · ", time(n.at), n.seen_at ? "" : ` · ${t("bell.new")}`),
        ),
      ),
    ),
  );
}

/** Staff's announcements: every one, and a form for a new one. */
export async function announcements(main, _params, me) {
  heading(t("news.title"));
  if (!isAgent(me)) {
    main.append(h("p", { class: "empty" }, t("news.staffOnly")));
    return;
  }
  const form = h("form", { class: "card", novalidate: true });
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 16);
  form.append(
    h("h2", {}, t("news.new")),
    field({ name: "title", label: t("news.field.title"), required: true, attrs: { maxlength: 200 } }),
    field({ name: "body", label: t("news.field.body"), kind: "textarea", required: true }),
    field({ name: "audience", label: t("news.field.audience"), kind: "select", value: "everyone", options: ["everyone", "company", "staff"].map((a) => [a, t(`news.audience.${a}`)]) }),
    field({ name: "company", label: t("news.field.company"), hint: t("news.field.companyHint") }),
    field({ name: "ends_at", label: t("news.field.ends"), kind: "datetime-local", required: true, value: tomorrow }),
    field({ name: "dismissible", label: t("news.field.dismissible"), kind: "select", value: "true", options: [["true", t("news.yes")], ["false", t("news.no")]] }),
    h("button", { type: "submit" }, t("news.post")),
  );
  onSubmit(form, async (data) => {
    const body = {
      title: data.get("title"),
      body: data.get("body"),
      audience: data.get("audience"),
      ends_at: data.get("ends_at") ? new Date(data.get("ends_at")).toISOString() : undefined,
      dismissible: data.get("dismissible") === "true",
    };
    const company = String(data.get("company") || "").trim();
    if (company) body.company = company;
    await api.post("/v1/announcements", body, { headers: { "Idempotency-Key": api.idempotencyKey() } });
    go(location.pathname, { replace: true });
    announce(t("news.posted"));
  });
  const { items } = await api.get("/v1/announcements?scope=all");
  main.append(
    form,
    h("h2", {}, t("news.all")),
    items.length
      ? h("ul", {}, items.map((a) => h("li", {}, h("strong", {}, a.title), ` · ${t(`news.audience.${a.audience}`)}${a.company ? ` ${a.company}` : ""} · `, time(a.starts_at), " – ", time(a.ends_at))))
      : h("p", { class: "empty" }, t("news.none")),
  );
}

/** On a resolved case, the support side publishes its solution for every client to find. */
export function solutionForm(view) {
  const form = h("form", { class: "card", novalidate: true, id: "solution-form" });
  form.append(
    h("h2", {}, t("solution.title")),
    h("p", { class: "hint" }, t("solution.hint")),
    field({ name: "title", label: t("solution.field.title"), required: true, value: view.subject, attrs: { maxlength: 200 } }),
    field({ name: "body", label: t("solution.field.body"), kind: "textarea", required: true }),
    h("button", { type: "submit" }, t("solution.publish")),
  );
  onSubmit(form, async (data) => {
    await api.call("PUT", `/v1/tickets/${encodeURIComponent(view.id)}/solution`, { title: data.get("title"), body: data.get("body") }, { headers: { "Idempotency-Key": api.idempotencyKey() } });
    form.replaceWith(h("p", { class: "notice", role: "status" }, t("solution.published"), " ", h("a", { href: `/portal/help/solutions/${encodeURIComponent(view.id)}` }, t("solution.open"))));
    announce(t("solution.published"));
  });
  return form;
}
