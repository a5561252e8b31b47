"""A runner for declarative sync scenarios (in the style of rclone bisync's golden tests).

A scenario file under ``tests/scenarios/`` is YAML: a description, the wikis it runs on,
a list of steps on either side (Git working tree, wiki, configuration, commands) and the
expected final state of Git, the wiki and the sync state. The runner executes the steps
against a local stand-in through the CLI and checks, after the last step and whatever the
scenario says, that there are no duplicate pages and that every playbook document has
exactly one page. The format is documented in ``tests/scenarios/README.md``.
"""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from prodops_sync.formats.notion.richtext import plain_text
from tests.sync_harness import Workspace, confluence_workspace, notion_workspace

SCENARIOS = Path(__file__).parent / "scenarios"
KEY_PROPERTY = "Sync key"
CONFLUENCE_PROPERTY = "prodops-sync"


class ScenarioFailure(AssertionError):
    """A step or an expectation of a scenario did not hold."""


def scenario_files() -> list[Path]:
    """Every scenario file, in name order."""
    return sorted(SCENARIOS.glob("*.yaml"))


def load_scenario(path: Path) -> dict[str, Any]:
    """A scenario file's content, checked for the keys the runner knows."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ScenarioFailure(f"{path.name}: a scenario needs a list of steps")
    unknown = set(data) - {"description", "wikis", "steps", "expect"}
    if unknown:
        raise ScenarioFailure(f"{path.name}: unknown top-level keys {sorted(unknown)}")
    return data


class Wiki:
    """A person working in the wiki (the Notion or Confluence stand-in), by document key."""

    def __init__(self, kind: str, standin: Any, ws: Workspace) -> None:
        self.kind, self.standin, self.ws = kind, standin, ws

    # -- finding pages ----------------------------------------------------------------
    def page(self, key: str, names: dict[str, str]) -> str:
        """The page id of document ``key`` (from the state); a remembered id (``$name``,
        already substituted) is returned as it is."""
        if key.startswith("$"):
            return names[key[1:]]
        docs = self.ws.state()["docs"]
        return str(docs[key]["remote_id"]) if key in docs else key

    def container(self, collection: str) -> str:
        """The id of a collection's container (Notion data source / Confluence page)."""
        return str(self.ws.state()["containers"][collection])

    def live_documents(self) -> list[tuple[str, str]]:
        """(page id, key) of every live page inside the managed containers."""
        containers = self.ws.state()["containers"]
        if self.kind == "notion":
            sources = {v for k, v in containers.items() if "#" not in k}
            found = []
            for page in self.standin.state["pages"].values():
                if page.get("in_trash") or page["parent"].get("data_source_id") not in sources:
                    continue
                found.append((page["id"], plain_text(page["values"].get(KEY_PROPERTY, []))))
            return found
        root = containers.get("Playbook")
        found = []
        for record in self.standin.state["contents"].values():
            if record.get("status") != "current" or record["id"] in containers.values():
                continue
            if not self._under(record, root):
                continue
            prop = record["properties"].get(CONFLUENCE_PROPERTY) or {}
            value = prop.get("value") if isinstance(prop, dict) else None
            found.append((record["id"], str((value or {}).get("key", ""))))
        return found

    def _under(self, record: dict[str, Any], root: str | None) -> bool:
        contents = self.standin.state["contents"]
        parent = record.get("parent")
        while parent is not None:
            if parent == root:
                return True
            parent = contents[parent].get("parent") if parent in contents else None
        return False

    def text_of(self, page: str) -> str:
        """Everything a reader sees on the page: title, properties and body text."""
        if self.kind == "confluence":
            record = self.standin.state["contents"][page]
            return f"{record['title']}\n{record['body']}"
        record = self.standin.state["pages"][page]
        values = [plain_text(v) if isinstance(v, list) else json.dumps(v)
                  for v in record["values"].values()]
        return "\n".join([*values, *self.standin.wiki_user.page_text(page)])

    # -- edits ------------------------------------------------------------------------
    def replace(self, page: str, old: str, new: str) -> None:
        """Change text in the page body, as a person typing in the editor."""
        if self.kind == "confluence":
            self.standin.wiki_user.replace_text(page, old, new)
            return
        for child in self.standin._visible_children(page):
            block = self.standin.state["blocks"].get(child)
            text = plain_text(block["data"].get("rich_text", [])) if block else ""
            if old in text:
                self.standin.wiki_user.edit_text(child, text.replace(old, new))
                return
        raise ScenarioFailure(f"{old!r} is not on page {page}")

    def delete(self, page: str) -> None:
        """Move the page to the trash."""
        if self.kind == "confluence":
            self.standin.wiki_user.delete_page(page)
        else:
            self.standin.wiki_user.archive_page(page)

    def restore(self, page: str) -> None:
        """Restore a page from the trash."""
        if self.kind == "confluence":
            with self.standin.lock:
                record = self.standin.state["contents"][page]
                record["status"] = "current"
                self.standin.new_version(record, by=self.standin.wiki_user.name)
            self.standin.persist()
        else:
            self.standin.wiki_user.archive_page(page, archived=False)

    def set_key(self, page: str, key: str) -> None:
        """Retype the identity key on the page (Notion ``Sync key`` cell; Confluence
        content property, as an app or a copy would)."""
        if self.kind == "confluence":
            self.standin.wiki_user.set_property(page, CONFLUENCE_PROPERTY, {"key": key})
        else:
            self.standin.wiki_user.set_properties(
                page, {KEY_PROPERTY: {"rich_text": [{"text": {"content": key}}]}}
            )

    def set_title(self, page: str, title: str) -> None:
        """Rename the page."""
        self.standin.wiki_user.set_title(page, title)

    def move_under(self, page: str, parent: str) -> None:
        """Drag the page under another page."""
        self.standin.wiki_user.move_page(page, parent)

    def duplicate(self, page: str) -> str:
        """A copy of the page carrying the same key, as Notion's "Duplicate" (same title,
        properties and blocks) or Confluence's "Copy" (titled "Copy of ...", with its
        content properties) make; returns the copy's id."""
        if self.kind == "confluence":
            record = self.standin.state["contents"][page]
            copy_id = str(self.standin.wiki_user.create_page(
                f"Copy of {record['title']}", record["body"], parent_id=record["parent"]
            ))
            for key, prop in record["properties"].items():
                self.standin.wiki_user.set_property(copy_id, key, prop["value"])
            return copy_id
        from prodops_sync.standins.notion_schema import normalize_children
        from prodops_sync.standins.notion_wiki import _request_form

        s = self.standin

        def blocks_of(parent: str) -> list[dict[str, Any]]:
            out = []
            for child in s._visible_children(parent):
                block = s.state["blocks"].get(child)
                if block is None:
                    continue
                data = dict(_request_form(block["data"]))
                if "rich_text" in block["data"]:
                    data["rich_text"] = [_copied_text(t) for t in block["data"]["rich_text"]]
                if "cells" in block["data"]:
                    data["cells"] = [[_copied_text(t) for t in cell]
                                     for cell in block["data"]["cells"]]
                kids = blocks_of(child)
                if kids:
                    data["children"] = kids
                out.append({block["type"]: data})
            return out

        with s.lock:
            record = s.state["pages"][page]
            copy_id = str(uuid.uuid4())
            s.insert_page(copy_id, dict(record["parent"]), copy.deepcopy(record["values"]),
                          by=s.wiki_user.user_id)
            specs = normalize_children(blocks_of(page), "wiki", 0, s.title_of)
            if specs:
                s.insert_blocks(copy_id, specs, by=s.wiki_user.user_id)
        s.persist()
        return copy_id

    def as_tool(self, page: str) -> None:
        """Make the page's last edit look like one made with the tool's own token in the
        same minute as its last write (Notion: same ``last_edited_time`` and editor)."""
        if self.kind != "notion":
            return
        s = self.standin
        with s.lock:
            record = s.state["pages"][page]
            record["edited"], record["edited_by"] = self._before
        s.persist()

    def same_minute(self, page: str) -> None:
        """Keep the page's ``last_edited_time`` where it was (an edit in the same minute as
        the previous one; the editor is the person)."""
        if self.kind == "notion":
            s = self.standin
            with s.lock:
                s.state["pages"][page]["edited"] = self._before[0]
            s.persist()

    def remember_edit_time(self, page: str) -> None:
        if self.kind == "notion":
            record = self.standin.state["pages"][page]
            self._before = (record["edited"], record["edited_by"])

    def rename_column(self, collection: str, old: str, new: str) -> None:
        """Rename a database column in Notion (its property id stays)."""
        s = self.standin
        ds_id = self.container(collection)
        with s.lock:
            source = s.state["data_sources"][ds_id]
            source["properties"] = {
                (new if name == old else name): prop
                for name, prop in source["properties"].items()
            }
            for page in s.state["pages"].values():
                if page["parent"].get("data_source_id") == ds_id and old in page["values"]:
                    page["values"][new] = page["values"].pop(old)
        s.persist()

    def columns(self, collection: str) -> set[str]:
        """The column names of a collection's Notion database."""
        ds = self.standin.state["data_sources"][self.container(collection)]
        return set(ds["properties"])

    def move_containers(self, new_root: str) -> None:
        """Move the whole playbook (databases / collection and free pages) under
        ``new_root``, as a team reorganising its wiki would."""
        containers = self.ws.state()["containers"]
        if self.kind == "notion":
            for key, ds_id in containers.items():
                if "#" not in key:
                    db_id = self.standin.state["data_sources"][ds_id]["database_id"]
                    self.standin.wiki_user.move_database(db_id, new_root)
            return
        root = containers["Playbook"]
        for record in list(self.standin.state["contents"].values()):
            moving = record["parent"] == root and record["id"] != new_root
            if moving and record.get("status") == "current":
                self.standin.wiki_user.move_page(record["id"], new_root)

    def lose_container(self, collection: str) -> None:
        """Make a collection's container disappear: Notion, its database moved to a private
        page the integration cannot see; Confluence, its page deleted."""
        container = self.container(collection)
        if self.kind == "notion":
            db_id = self.standin.state["data_sources"][container]["database_id"]
            self.standin.wiki_user.move_database(db_id, None)
        else:
            self.standin.wiki_user.delete_page(container)

    def new_page(self, parent: str) -> str:
        """A new empty page under ``parent`` (a page id), shared like its parent."""
        if self.kind == "confluence":
            return str(self.standin.wiki_user.create_page("Product Ops", parent_id=parent))
        return str(self.standin.wiki_user.create_page(parent, "Product Ops"))


def _copied_text(item: dict[str, Any]) -> dict[str, Any]:
    """A response-form rich text item back in request form (text, link, annotations)."""
    text: dict[str, Any] = {"content": item.get("plain_text", "")}
    if item.get("href"):
        text["link"] = {"url": item["href"]}
    out: dict[str, Any] = {"type": "text", "text": text}
    if "annotations" in item:
        out["annotations"] = item["annotations"]
    return out


@dataclass
class Clone:
    """One checkout of the playbook (its own files and state) against the shared wiki."""

    name: str
    ws: Workspace


@dataclass
class Run:
    """One scenario being executed on one wiki."""

    path: Path
    kind: str
    standin: Any
    tmp: Path
    clones: dict[str, Clone] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """Remembered values (page ids, container ids) by name, used as ``$name``."""

    def __post_init__(self) -> None:
        make = notion_workspace if self.kind == "notion" else confluence_workspace
        self.clones["main"] = Clone("main", make(self.tmp / "main", self.standin))
        self.wiki = Wiki(self.kind, self.standin, self.ws)

    @property
    def ws(self) -> Workspace:
        return self.clones["main"].ws

    def fail(self, n: int, message: str) -> ScenarioFailure:
        return ScenarioFailure(f"{self.path.name} [{self.kind}] step {n}: {message}")

    def value(self, raw: Any) -> Any:
        """Substitute ``$name`` references in a step's value."""
        if isinstance(raw, str) and raw.startswith("$") and raw[1:] in self.names:
            return self.names[raw[1:]]
        if isinstance(raw, list):
            return [self.value(v) for v in raw]
        if isinstance(raw, dict):
            return {k: self.value(v) for k, v in raw.items()}
        return raw

    # -- the steps ----------------------------------------------------------------------
    def execute(self, steps: list[dict[str, Any]]) -> None:
        for n, step in enumerate(steps, 1):
            if not isinstance(step, dict) or len(step) - ("only" in step) != 1:
                raise self.fail(n, f"a step is a mapping with one action: {step!r}")
            if step.get("only", self.kind) != self.kind:
                continue
            (action, args), = ((k, v) for k, v in step.items() if k != "only")
            handler = getattr(self, "step_" + action.replace("-", "_"), None)
            if handler is None:
                raise self.fail(n, f"unknown action {action!r}")
            handler(n, self.value(args if args is not None else {}))

    def clone_of(self, args: dict[str, Any]) -> Workspace:
        return self.clones[str(args.get("clone", "main"))].ws

    def _command(self, n: int, command: str, args: dict[str, Any]) -> None:
        ws = self.clone_of(args)
        argv = [command, *[str(a) for a in args.get("args", [])]]
        result = ws.run(*argv, "--format", "json")
        expected_exit = int(args.get("exit", 0))
        output = result.output
        if result.exit_code != expected_exit:
            raise self.fail(n, f"{' '.join(argv)} exited {result.exit_code}, expected "
                               f"{expected_exit}:\n{output}")
        for text in args.get("output", []):
            if text not in output:
                raise self.fail(n, f"{' '.join(argv)}: {text!r} not in the output:\n{output}")
        if result.exit_code in (0, 3, 4) and result.stdout.strip().startswith("{"):
            report = json.loads(result.stdout)
            self._check_report(n, command, report, args)
        elif args.get("statuses") or args.get("notices"):
            raise self.fail(n, f"{command} printed no report to check:\n{output}")

    def _check_report(
        self, n: int, command: str, report: dict[str, Any], args: dict[str, Any]
    ) -> None:
        documents = {d["key"]: d for d in report["documents"]}
        for key, status in (args.get("statuses") or {}).items():
            got = documents.get(key, {}).get("status", "(absent)")
            if got != status:
                raise self.fail(n, f"{command}: {key} is {got}, expected {status}")
        for key in args.get("absent", []):
            if key in documents:
                raise self.fail(n, f"{command}: {key} should not be in the plan")
        notices = [(x["kind"], x["key"]) for x in report.get("notices", [])]
        for expected in args.get("notices", []):
            pair = (expected["kind"], expected.get("key", ""))
            if pair not in notices:
                raise self.fail(n, f"{command}: notice {pair} not in {notices}")
        if "writes" in args and report["writes"] != args["writes"]:
            raise self.fail(n, f"{command}: {report['writes']} writes, expected {args['writes']}")
        actions = {o["key"]: o["action"] for o in report.get("outcomes", [])}
        if "skipped" in args and report.get("skipped") != len(args["skipped"]):
            raise self.fail(n, f"{command}: {report.get('skipped')} skipped, expected "
                               f"{len(args['skipped'])}")
        for key in args.get("skipped", []):
            if actions.get(key) != "skipped":
                raise self.fail(n, f"{command}: {key} got {actions.get(key)!r}, expected "
                                   "'skipped'")
        for key, action in (args.get("actions") or {}).items():
            if actions.get(key) != action:
                raise self.fail(n, f"{command}: {key} got {actions.get(key)!r}, expected "
                                   f"{action!r}")

    def step_push(self, n: int, args: dict[str, Any]) -> None:
        self._command(n, "push", args)

    def step_pull(self, n: int, args: dict[str, Any]) -> None:
        self._command(n, "pull", args)

    def step_plan(self, n: int, args: dict[str, Any]) -> None:
        self._command(n, "plan", args)

    def step_resolve(self, n: int, args: dict[str, Any]) -> None:
        """``resolve DOC --accept SIDE``: ``{doc: KEY, accept: local|wiki|merged}``."""
        self._command(n, "resolve", {**args, "args": [str(args["doc"]), "--accept",
                                                       str(args["accept"])]})

    def step_push_racing(self, n: int, args: dict[str, Any]) -> None:
        """``push`` in one clone while another clone's push runs just before this one's
        first page create (two CI jobs pushing the same target at once)."""
        from prodops_sync.remotes.base import Remote

        racer = self.clone_of({"clone": args["racer"]})
        remote_cls: type[Remote]
        if self.kind == "notion":
            from prodops_sync.remotes.notion import NotionRemote as remote_cls
        else:
            from prodops_sync.remotes.confluence import ConfluenceRemote as remote_cls
        original = remote_cls.create
        raced: list[int] = []

        def create(remote: Any, *a: Any, **kw: Any) -> Any:
            if not raced:
                raced.append(1)
                result = racer.run("push")
                if result.exit_code != 0:
                    raise self.fail(n, f"the racing push failed:\n{result.output}")
            return original(remote, *a, **kw)

        remote_cls.create = create  # type: ignore[method-assign]
        try:
            self._command(n, "push", args)
        finally:
            remote_cls.create = original  # type: ignore[method-assign]
        if not raced:
            raise self.fail(n, "the push created nothing, so nothing raced")

    def step_clone(self, n: int, args: dict[str, Any]) -> None:
        """A second checkout of the same playbook, with no sync state of its own."""
        name = str(args["name"])
        root = self.tmp / name
        source = self.clone_of({"clone": args.get("from", "main")})
        shutil.copytree(source.playbook, root / "repo" / "playbook")
        shutil.copy(source.root / "prodops-sync.yaml", root / "repo" / "prodops-sync.yaml")
        self.clones[name] = Clone(name, Workspace(root / "repo", source.target))

    def step_edit(self, n: int, args: dict[str, Any]) -> None:
        ws = self.clone_of(args)
        path = ws.playbook / str(args["file"])
        text = path.read_text(encoding="utf-8")
        if str(args["old"]) not in text:
            raise self.fail(n, f"{args['old']!r} not in {args['file']}")
        path.write_text(text.replace(str(args["old"]), str(args["new"]), 1), encoding="utf-8")

    def step_git_mv(self, n: int, args: dict[str, Any]) -> None:
        ws = self.clone_of(args)
        source, target = ws.playbook / str(args["from"]), ws.playbook / str(args["to"])
        if not source.is_file():
            raise self.fail(n, f"no file {args['from']}")
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)

    def step_delete_file(self, n: int, args: dict[str, Any]) -> None:
        (self.clone_of(args).playbook / str(args["file"])).unlink()

    def step_config(self, n: int, args: dict[str, Any]) -> None:
        """Change keys of the target in prodops-sync.yaml (``null`` removes a key)."""
        ws = self.clone_of(args)
        path = ws.root / "prodops-sync.yaml"
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        target = config["targets"][ws.target]
        for key, value in (args.get("set") or {}).items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
        path.write_text(yaml.safe_dump(config), encoding="utf-8")

    def step_remember(self, n: int, args: dict[str, Any]) -> None:
        """Remember page ids by name: ``{name: key}``; ``container:Rituals`` for a container."""
        for name, what in args.items():
            what = str(what)
            if what.startswith("container:"):
                self.names[name] = self.wiki.container(what.split(":", 1)[1])
            elif what == "root":
                self.names[name] = (
                    self.standin.root_page_id if self.kind == "notion"
                    else self.wiki.container("Playbook")
                )
            else:
                self.names[name] = self.ws.remote_id(what)

    def step_clock(self, n: int, args: dict[str, Any]) -> None:
        self.standin.clock.advance(float(args.get("advance", 0)))

    def step_wiki(self, n: int, args: dict[str, Any]) -> None:
        """An edit in the wiki: ``{do: ACTION, doc: KEY or $name, ...}``."""
        do = str(args["do"])
        page = self.wiki.page(str(args["doc"]), self.names) if "doc" in args else ""
        if do == "edit":
            same_minute = args.get("as") in ("tool", "same-minute")
            if same_minute:
                self.wiki.remember_edit_time(page)
            self.wiki.replace(page, str(args["old"]), str(args["new"]))
            if same_minute:
                self.wiki.as_tool(page) if args["as"] == "tool" else self.wiki.same_minute(page)
        elif do == "duplicate":
            copy_id = self.wiki.duplicate(page)
            if "name" in args:
                self.names[str(args["name"])] = copy_id
        elif do == "delete":
            self.wiki.delete(page)
        elif do == "restore":
            self.wiki.restore(page)
        elif do == "set-key":
            self.wiki.set_key(page, str(args["key"]))
        elif do == "set-title":
            self.wiki.set_title(page, str(args["title"]))
        elif do == "move-under":
            self.wiki.move_under(page, self.wiki.page(str(args["under"]), self.names))
        elif do == "move-to-collection":
            target = self.wiki.container(str(args["collection"]))
            if self.kind == "notion":
                self.standin.wiki_user.move_row(page, target)
            else:
                self.wiki.move_under(page, target)
        elif do == "rename-column":
            self.wiki.rename_column(str(args["collection"]), str(args["from"]), str(args["to"]))
        elif do == "set-properties":
            self.standin.wiki_user.set_properties(page, dict(args["properties"]))
        elif do == "assert-columns":
            columns = self.wiki.columns(str(args["collection"]))
            for name in args.get("present", []):
                if name not in columns:
                    raise self.fail(n, f"no column {name!r} in {sorted(columns)}")
            for name in args.get("absent", []):
                if name in columns:
                    raise self.fail(n, f"column {name!r} should not exist")
        elif do == "move-containers":
            self.wiki.move_containers(self.wiki.page(str(args["under"]), self.names))
        elif do == "lose-container":
            self.wiki.lose_container(str(args["collection"]))
        elif do == "new-space":
            with self.standin.lock:
                self.standin.add_space(str(args["key"]), str(args["key"]).title())
            self.standin.persist()
        elif do == "new-page":
            parent = str(args["under"])
            self.names[str(args["name"])] = self.wiki.new_page(parent)
        else:
            raise self.fail(n, f"unknown wiki action {do!r}")

    # -- the expected final state -------------------------------------------------------
    def check(self, expect: dict[str, Any]) -> None:
        expect = self.value(expect or {})
        ws = self.ws
        for relpath, spec in (expect.get("files") or {}).items():
            path = ws.playbook / relpath
            if spec == "absent":
                if path.exists():
                    raise ScenarioFailure(f"{self.path.name} [{self.kind}]: {relpath} exists")
                continue
            if not path.is_file():
                raise ScenarioFailure(f"{self.path.name} [{self.kind}]: no file {relpath}")
            text = path.read_text(encoding="utf-8")
            for piece in spec.get("contains", []):
                if piece not in text:
                    raise ScenarioFailure(
                        f"{self.path.name} [{self.kind}]: {piece!r} not in {relpath}"
                    )
        state = ws.state()
        for key, name in (expect.get("ids") or {}).items():
            got = state["docs"].get(key, {}).get("remote_id")
            if got != name:
                raise ScenarioFailure(
                    f"{self.path.name} [{self.kind}]: {key} has page {got}, expected {name}"
                )
        for key in expect.get("absent_from_state", []):
            if key in state["docs"]:
                raise ScenarioFailure(f"{self.path.name} [{self.kind}]: {key} still in state")
        for key, pieces in (expect.get("wiki") or {}).items():
            text = self.wiki.text_of(self.wiki.page(key, self.names))
            for piece in pieces:
                if piece not in text:
                    raise ScenarioFailure(
                        f"{self.path.name} [{self.kind}]: {piece!r} not on the page of {key}"
                    )
        if expect.get("one_page_per_document", True):
            self.check_one_page_per_document()
        if expect.get("in_sync", True):
            result = ws.run("plan", "--format", "json")
            if result.exit_code != 0:
                raise ScenarioFailure(f"{self.path.name} [{self.kind}]: final plan exited "
                                      f"{result.exit_code}:\n{result.output}")
            report = json.loads(result.stdout)
            behind = [d["key"] for d in report["documents"] if d["status"] != "in-sync"]
            if behind:
                raise ScenarioFailure(f"{self.path.name} [{self.kind}]: not in sync at the "
                                      f"end: {behind}")

    def check_one_page_per_document(self) -> None:
        """No duplicates, nothing lost: the live pages carry exactly the playbook's keys,
        each once, and the state points at them."""
        pages = self.wiki.live_documents()
        keys = sorted(key for _page, key in pages)
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ScenarioFailure(f"{self.path.name} [{self.kind}]: duplicate pages {dupes}")
        local = sorted(
            str(p.relative_to(self.ws.playbook).with_suffix(""))
            for p in self.ws.playbook.rglob("*")
            if p.suffix in (".md", ".yaml") and p.is_file()
        )
        if keys != local:
            missing = sorted(set(local) - set(keys))
            extra = sorted(set(keys) - set(local))
            raise ScenarioFailure(f"{self.path.name} [{self.kind}]: pages do not match files: "
                                  f"without a page {missing}, without a file {extra}")
        state = self.ws.state()["docs"]
        for page, key in pages:
            if state.get(key, {}).get("remote_id") != page:
                raise ScenarioFailure(
                    f"{self.path.name} [{self.kind}]: state does not point {key} at {page}"
                )


def run_scenario(path: Path, kind: str, tmp: Path) -> None:
    """Execute one scenario file on one wiki ("notion" or "confluence")."""
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    data = load_scenario(path)
    with (NotionStandin() if kind == "notion" else ConfluenceStandin()) as standin:
        run = Run(path, kind, standin, tmp)
        run.execute(data["steps"])
        run.check(data.get("expect") or {})
