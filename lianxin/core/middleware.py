import contextvars
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("lianxin_request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


class RequestContextMiddleware:
    """Tags each request with an id (echoed as X-Request-ID) so its log lines can be found."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = (
            incoming[:64] if incoming.isascii() and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        )
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response
