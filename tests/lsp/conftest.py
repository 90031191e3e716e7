"""pytest-lsp drives `ruleforge lsp` as an editor would.

The binary comes from RULEFORGE_BIN (`.ci/run lsp` sets it). Each test gets a fresh rules
repository in a temporary folder with the server started at its root.
"""

import os
import pathlib
import shutil
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

BIN = os.environ.get("RULEFORGE_BIN")
if not BIN:
    sys.exit("RULEFORGE_BIN is not set: it names the ruleforge binary to test (.ci/run lsp sets it)")

WORKSPACE = pathlib.Path(os.environ.get("RULEFORGE_LSP_WORKSPACE", "/tmp/ruleforge-lsp-workspace"))

RULE_ID = "0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c"


def rule(rule_id: str, title: str, sha256: str, extra: str = "") -> str:
    return f"""id: {rule_id}
title: {title}
status: test
severity: high
author: ruleforge tests
created: 2021-03-02
modified: 2021-03-10
description: |
  Fixture rule used by the tests; it detects a made-up web shell by its hash.
references:
  - https://example.org/report
tags:
  - attack.t1505.003
{extra}indicators:
  webshell:
    sha256:
      - {sha256}
"""


def fresh_workspace() -> pathlib.Path:
    shutil.rmtree(WORKSPACE, ignore_errors=True)
    (WORKSPACE / "rules").mkdir(parents=True)
    (WORKSPACE / "ruleforge.toml").write_text("")
    (WORKSPACE / "rules" / "on-disk.yml").write_text(
        rule(RULE_ID, "A rule only on disk", "ab" * 32)
    )
    return WORKSPACE


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[BIN, "lsp"]),
)
async def client(lsp_client: LanguageClient):
    root = fresh_workspace()
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(
            general=types.GeneralClientCapabilities(
                position_encodings=[types.PositionEncodingKind.Utf16]
            )
        ),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="rules")],
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()
