"""One handler turns every failure into an answer: JSON under ``/api``, a Danish page elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response

from reader.errors import ReaderError, storage_failure
from reader.web.deps import find_state
from reader.web.schemas import ErrorBody, ErrorResponse

logger = logging.getLogger(__name__)

# A request path is whatever a client sent: a control character in it ("\x1b[2J") must not reach
# a terminal or a log viewer as a command, so it is written as an escape.
_UNPRINTABLE = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])


def printable(text: str) -> str:
    """``text`` with C0 and C1 control characters written as ``\\xNN``."""
    if not any(ord(char) in _UNPRINTABLE for char in text):
        return text
    return "".join(f"\\x{ord(char):02x}" if ord(char) in _UNPRINTABLE else char for char in text)


API_PREFIX = "/api"

_TITLES = {
    400: "Ugyldig forespørgsel",
    401: "Adgang kræver en nøgle",
    403: "Adgang nægtet",
    404: "Siden findes ikke",
    405: "Metoden er ikke tilladt",
    413: "Forespørgslen er for stor",
    422: "Ugyldig forespørgsel",
    429: "For mange forespørgsler",
    500: "Der opstod en fejl",
    503: "Tjenesten er ikke tilgængelig lige nu",
}


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    title: str
    message: str
    headers: Mapping[str, str] | None = None


def describe(exc: Exception, request: Request) -> Problem:
    if isinstance(exc, ReaderError):
        return Problem(exc.status_code, exc.title, exc.message, _headers_of(exc))
    if isinstance(exc, HTTPException):
        title = _TITLES.get(exc.status_code, _reason(exc.status_code))
        if exc.status_code == 404:
            message = f"Der er ingen side på adressen {request.url.path}."
        elif exc.status_code == 405:
            message = f"Adressen {request.url.path} kan ikke bruges med {request.method}."
        elif exc.status_code == 400:
            # FastAPI's only 400: a request body that is not JSON (or not UTF-8) at all.
            message = "Forespørgslens indhold kan ikke læses: det skal være gyldig JSON i UTF-8."
        else:
            message = exc.detail if isinstance(exc.detail, str) else title
        return Problem(exc.status_code, title, message, exc.headers)
    if isinstance(exc, RequestValidationError):
        return Problem(422, _TITLES[422], _validation_message(exc))
    if isinstance(exc, OSError) and (failed := storage_failure(exc)) is not None:
        return Problem(failed.status_code, failed.title, failed.message, _headers_of(failed))
    return Problem(500, _TITLES[500], "Prøv igen om lidt. Fejlen er registreret.")


def _headers_of(exc: ReaderError) -> dict[str, str] | None:
    """``Retry-After`` from ``retry_after``, plus the ``headers`` an error class may carry
    (``WWW-Authenticate`` on a 401)."""
    headers: dict[str, str] = {}
    extra = getattr(exc, "headers", None)
    if isinstance(extra, Mapping):
        headers.update((str(name), str(value)) for name, value in extra.items())
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return headers or None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _TITLES[400]


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'ugyldig værdi')}")
    return "Ugyldige værdier i forespørgslen: " + "; ".join(parts)


def wants_json(request: Request) -> bool:
    path = request.url.path
    # oEmbed consumers parse the answer as JSON, errors included.
    return path in (API_PREFIX, "/oembed") or path.startswith(API_PREFIX + "/")


async def handle_error(request: Request, exc: Exception) -> Response:
    problem = describe(exc, request)
    if problem.status >= 500:
        logger.error("%s %s failed", request.method, printable(request.url.path), exc_info=exc)
    else:
        logger.info(
            "%s %s: %d %s",
            request.method,
            printable(request.url.path),
            problem.status,
            printable(problem.message),
        )
    if wants_json(request):
        error = ErrorBody(status=problem.status, title=problem.title, message=problem.message)
        body = ErrorResponse(error=error).model_dump()
        return JSONResponse(body, problem.status, headers=problem.headers)
    state = find_state(request)
    if state is None:  # the lifespan never ran: nothing to render with
        text = f"{problem.status} {problem.title}: {problem.message}"
        return PlainTextResponse(text, problem.status, headers=problem.headers)
    return state.templates.TemplateResponse(
        request,
        "error.html",
        {"problem": problem},
        status_code=problem.status,
        headers=problem.headers,
    )


def install_error_handler(app: FastAPI) -> None:
    for kind in (ReaderError, HTTPException, RequestValidationError, Exception):
        app.add_exception_handler(kind, handle_error)
