"""Renders a run report as one static HTML file: no server, no scripts, no external assets.

Figures are inlined as base64 PNG data URIs, so the page can be mailed or opened from anywhere; every value
passes through `html.escape`.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.88em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}
td.k,th.k{text-align:left}figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.note{color:#8a4b00}nav a{margin-right:1em}code{background:#f6f6f6}
"""


@dataclass
class Figure:
    path: Path
    caption: str


@dataclass
class Section:
    title: str
    anchor: str
    blocks: list[str] = field(default_factory=list)  # already-rendered HTML fragments


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def fmt(value) -> str:
    """Numbers to 4 decimals, integers as they are, everything else as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value) if value is not None else ""


def table(header: Sequence[str], rows: Iterable[Sequence], caption: str = "", key_columns: int = 1) -> str:
    """An HTML table; the first `key_columns` columns are left-aligned labels."""

    def cell(tag, i, value):
        cls = ' class="k"' if i < key_columns else ""
        return f"<{tag}{cls}>{esc(fmt(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def paragraph(text: str, note: bool = False) -> str:
    cls = ' class="note"' if note else ""
    return f"<p{cls}>{_inline_code(text)}</p>"


def bullet_list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{_inline_code(i)}</li>" for i in items) + "</ul>"


def _inline_code(text: str) -> str:
    """Escapes text and turns `backticked` spans into <code>."""
    parts = esc(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def figure(fig: Figure) -> str:
    """An <img> with the PNG inlined as a data URI (the file stays in plots/ too)."""
    data = base64.b64encode(Path(fig.path).read_bytes()).decode("ascii")
    alt = esc(fig.caption)
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{alt}">'
            f"<figcaption>{alt}</figcaption></figure>")


def heading(level: int, text: str) -> str:
    return f"<h{level}>{esc(text)}</h{level}>"


def render_page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    nav = "".join(f'<a href="#{esc(s.anchor)}">{esc(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>{"".join(s.blocks)}</section>' for s in sections
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{esc(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{esc(title)}</h1><p>{esc(subtitle)}</p><nav>{nav}</nav>"
        f"{body}</body></html>\n"
    )
