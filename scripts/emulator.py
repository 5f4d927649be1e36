"""The AWS emulator the test suite talks to: moto's server on 127.0.0.1, with these changes.

- DynamoDB requests run one at a time. moto serves requests on threads and checks a
  write's condition and applies it without a lock, so two racing conditional writes can
  both succeed; real DynamoDB makes each conditional write and each transaction atomic,
  and the race tests depend on that.
- A DynamoDB transaction backs up only the items it names. moto deep-copies the whole
  table once per item of every transaction to be able to roll back, which makes each
  transaction cost time and memory in proportion to the table: a sweep over 100,000
  tickets took the emulator past 12 GB. The rollback here restores the named items, which
  is all a failed transaction can have changed.
- A query looks only at the items that can match. moto's query walks every item of the
  table, sorted by key first (then sorts what matched again by the index's keys), so each
  query cost time in proportion to the whole table: a sweep of 10,000 due tickets spent more
  in its hundred queries than in its 10,000 transactions. Here a table query reads its own
  partition, and an index query walks the items unsorted: the order of the results comes
  from moto's own sort of the matches (index keys, then table keys), as before.
- DynamoDB streams keep their last 1,000 records per shard. moto keeps every record of a
  stream with no Lambda attached for ever (nothing here reads them: the outbox test feeds
  `events/outbox-stream.json` itself), which grew the emulator past 12 GB while a benchmark
  seeded 100,000 tickets.
- One read-only route for the tests, GET /_claimdesk/ses-raw?sender=ADDRESS, lists the raw
  mail SES accepted from that sender. (moto keeps sent mail, but its only export,
  /moto-api/data.json, dumps every service at once and fails while other tests write.)
- Another, GET /_claimdesk/events?bus=NAME, lists the events PutEvents accepted for that
  bus (moto delivers events only to rule targets and keeps no copy).
- Cognito refuses a refresh token it never issued with NotAuthorizedException, as the real
  service does. moto looks the token up without a default and answers HTTP 500.

Usage: python scripts/emulator.py PORT
"""

import copy
import json
import sys
import threading
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import StreamShard, Table
from moto.events.models import EventsBackend
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpUserPool
from moto.ses.models import ses_backends
from werkzeug.serving import make_server


def sent_raw_mail(sender):
    found = []
    for regions in list(ses_backends.values()):
        for backend in list(regions.values()):
            for message in list(backend.sent_messages):
                raw = getattr(message, "raw_data", None)
                if raw is not None and getattr(message, "source", "") == sender:
                    found.append(raw)
    return found


PUBLISHED = []
PUBLISHED_LOCK = threading.Lock()


def record_published_events():
    """Keeps every entry PutEvents accepted, so tests can see what reached a bus."""
    put_events = EventsBackend.put_events

    def recording(self, events):
        entries = put_events(self, events)
        with PUBLISHED_LOCK:
            for event, entry in zip(events, entries):
                if "EventId" in entry:
                    PUBLISHED.append({
                        "bus": event.get("EventBusName", "default"),
                        "detail_type": event.get("DetailType"),
                        "detail": event.get("Detail"),
                    })
        return entries

    EventsBackend.put_events = recording


def published_events(bus):
    with PUBLISHED_LOCK:
        return [e for e in PUBLISHED if e["bus"] == bus]


STREAM_RECORDS_KEPT = 1000


class TablesAreNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB backend: a table "copied" for
    a transaction's backup is the table itself; anything else is copied as before."""

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def cheap_transactions():
    dynamodb_models.copy = TablesAreNotCopied
    backend = dynamodb_models.DynamoDBBackend
    transact = backend.transact_write_items

    def named_items(self, transact_items):
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            attrs = op.get("Item") or op.get("Key") or {}
            if table is None or table.hash_key_attr not in attrs:
                continue
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in attrs:
                    continue
                range_key = DynamoType(attrs[table.range_key_attr])
            yield table, hash_key, range_key

    def transact_write_items(self, transact_items):
        saved = []
        for table, hash_key, range_key in named_items(self, transact_items):
            current = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(current)))
        try:
            return transact(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if range_key is None:
                    if item is None:
                        table.items.pop(hash_key, None)
                    else:
                        table.items[hash_key] = item
                else:
                    if item is None:
                        table.items[hash_key].pop(range_key, None)
                    else:
                        table.items[hash_key][range_key] = item
            raise

    backend.transact_write_items = transact_write_items


def queries_skip_the_full_sort():
    query = Table.query

    def unsorted_items(table):
        for partition in table.items.values():
            if table.range_key_attr:
                yield from partition.values()
            else:
                yield partition

    def narrow_query(self, hash_key, *args, **kwargs):
        index_name = kwargs.get("index_name") if len(args) < 7 else args[6]
        if index_name:
            self.all_items = lambda: unsorted_items(self)
        else:
            partition = self.items.get(hash_key) if hash_key is not None else None
            if self.range_key_attr and partition is not None:
                self.all_items = lambda: list(partition.values())
            elif hash_key is not None:
                self.all_items = lambda: [] if partition is None else [partition]
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            self.__dict__.pop("all_items", None)

    Table.query = narrow_query


def bound_streams():
    add = StreamShard.add

    def bounded_add(self, old, new):
        add(self, old, new)
        extra = len(self.items) - STREAM_RECORDS_KEPT
        if extra > 0:
            del self.items[:extra]
            # Sequence numbers stay increasing: they count from the first record kept.
            self.starting_sequence_number += extra

    StreamShard.add = bounded_add


def unknown_refresh_tokens_are_refused():
    create = CognitoIdpUserPool.create_tokens_from_refresh_token

    def refusing(self, refresh_token):
        if refresh_token not in self.refresh_tokens:
            raise NotAuthorizedError(refresh_token)
        return create(self, refresh_token)

    CognitoIdpUserPool.create_tokens_from_refresh_token = refusing


class QuietRequestHandler(MotoRequestHandler):
    """Logs no line per request: under a benchmark's load, werkzeug's access log (one
    locked write to stderr a request) was a sixth of the emulator's time."""

    def log_request(self, code="-", size="-"):
        pass


def main():
    unknown_refresh_tokens_are_refused()
    cheap_transactions()
    queries_skip_the_full_sort()
    bound_streams()
    record_published_events()
    port = int(sys.argv[1])
    moto = DomainDispatcherApplication(create_backend_app)
    dynamodb = threading.Lock()

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/_claimdesk/ses-raw":
            sender = parse_qs(environ.get("QUERY_STRING", "")).get("sender", [""])[0]
            body = json.dumps(sent_raw_mail(sender)).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if environ.get("PATH_INFO") == "/_claimdesk/events":
            bus = parse_qs(environ.get("QUERY_STRING", "")).get("bus", [""])[0]
            body = json.dumps(published_events(bus)).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with dynamodb:
                # Flask runs the operation inside this call; the body is already built.
                return list(moto(environ, start_response))
        return moto(environ, start_response)

    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietRequestHandler)
    print(f"emulator listening on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
