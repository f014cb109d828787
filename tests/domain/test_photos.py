"""What a photo is, from its bytes: JPEG and PNG with their size, anything else refused."""

from gisapp.domain.photos import PhotoKind, sniff_photo
from tests.photo_bytes import tiny_jpeg, tiny_png


def test_png_is_recognised_with_its_size():
    assert sniff_photo(tiny_png(7, 5)) == PhotoKind("image/png", 7, 5)


def test_jpeg_is_recognised_with_its_size_from_the_frame_header():
    assert sniff_photo(tiny_jpeg(640, 480)) == PhotoKind("image/jpeg", 640, 480)


def test_a_jpeg_without_a_frame_header_has_no_size():
    assert sniff_photo(b"\xff\xd8\xff\xd9") == PhotoKind("image/jpeg", None, None)


def test_other_files_are_not_photos_whatever_they_claim():
    for data in (b"GIF89a\x01\x00\x01\x00", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"", b"\x89PN"):
        assert sniff_photo(data) is None
