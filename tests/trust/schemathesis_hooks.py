"""Schemathesis hooks for Claimdesk's schema fuzzing (tests/trust/fuzz.rs sets
SCHEMATHESIS_HOOKS to this file).

`POST /v1/inbound-email` takes a raw RFC 5322 message, which JSON Schema cannot describe:
this registers a Hypothesis strategy that writes real MIME messages (plain, HTML-only,
multipart with files, replies naming a real ticket's reply address, Message-ID and number,
forged senders, auto-replies, delivery reports and outright garbage), so the intake is
fuzzed with mail as mail servers deliver it. CLAIMDESK_FUZZ_MAIL holds, as JSON, what a real
ticket's receipt said (reply_to, message_id, number, requester), so some messages reach it.

It also keeps the "created resource not found" check (ST302) honest. Schemathesis fills a
linked request's ids from a pool of every id it has seen, so a DELETE that follows a file's
upload grant may name another article's file; and a POST retried with an Idempotency-Key and
body it already sent gets its first answer again, naming a resource removed since. Both are
404s by design. The hooks note where each answer's ids were created and which paths a DELETE
removed; an ST302 stands only when the request names a resource the API created under that
very path and nobody removed.
"""

import json
import os
import threading
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone

import schemathesis
from hypothesis import strategies as st

REAL = json.loads(os.environ.get("CLAIMDESK_FUZZ_MAIL", "{}"))

words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
plain_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ÁÉíóúñ.,!?-", min_size=1, max_size=80)
senders = st.sampled_from(
    [REAL.get("requester", "adjuster@acme.test"), "eve@evil.test", "agent@vendor.test", "mailer-daemon@mx.acme.test"]
)
recipients = st.sampled_from(
    [REAL.get("reply_to", "support@claimdesk.test"), "support@claimdesk.test", "reply+t_x.aaaa@claimdesk.local"]
)
threads = st.sampled_from(["", REAL.get("message_id", "<x@y>"), "<nobody@nowhere.test>"])
subjects = st.one_of(
    plain_words,
    words,
    st.builds(lambda w: f"Re: [{REAL.get('number', 'ACME-000001')}] {w}", plain_words),
    st.builds(lambda w: f"Automatic reply: {w}", plain_words),
)


@st.composite
def messages(draw):
    message = EmailMessage()
    message["From"] = draw(senders)
    message["To"] = draw(recipients)
    # Any line break in a header value would be a second header: one line, as mailers send.
    message["Subject"] = " ".join(draw(subjects).splitlines())
    message["Date"] = format_datetime(datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc))
    message["Message-ID"] = f"<fuzz{draw(st.integers(0, 10**12))}@fuzz.test>"
    thread = draw(threads)
    if thread:
        message["In-Reply-To"] = thread
        message["References"] = thread
    if draw(st.booleans()):
        message["Auto-Submitted"] = draw(st.sampled_from(["auto-replied", "no"]))
    body = draw(words)
    kind = draw(st.sampled_from(["plain", "html", "files"]))
    if kind == "plain":
        message.set_content(body)
    elif kind == "html":
        message.set_content(f"<p>{body}</p><blockquote>old</blockquote>", subtype="html")
    else:
        message.set_content(body or "see attached")
        for n in range(draw(st.integers(1, 3))):
            name = draw(st.sampled_from(["scan.png", "../../etc/passwd", "invoice\u202efdp.exe", "a" * 300, ""]))
            data = draw(st.binary(max_size=2048))
            message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name or None)
    raw = message.as_bytes()
    if draw(st.integers(0, 9)) == 0:
        # Now and then, not quite mail: cut short, or noise.
        raw = draw(st.sampled_from([raw[: len(raw) // 2], draw(st.binary(min_size=1, max_size=512))]))
    return raw


schemathesis.openapi.media_type("message/rfc822", messages())


@schemathesis.serializer("message/rfc822")
def to_rfc822(ctx, value):
    return value if isinstance(value, bytes) else str(value).encode()


# Paths of resources the API said it created (a 2xx POST's path plus an id from its answer),
# and paths a 2xx DELETE removed.
created = set()
removed = set()
seen = threading.Lock()


def ids_in(body):
    """The ids an answer names: its own and those of the records it carries (one level)."""
    if not isinstance(body, dict):
        return []
    ids = [body.get("id")]
    ids += [value.get("id") for value in body.values() if isinstance(value, dict)]
    return [i for i in ids if isinstance(i, str) and i]


@schemathesis.hook
def after_call(ctx, case, response):
    if not 200 <= response.status_code < 300:
        return
    path = case.formatted_path.rstrip("/")
    method = case.method.upper()
    with seen:
        if method == "POST":
            try:
                body = response.json()
            except ValueError:
                return
            created.update(f"{path}/{i}" for i in ids_in(body))
        elif method == "DELETE":
            removed.add(path)


def under(path, parent):
    return path == parent or path.startswith(parent + "/")


def resource_of(case):
    """The request's path up to its last parameter: the resource it names."""
    template = case.path.rstrip("/").split("/")
    filled = case.formatted_path.rstrip("/").split("/")
    last = max((n for n, part in enumerate(template) if part.startswith("{")), default=None)
    if last is None or len(filled) != len(template):
        return None
    return "/".join(filled[: last + 1])


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if getattr(failure, "code", None) != "ST302":
        return True
    resource = resource_of(case)
    with seen:
        return resource in created and not any(under(resource, path) for path in removed)
