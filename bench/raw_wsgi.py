"""The floor of the framework-cost benchmark (bench/http_pages.py): a WSGI application with no
framework at all, answering the same small JSON body as the bare Django endpoint."""

BODY = b'{"ok": true}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
