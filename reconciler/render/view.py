"""One change's field differences as a tree in the offer file's own shape (the diff model).

Field changes carry flat keyed paths (``pricing[product/…/plan/123456].discountPercentage``).
A reviewer reads nested blocks instead, keyed by what a person recognises: the product and
plan *names* (with the ids beside), a beneficiary's description, a contact's address. This
module turns a :class:`~reconciler.plan.changes.Change` into :class:`DiffNode` trees and the
trees into :class:`DiffLine` s; the text, markdown and JSON renderers all use these, so the
three never disagree.

Only changed fields appear; the unchanged siblings of a block are summarised by count
(``(3 unchanged)``) from ``Change.unchanged``. Values are shown YAML-like (strings quoted,
multi-line text as a block) and long lines wrap at the renderer's width.
"""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, Field

from reconciler.markdown import visible, visible_line
from reconciler.plan.changes import Change, FieldChange
from reconciler.plan.paths import split_path


class Op(StrEnum):
    ADD = "+"
    REMOVE = "-"
    CHANGE = "~"
    NOTE = " "


class DiffNode(BaseModel):
    """A block (``children``) or a field (``old``/``new``) of one offer's diff."""

    label: str
    key: str | None = None  # the keyed-list key this block stands for, shown beside the label
    op: Op = Op.CHANGE
    old: object = None
    new: object = None
    leaf: bool = False
    unchanged: int = 0
    children: list[DiffNode] = Field(default_factory=list)


class DiffLine(BaseModel):
    """One rendered line: its symbol, nesting depth and text (without either)."""

    op: Op
    depth: int
    text: str


_OPS = {"add": Op.ADD, "remove": Op.REMOVE, "change": Op.CHANGE}


def _short_ref(ref: str, *, short: bool) -> str:
    """``product/<guid>/plan/123456`` -> ``product/<guid>, plan/123456`` (reads as two ids).

    *short* (the item is named as well) shortens GUIDs to their first 8 characters, which
    identify them in the file without pushing the line past the page's width.
    """
    bits = ref.split("/")
    if len(bits) >= 4 and bits[0] == "product" and bits[2] in ("plan", "basePlan"):
        guid = bits[1][:8] + "…" if short and len(bits[1]) > 12 else bits[1]
        text = f"product/{guid}, plan/{bits[3]}"
        rest = "/".join(bits[4:])
        return f"{text}, {rest}" if rest else text
    if short and len(ref) > 40:
        return ref[:8] + "…"
    return ref


def block_label(key: str, labels: dict[str, str]) -> tuple[str, str | None]:
    """(label, id beside it) for a keyed item: its name when known, else the key itself."""
    # One line each: a label or key with a line break could pass for another entry.
    name = labels.get(key)
    if name:
        return visible_line(name), visible_line(_short_ref(key, short=True))
    return visible_line(_short_ref(key, short=False)), None


def build_tree(change: Change) -> list[DiffNode]:
    """The top-level nodes of *change*'s field differences, in the order of the paths."""
    root = DiffNode(label="")
    index: dict[str, DiffNode] = {"": root}
    for fc in change.field_changes:
        parts = split_path(fc.path)
        parent, prefix = root, ""
        for part in parts[:-1]:
            prefix = prefix + part if part.startswith("[") or not prefix else f"{prefix}.{part}"
            node = index.get(prefix)
            if node is None:
                node = _block(part, change.labels)
                node.unchanged = change.unchanged.get(prefix, 0)
                parent.children.append(node)
                index[prefix] = node
            parent = node
        parent.children.append(_leaf(parts[-1] if parts else fc.path, fc, change.labels))
    root.unchanged = change.unchanged.get("", 0)
    _settle_ops(root)
    return root.children


def _block(part: str, labels: dict[str, str]) -> DiffNode:
    if part.startswith("["):
        label, key = block_label(part[1:-1], labels)
        return DiffNode(label=label, key=key)
    return DiffNode(label=part)


def _leaf(part: str, fc: FieldChange, labels: dict[str, str]) -> DiffNode:
    op = _OPS.get(fc.op, Op.CHANGE)
    if part.startswith("["):
        label, key = block_label(part[1:-1], labels)
        value = fc.new if fc.op != "remove" else fc.old
        if isinstance(value, str) and value.strip().lower() == part[1:-1].strip().lower():
            # a set member (a contact address): the value is its own label
            return DiffNode(label=label, key=key, op=op, leaf=True)
        return DiffNode(label=label, key=key, op=op, old=fc.old, new=fc.new, leaf=True)
    return DiffNode(label=part, op=op, old=fc.old, new=fc.new, leaf=True)


def _settle_ops(node: DiffNode) -> Op:
    """A block is ``+`` or ``-`` when everything below it is, else ``~``."""
    if node.leaf:
        return node.op
    ops = {_settle_ops(child) for child in node.children}
    node.op = ops.pop() if len(ops) == 1 and not node.unchanged else Op.CHANGE
    if node.op == Op.NOTE:
        node.op = Op.CHANGE
    return node.op


# ---------------------------------------------------------------------------------------
# Values


def scalar_text(value: object) -> str:
    """A value on one line: strings quoted (JSON), numbers and booleans bare."""
    if isinstance(value, str):
        return '"' + visible(json.dumps(value, ensure_ascii=False)[1:-1]) + '"'
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return json.dumps(value)
    return visible(json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": ")))


def _value_lines(label: str, value: object, op: Op, depth: int) -> list[DiffLine]:
    """``label: value`` -- nested maps and lists of maps in the file's shape."""
    if isinstance(value, dict) and value:
        out = [DiffLine(op=op, depth=depth, text=f"{label}:")]
        for key, item in value.items():
            out += _value_lines(str(key), item, op, depth + 1)
        return out
    if isinstance(value, list) and value and any(isinstance(i, dict | list) for i in value):
        out = [DiffLine(op=op, depth=depth, text=f"{label}:")]
        for item in value:
            if isinstance(item, dict):
                lines = _value_lines("-", item, op, depth + 1)
                out += lines[1:] if lines[0].text == "-:" else lines
            else:
                out.append(DiffLine(op=op, depth=depth + 1, text=f"- {scalar_text(item)}"))
        return out
    if isinstance(value, str) and "\n" in value.strip("\n"):
        out = [DiffLine(op=op, depth=depth, text=f"{label}: |")]
        out += [DiffLine(op=op, depth=depth + 2, text=visible(t)) for t in value.splitlines()]
        return out
    return [DiffLine(op=op, depth=depth, text=f"{label}: {scalar_text(value)}")]


def _head(node: DiffNode) -> str:
    return f"{node.label}  ({node.key})" if node.key else node.label


def node_lines(node: DiffNode, depth: int = 0, *, paired: bool = False) -> list[DiffLine]:
    """Lines of one node; *paired* writes a changed value as a ``-`` and a ``+`` line."""
    if node.leaf:
        if node.old is None and node.new is None:
            return [DiffLine(op=node.op, depth=depth, text=_head(node))]
        if node.op == Op.ADD:
            return _value_lines(_head(node), node.new, Op.ADD, depth)
        if node.op == Op.REMOVE:
            return _value_lines(_head(node), node.old, Op.REMOVE, depth)
        simple = not isinstance(node.old, dict | list) and not isinstance(node.new, dict | list)
        if simple and not paired:
            text = f"{_head(node)}: {scalar_text(node.old)} -> {scalar_text(node.new)}"
            return [DiffLine(op=Op.CHANGE, depth=depth, text=text)]
        return _value_lines(_head(node), node.old, Op.REMOVE, depth) + _value_lines(
            _head(node), node.new, Op.ADD, depth
        )
    out = [DiffLine(op=node.op, depth=depth, text=_head(node) + ":")]
    for child in node.children:
        out += node_lines(child, depth + 1, paired=paired)
    if node.unchanged:
        out.append(DiffLine(op=Op.NOTE, depth=depth + 1, text=f"({node.unchanged} unchanged)"))
    return out


def change_lines(change: Change, *, paired: bool = False) -> list[DiffLine]:
    """Every line of *change*'s diff, the top-level unchanged count last."""
    out: list[DiffLine] = []
    for node in build_tree(change):
        out += node_lines(node, paired=paired)
    top = change.unchanged.get("", 0)
    if top:
        out.append(DiffLine(op=Op.NOTE, depth=0, text=f"({top} unchanged)"))
    return out


def _split(text: str, room: int) -> tuple[str, str]:
    """The first piece of *text* that fits *room*: at a space when there is one."""
    if len(text) <= room:
        return text, ""
    cut = text.rfind(" ", 0, room + 1)
    if cut < room // 2:  # no space, or only early on: a hard cut wastes less of the line
        return text[:room], text[room:]
    return text[:cut], text[cut + 1 :]


def layout(lines: list[DiffLine], width: int, *, symbol_first: bool) -> list[str]:
    """Lines as strings no wider than *width*, long ones wrapped under their text.

    *symbol_first* puts ``+``/``-`` in column 0 (what GitHub colours in a ``diff`` block);
    otherwise the symbol sits at the line's indentation, Terraform style.
    """
    out: list[str] = []
    for line in lines:
        indent = "    " * line.depth
        symbol = line.op.value
        if symbol_first:
            # a block that holds changes is context in a diff block: only +/- lines colour
            symbol = " " if line.op == Op.CHANGE else symbol
            lead, cont = f"{symbol} {indent}", f"{symbol} {indent}"
        else:
            lead, cont = f"{indent}{symbol} ", f"{indent}  "
        own = len(line.text) - len(line.text.lstrip(" "))
        cont += " " * (own + 4)
        first, rest = _split(line.text, max(20, width - len(lead)))
        out.append((lead + first).rstrip())
        room = max(20, width - len(cont))
        while rest:
            piece, rest = _split(rest.lstrip(" "), room)
            out.append(cont + piece)
    return out


def yaml_lines(source: str) -> list[DiffLine]:
    """A new offer's own file, as ``+`` lines (comments and the schema line left out)."""
    out: list[DiffLine] = []
    for raw in source.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        # the file's own indentation is kept as it is (depth 0)
        out.append(DiffLine(op=Op.ADD, depth=0, text=visible(raw.rstrip())))
    return out


def view_data(change: Change) -> list[dict[str, object]]:
    """The tree as plain JSON data (for ``plan --format json``)."""
    return [node.model_dump(mode="json", exclude_defaults=True) for node in build_tree(change)]
