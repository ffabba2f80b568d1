"""The upload checker opens every file as what it claims to be: images decoded within a pixel cap, PDFs parsed,
Office documents unzipped within caps. Real files made here; no mocks."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from portal.uploads import EVIDENCE, MAX_IMAGE_PIXELS, MB, OFFICE_MAX_UNPACKED, PDF_MAX_PAGES, check_upload
from tests.upload_files import FORGED_PDF, bomb_png, docx_bytes, pdf_bytes, png_bytes


def check(name: str, content: bytes, **kwargs):
    return check_upload(SimpleUploadedFile(name, content), allowed=EVIDENCE, max_bytes=10 * MB, **kwargs)


def refused(name: str, content: bytes, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        check(name, content, **kwargs)
    (error,) = caught.value.error_list
    return error.code


def test_a_20000_square_png_small_on_disk_is_refused_before_it_is_decoded():
    bomb = bomb_png()
    assert len(bomb) < 100_000
    assert refused("扫描件.png", bomb) == "pixels"


def test_an_image_just_over_the_cap_is_refused_and_one_under_it_is_accepted():
    # Below Pillow's own bomb threshold: only the portal's explicit cap refuses it.
    side = int(MAX_IMAGE_PIXELS**0.5) + 1
    assert refused("大图.png", bomb_png(side, side)) == "pixels"
    assert check("大图.png", bomb_png(side, side), max_pixels=side * side).content_type == "image/png"


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif")])
def test_a_truncated_image_is_refused_and_a_whole_one_accepted(fmt, mime):
    buffer = io.BytesIO()
    Image.linear_gradient("L").save(buffer, format=fmt)
    whole = buffer.getvalue()
    assert check("图.img", whole).content_type == mime
    assert refused("图.img", whole[: len(whole) // 2]) == "bad_image"


def test_a_pdf_must_parse_as_a_pdf():
    assert check("协议.pdf", pdf_bytes()).content_type == "application/pdf"
    assert refused("协议.pdf", FORGED_PDF) == "bad_pdf"
    assert refused("协议.pdf", pdf_bytes().replace(b"/Type /Page ", b"/Type /Nope ")) == "bad_pdf"


def test_an_encrypted_pdf_and_one_with_too_many_pages_are_refused():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert refused("加密.pdf", buffer.getvalue()) == "pdf_encrypted"
    assert check("厚.pdf", pdf_bytes(pages=PDF_MAX_PAGES)).content_type == "application/pdf"
    assert refused("厚.pdf", pdf_bytes(pages=PDF_MAX_PAGES + 1)) == "pdf_pages"


def test_an_office_document_must_be_a_sound_zip_with_its_main_part():
    assert check("方案.docx", docx_bytes()).extension == ".docx"
    assert refused("方案.docx", docx_bytes(main_part="word/other.xml")) == "bad_office"
    damaged = bytearray(docx_bytes())
    marker = damaged.index(b"word/document.xml") + len(b"word/document.xml")
    damaged[marker + 2] ^= 0xFF  # a byte of the compressed part: the CRC no longer matches
    assert refused("方案.docx", bytes(damaged)) == "bad_office"


def test_an_office_zip_that_would_unpack_past_the_cap_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        with archive.open("word/media/zeros.bin", "w") as part:
            for _ in range(OFFICE_MAX_UNPACKED // MB + 1):
                part.write(bytes(MB))
    assert len(buffer.getvalue()) < 1 * MB
    assert refused("炸弹.docx", buffer.getvalue()) == "bad_office"


def test_the_check_leaves_the_file_ready_to_be_saved():
    upload = SimpleUploadedFile("图.png", png_bytes())
    check_upload(upload, allowed=EVIDENCE, max_bytes=MB)
    assert upload.read() == png_bytes()
