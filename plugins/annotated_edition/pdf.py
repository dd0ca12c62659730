"""The print edition: the book (:mod:`.print_book`) laid out by WeasyPrint as a PDF.

WeasyPrint is imported only when the PDF is made (the ``pdf`` extra).
Nothing is fetched from the network: the URL fetcher serves files under the
site and ``data:`` URLs, and refuses the rest.  Nothing here imports MkDocs.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .print_book import ENDNOTE_OVER, PrintEdition, PrintEntry, PrintPage, book_html

__all__ = ["ENDNOTE_OVER", "PdfUnavailable", "PrintEdition", "PrintEntry", "PrintPage", "PrintResult", "book_html",
           "placeholder_pdf", "require_weasyprint", "stylesheet", "write_pdf"]

INSTALL_HINT = ("pip install 'annotated-edition[pdf]' (WeasyPrint), and the Pango libraries "
                "(Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)")

@dataclass
class PrintResult:
    """What making the PDF found: its number of pages, what it refused to fetch, WeasyPrint's messages."""

    pages: int
    refused: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango libraries it loads) is missing."""


def require_weasyprint() -> None:
    """Import WeasyPrint now, so that a build that needs it fails before building anything."""
    try:
        import weasyprint  # noqa: F401
        from weasyprint.urls import URLFetcher  # noqa: F401  (WeasyPrint 68 and later)
    except (ImportError, OSError) as error:  # OSError: WeasyPrint is there, Pango is not
        raise PdfUnavailable(f"the print edition (`pdf: true`) needs WeasyPrint 68 or later: {INSTALL_HINT}. "
                             f"({type(error).__name__}: {error})") from error


def stylesheet() -> str:
    """The print edition's stylesheet (a package asset)."""
    return resources.files("annotated_edition").joinpath("assets", "print-edition.css").read_text(encoding="utf-8")


# -- the PDF ----------------------------------------------------------------------------

def _local_fetcher(root: Path, refused: list[str]) -> object:
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and files under ``root``, and refuses the rest."""
    from weasyprint.urls import URLFetcher

    top = root.resolve()

    class LocalFetcher(URLFetcher):
        def fetch(self, url: str, headers: object = None) -> object:
            parts = urlsplit(url)
            if parts.scheme.lower() == "data" or (
                    parts.scheme.lower() == "file" and Path(unquote(parts.path)).resolve().is_relative_to(top)):
                return super().fetch(url, headers)
            refused.append(url)
            raise ValueError(f"the print edition is made without network or outside files: {url} refused")

    return LocalFetcher(timeout=1, allow_redirects=False)


def write_pdf(edition: PrintEdition, target: Path, site_dir: Path) -> PrintResult:
    """Lay the book out and write it to ``target``; ``site_dir`` holds the files its pages show (images).

    The PDF is tagged (its structure readable by assistive technology) and
    its fonts are the machine's own, found through fontconfig and embedded.
    """
    require_weasyprint()
    import weasyprint

    refused: list[str] = []
    fetcher = _local_fetcher(site_dir, refused)
    base_url = site_dir.resolve().as_uri() + "/"
    logger, collect = logging.getLogger("weasyprint"), logging.handlers.BufferingHandler(capacity=1 << 30)
    collect.setLevel(logging.WARNING)
    propagate, logger.propagate = logger.propagate, False  # its messages go to the build's log, not to stderr
    logger.addHandler(collect)
    try:
        document = weasyprint.HTML(string=book_html(edition), base_url=base_url, url_fetcher=fetcher)
        rendered = document.render(stylesheets=[weasyprint.CSS(string=stylesheet(), url_fetcher=fetcher)])
        target.parent.mkdir(parents=True, exist_ok=True)
        rendered.write_pdf(target, pdf_tags=True)
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate
    return PrintResult(len(rendered.pages), refused, [record.getMessage() for record in collect.buffer])


def placeholder_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF that says ``lines`` (ASCII), written by hand, for builds that skip the print edition.

    The site's links to the PDF stay valid (MkDocs checks them), and a reader
    who opens it learns why it says so little.
    """
    text = "".join(f"({line.replace(chr(92), '/').replace('(', '[').replace(')', ']')}) Tj T* " for line in lines)
    stream = f"BT /F1 11 Tf 14 TL 56 780 Td {text}ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
               b"/Contents 5 0 R >>", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return bytes(out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
