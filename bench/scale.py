"""Scale benchmark (issue #21): validate and sync cost as the playbook grows.

It generates playbooks of N documents (``--sizes``, default 200 and 1,000; add 5,000 with
``--sizes 200,1000,5000``): the example playbook (24 documents) plus copies of its rituals,
templates and decisions in "sets" of 16 with unique keys and titles (references and body links
rewritten to stay inside each set; release tiers are not copied, the schema allows tiers 1 to 3
only). Two variants: *plain* (the copies as they are) and *links* (every Markdown body also
gets a section linking to six documents anywhere in the playbook and a five-row table with a
link per row, in canonical form). Every generated playbook is valid.

For every size it prints one table, side by side:

* ``validate`` and ``check-jsonschema`` on the same files, both variants, each in a fresh
  process: ``prodops-sync validate DIR`` checks schemas, cross-file rules, links and canonical
  form; check-jsonschema runs once per kind directory with that kind's schema
  (``--schemafile schemas/<kind>.schema.json``). check-jsonschema reads JSON/YAML/TOML, not
  Markdown front matter, so it is given each file's fields as a ``.yaml`` file (front matter
  extracted beforehand, not timed): it checks fields only, no body, no cross-file rule.
* for each wiki, against the stand-in (rate limit off, ``requests_per_second``
  10,000 on the client), on the *links* variant: first push, no-op push and no-op pull (stand-in
  clock moved 20 minutes on before each, as between two CI runs) and a 10-document edit (one
  paragraph in each of 10 documents, pushed). The no-op push right after the first push lists
  again every page the first push wrote (they changed since its listing); the no-op pull is
  the steady state. Each run is its own process, as a CLI run is (the stand-in in a child
  process of the benchmark, started once per wiki and size): peak RSS is that process's,
  imports included; wall and CPU are the run's alone (the client thread; imports and set-up
  not counted). The stand-in's peak RSS since it started is in the note.

Columns: wall seconds, then wall and CPU seconds per 100 documents, peak RSS (MB), requests
(reads + writes, from ``standin.request_log``), the floor and requests / floor. Floors (issue
#21): first push = one create per page plus one per collection container (Notion: database,
Confluence: parent page), on Notion plus one append per further 100 top-level blocks of a
page; no-op = 2 requests per collection; edit = one write per changed block (Notion) / one
PUT per changed page (Confluence) plus the no-op floor.

*confluence* is the Cloud stand-in (the v2 API: a create cannot carry the key property or the
label, so a new page is three writes); *confluence-dc* is the Data Center stand-in (the v1 API:
one create carries both). ``validate`` runs twice more with its body cache (the first fills
it, the second is measured: no body changed).

Run: ``python bench/scale.py [--sizes 200,1000] [--only validate|sync|all] [--wikis
notion,confluence,confluence-dc]``. 5,000 documents take several minutes per wiki.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import posixpath
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

EXAMPLE = REPO / "playbook"
RECORD_DIRS = ("templates", "rituals", "decisions")
"""In the order a set is copied: what a record refers to first, so that a last set cut short
(a size that is not 24 plus a multiple of 16) refers to nothing it left out."""
LINKS_PER_DOC = 6
TOKEN_ENV = "PRODOPS_BENCH_TOKEN"
USER_ENV = "PRODOPS_BENCH_USER"
EDITED = 10
EDIT_SOURCE = "rituals/weekly-product-update"
EDIT_OLD = "There is no meeting."
EDIT_NEW = "There is no meeting at all."
DATA_CENTER = "confluence-dc"
"""The Confluence stand-in as Data Center (``--wikis notion,confluence,confluence-dc``)."""
BETWEEN_RUNS = 20 * 60
"""Stand-in seconds between two runs, as between two CI runs: more than the incremental
listing's margin (15 minutes), so a run lists only what changed since the previous one."""


# --------------------------------------------------------------------------- generator
def _records() -> list[tuple[str, str]]:
    """(relative path, text) of every record of the example playbook, in path order."""
    out = []
    for directory in RECORD_DIRS:
        for path in sorted((EXAMPLE / directory).iterdir()):
            if path.suffix in (".md", ".yaml"):
                out.append((f"{directory}/{path.name}", path.read_text(encoding="utf-8")))
    return out


def _stem_key(relpath: str) -> str:
    return relpath.rsplit(".", 1)[0]


def generate_playbook(dest: Path, total: int, *, links: bool = False) -> list[str]:
    """Write a valid playbook of ``total`` documents under ``dest`` (which must not exist):
    the example's singletons and records, then copies of the records in sets. Returns the
    relative paths of the documents written."""
    shutil.copytree(EXAMPLE, dest)
    records = _records()
    keys = [_stem_key(r) for r, _ in records]
    written = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    copy_set = 0
    while len(written) < total:
        copy_set += 1
        suffix = f"-s{copy_set}"
        # Rewrite every reference to a record of the example into the same set's copy.
        pattern = re.compile(
            r"(?<![a-z0-9-])(" + "|".join(re.escape(k) for k in keys) + r")(?![a-z0-9-])")
        for relpath, text in records:
            if len(written) >= total:
                break
            new_rel = re.sub(r"(\.md|\.yaml)$", suffix + r"\1", relpath)
            new = pattern.sub(lambda m, s=suffix: m.group(1) + s, text)
            new = re.sub(r"(?m)^title: (.*)$", lambda m, n=copy_set: f"title: {m.group(1)} "
                         f"(set {n})", new, count=1)
            (dest / new_rel).write_text(new, encoding="utf-8")
            written.append(new_rel)
    written.sort()
    if links:
        add_links_and_tables(dest, written)
    return written


def add_links_and_tables(root: Path, files: list[str]) -> None:
    """Append to every Markdown body a section of links to other documents (spread over the
    whole playbook) and a table, in canonical form."""
    from prodops_sync.markdown import canonical
    from prodops_sync.playbook.loader import split_front_matter

    n = len(files)
    for index, relpath in enumerate(files):
        if not relpath.endswith(".md"):
            continue
        here = posixpath.dirname(relpath) or "."
        items = []
        for step in range(1, LINKS_PER_DOC + 1):
            target = files[(index + step * 7919) % n]
            if target == relpath:
                continue
            rel = posixpath.relpath(target, here)
            items.append(f"- See [{posixpath.basename(target)}]({rel}) for context.")
        table = ["| Area | Owner | Status | Link |", "| --- | --- | --- | --- |"]
        for row in range(5):
            target = files[(index + row * 104729 + 1) % n]
            rel = posixpath.relpath(target, here)
            table.append(f"| Area {row} | Owner {row} | **on track** | [doc]({rel}) |")
        path = root / relpath
        front, body, _ = split_front_matter(path.read_text(encoding="utf-8"), relpath)
        body = body.rstrip("\n") + "\n\n## Related documents\n\n" + "\n".join(items) + \
            "\n\n" + "\n".join(table) + "\n"
        path.write_text(f"---\n{front}---\n\n{canonical(body)}", encoding="utf-8")


# --------------------------------------------------------------------------- validate
def _front_matter_copy(root: Path, dest: Path) -> dict[str, Path]:
    """Copy the playbook's fields as YAML files (front matter of Markdown files extracted),
    one directory per kind; returns kind directory -> copy directory."""
    from prodops_sync.playbook.loader import split_front_matter

    dirs: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".md":
            text = split_front_matter(text, rel)[0]
        kind_dir = rel.split("/")[0] if "/" in rel else rel.rsplit(".", 1)[0]
        out = dest / kind_dir / (path.stem + ".yaml")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        dirs[kind_dir] = dest / kind_dir
    return dirs


_SCHEMA_FOR_DIR = {
    "rituals": "ritual", "templates": "template", "decisions": "decision",
    "release-tiers": "release-tier", "charter": "charter", "operating-model": "operating-model",
    "insights-pipeline": "insights-pipeline", "rollout-plan": "rollout-plan", "risks": "risks",
}


@dataclass
class Row:
    """One measured line of the table."""

    size: int
    what: str
    docs: int
    wall: float
    cpu: float
    rss_mb: float
    requests: int | None = None
    floor: int | None = None
    note: str = ""


def run_measured(cmd: list[str]) -> tuple[int, float, float, float, str]:
    """Run ``cmd``; (exit status, wall s, CPU s (user + system), peak RSS MB, output)."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    return (proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            text)


def time_check_jsonschema(root: Path, work: Path) -> tuple[float, float, float, bool]:
    """check-jsonschema over the fields of every file of ``root``, one run per kind
    directory (fields extracted beforehand, not timed): wall s, CPU s, peak RSS MB, passed."""
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent /
                                                   "check-jsonschema")
    if not Path(exe).exists():
        sys.exit("bench/scale.py compares validate with check-jsonschema: "
                 "pip install check-jsonschema (or run with --only sync)")
    dirs = _front_matter_copy(root, work)
    schemas = REPO / "schemas"
    ok, wall, cpu, rss = True, 0.0, 0.0, 0.0
    for kind_dir, directory in dirs.items():
        files = sorted(str(p) for p in directory.iterdir())
        schema = schemas / f"{_SCHEMA_FOR_DIR[kind_dir]}.schema.json"
        code, w, c, r, text = run_measured([exe, "--schemafile", str(schema), *files])
        wall, cpu, rss = wall + w, cpu + c, max(rss, r)
        if code:
            ok = False
            print(text[-2000:], file=sys.stderr)
    return wall, cpu, rss, ok


def time_validate(root: Path, *, cached: bool = False) -> tuple[float, float, float, bool]:
    """``prodops-sync validate ROOT`` in a fresh process: wall s, CPU s (its workers
    included), peak RSS MB (the largest process), valid (warnings allowed). Without
    ``cached``, with ``--no-cache`` (every body parsed); with it, using the body cache
    (beside ROOT) that an earlier cached run left."""
    cmd = [sys.executable, "-m", "prodops_sync", "validate", str(root)]
    code, wall, cpu, rss, text = run_measured(cmd if cached else [*cmd, "--no-cache"])
    if code:
        print(text[-3000:], file=sys.stderr)
    return wall, cpu, rss, code == 0


def validate_rows(size: int, work: Path) -> list[Row]:
    rows = []
    for variant, links in (("plain", False), ("links", True)):
        root = work / f"validate-{variant}-{size}" / "playbook"
        generate_playbook(root, size, links=links)
        wall, cpu, rss, ok = time_validate(root)
        rows.append(Row(size, f"validate ({variant})", size, wall, cpu, rss,
                        note="every body parsed" + ("" if ok else ", INVALID")))
        time_validate(root, cached=True)  # fills the body cache
        wall, cpu, rss, ok = time_validate(root, cached=True)
        rows.append(Row(size, f"validate ({variant}), cached", size, wall, cpu, rss,
                        note="no body changed since the last run" + ("" if ok else
                                                                      ", INVALID")))
        wall, cpu, rss, ok = time_check_jsonschema(root, work / f"cjs-{variant}-{size}")
        rows.append(Row(size, f"check-jsonschema ({variant})", size, wall, cpu, rss,
                        note="fields only" + ("" if ok else ", FAILED")))
        shutil.rmtree(root.parent, ignore_errors=True)
    return rows


# --------------------------------------------------------------------------- sync
def _engine(root: Path, name: str, clock: Any) -> Any:
    from prodops_sync.sync.config import credentials, load_config
    from prodops_sync.sync.engine import Engine
    from prodops_sync.sync.state import StateStore

    config = load_config(root / "prodops-sync.yaml")
    target = config.target(name)
    if target.type == "notion":
        from prodops_sync.remotes.notion import NotionRemote

        remote: Any = NotionRemote.from_target(target, credentials(target),
                                               clock=clock.time)
    else:
        from prodops_sync.remotes.confluence import ConfluenceRemote

        remote = ConfluenceRemote.from_target(target, credentials(target),
                                              clock=clock.time)
    return Engine(config.playbook_dir, remote, StateStore(config.state_dir, name))


def _floors(playbook: Path, wiki: str) -> tuple[int, int, int]:
    """(first push floor, no-op floor, collections) of the playbook at ``playbook``."""
    from prodops_sync.formats.notion.blocks import to_blocks
    from prodops_sync.kinds import BUILTIN
    from prodops_sync.playbook.loader import load_playbook

    docs = load_playbook(playbook).documents
    kinds = {d.kind for d in docs}
    collections = {BUILTIN[k].collection for k in kinds}
    first = len(docs) + len(collections)
    if wiki == "notion":
        for doc in docs:
            blocks = len(to_blocks(doc.body, current_key=doc.key)) if doc.body else 0
            first += max(0, math.ceil(blocks / 100) - 1)
    return first, 2 * len(collections), len(collections)


def _peak_mb() -> float:
    """This process's peak RSS, MB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _serve(wiki: str, conn: Any) -> None:
    """The child process of :class:`StandinProcess`: run the stand-in, answer commands."""
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    if wiki == "notion":
        standin: Any = NotionStandin()
    else:
        standin = ConfluenceStandin(flavor="datacenter" if wiki == DATA_CENTER else "cloud")
    with standin:
        conn.send({"url": standin.url, "root_page_id": getattr(standin, "root_page_id", "")})
        while True:
            op, arg = conn.recv()
            if op == "advance":
                standin.clock.advance(arg)
                conn.send(None)
            elif op == "clear":
                standin.request_log.clear()
                conn.send(None)
            elif op == "log":
                conn.send((standin.request_log.reads(), standin.request_log.writes()))
            elif op == "rss":
                conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            else:
                conn.send(None)
                return


class StandinProcess:
    """A stand-in served by a forked child process, so that this process's peak RSS is the
    client's alone; the stand-in's is read separately (:meth:`rss`). Its clock is mirrored
    here (both are wall time plus the same offset), for the remote to measure time with."""

    def __init__(self, wiki: str) -> None:
        import multiprocessing

        from prodops_sync.standins.clock import Clock

        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._proc = context.Process(target=_serve, args=(wiki, child), daemon=True)
        self._proc.start()
        info = self._conn.recv()
        self.url: str = info["url"]
        self.root_page_id: str = info["root_page_id"]
        self.clock = Clock()

    def _call(self, op: str, arg: Any = None) -> Any:
        self._conn.send((op, arg))
        return self._conn.recv()

    def advance(self, seconds: float) -> None:
        """Move both clocks on."""
        self.clock.advance(seconds)
        self._call("advance", seconds)

    def clear_log(self) -> None:
        """Forget the requests logged so far."""
        self._call("clear")

    def log(self) -> tuple[int, int]:
        """(reads, writes) logged since the last :meth:`clear_log`."""
        reads, writes = self._call("log")
        return int(reads), int(writes)

    def rss(self) -> float:
        """The stand-in process's peak RSS so far, MB."""
        return float(self._call("rss"))

    def stop(self) -> None:
        """End the child process."""
        self._call("stop")
        self._proc.join(timeout=10)


def sync_one(wiki: str, size: int) -> list[Row]:
    """Push, no-op and edit on one wiki (the client in this process, the stand-in in a
    child process); rows as dicts."""
    import yaml

    os.environ.setdefault(TOKEN_ENV, "bench-token")
    os.environ.setdefault(USER_ENV, "bench@example.com")
    tmp = Path(tempfile.mkdtemp(prefix="prodops-scale-"))
    rows: list[Row] = []
    standin = StandinProcess(wiki)
    try:
        name = wiki
        if wiki == "notion":
            spec: dict[str, Any] = {"type": "notion", "root_page": standin.root_page_id,
                                    "base_url": standin.url}
        elif wiki == DATA_CENTER:  # bearer token, the v1 API: a create carries key and label
            spec = {"type": "confluence", "url": standin.url, "space": "PLAY",
                    "deployment": "datacenter"}
        else:
            spec = {"type": "confluence", "url": standin.url, "space": "PLAY",
                    "user_env": USER_ENV}
        spec.update({"token_env": TOKEN_ENV, "requests_per_second": 10_000})
        root = tmp / "repo"
        files = generate_playbook(root / "playbook", size, links=True)
        (root / "prodops-sync.yaml").write_text(yaml.safe_dump(
            {"playbook": "playbook", "targets": {name: spec}}), encoding="utf-8")
        first_floor, noop_floor, _ = _floors(root / "playbook", wiki)

        def measure(what: str, floor: int, operation: str) -> None:
            standin.clear_log()
            step = {"root": str(root), "name": name, "operation": operation,
                    "clock_offset": standin.clock.time() - time.time()}
            code, _, _, _, text = run_measured(
                [sys.executable, __file__, "--step", json.dumps(step)])
            if code:
                raise RuntimeError(f"{wiki} {what} failed (exit {code}):\n{text[-4000:]}")
            result = json.loads(text.strip().splitlines()[-1])
            reads, writes = standin.log()
            note = f"{writes} writes; stand-in {standin.rss():.0f} MB"
            if result["conflicts"]:
                note += f", {result['conflicts']} conflicts"
            rows.append(Row(size, f"{wiki}: {what}", size, result["wall"], result["cpu"],
                            result["rss"], reads + writes, floor, note))

        measure("first push", first_floor, "first push")
        standin.advance(BETWEEN_RUNS)
        measure("no-op push", noop_floor, "push")
        standin.advance(BETWEEN_RUNS)
        measure("no-op pull", noop_floor, "pull")
        edited = [f for f in files if f.startswith(EDIT_SOURCE)][:EDITED]
        for relpath in edited:
            path = root / "playbook" / relpath
            text = path.read_text(encoding="utf-8")
            assert EDIT_OLD in text, relpath
            path.write_text(text.replace(EDIT_OLD, EDIT_NEW, 1), encoding="utf-8")
        standin.advance(BETWEEN_RUNS)
        measure(f"{len(edited)}-doc edit, push", noop_floor + len(edited), "push")
    finally:
        standin.stop()
        if os.environ.get("PRODOPS_BENCH_KEEP"):  # to look at the state a run leaves
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


def run_step(step: dict[str, Any]) -> dict[str, Any]:
    """One sync run in this (fresh) process, as a CLI run is: ``step`` names the repository,
    target, operation ("first push", "push" or "pull") and the stand-in clock's offset.
    Wall and CPU seconds of the run alone (imports and set-up not counted), peak RSS of the
    process (imports included, as a CLI run's)."""
    from prodops_sync.standins.clock import Clock

    clock = Clock()
    clock.advance(step["clock_offset"])
    engine = _engine(Path(step["root"]), step["name"], clock)
    wall, cpu = time.perf_counter(), time.thread_time()
    if step["operation"] == "first push":
        report = engine.push(max_delete=0)
    elif step["operation"] == "push":
        report = engine.push()
    else:
        report = engine.pull()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    return {"wall": wall, "cpu": cpu, "rss": _peak_mb(), "conflicts": len(report.conflicts)}


def sync_rows(wiki: str, size: int) -> list[Row]:
    """:func:`sync_one`; a run that fails is a FAILED row (its output on stderr), and the
    benchmark goes on with the next wiki."""
    try:
        return sync_one(wiki, size)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return [Row(size, f"{wiki}: FAILED", size, 0.0, 0.0, 0.0)]


# --------------------------------------------------------------------------- table
def table(rows: list[Row]) -> str:
    head = ("| docs | what | wall s | wall s/100 docs | CPU s/100 docs | peak RSS MB | "
            "requests | floor | x floor | note |")
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        per = 100 / r.docs if r.docs else 0.0
        req = "" if r.requests is None else str(r.requests)
        floor = "" if r.floor is None else str(r.floor)
        ratio = f"{r.requests / r.floor:.2f}" if r.requests is not None and r.floor else ""
        lines.append(f"| {r.docs} | {r.what} | {r.wall:.2f} | {r.wall * per:.2f} | "
                     f"{r.cpu * per:.2f} | {r.rss_mb:.0f} | {req} | {floor} | {ratio} | "
                     f"{r.note} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,1000",
                        help="comma-separated playbook sizes (default 200,1000)")
    parser.add_argument("--only", choices=["validate", "sync", "all"], default="all")
    parser.add_argument("--wikis", default=f"notion,confluence,{DATA_CENTER}")
    parser.add_argument("--step", help=argparse.SUPPRESS)  # internal: one measured sync run
    args = parser.parse_args()
    if args.step:
        print(json.dumps(run_step(json.loads(args.step))))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    wikis = [w for w in args.wikis.split(",") if w]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="prodops-scale-") as work:
        for size in sizes:
            if args.only in ("validate", "all"):
                rows.extend(validate_rows(size, Path(work)))
                print(table(rows[-6:]), file=sys.stderr)
            if args.only in ("sync", "all"):
                for wiki in wikis:
                    rows.extend(sync_rows(wiki, size))
                    print(table(rows[-4:]), file=sys.stderr)
    print(f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, python {sys.version.split()[0]}"
          f": python bench/scale.py --sizes {args.sizes} --only {args.only}")
    print(table(rows))


if __name__ == "__main__":
    main()
