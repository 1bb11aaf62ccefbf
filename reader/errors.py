"""One exception base for every expected failure; each carries its HTTP status."""

from __future__ import annotations

import errno


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


class ReservedSlug(ReaderError):
    """A name the API itself uses under ``/api/pages/`` (``lookup``): no page may take it."""

    status_code = 409
    title = "Navnet er reserveret"


class SitePageManaged(ReaderError):
    """A page read from a site by its address: it changes on the site, never through reader."""

    status_code = 409
    title = "Siden styres af webstedet"


class ContentError(ReaderError):
    """A page file that cannot be read or extracted (empty, too large, no content)."""

    status_code = 422
    title = "Siden kan ikke læses"


class PageTooLarge(ContentError):
    status_code = 413
    title = "Siden er for stor"


class TooManySentences(ContentError):
    """A page with more sentences than an editor may publish (each is one engine call)."""

    title = "Siden har for mange sætninger"


class BodyTooLarge(ReaderError):
    """A request body over the limit of the route it was sent to, refused before it is read."""

    status_code = 413
    title = "Forespørgslen er for stor"


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


class BuildStopped(ReaderError):
    """A build was asked to stop between two clips (the service stops, or an editor cancelled
    its job). The clips made so far stay cached; the next build starts from them."""

    status_code = 503
    title = "Oplæsningen blev afbrudt"
    retry_after: int | None = 5

    def __init__(
        self, message: str = "Lyden blev ikke gjort færdig: arbejdet blev stoppet."
    ) -> None:
        super().__init__(message)


class TooManyRequests(ReaderError):
    status_code = 429
    title = "For mange forespørgsler"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BackendUnavailable(ReaderError):
    """Redis or the object store shared by the replicas does not answer in time.

    What is already cached keeps being served; what needs the shared parts waits for them."""

    status_code = 503
    title = "En del af tjenesten svarer ikke"
    retry_after: int | None = 15


class EngineError(ReaderError):
    """One synthesis call failed (bad answer, timeout, non-zero exit)."""

    status_code = 503
    title = "Oplæsningen fejlede"


class StorageFailed(ReaderError):
    """The data or content directory cannot take a write: full, read-only or refused.

    Nothing was changed; the operator must free space or fix the mount, so try again later."""

    status_code = 503
    title = "Lagringen svigter"
    retry_after: int | None = 60


_STORAGE_PROBLEMS = {
    errno.ENOSPC: "disken er fuld",
    errno.EDQUOT: "diskkvoten er brugt op",
    errno.EROFS: "disken er skrivebeskyttet",
    errno.EACCES: "tjenesten må ikke skrive der",
    errno.EPERM: "tjenesten må ikke skrive der",
    errno.EIO: "disken svarer med en I/O-fejl",
}


def storage_failure(error: OSError) -> StorageFailed | None:
    """The ``StorageFailed`` a disk problem means, or None for any other OSError."""
    problem = _STORAGE_PROBLEMS.get(error.errno or 0)
    if problem is None:
        return None
    where = f" ({error.filename})" if error.filename else ""
    return StorageFailed(
        f"Der kan ikke gemmes lyd eller data: {problem}{where}. Prøv igen om lidt; "
        "driften skal frigøre plads eller rette drevet."
    )
