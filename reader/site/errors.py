"""What can go wrong when a page is read from a site, each with the status the API answers."""

from __future__ import annotations

from reader.errors import ReaderError


class SiteRefused(ReaderError):
    """An address reader may not fetch: another origin, credentials, a private network."""

    status_code = 403
    title = "Adressen må ikke læses"


class SiteUnreachable(ReaderError):
    """The site answered with an error, or could not be reached at all."""

    status_code = 502
    title = "Siden kunne ikke hentes"


class SiteTimeout(ReaderError):
    status_code = 504
    title = "Webstedet svarede ikke i tide"


class SiteGone(ReaderError):
    """The site says the page does not exist (404, 410)."""

    status_code = 404
    title = "Siden findes ikke på webstedet"


class NotAPage(ReaderError):
    """The address holds something else than an HTML page (a PDF, an image)."""

    status_code = 415
    title = "Adressen er ikke en side"
