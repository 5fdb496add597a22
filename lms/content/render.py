"""Markdown → sanitised HTML with heading anchors and a table of contents, cached by content hash."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

_CACHE_SIZE = 256
_cache: OrderedDict[str, Rendered] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: tuple[Heading, ...]


def slugify(text: str) -> str:
    text = re.sub(r"[^\w\s-]", "", text.strip().lower(), flags=re.UNICODE)
    return re.sub(r"[\s_]+", "-", text).strip("-") or "section"


def section_anchor(text: str) -> str:
    """The anchor of a heading, so quiz explanations can link to their section."""
    return slugify(text)


_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
    .use(anchors_plugin, min_level=2, max_level=3, slug_func=slugify, permalink=False)
)

_ALLOWED_TAGS = {
    "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "strong", "em", "del", "blockquote", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "a",
}
_ALLOWED_ATTRS = {
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "a": {"href", "title"}, "th": {"class"}, "td": {"class"},
    "ol": {"start"},
}


_ALIGN = re.compile(r"text-align:\s*(left|center|right)")


def _alignment_as_class(tokens) -> None:
    """Table cell alignment (`|:--|--:|`) as a class: the CSP allows no inline style attributes."""
    for tok in tokens:
        if tok.type in ("th_open", "td_open") and "style" in (tok.attrs or {}):
            m = _ALIGN.search(str(tok.attrs.pop("style")))
            if m:
                tok.attrs["class"] = f"align-{m.group(1)}"


def _render_uncached(source: str) -> Rendered:
    tokens = _md.parse(source)
    toc = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag in ("h2", "h3"):
            inline = tokens[i + 1]
            toc.append(Heading(int(tok.tag[1]), inline.content, tok.attrs.get("id", "")))
    _alignment_as_class(tokens)
    raw = _md.renderer.render(tokens, _md.options, {})
    html = nh3.clean(
        raw,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Rendered(html=html, toc=tuple(toc))


def render_markdown(source: str) -> Rendered:
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    rendered = _render_uncached(source)
    with _lock:
        _cache[key] = rendered
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return rendered
