"""A page's HTML as a small tree for tests, with CSS-like selection (standard library only).

    tree = parse(response.text)
    tree.select('section.clock[data-metric="resolution"] .warning-mark')
    tree.by_id("events").text_content()

Selectors: compound parts of a tag, `#id`, `.class`, `[attr]` and `[attr="value"]`,
joined by spaces (descendants). Enough for our own templates, which close their tags.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["Node", "parse"]

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_PART = re.compile(r"([a-zA-Z][\w-]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:=\"([^\"]*)\")?\]")


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text_content(self) -> str:
        return "".join(c if isinstance(c, str) else c.text_content() for c in self.children)

    def descendants(self) -> list[Node]:
        out: list[Node] = []
        for c in self.children:
            if isinstance(c, Node):
                out.append(c)
                out.extend(c.descendants())
        return out

    def _matches(self, compound: str) -> bool:
        pos = 0
        for m in _PART.finditer(compound):
            if m.start() != pos:
                raise ValueError(f"unsupported selector {compound!r}")
            pos = m.end()
            tag, ident, cls, attr, value = m.groups()
            if tag and self.tag != tag.lower():
                return False
            if ident and self.attrs.get("id") != ident:
                return False
            if cls and cls not in self.classes:
                return False
            if attr and (
                attr not in self.attrs or (value is not None and self.attrs[attr] != value)
            ):
                return False
        if pos != len(compound):
            raise ValueError(f"unsupported selector {compound!r}")
        return True

    def select(self, selector: str) -> list[Node]:
        found: list[Node] = [self]
        for compound in selector.split():
            seen: dict[int, Node] = {}
            for root in found:
                for d in root.descendants():
                    if d._matches(compound):
                        seen.setdefault(id(d), d)
            found = list(seen.values())
        order = {id(n): i for i, n in enumerate(self.descendants())}
        return sorted(found, key=lambda n: order[id(n)])

    def by_id(self, ident: str) -> Node:
        found = self.select(f"#{ident}")
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(text: str) -> Node:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root
