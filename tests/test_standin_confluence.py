"""The Confluence stand-in driven through atlassian-python-api's classic v1 client, unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from atlassian import Confluence
from requests import HTTPError

from prodops_sync.standins.confluence import ConfluenceStandin


@pytest.fixture
def confluence_standin() -> Iterator[ConfluenceStandin]:
    """The Data Center flavour: v1 at the root (the cloud flavour's v2 and its 410s for v1
    page endpoints are tested in test_confluence_v2.py)."""
    with ConfluenceStandin(flavor="datacenter") as standin:
        yield standin

BODY = (
    "<h1>Title</h1><p>Hello&nbsp;<strong>world</strong></p>"
    '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">python</ac:parameter>'
    "<ac:plain-text-body><![CDATA[print('x')]]></ac:plain-text-body></ac:structured-macro>"
    '<p><ac:link><ri:page ri:content-title="Other" /></ac:link></p>'
)


def client(standin: ConfluenceStandin, prefix: str = "", **kwargs: Any) -> Confluence:
    kwargs.setdefault("username", "u")
    kwargs.setdefault("password", "t")
    return Confluence(url=standin.url + prefix, **kwargs)


def status_of(fn: Any, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """Call through the client and return the HTTP status and JSON body of the error."""
    with pytest.raises(HTTPError) as info:
        fn(*args, **kwargs)
    err = info.value
    response = err.response if err.response is not None else getattr(err, "reason", None).response  # type: ignore[union-attr]
    return response.status_code, response.json()


def put_version(c: Confluence, page_id: str, number: int, title: str = "Runbook") -> Any:
    return c.put(
        f"rest/api/content/{page_id}",
        data={
            "id": page_id,
            "type": "page",
            "title": title,
            "version": {"number": number},
            "body": {"storage": {"value": "<p>v</p>", "representation": "storage"}},
        },
    )


# ---------------------------------------------------------------- the acceptance flow
@pytest.mark.parametrize("prefix", [""])
def test_create_update_conflict_and_cql(confluence_standin: ConfluenceStandin, prefix: str) -> None:
    c = client(confluence_standin, prefix)
    page = c.create_page("PLAY", "Runbook", BODY, parent_id=confluence_standin.homepage_id)
    assert page["version"]["number"] == 1
    assert [a["id"] for a in page["ancestors"]] == [confluence_standin.homepage_id]
    updated = c.update_page(page["id"], "Runbook", "<p>Second</p>")
    assert updated["version"]["number"] == 2
    code, body = status_of(put_version, c, page["id"], 2)
    assert code == 409 and body["statusCode"] == 409
    assert body["message"] == "Version must be incremented on update. Current version is: 2"
    assert put_version(c, page["id"], 3)["version"]["number"] == 3
    found = c.cql('space = PLAY and type = page and title = "Runbook"')
    assert [r["content"]["id"] for r in found["results"]] == [page["id"]]
    got = c.get_page_by_id(page["id"], expand="body.storage,version,ancestors")
    assert got["body"]["storage"]["value"] == "<p>v</p>" and got["version"]["number"] == 3


def test_metadata_properties_are_set_with_creation(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    page = c.post(
        "rest/api/content",
        data={
            "type": "page",
            "title": "Doc",
            "space": {"key": "PLAY"},
            "ancestors": [{"id": confluence_standin.homepage_id}],
            "body": {"storage": {"value": "<p>x</p>", "representation": "storage"}},
            "metadata": {
                "properties": {"prodops-sync": {"key": "prodops-sync", "value": {"key": "doc:a"}}}
            },
        },
    )
    assert page["metadata"]["properties"]["prodops-sync"]["value"] == {"key": "doc:a"}
    got = c.get_page_by_id(page["id"], expand="metadata.properties.prodops-sync")
    assert got["metadata"]["properties"]["prodops-sync"]["version"]["number"] == 1


def test_content_properties_are_versioned(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    page_id = c.create_page("PLAY", "Props", "<p/>")["id"]
    c.set_page_property(page_id, {"key": "k", "value": {"n": 1}})
    updated = c.update_page_property(
        page_id, {"key": "k", "value": {"n": 2}, "version": {"number": 2}}
    )
    assert updated["version"]["number"] == 2
    code, _ = status_of(
        c.put,
        f"rest/api/content/{page_id}/property/k",
        data={"key": "k", "value": {"n": 3}, "version": {"number": 2}},
    )
    assert code == 409
    # create_page itself stores the content-appearance properties, as on Confluence
    assert "k" in [p["key"] for p in c.get_page_properties(page_id)]
    c.delete_page_property(page_id, "k")
    assert "k" not in [p["key"] for p in c.get_page_properties(page_id)]


@pytest.mark.parametrize("prefix", [""])
def test_children_pagination_follows_links_next(
    confluence_standin: ConfluenceStandin, prefix: str
) -> None:
    c = client(confluence_standin, prefix)
    parent = c.create_page("PLAY", "Parent", "<p/>")["id"]
    for i in range(7):
        c.create_page("PLAY", f"Child {i}", "<p/>", parent_id=parent)
    first = c.get(f"rest/api/content/{parent}/child/page", params={"limit": 3})
    assert first["size"] == 3 and "next" in first["_links"]
    titles = [p["title"] for p in c.get_page_child_by_type(parent)]
    assert titles == [f"Child {i}" for i in range(7)]
    paged = list(c.iter_cql(f"parent = {parent}", limit=2))  # follows _links.next
    assert [r["content"]["title"] for r in paged] == [f"Child {i}" for i in range(7)]
    assert confluence_standin.request_log.counts()["GET /rest/api/search"] == 4


def test_cql_ancestor_and_lastmodified(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    top = c.create_page("PLAY", "Top", "<p/>")["id"]
    mid = c.create_page("PLAY", "Mid", "<p/>", parent_id=top)["id"]
    leaf = c.create_page("PLAY", "Leaf", "<p/>", parent_id=mid)["id"]
    under = c.cql(f"ancestor = {top} and type = page")["results"]
    assert {r["content"]["id"] for r in under} == {mid, leaf}
    confluence_standin.clock.advance(3600)
    since = confluence_standin.clock.now().strftime("%Y-%m-%d %H:%M")
    confluence_standin.wiki_user.append_paragraph(mid, "edited later")
    recent = c.cql(f'space = PLAY and lastmodified >= "{since}"')["results"]
    assert [r["content"]["id"] for r in recent] == [mid]
    via_content = c.get("rest/api/content/search", params={"cql": f"parent = {top}"})
    assert [r["id"] for r in via_content["results"]] == [mid]


def test_labels_and_space_home_page(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    page_id = c.create_page("PLAY", "Labelled", "<p/>")["id"]
    c.set_page_label(page_id, "prodops")
    assert [lab["name"] for lab in c.get_page_labels(page_id)["results"]] == ["prodops"]
    assert c.cql("label = prodops")["results"][0]["content"]["id"] == page_id
    c.remove_page_label(page_id, "prodops")
    assert c.get_page_labels(page_id)["results"] == []
    space = c.get_space("PLAY", expand="homepage")
    assert space["homepage"]["id"] == confluence_standin.homepage_id


def test_delete_trashes_then_purges(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    page_id = c.create_page("PLAY", "Temp", "<p/>")["id"]
    assert c.remove_page(page_id) == 204
    assert c.get_page_by_id(page_id, status="trashed")["status"] == "trashed"
    assert c.cql('title = "Temp"')["results"] == []
    # titles are unique including the trash: the title is free again once it is purged
    code, body = status_of(c.create_page, "PLAY", "Temp", "<p/>")
    assert code == 400 and "already exists" in body["message"]
    # a trashed page cannot change; it can be restored (status current, same title)
    code, _ = status_of(put_version, c, page_id, 2, "Temp")
    assert code == 400
    assert c.remove_page(page_id, status="trashed") == 204
    c.create_page("PLAY", "Temp", "<p/>")


# ---------------------------------------------------------------- documented errors
def test_malformed_storage_is_400(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    for bad in (
        "<p>unclosed",
        "<p>a & b</p>",
        "<p>&bogus;</p>",
        "<ac:foo:bar/>",
        '<!DOCTYPE x [<!ENTITY e "boom">]><p>&e;</p>',
    ):
        with pytest.raises(HTTPError) as info:
            c.create_page("PLAY", "Bad", bad)
        assert info.value.response.status_code == 400, bad


def test_duplicate_title_in_space_is_400(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    c.create_page("PLAY", "Same", "<p/>")
    with pytest.raises(HTTPError) as info:
        c.create_page("PLAY", "Same", "<p/>")
    assert info.value.response.status_code == 400
    assert "A page with this title already exists" in info.value.response.json()["message"]


def test_missing_version_is_400(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    page_id = c.create_page("PLAY", "V", "<p/>")["id"]
    code, body = status_of(
        c.put, f"rest/api/content/{page_id}", data={"type": "page", "title": "V"}
    )
    assert code == 400 and "No version supplied" in body["message"]


def test_unknown_content_is_404(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    code, body = status_of(c.get, "rest/api/content/999999")
    assert code == 404 and body["statusCode"] == 404


def test_basic_auth_required_and_bearer_accepted(confluence_standin: ConfluenceStandin) -> None:
    r = requests.get(f"{confluence_standin.url}/rest/api/space/PLAY", timeout=5)
    assert r.status_code == 401 and r.json()["statusCode"] == 401
    assert "WWW-Authenticate" in r.headers
    pat = Confluence(url=confluence_standin.url, token="pat-123")
    assert pat.get_space("PLAY")["key"] == "PLAY"


def test_fixed_token_rejects_wrong_password() -> None:
    with ConfluenceStandin(flavor="datacenter", token="s3cret") as standin:
        code, _ = status_of(client(standin, password="nope").get_space, "PLAY")
        assert code == 401
        assert client(standin, password="s3cret").get_space("PLAY")["key"] == "PLAY"


def test_bad_cql_is_400(confluence_standin: ConfluenceStandin) -> None:
    c = client(confluence_standin)
    code, _ = status_of(c.get, "rest/api/search", params={"cql": "space = "})
    assert code == 400


def test_rate_limit_answers_429_with_retry_after() -> None:
    # a slow refill (one token per 100 s) keeps the test independent of machine speed
    with ConfluenceStandin(flavor="datacenter", rate=0.01, burst=2) as standin:
        session = requests.Session()
        session.auth = ("u", "t")
        statuses = [session.get(f"{standin.url}/rest/api/space/PLAY", timeout=5) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert int(statuses[2].headers["Retry-After"]) >= 1
        assert statuses[2].json()["statusCode"] == 429
