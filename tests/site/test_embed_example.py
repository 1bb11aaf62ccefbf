"""docs/embed-example.html shows the button for the municipality's own pages: the script with
no page named, which reads the page it is on (the browser test of the host page uses it)."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from tests.browser.site import EXAMPLE, EXAMPLE_READER, example_host_snippet


def test_the_example_shows_the_script_that_reads_the_page_it_is_on() -> None:
    snippet = BeautifulSoup(example_host_snippet(EXAMPLE_READER), "html.parser")
    (script,) = snippet.find_all(True)
    assert isinstance(script, Tag) and script.name == "script"
    assert script["src"] == f"{EXAMPLE_READER}/embed.js" and script.has_attr("async")
    assert not script.has_attr("data-reader-page")
    text = EXAMPLE.read_text(encoding="utf-8")
    for word in ("/api/pages/lookup", "READER_SITE_ORIGINS", "READER_SITE_REGION", "canonical"):
        assert word in text, word
