"""Real small files for upload tests, and the hostile ones: a pixel bomb small on disk, a forged PDF."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from functools import lru_cache

from PIL import Image

from demo.engine.joint_story import pdf_document


def png_bytes(size=(16, 12), color=(200, 22, 29)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=4)
def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A complete, valid 1-bit PNG of ``width`` × ``height`` white pixels: about 50 KB on disk, 400 megapixels."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte, then the packed pixels
    compressor = zlib.compressobj(9)
    block = row * 500
    idat = b"".join(compressor.compress(block) for _ in range(height // 500))
    idat += compressor.compress(row * (height % 500)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def pdf_bytes(pages: int = 1) -> bytes:
    """A minimal, valid PDF with ``pages`` empty A4 pages and a correct cross-reference table."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>"]
    objects += ["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    return pdf_document(objects)


# Starts like a PDF (so the magic bytes pass) but has no document structure at all.
FORGED_PDF = b"%PDF-1.4\nThis is a text file renamed to .pdf, not a document.\n" * 4


def docx_bytes(*, main_part: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/_rels/document.xml.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(main_part, '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()
