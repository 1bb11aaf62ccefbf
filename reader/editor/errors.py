"""The editors' expected failures, each with its HTTP status."""

from __future__ import annotations

from collections.abc import Mapping

from reader.errors import ReaderError

REALM = 'Bearer realm="reader"'


class EditorDisabled(ReaderError):
    """No token is configured: the editor routes refuse everyone."""

    status_code = 403
    title = "Redaktionen er slået fra"

    def __init__(self) -> None:
        super().__init__(
            "Redaktørfunktionerne er slået fra. Sæt READER_ADMIN_TOKEN (mindst 16 tegn) og "
            "start tjenesten igen."
        )


class Unauthorized(ReaderError):
    """No token, or a wrong one: 401 with the ``WWW-Authenticate`` challenge."""

    status_code = 401
    title = "Adgang kræver en nøgle"

    def __init__(self, message: str, *, invalid: bool) -> None:
        super().__init__(message)
        challenge = f'{REALM}, error="invalid_token"' if invalid else REALM
        self.headers: Mapping[str, str] = {"WWW-Authenticate": challenge}


class JobNotFound(ReaderError):
    status_code = 404
    title = "Jobbet findes ikke"


class JobFinished(ReaderError):
    """The job is over (done, failed, cancelled or interrupted): nothing left to cancel."""

    status_code = 409
    title = "Jobbet er allerede slut"


class VersionNotFound(ReaderError):
    status_code = 404
    title = "Versionen findes ikke"


class EntryNotFound(ReaderError):
    status_code = 404
    title = "Ordet står ikke i udtaleleksikonet"


class EntryExists(ReaderError):
    status_code = 409
    title = "Ordet står allerede i udtaleleksikonet"


class InvalidEntry(ReaderError):
    status_code = 422
    title = "Reglen kan ikke bruges"


class LexiconChanged(ReaderError):
    """The lexicon file changed between reading it and saving an edit of it."""

    status_code = 409
    title = "Udtaleleksikonet er ændret imens"


class NotWritable(ReaderError):
    """The content directory cannot be written (a read-only mount, wrong owner)."""

    status_code = 503
    title = "Ændringen kan ikke gemmes"

    def __init__(self, what: str, error: OSError) -> None:
        super().__init__(
            f"{what} kan ikke gemmes: {error.strerror or error}. Tjenesten skal kunne skrive i "
            "READER_CONTENT_DIR."
        )
