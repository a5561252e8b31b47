"""The contract checker itself (tests/contracts/): it covers every endpoint, and it fails on
answers and requests that break the vendor clients' types (issue #17)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from prodops_sync.standins import ConfluenceStandin, NotionStandin
from prodops_sync.standins.server import Reply, Route
from tests.contracts.confluence import ENDPOINTS as CONFLUENCE_ENDPOINTS
from tests.contracts.confluence import confluence_contract
from tests.contracts.notion import ENDPOINTS as NOTION_ENDPOINTS
from tests.contracts.notion import SCHEMAS, notion_contract


def _request(method: str, body: Any = None, version: str = "2025-09-03") -> Request:
    data = json.dumps(body) if body is not None else None
    return Request(EnvironBuilder(method=method, data=data,
                                  headers={"Notion-Version": version}).get_environ())


def test_every_notion_standin_endpoint_has_sdk_types() -> None:
    routes = {(r.method, r.template) for r in NotionStandin().routes()}
    assert routes == set(NOTION_ENDPOINTS)
    for spec in NOTION_ENDPOINTS.values():
        for name in (spec.request, spec.answer):
            assert name is None or name in SCHEMAS.definitions


def test_every_confluence_v2_endpoint_has_model_types() -> None:
    routes = {(r.method, r.template) for r in ConfluenceStandin().v2_routes()}
    assert routes == set(CONFLUENCE_ENDPOINTS)


def test_a_notion_answer_of_the_wrong_shape_is_a_violation() -> None:
    contract = notion_contract()
    route = Route("/v1/pages/<page_id>", "GET", "get_page", False)
    contract(NotionStandin(), route, {"page_id": "x"}, _request("GET"),
             Reply(200, {"object": "page", "id": 5}))
    assert len(contract.violations) == 1
    assert "GetPageResponse" in str(contract.violations[0])


def test_an_accepted_notion_request_of_the_wrong_shape_is_a_violation() -> None:
    contract = notion_contract()
    route = Route("/v1/blocks/<block_id>/children", "PATCH", "append_children", True)
    bad = {"children": [{"paragraph": {"rich_text": [{"text": {"content": 7}}]}}]}
    ok_answer = {"object": "list", "results": [], "next_cursor": None, "has_more": False,
                 "type": "block", "block": {}}
    contract(NotionStandin(), route, {"block_id": "b"}, _request("PATCH", bad),
             Reply(200, ok_answer))
    assert [v.direction for v in contract.violations] == ["request"]
    # The same request refused by the stand-in (400) is the stand-in doing its job.
    refused = {"object": "error", "status": 400, "code": "validation_error", "message": "no"}
    contract(NotionStandin(), route, {"block_id": "b"}, _request("PATCH", bad),
             Reply(400, refused))
    assert len(contract.violations) == 1


def test_a_notion_error_body_must_be_notion_shaped() -> None:
    contract = notion_contract()
    route = Route("/v1/pages/<page_id>", "GET", "get_page", False)
    contract(NotionStandin(), route, {}, _request("GET"), Reply(404, {"message": "nope"}))
    assert "NotionError" in str(contract.violations[0])


def test_a_confluence_v2_answer_with_a_numeric_id_is_a_violation() -> None:
    contract = confluence_contract()
    route = Route("/api/v2/pages/<pid>", "GET", "v2_get_page", False)
    contract(ConfluenceStandin(), route, {"pid": "1"}, _request("GET"),
             Reply(200, {"id": 123, "title": "T", "version": {"number": 1}}))
    assert len(contract.violations) == 1 and "at id" in contract.violations[0].error
    contract(ConfluenceStandin(), route, {"pid": "1"}, _request("GET"),
             Reply(200, {"id": "123", "title": "T", "version": {"number": 1}}))
    assert len(contract.violations) == 1


def test_v1_confluence_endpoints_are_not_checked() -> None:
    contract = confluence_contract()
    route = Route("/rest/api/search", "GET", "search", False)
    contract(ConfluenceStandin(), route, {}, _request("GET"), Reply(200, {"results": 5}))
    assert contract.violations == [] and contract.checked == 0
