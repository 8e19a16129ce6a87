"""HTML read back with the stdlib's html.parser into a tree, checked to close every element
where it opened: for the HTML report tests and the end-to-end tests of the real program."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements HTML closes without an end tag.
_VOID = {"meta", "link", "img", "br", "hr", "input"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    # Text and elements, in document order.
    content: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def all_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.all_text() for c in self.content)

    def find(self, tag: str, css_class: str | None = None) -> list[Element]:
        found = []
        for child in self.content:
            if isinstance(child, str):
                continue
            if child.tag == tag and (css_class is None or css_class in child.classes):
                found.append(child)
            found.extend(child.find(tag, css_class))
        return found


class _Tree(HTMLParser):
    """The element tree, checking that every element is closed where it was opened."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].content.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].content.append(data)


def parse(page: str) -> Element:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    assert tree.stack == [tree.root], "unclosed elements"
    return tree.root
