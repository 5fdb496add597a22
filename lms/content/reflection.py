"""The 思考题 of a lesson, read from its Markdown body: the items of the list under "## 思考题".

Pure (no database, no Flask). The one reading of the section: the workload estimate counts these
items and 学习心得 (lms.notes) answers them. Parsed from the body the member reads, so the questions
answered are always the ones on the page; the parse is cached by body.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt

HEADING = "思考题"

_md = MarkdownIt("commonmark")


def _plain(inline) -> str:
    """An inline token's text without Markdown markup (emphasis, code, links kept as their text)."""
    out = []
    for child in inline.children or ():
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("")
    return "".join(out).strip()


@lru_cache(maxsize=256)
def reflection_prompts(body_md: str) -> tuple[str, ...]:
    """The texts of the top-level list items in the body's level-2 "思考题" section, in order."""
    tokens = _md.parse(body_md or "")
    prompts: list[str] = []
    inside = False
    depth = 0  # list nesting inside the section
    item: list[str] | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag in ("h1", "h2"):
            inside = tokens[i + 1].content.strip() == HEADING and tok.tag == "h2"
            continue
        if not inside:
            continue
        if tok.type in ("ordered_list_open", "bullet_list_open"):
            depth += 1
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            depth -= 1
        elif tok.type == "list_item_open" and depth == 1:
            item = []
        elif tok.type == "list_item_close" and depth == 1 and item is not None:
            text = "".join(item).strip()
            if text:
                prompts.append(text)
            item = None
        elif tok.type == "inline" and item is not None and depth == 1:
            item.append(_plain(tok))
    return tuple(prompts)
