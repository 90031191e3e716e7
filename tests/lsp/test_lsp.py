"""`ruleforge lsp` under pytest-lsp: diagnostics, workspace checks, code actions, formatting
and hover, with a client library no one on the project wrote."""

import asyncio
import shutil
import subprocess

from conftest import BIN, RULE_ID, WORKSPACE, rule
from lsprotocol import types
from pytest_lsp import LanguageClient


def uri(path: str) -> str:
    return (WORKSPACE / path).resolve().as_uri()


async def open_doc(client: LanguageClient, path: str, text: str, version: int = 1):
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(path), language_id="yaml", version=version, text=text
            )
        )
    )
    return await diagnostics(client, path, version)


async def diagnostics(client: LanguageClient, path: str, version: int):
    """The diagnostics the server publishes for `path` at `version` (earlier ones skipped)."""
    for _ in range(200):
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri(path) and params.version == version:
            return params.diagnostics
    raise AssertionError(f"no diagnostics for {path} at version {version}")


def codes(ds):
    return sorted(str(d.code) for d in ds)


async def test_duplicate_id_with_a_file_on_disk(client: LanguageClient):
    text = rule(RULE_ID, "A rule being edited", "cd" * 32)
    ds = await open_doc(client, "rules/edited.yml", text)
    dup = [d for d in ds if d.code == "RF401"]
    assert dup, codes(ds)
    assert dup[0].source == "ruleforge"
    assert dup[0].related_information[0].location.uri == uri("rules/on-disk.yml")


async def test_fix_all_and_formatting(client: LanguageClient):
    text = rule(
        "5d1c7a0e-8f2b-4c3d-9e4f-a0b1c2d3e4f5", "A rule with an upper-case hash", "CD" * 32
    )
    ds = await open_doc(client, "rules/upper.yml", text)
    assert "RF202" in codes(ds)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri("rules/upper.yml")),
            range=types.Range(start=types.Position(0, 0), end=types.Position(0, 0)),
            context=types.CodeActionContext(
                diagnostics=[], only=[types.CodeActionKind.SourceFixAll]
            ),
        )
    )
    assert [a.kind for a in actions] == ["source.fixAll.ruleforge"]
    (edit,) = actions[0].edit.changes[uri("rules/upper.yml")]
    assert "cd" * 32 in edit.new_text
    assert "CD" * 32 not in edit.new_text
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri("rules/upper.yml")),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    # Formatting gives what `ruleforge fmt` writes, byte for byte.
    assert len(edits) == 1
    scratch = WORKSPACE.parent / (WORKSPACE.name + "-fmt")
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "rules").mkdir(parents=True)
    (scratch / "ruleforge.toml").write_text("")
    (scratch / "rules" / "upper.yml").write_text(text)
    subprocess.run([BIN, "fmt", "rules/upper.yml"], cwd=scratch, check=True, capture_output=True)
    assert edits[0].new_text == (scratch / "rules" / "upper.yml").read_text()
    assert edits[0].range.start == types.Position(0, 0)


async def test_hover_explains_a_finding(client: LanguageClient):
    text = rule("5d1c7a0e-8f2b-4c3d-9e4f-a0b1c2d3e4f5", "Hover target rule", "CD" * 32)
    ds = await open_doc(client, "rules/hover.yml", text)
    rf202 = next(d for d in ds if d.code == "RF202")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri("rules/hover.yml")),
            position=rf202.range.start,
        )
    )
    assert "RF202" in hover.contents.value
    assert "non-canonical" in hover.contents.value.lower() or "canonical" in hover.contents.value


async def test_edit_updates_version_and_findings(client: LanguageClient):
    text = rule("5d1c7a0e-8f2b-4c3d-9e4f-a0b1c2d3e4f5", "A rule whose id is edited", "ef" * 32)
    ds = await open_doc(client, "rules/change.yml", text)
    assert "RF401" not in codes(ds)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=uri("rules/change.yml"), version=2
            ),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(
                    text=text.replace("5d1c7a0e-8f2b-4c3d-9e4f-a0b1c2d3e4f5", RULE_ID)
                )
            ],
        )
    )
    ds = await diagnostics(client, "rules/change.yml", 2)
    assert "RF401" in codes(ds)
    await asyncio.sleep(0)
