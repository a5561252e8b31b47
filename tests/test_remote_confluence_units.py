"""Pure parts of the Confluence adapter: page titles and error classification."""

from __future__ import annotations

import requests
import urllib3
from atlassian.errors import ApiNotFoundError
from hypothesis import given
from hypothesis import strategies as st

from prodops_sync.links import MappingResolver
from prodops_sync.remotes.confluence import classify_error, is_title_clash, make_classifier
from prodops_sync.remotes.confluence_titles import (
    PageTitles,
    TitleResolver,
    doc_title,
    page_title,
)

COLLECTIONS = st.sampled_from(["Playbook", "Rituals", "Templates", "Release tiers"])


@given(st.text(min_size=1, max_size=40), COLLECTIONS, st.sets(st.text(max_size=40)))
def test_page_title_is_reversible(title: str, collection: str, taken: set[str]) -> None:
    assert doc_title(page_title(title, collection, taken), collection) == title


def test_suffix_only_when_taken_or_ambiguous() -> None:
    assert page_title("Weekly", "Templates", {"Other"}) == "Weekly"
    assert page_title("Weekly", "Templates", {"Weekly"}) == "Weekly (Templates)"
    # A title that already ends in its collection's suffix is escaped by a second one.
    assert page_title("Plan (Templates)", "Templates", ()) == "Plan (Templates) (Templates)"
    assert doc_title("Plan (Templates)", "Rituals") == "Plan (Templates)"


def _titles(**pages: str) -> PageTitles:
    titles = PageTitles()
    titles.doc_titles = {"rituals/weekly": "Weekly", "templates/weekly": "Weekly",
                         "charter": "Charter"}
    titles.pages = {k.replace("__", "/"): v for k, v in pages.items()}
    return titles


def test_same_titled_documents_are_ranked_independently_of_creation_order() -> None:
    fresh = _titles()
    assert fresh.title_for("templates/weekly", "Weekly", "Templates") == "Weekly (Templates)"
    assert fresh.title_for("rituals/weekly", "Weekly", "Rituals") == "Weekly"
    after_ritual = _titles(rituals__weekly="Weekly")
    assert after_ritual.title_for("templates/weekly", "Weekly", "Templates") == (
        "Weekly (Templates)"
    )
    # A page that already holds the bare title keeps it; the newcomer gets the suffix.
    held = _titles(templates__weekly="Weekly")
    assert held.title_for("templates/weekly", "Weekly", "Templates") == "Weekly"
    assert held.title_for("rituals/weekly", "Weekly", "Rituals") == "Weekly (Rituals)"


def test_suffix_is_stable_and_dropped_only_when_rewritten() -> None:
    titles = _titles(rituals__weekly="Weekly", templates__weekly="Weekly (Templates)")
    assert titles.title_for("templates/weekly", "Weekly", "Templates") == "Weekly (Templates)"
    titles.pages.pop("rituals/weekly")
    titles.doc_titles = {"templates/weekly": "Weekly"}
    # Still stable: the page keeps its (valid) title until the document is renamed.
    assert titles.title_for("templates/weekly", "Weekly", "Templates") == "Weekly (Templates)"
    assert titles.title_for("templates/weekly", "Weekly v2", "Templates") == "Weekly v2"


def test_reserved_titles_force_the_suffix() -> None:
    titles = PageTitles()
    titles.reserved = {"Rituals"}
    assert titles.title_for("templates/rituals", "Rituals", "Templates") == "Rituals (Templates)"


def test_title_resolver_maps_keys_to_page_titles_both_ways() -> None:
    titles = PageTitles()
    titles.pages = {"rituals/weekly": "Weekly"}
    inner = MappingResolver(titles={"rituals/weekly": "Weekly", "templates/weekly": "Weekly"})
    links = TitleResolver(inner, titles)
    assert links.title_for("templates/weekly") == "Weekly (Templates)"
    assert links.key_for_title("Weekly (Templates)") == "templates/weekly"
    assert links.key_for_title("Weekly") == "rituals/weekly"
    assert links.key_for_title("Unknown") is None


def _http_error(status: int, text: str = "{}", **headers: str) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response._content = text.encode()
    response.headers.update(headers)
    return requests.HTTPError(text, response=response)


def test_http_statuses_are_classified() -> None:
    limited = classify_error(_http_error(429, **{"Retry-After": "7"}))
    assert limited is not None and limited.retryable and limited.retry_after == 7.0
    assert not limited.ambiguous
    failed = classify_error(_http_error(502))
    assert failed is not None and failed.retryable and failed.ambiguous
    assert classify_error(_http_error(409)) is None  # the caller reports a conflict
    clash = "A page with this title already exists: A page already exists with the title X"
    assert is_title_clash(400, clash) and classify_error(_http_error(400, clash)) is None
    denied = make_classifier({401: "check CONF_TOKEN"})(_http_error(401))
    assert denied is not None and not denied.retryable and denied.message == "check CONF_TOKEN"
    missing = classify_error(ApiNotFoundError("gone"))
    assert missing is not None and missing.status == 404 and not missing.retryable


def test_network_failures_are_classified() -> None:
    refused = requests.ConnectionError(
        urllib3.exceptions.MaxRetryError(
            None,  # type: ignore[arg-type]
            "/",
            urllib3.exceptions.NewConnectionError(None, "Connection refused"),  # type: ignore[arg-type]
        )
    )
    first = classify_error(refused)
    assert first is not None and first.retryable and not first.ambiguous
    dropped = classify_error(requests.ConnectionError("Connection aborted.", "RemoteDisconnected"))
    assert dropped is not None and dropped.retryable and dropped.ambiguous
    timed_out = classify_error(requests.ReadTimeout("read timed out"))
    assert timed_out is not None and timed_out.ambiguous
    assert classify_error(ValueError("a bug")) is None
