"""The AWS emulator the test suite talks to: moto's server on 127.0.0.1, with two changes.

- DynamoDB requests run one at a time. moto serves requests on threads and checks a
  write's condition and applies it without a lock, so two racing conditional writes can
  both succeed; real DynamoDB makes each conditional write and each transaction atomic,
  and the race tests depend on that.
- One read-only route for the tests, GET /_claimdesk/ses-raw?sender=ADDRESS, lists the raw
  mail SES accepted from that sender. (moto keeps sent mail, but its only export,
  /moto-api/data.json, dumps every service at once and fails while other tests write.)

Usage: python scripts/emulator.py PORT
"""

import json
import sys
import threading
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
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


def main():
    port = int(sys.argv[1])
    moto = DomainDispatcherApplication(create_backend_app)
    dynamodb = threading.Lock()

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/_claimdesk/ses-raw":
            sender = parse_qs(environ.get("QUERY_STRING", "")).get("sender", [""])[0]
            body = json.dumps(sent_raw_mail(sender)).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with dynamodb:
                # Flask runs the operation inside this call; the body is already built.
                return list(moto(environ, start_response))
        return moto(environ, start_response)

    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"emulator listening on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
