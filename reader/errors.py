"""One exception base for every expected failure; each carries its HTTP status."""

from __future__ import annotations


class ReaderError(Exception):
    """An expected failure with a message fit to show a citizen, an editor or an operator."""

    status_code = 400
    title = "Ugyldig forespørgsel"
    retry_after: int | None = None
    """Seconds after which trying again makes sense (sent as Retry-After)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PageNotFound(ReaderError):
    status_code = 404
    title = "Siden findes ikke"


class SectionNotFound(ReaderError):
    status_code = 404
    title = "Afsnittet findes ikke"


class InvalidSlug(ReaderError):
    status_code = 404
    title = "Siden findes ikke"


class ContentError(ReaderError):
    """A page file that cannot be read or extracted (empty, too large, no content)."""

    status_code = 422
    title = "Siden kan ikke læses"


class PageTooLarge(ContentError):
    status_code = 413
    title = "Siden er for stor"


class TextTooLong(ReaderError):
    status_code = 413
    title = "Teksten er for lang"


class NothingToSpeak(ReaderError):
    """Text with no letter or digit to say (an emoji, punctuation, invisible characters)."""

    status_code = 422
    title = "Der er intet at læse op"

    def __init__(self) -> None:
        super().__init__(
            "Teksten indeholder intet, der kan læses op: skriv mindst ét ord eller tal."
        )


class EngineUnavailable(ReaderError):
    status_code = 503
    title = "Oplæsningen er ikke tilgængelig lige nu"


class Busy(ReaderError):
    """Too much synthesis is waiting already; the client should try again shortly."""

    status_code = 503
    title = "Oplæsningen har travlt"

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyRequests(ReaderError):
    status_code = 429
    title = "For mange forespørgsler"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EngineError(ReaderError):
    """One synthesis call failed (bad answer, timeout, non-zero exit)."""

    status_code = 503
    title = "Oplæsningen fejlede"
