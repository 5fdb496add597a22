"""The certificate's QR code: the verification URL as vector rectangles in the PDF page stream.

segno encodes (error correction M, best mask); a WeasyPrint write_pdf finisher draws one filled
rectangle per run of dark modules into the box the layout left for it (.qr in certificate.css,
its corners given by two anchors). WeasyPrint's SVG path parser spent several ms a page on the
same code as an SVG <img>.
"""

from __future__ import annotations

from collections.abc import Sequence

import segno

QR_COLOR = (0x1F / 255, 0x1F / 255, 0x1F / 255)  # #1f1f1f


def qr_runs(url: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code (error correction M) as its size in modules and its dark runs (row, column, length)."""
    qr = segno.make(url, error="m", micro=False)
    runs = []
    for y, row in enumerate(qr.matrix):
        x, n = 0, len(row)
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return len(qr.matrix), runs


def qr_ops(url: str, left: float, top: float, right: float, bottom: float) -> bytes:
    """PDF drawing operators for a vector QR code filling the box (CSS px, page top-left origin,
    in the page stream's flipped coordinates): one filled rectangle per run of dark modules."""
    size, runs = qr_runs(url)
    unit_x, unit_y = (right - left) / size, (bottom - top) / size
    rects = " re\n".join(
        f"{left + x * unit_x:.3f} {top + y * unit_y:.3f} {n * unit_x:.3f} {unit_y:.3f}" for y, x, n in runs
    )
    r, g, b = QR_COLOR
    return f"q\n0.75 0 0 0.75 0 0 cm\n{r:.4f} {g:.4f} {b:.4f} rg\n{rects} re\nf\nQ".encode()


def qr_finisher(urls: Sequence[str]):
    """A write_pdf finisher drawing page n's QR code (urls[n-1]) between anchors qr{n}a and qr{n}b."""

    def finisher(document, pdf) -> None:
        kids = pdf.pages["Kids"][::3]  # [number, 0, "R", …]
        if len(kids) != len(urls) or len(document.pages) != len(urls):
            raise RuntimeError(f"certificate layout: {len(document.pages)} pages for {len(urls)} certificates")
        for n, (url, page, number) in enumerate(zip(urls, document.pages, kids, strict=True), start=1):
            # An anchor is (x, y) in older WeasyPrint, (x1, y1, x2, y2) in recent ones: use its top-left.
            (left, top), (right, bottom) = page.anchors[f"qr{n}a"][:2], page.anchors[f"qr{n}b"][:2]
            contents = pdf.objects[int(pdf.objects[number]["Contents"].split()[0])]
            contents.stream.append(qr_ops(url, left, top, right, bottom))

    return finisher
