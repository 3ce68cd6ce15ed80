import contextvars
import ipaddress
import uuid

from django.conf import settings

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("lianxin_request_id", default="")
_client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("lianxin_client_ip", default="")


def current_request_id() -> str:
    return _request_id.get()


def current_client_ip() -> str:
    return _client_ip.get()


def client_ip(request) -> str:
    """The client's address. Behind ``LIANXIN_TRUSTED_PROXIES`` reverse proxies (each appending to
    X-Forwarded-For) it is the entry the outermost trusted proxy added; anything to its left was
    written by the client and is ignored. With 0 (the default) REMOTE_ADDR is used as it is."""
    meta = getattr(request, "META", {}) or {}
    address = meta.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "LIANXIN_TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


class RequestContextMiddleware:
    """Tags each request with an id (echoed as X-Request-ID) and the client's address, so its log
    lines and audit entries can be found and attributed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = (
            incoming[:64]
            if incoming and incoming.isascii() and incoming.replace("-", "").isalnum()
            else uuid.uuid4().hex
        )
        request.request_id = request_id
        token = _request_id.set(request_id)
        ip_token = _client_ip.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
            _client_ip.reset(ip_token)
        response["X-Request-ID"] = request_id
        return response
