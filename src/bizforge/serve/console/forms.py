"""HTML form fields from pydantic JSON schemas, and form values back into typed values.

Used for the Train form (each family's ``Options``) and the Try-it form (a table
model's input row, or an action's request model). No family is named: a field's
kind comes from its schema type — number, integer, true/false, a choice (``enum``),
a list (one value per line), text, another uploaded file (``"file": true`` in the
schema: its upload id, turned into the file's path by the Train page); anything
nested is a JSON text box.

>>> fields = schema_fields(MyOptions.model_json_schema())      # doctest: +SKIP
>>> values = read_fields(fields, form)                          # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bizforge.errors import UsageError

__all__ = ["FormField", "read_fields", "schema_fields"]


@dataclass
class FormField:
    """One input of a generated form."""

    name: str  # the key in the request / options
    label: str
    kind: str  # number, integer, bool, choice, list, text, textarea, json, file
    required: bool = False
    choices: list[str] = field(default_factory=list)
    help: str = ""
    default: Any = None
    item: str = "text"  # for lists: the kind of each line

    @property
    def input_id(self) -> str:
        return "f-" + "".join(c if c.isalnum() else "-" for c in self.name.encode(
            "unicode_escape").decode("ascii"))


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return {**defs.get(ref.split("/")[-1], {}), **{k: v for k, v in node.items()
                                                       if k != "$ref"}}
    return node


def _kind(node: dict[str, Any], defs: dict[str, Any]) -> tuple[str, list[str], str]:
    """(kind, choices, item kind) of a schema node; ``null`` alternatives are ignored."""
    node = _resolve(node, defs)
    if "enum" in node:
        return "choice", [str(v) for v in node["enum"] if v is not None], "text"
    options = [_resolve(o, defs) for o in node.get("anyOf", node.get("oneOf", []))]
    options = [o for o in options if o.get("type") != "null"]
    if options:
        if len(options) == 1:
            return _kind(options[0], defs)
        return "text", [], "text"  # e.g. a number or a word: typed as text, read as JSON-ish
    kind = node.get("type")
    if kind == "array":
        item, choices, _ = _kind(node.get("items") or {}, defs)
        if item in ("text", "number", "integer", "choice"):
            return "list", choices, item
        return "json", [], "text"
    if kind == "object":
        return "json", [], "text"
    return {"number": "number", "integer": "integer", "boolean": "bool",
            "string": "text"}.get(kind, "text"), [], "text"


def schema_fields(schema: dict[str, Any], *, skip_hidden: bool = True,
                  choices: dict[str, list[str]] | None = None,
                  long_text: set[str] | None = None) -> list[FormField]:
    """The fields of an object schema (``model_json_schema()``), in declaration order.

    ``choices`` adds category values to text fields (a table model's known categories);
    ``long_text`` names the fields shown as a text box (columns of free text).
    Fields marked ``"cli": false`` (options only the Python API takes) are left out.
    """
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    out = []
    for name, node in (schema.get("properties") or {}).items():
        if skip_hidden and node.get("cli") is False:
            continue
        kind, enum, item = _kind(node, defs)
        known = (choices or {}).get(name)
        if known and kind == "text":
            kind, enum = "choice", known
        if kind == "text" and name in (long_text or ()):
            kind = "textarea"
        if node.get("file") is True:
            kind = "file"  # another uploaded file: the form offers the uploads by name
        out.append(FormField(name=name, label=name, kind=kind, required=name in required,
                             choices=enum, help=str(node.get("description") or ""),
                             default=node.get("default"), item=item))
    return out


def _number(text: str, name: str, integer: bool) -> float | int:
    try:
        value = float(text.replace(",", "")) if not integer else int(text)
    except ValueError:
        raise UsageError(f"field '{name}' must be {'a whole number' if integer else 'a number'}"
                         f", got '{text[:40]}'.", fix="type a number such as 42.") from None
    return value


def read_fields(fields: list[FormField], form: Any, *, prefix: str = "") -> dict[str, Any]:
    """The non-empty form values as typed values (empty fields are left out)."""
    out: dict[str, Any] = {}
    for f in fields:
        raw = form.get(prefix + f.name)
        text = "" if raw is None else str(raw).strip()
        if text == "":
            continue
        if f.kind in ("number", "integer"):
            out[f.name] = _number(text, f.name, f.kind == "integer")
        elif f.kind == "bool":
            if text not in ("true", "false"):
                raise UsageError(f"field '{f.name}' must be yes or no.", fix="pick one.")
            out[f.name] = text == "true"
        elif f.kind == "list":
            lines = [line.strip() for line in text.replace(",", "\n").splitlines()
                     if line.strip()] if f.item != "text" else \
                [line.strip() for line in text.splitlines() if line.strip()]
            out[f.name] = [_number(x, f.name, f.item == "integer") if f.item in
                           ("number", "integer") else x for x in lines]
        elif f.kind == "json":
            try:
                out[f.name] = json.loads(text)
            except ValueError:
                raise UsageError(f"field '{f.name}' must be JSON.",
                                 fix='type a JSON value, e.g. ["a", "b"].') from None
        else:
            out[f.name] = text
    return out
