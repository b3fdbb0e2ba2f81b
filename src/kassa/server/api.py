"""The terminal API: one NinjaAPI at /api/, routes under /api/v1/, OpenAPI at /api/openapi.json.

The project level: it adds each app's router, and it alone turns errors into HTTP. Every
error answer is JSON `{"error": {"code", "message", "details"?}}` (the hardware proxy
answers the same shape); no request ever gets a 500 page. A service raises a domain error
with a code from its app's enum; the status comes from that app's `api.ERROR_STATUS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

import orjson
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from kassa.server.cash import api as cash_api
from kassa.server.cash.errors import CashErrorCode
from kassa.server.catalog import api as catalog_api
from kassa.server.catalog.errors import CatalogErrorCode
from kassa.server.common.errors import (
    DomainError,
    RequestErrorCode,
    Throttled,
    validation_details,
    validation_message,
)
from kassa.server.journal import api as journal_api
from kassa.server.journal.errors import JournalErrorCode
from kassa.server.orders import api as orders_api
from kassa.server.orders.errors import OrderErrorCode
from kassa.server.staff import api as staff_api
from kassa.server.staff.errors import StaffErrorCode
from kassa.server.terminals import api as terminals_api
from kassa.server.terminals.errors import TerminalErrorCode
from kassa.server.terminals.models import DeviceToken
from kassa.server.terminals.services import device_token_authenticate

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: RequestErrorCode.MALFORMED_JSON,
    401: RequestErrorCode.UNAUTHORIZED,
    403: RequestErrorCode.FORBIDDEN,
    404: RequestErrorCode.NOT_FOUND,
    405: RequestErrorCode.METHOD_NOT_ALLOWED,
    413: RequestErrorCode.REQUEST_TOO_LARGE,
    414: RequestErrorCode.URI_TOO_LONG,
    415: RequestErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: RequestErrorCode.TOO_MANY_REQUESTS,
    431: RequestErrorCode.HEADERS_TOO_LARGE,
}

REQUEST_ERROR_STATUS: dict[RequestErrorCode, int] = {
    **{code: status for status, code in _HTTP_CODES.items()},
    RequestErrorCode.BAD_REQUEST: 400,
    RequestErrorCode.DISALLOWED_HOST: 400,
    RequestErrorCode.INVALID_REQUEST: 422,
    RequestErrorCode.ERROR: 400,
    RequestErrorCode.INTERNAL_ERROR: 500,
}

# The HTTP status of every domain error code, by its enum: two apps may share a code's
# text (cash's and orders' "unknown_cashier") and still answer different statuses.
ERROR_STATUS: dict[type[StrEnum], Mapping[Any, int]] = {
    RequestErrorCode: REQUEST_ERROR_STATUS,
    CatalogErrorCode: catalog_api.ERROR_STATUS,
    StaffErrorCode: staff_api.ERROR_STATUS,
    TerminalErrorCode: terminals_api.ERROR_STATUS,
    JournalErrorCode: journal_api.ERROR_STATUS,
    CashErrorCode: cash_api.ERROR_STATUS,
    OrderErrorCode: orders_api.ERROR_STATUS,
}


class OrjsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        return orjson.loads(request.body)


class DeviceAuth(HttpBearer):
    """`Authorization: Bearer <device token>` obtained by pairing."""

    def authenticate(self, request: HttpRequest, token: str) -> DeviceToken | None:
        return device_token_authenticate(token)


class KassaAPI(NinjaAPI):
    extra_schemas: dict[str, Any] = {}

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(self.extra_schemas)
        return schema


def error_body(
    code: StrEnum, message: str, details: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The one error shape of every API Kassa ships (the proxy's too)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(
    status: int, code: StrEnum, message: str, details: list[dict[str, str]] | None = None
) -> HttpResponse:
    body = orjson.dumps(error_body(code, message, details))
    return HttpResponse(body, status=status, content_type="application/json")


api = KassaAPI(
    title="Kassa terminal API",
    version="1",
    description="The API the POS terminals use: pairing, catalog, cash sessions, order sync.",
    auth=DeviceAuth(),
    parser=OrjsonParser(),
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = ERROR_STATUS[type(exc.code)][exc.code]
    response = error_response(status, exc.code, exc.message, exc.details)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = validation_details(exc.errors)
    message = validation_message(details)
    return error_response(422, RequestErrorCode.INVALID_REQUEST, message, details)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        401,
        RequestErrorCode.UNAUTHORIZED,
        "A valid device token is required (Authorization: Bearer …); "
        "pair the terminal, or ask for a new pairing code if it was revoked.",
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = _HTTP_CODES.get(exc.status_code, RequestErrorCode.ERROR)
    message = str(exc)
    if exc.status_code == 400:
        message = "The request body is not valid JSON."
    return error_response(exc.status_code, code, message)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, RequestErrorCode.NOT_FOUND, "Not found.")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(
        413,
        RequestErrorCode.REQUEST_TOO_LARGE,
        "The request body is too large; send fewer orders.",
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected error in %s %s", request.method, request.path)
    return error_response(
        500, RequestErrorCode.INTERNAL_ERROR, "The server failed; nothing was stored."
    )


# What Django answers outside the API's handlers, by status: the code and the sentence
# of the JSON error that replaces its HTML page under /api/.
_PAGE_ERRORS: dict[int, tuple[RequestErrorCode, str]] = {
    400: (RequestErrorCode.BAD_REQUEST, "The request is malformed."),
    403: (RequestErrorCode.FORBIDDEN, "Forbidden."),
    404: (RequestErrorCode.NOT_FOUND, "Not found."),
    405: (RequestErrorCode.METHOD_NOT_ALLOWED, "Method {method} is not allowed here."),
    413: (RequestErrorCode.REQUEST_TOO_LARGE, "The request body is too large."),
}


API_CSP = "default-src 'none'; frame-ancestors 'none'"


class ApiJsonErrorsMiddleware:
    """Under /api/, answers that Django or Ninja make outside the API's handlers (an
    unknown path, a wrong method, a Host not allowed) are JSON errors like the others.

    First in MIDDLEWARE: it checks the Host before any other middleware asks for it (which
    would answer Django's HTML 400), and sees every answer last. What gunicorn refuses
    before Django runs (a request line or header beyond its limits) is answered in JSON
    by kassa.server.cli.gunicorn_json_error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost:
            refused = error_response(
                400,
                RequestErrorCode.DISALLOWED_HOST,
                "This server does not answer to that Host name; the operator lists the "
                "names it answers to in KASSA_ALLOWED_HOSTS.",
            )
            refused["Content-Security-Policy"] = API_CSP
            refused["X-Content-Type-Options"] = "nosniff"
            return refused
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            code, message = _PAGE_ERRORS.get(
                response.status_code, (RequestErrorCode.ERROR, "The request was refused.")
            )
            answer = error_response(
                response.status_code, code, message.format(method=request.method)
            )
            for header in ("Allow", "X-Content-Type-Options"):
                if response.has_header(header):
                    answer[header] = response[header]
            response = answer
        if response.get("Content-Type", "").startswith("application/json"):
            # Data, never a page: nothing in it may load, run or be framed.
            response.setdefault("Content-Security-Policy", API_CSP)
        return response


api.extra_schemas.update(orders_api.OPENAPI_SCHEMAS)
for _router in (
    terminals_api.router,
    staff_api.router,
    catalog_api.router,
    cash_api.router,
    orders_api.router,
    journal_api.router,
):
    api.add_router("/v1/", _router)
