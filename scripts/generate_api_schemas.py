"""Generate JSON Schemas of API request and answer bodies from published client types.

- Notion: the TypeScript types that the official ``@notionhq/client`` publishes on npm
  (``build/src/api-endpoints``), converted by ``ts-json-schema-generator``. Objects allow
  properties the types do not name (``--additional-properties``): the real API adds fields
  without a new version, so an extra field is not a contract break; a missing required
  field, a wrong type or an unknown enum value is.
- Confluence v2: the zod models that ``confluence.js`` publishes on npm (Atlassian's own
  OpenAPI file is not on a package registry), converted by zod's ``toJSONSchema``.

Tests validate every request the clients send to the stand-ins, and every answer the
stand-ins give, against them (tests/contracts/). Run it when a client or API version moves::

    python scripts/generate_api_schemas.py            # needs node and npm on PATH

It installs the pinned packages into a temporary directory (nothing global) and writes
``tests/contracts/notion-sdk.schema.json`` and ``tests/contracts/confluence-js.schema.json``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SDK = "@notionhq/client@5.26.0"
GENERATOR = "ts-json-schema-generator@2.9.0"
TYPESCRIPT = "typescript@5.9"
CONFLUENCE_JS = "confluence.js@3.2.0"
ZOD = "zod@4.6.7"
CONTRACTS = Path(__file__).resolve().parent.parent / "tests" / "contracts"
OUT = CONTRACTS / "notion-sdk.schema.json"
CONFLUENCE_OUT = CONTRACTS / "confluence-js.schema.json"

#: confluence.js v2 models (``<Name>Schema`` exports) of the endpoints the stand-in serves.
CONFLUENCE_MODELS = (
    "Page", "Pages", "Space", "Spaces", "ChildPages", "PageAncestors", "PageVersions",
    "PageAttachments", "PageContentProperties", "ContentProperty", "ContentPropertyCreate",
    "ContentPropertyUpdate",
)
CONFLUENCE_SCRIPT = """
import { z } from './node_modules/zod/index.js';
import * as models from './node_modules/confluence.js/dist/v2/models/index.js';
const out = { definitions: {} };
for (const name of process.argv.slice(2)) {
  const schema = models[name + 'Schema'];
  if (!schema) { console.error('confluence.js exports no ' + name + 'Schema'); process.exit(1); }
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input', target: 'draft-7' });
  delete json.$schema;
  out.definitions[name] = json;
}
process.stdout.write(JSON.stringify(out));
"""

#: The SDK types of the endpoints the stand-in serves. ``*Parameters`` types hold the path
#: parameters too (``block_id`` …): the validator adds them to the body before checking.
TYPES = (
    "CreatePageParameters", "CreatePageResponse", "GetPageResponse", "UpdatePageParameters",
    "UpdatePageResponse", "GetPagePropertyResponse", "MovePageParameters", "MovePageResponse",
    "GetBlockResponse", "UpdateBlockParameters", "UpdateBlockResponse", "DeleteBlockResponse",
    "ListBlockChildrenResponse", "AppendBlockChildrenParameters", "AppendBlockChildrenResponse",
    "CreateDatabaseParameters", "CreateDatabaseResponse", "GetDatabaseResponse",
    "UpdateDatabaseParameters", "UpdateDatabaseResponse", "GetDataSourceResponse",
    "UpdateDataSourceParameters", "UpdateDataSourceResponse", "QueryDataSourceParameters",
    "QueryDataSourceResponse", "SearchParameters", "SearchResponse", "GetSelfResponse",
    "CreateFileUploadParameters", "CreateFileUploadResponse", "GetFileUploadResponse",
    "SendFileUploadResponse",
)


def main() -> int:
    """Install the SDK and the generator in a temporary directory and write the schema file."""
    if not shutil.which("npm"):
        print("error: npm is not on PATH (install node and npm first)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="notion-sdk-") as tmp:
        work = Path(tmp)
        # npm runs inside the temporary directory: `npm init` writes package.json in the
        # current directory whatever --prefix says.
        (work / "package.json").write_text('{"private": true}\n', encoding="utf-8")
        subprocess.run(["npm", "install", "--no-fund", "--no-audit", "--silent",
                        SDK, GENERATOR, TYPESCRIPT, CONFLUENCE_JS, ZOD], check=True, cwd=tmp)
        (work / "entry.ts").write_text(
            "export type {\n  " + ",\n  ".join(TYPES)
            + '\n} from "@notionhq/client/build/src/api-endpoints";\n',
            encoding="utf-8",
        )
        (work / "tsconfig.json").write_text(json.dumps({
            "compilerOptions": {"strict": True, "skipLibCheck": True,
                                "moduleResolution": "node", "module": "commonjs"},
            "files": ["entry.ts"],
        }), encoding="utf-8")
        raw = work / "schema.json"
        subprocess.run(
            [str(work / "node_modules" / ".bin" / "ts-json-schema-generator"),
             "--path", "entry.ts", "--tsconfig", "tsconfig.json", "--type", "*",
             "--no-type-check", "--additional-properties", "-o", str(raw)],
            check=True, cwd=tmp,
        )
        schema = json.loads(raw.read_text(encoding="utf-8"))
        (work / "confluence.mjs").write_text(CONFLUENCE_SCRIPT, encoding="utf-8")
        confluence = json.loads(subprocess.run(
            ["node", "confluence.mjs", *CONFLUENCE_MODELS], check=True, cwd=tmp,
            capture_output=True, text=True,
        ).stdout)
    confluence["$comment"] = (
        f"Generated by scripts/generate_api_schemas.py from {CONFLUENCE_JS}; do not edit."
    )
    CONFLUENCE_OUT.write_text(json.dumps(confluence, indent=1, sort_keys=True) + "\n",
                              encoding="utf-8")
    print(f"{CONFLUENCE_OUT}: {len(confluence['definitions'])} definitions from {CONFLUENCE_JS}")
    schema["$comment"] = f"Generated by scripts/generate_api_schemas.py from {SDK}; do not edit."
    missing = [t for t in TYPES if t not in schema.get("definitions", {})]
    if missing:
        print(f"error: the SDK no longer exports {', '.join(missing)}", file=sys.stderr)
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(schema['definitions'])} definitions from {SDK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
