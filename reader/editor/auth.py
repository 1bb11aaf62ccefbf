"""Editor tokens: which label a Bearer token belongs to, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from reader.config import Settings, parse_admin_tokens
from reader.editor.errors import EditorDisabled, Unauthorized


@dataclass(frozen=True, slots=True)
class Editor:
    """Whoever presented a valid token; ``label`` is what the audit log calls them."""

    label: str


def _digest(token: str) -> bytes:
    # Comparing digests makes the comparison's time independent of the tokens' lengths too.
    return hashlib.sha256(token.encode("utf-8")).digest()


class EditorTokens:
    """The configured tokens. Never logs or shows a token."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._tokens = [(label, _digest(token)) for label, token in pairs]

    @classmethod
    def from_settings(cls, settings: Settings) -> EditorTokens:
        if settings.admin_token is None:
            return cls(())
        return cls(parse_admin_tokens(settings.admin_token.get_secret_value()))

    @property
    def enabled(self) -> bool:
        return bool(self._tokens)

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self._tokens]

    def authenticate(self, token: str | None) -> Editor:
        """The editor holding ``token``; ``Unauthorized`` for none or a wrong one."""
        if not self._tokens:
            raise EditorDisabled()
        if not token:
            raise Unauthorized(
                'Redaktørfunktionerne kræver en adgangsnøgle: "Authorization: Bearer <nøgle>".',
                invalid=False,
            )
        given = _digest(token)
        found: str | None = None
        for label, expected in self._tokens:
            # Every token is compared, so the time taken does not tell which one matched.
            if hmac.compare_digest(given, expected) and found is None:
                found = label
        if found is None:
            raise Unauthorized("Adgangsnøglen er forkert.", invalid=True)
        return Editor(found)
