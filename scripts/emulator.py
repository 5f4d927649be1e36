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
- An index query reads its own group of items. The items of each index are kept grouped
  by the index's hash key, brought up to date by the writes that touched them, so a query
  no longer walks the whole table (a sweep of 10,000 due tickets walked it a hundred
  times); its matches are sorted by their plain values, not moto's typed wrappers.
- Item operations answer with plain JSON: moto builds each answer by walking the
  operation's botocore shape value by value, which was a quarter of the emulator's time;
  an item operation's result is already the wire's JSON and is dumped as it is.
- moto's work repeated per request is done once: finding the backend for a host (it
  listed its own package directory each time), parsing a transaction's condition (three
  times per conditional write), measuring an item (re-measured whole per attribute added).
- SES reads a raw mail's headers only (moto parsed every MIME part to find To and Cc).
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

import base64
import copy
import email.parser
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
from moto.dynamodb.responses import DynamoHandler
from moto.events.models import EventsBackend
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpUserPool
import moto.ses.models as ses_models
from moto.ses.models import ses_backends
from werkzeug.serving import ThreadedWSGIServer, make_server


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
                buckets_of(table).stale = True
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
    generate_sort_attributes = Table._generate_attr_to_sort_by

    def narrow_query(self, hash_key, *args, **kwargs):
        index_name = kwargs.get("index_name") if len(args) < 7 else args[6]
        conditions = kwargs.get("hash_key_conditions") or []
        members = None
        if index_name and len(conditions) == 1:
            members = buckets_of(self).members(index_name, *conditions[0])
        if members is not None:
            self.all_items = lambda: members
        elif index_name:
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

    def sorted_by_plain_values(self, hash_key_attrs, range_key_attrs, items):
        attributes = generate_sort_attributes(self, hash_key_attrs, range_key_attrs)
        items.sort(key=lambda item: tuple(item.attrs[name].cast_value for name in attributes))
        return items

    Table.query = narrow_query
    Table.sorted_items = sorted_by_plain_values


class IndexBuckets:
    """One table's secondary-index entries, grouped by each index's hash key value and kept
    up to date by the writes that touch them (`touched`), so a query reads its own group."""

    def __init__(self, table):
        self.table = table
        self.groups = {}  # index name -> {hash value: {(pk, sk): item}}
        self.placed = {}  # (pk, sk) -> [(index name, hash value)]
        self.touched = set()
        self.stale = True

    def touch(self, hash_key, range_key):
        self.touched.add((hash_key, range_key))

    def _current(self, key):
        hash_key, range_key = key
        partition = self.table.items.get(hash_key)
        if partition is None:
            return None
        if self.table.range_key_attr:
            return partition.get(range_key)
        return partition

    def _place(self, key, item):
        places = []
        for index in self.table.all_indexes():
            hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            if len(hashes) != 1:
                continue
            value = item.attrs.get(hashes[0])
            if value is None:
                continue
            group = (value.type, value.cast_value)
            self.groups.setdefault(index.name, {}).setdefault(group, {})[key] = item
            places.append((index.name, group))
        self.placed[key] = places

    def _unplace(self, key):
        for name, group in self.placed.pop(key, []):
            members = self.groups.get(name, {}).get(group)
            if members is not None:
                members.pop(key, None)

    def refresh(self):
        if self.stale:
            self.groups, self.placed, self.touched, self.stale = {}, {}, set(), False
            for item in unsorted_items(self.table):
                self._place((item.hash_key, item.range_key), item)
            return
        touched, self.touched = self.touched, set()
        for key in touched:
            self._unplace(key)
            item = self._current(key)
            if item is not None:
                self._place(key, item)

    def members(self, index_name, attribute, value):
        """The items whose `attribute` is this index's one hash key and equals `value`, or
        None when the index is not one this keeps (moto's walk then answers)."""
        index = next((i for i in self.table.all_indexes() if i.name == index_name), None)
        hashes = [] if index is None else [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        if hashes != [attribute]:
            return None
        self.refresh()
        return list(self.groups.get(index_name, {}).get((value.type, value.cast_value), {}).values())


def buckets_of(table):
    buckets = table.__dict__.get("_claimdesk_buckets")
    if buckets is None:
        buckets = IndexBuckets(table)
        table.__dict__["_claimdesk_buckets"] = buckets
    return buckets


def unsorted_items(table):
    for partition in table.items.values():
        if table.range_key_attr:
            yield from partition.values()
        else:
            yield partition


def index_queries_read_their_group():
    """Every write that can change an item tells its table's buckets which key it touched;
    a write that fails part-way (a transaction rolled back, an update that raised) marks
    the buckets stale, to be rebuilt at the next query."""
    put_item, delete_item = Table.put_item, Table.delete_item
    update_item = dynamodb_models.DynamoDBBackend.update_item

    def touching_put(self, item_attrs, *args, **kwargs):
        item = put_item(self, item_attrs, *args, **kwargs)
        buckets_of(self).touch(item.hash_key, item.range_key)
        return item

    def touching_delete(self, hash_key, range_key):
        buckets_of(self).touch(hash_key, range_key)
        return delete_item(self, hash_key, range_key)

    def touching_update(self, table_name, *args, **kwargs):
        table = self.get_table(table_name)
        try:
            item = update_item(self, table_name, *args, **kwargs)
        except Exception:
            buckets_of(table).stale = True
            raise
        buckets_of(table).touch(item.hash_key, item.range_key)
        return item

    Table.put_item = touching_put
    Table.delete_item = touching_delete
    dynamodb_models.DynamoDBBackend.update_item = touching_update


ITEM_OPERATIONS = {
    "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
    "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
}


def plain_blob(value):
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


def item_answers_as_plain_json():
    """moto builds every answer by walking the operation's botocore output shape, value by
    value; an item operation's answer is already the wire's JSON (attribute values as
    {"S": ...}, binary values as bytes, base64-encoded here), so it is dumped as it is.
    Anything else, errors included, goes the shape's way."""
    serialized = DynamoHandler.serialized

    def plainly(self, action_result):
        result = action_result.result
        if isinstance(result, dict) and self._get_action() in ITEM_OPERATIONS:
            try:
                body = json.dumps({k: v for k, v in result.items() if v is not None}, default=plain_blob)
            except TypeError:
                return serialized(self, action_result)
            headers = {"Content-Type": "application/x-amz-json-1.0"}
            headers.update(self.response_headers)
            return 200, headers, body
        return serialized(self, action_result)

    DynamoHandler.serialized = plainly


def backends_found_once():
    """moto finds a request's backend by listing its own package directory each time."""
    find = DomainDispatcherApplication.get_backend_for_host
    found = {}

    def remembered(self, host):
        if host not in found:
            found[host] = find(self, host)
        return found[host]

    DomainDispatcherApplication.get_backend_for_host = remembered


CONDITIONS_KEPT = 256


def conditions_parsed_once():
    """A transaction's conditional write has its condition parsed three times (to validate
    the request, to check it, and again by the put or update it makes); the parsed
    condition is kept for the next ones with the same text, names and values."""
    from moto.dynamodb.models import table as table_module

    parse = dynamodb_models.get_filter_expression
    parsed = {}

    def parse_once(expr, names, values):
        try:
            key = (expr, json.dumps(names, sort_keys=True), json.dumps(values, sort_keys=True))
        except TypeError:
            return parse(expr, names, values)
        if key not in parsed:
            if len(parsed) >= CONDITIONS_KEPT:
                parsed.pop(next(iter(parsed)))
            parsed[key] = parse(expr, names, values)
        return parsed[key]

    dynamodb_models.get_filter_expression = parse_once
    table_module.get_filter_expression = parse_once


class HeadersOfMail:
    """Stands in for the `email` module inside moto's SES backend, which parses a raw mail
    whole (every MIME part, a regular expression compiled per boundary) to read its From,
    To, Cc and Bcc headers: here only the headers are parsed. The mail is kept as sent."""

    @staticmethod
    def message_from_string(raw):
        return email.parser.Parser().parsestr(raw, headersonly=True)


def ses_reads_headers_only():
    ses_models.email = HeadersOfMail


ITEM_SIZE_LIMIT = 405000  # moto's own figure for DynamoDB's 400 KB


def items_sized_once():
    """moto's item keeps its attributes in a dict that re-measures every attribute it holds
    each time one is added (encoding each string anew), so building an item costs the
    square of its attributes; here an item is measured once, against the same limit.
    A projection copies the attributes it keeps (the query has copied the item already)."""
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict
    from moto.dynamodb.models.table import SecondaryIndex
    from moto.dynamodb.models.utilities import bytesize
    from moto.dynamodb.exceptions import ItemSizeTooLarge

    def measured_once(self, hash_key, range_key, attrs):
        self.hash_key = hash_key
        self.range_key = range_key
        held = LimitedSizeDict()
        size = 0
        for key, value in attrs.items():
            typed = DynamoType(value)
            size += bytesize(key) + typed.size()
            dict.__setitem__(held, key, typed)
        if size > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = held

    project = SecondaryIndex.project

    def project_by_copying(self, item):
        kind = (self.projection or {}).get("ProjectionType")
        if kind not in ("KEYS_ONLY", "INCLUDE"):
            return project(self, item)
        names = self.table_key_attrs + [key["AttributeName"] for key in self.schema]
        if kind == "INCLUDE":
            names = names + self.projection.get("NonKeyAttributes", [])
        projected = Item(item.hash_key, item.range_key, {})
        for name in names:
            if name in item.attrs:
                dict.__setitem__(projected.attrs, name, item.attrs[name])
        return projected

    Item.__init__ = measured_once
    SecondaryIndex.project = project_by_copying


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
    index_queries_read_their_group()
    item_answers_as_plain_json()
    backends_found_once()
    conditions_parsed_once()
    ses_reads_headers_only()
    items_sized_once()
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

    # A deeper queue of connections waiting to be accepted than werkzeug's 128: under the
    # test suite's load a full queue was seen refusing a connection.
    ThreadedWSGIServer.request_queue_size = 1024
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietRequestHandler)
    print(f"emulator listening on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
