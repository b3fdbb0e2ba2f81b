"""The terminal API: one NinjaAPI at /api/, routes under /api/v1/, OpenAPI at /api/openapi.json.

Every error is JSON `{"code", "message"}` (plus `details` where useful); no request ever
gets a 500 page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from kassa.server.errors import ApiError, validation_details, validation_message
from kassa.server.terminals.models import DeviceToken
from kassa.server.terminals.services import device_token_authenticate

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "malformed_json",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
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


def error_response(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


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


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(request, exc.status, exc.payload())


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = validation_details(exc.errors)
    message = validation_message(details)
    return error_response(
        request, 422, {"code": "invalid_request", "message": message, "details": details}
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request,
        401,
        {
            "code": "unauthorized",
            "message": "A valid device token is required (Authorization: Bearer …); "
            "pair the terminal, or ask for a new pairing code if it was revoked.",
        },
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = str(exc)
    if exc.status_code == 400:
        message = "The request body is not valid JSON."
    return error_response(request, exc.status_code, {"code": code, "message": message})


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, {"code": "not_found", "message": "Not found."})


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(
        request,
        413,
        {
            "code": "request_too_large",
            "message": "The request body is too large; send fewer orders.",
        },
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected error in %s %s", request.method, request.path)
    return error_response(
        request,
        500,
        {"code": "internal_error", "message": "The server failed; nothing was stored."},
    )


class ApiJsonErrorsMiddleware:
    """Under /api/, answers that Django or Ninja make outside the API's handlers (an
    unknown path, a wrong method) are JSON with a code and a message like the others."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code = _HTTP_CODES.get(response.status_code, "error")
            message = {
                404: "Not found.",
                405: f"Method {request.method} is not allowed here.",
            }.get(response.status_code, "The request was refused.")
            return error_response(request, response.status_code, {"code": code, "message": message})
        return response


def _register_routers() -> None:
    from kassa.server.cash.api import router as cash_router
    from kassa.server.catalog.api import router as catalog_router
    from kassa.server.orders.api import router as orders_router
    from kassa.server.staff.api import router as staff_router
    from kassa.server.terminals.api import router as terminals_router

    api.add_router("/v1/", terminals_router)
    api.add_router("/v1/", staff_router)
    api.add_router("/v1/", catalog_router)
    api.add_router("/v1/", cash_router)
    api.add_router("/v1/", orders_router)


_register_routers()
