"""Image inputs become (filename, bytes, content type) parts; scalars become text parts as the SDK sends."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai._qs import Querystring
from PIL import Image

from pytest_imagegen.client.uploads import form_fields, to_upload_files


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (16, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", size, (10, 20, 30)).save(out, fmt)
    return out.getvalue()


PNG = image_bytes()
JPEG = image_bytes("JPEG")
WEBP = image_bytes("WEBP")


def test_path_as_str_and_pathlike(tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    assert to_upload_files(str(path), name="image") == ("image", [("cat.png", PNG, "image/png")])
    assert to_upload_files(path, name="image") == ("image", [("cat.png", PNG, "image/png")])


def test_bytes_get_a_name_and_type_from_their_magic_number() -> None:
    assert to_upload_files(PNG, name="image") == ("image", [("image.png", PNG, "image/png")])
    assert to_upload_files(JPEG, name="mask") == ("mask", [("mask.jpg", JPEG, "image/jpeg")])
    assert to_upload_files(WEBP, name="image") == ("image", [("image.webp", WEBP, "image/webp")])


def test_unknown_bytes_go_out_as_octet_stream() -> None:
    assert to_upload_files(b"not an image", name="image") == (
        "image",
        [("upload", b"not an image", "application/octet-stream")],
    )


def test_file_objects_named_and_unnamed(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpeg"
    path.write_bytes(JPEG)
    with path.open("rb") as handle:
        assert to_upload_files(handle, name="image") == ("image", [("photo.jpeg", JPEG, "image/jpeg")])
    assert to_upload_files(io.BytesIO(PNG), name="image") == ("image", [("image.png", PNG, "image/png")])


def test_tuples_keep_their_filename_and_explicit_content_type() -> None:
    assert to_upload_files(("a.png", PNG), name="image") == ("image", [("a.png", PNG, "image/png")])
    # The caller's content type wins, even when it is wrong: the contract decides what to do about it.
    assert to_upload_files(("a.png", PNG, "image/webp"), name="image") == (
        "image",
        [("a.png", PNG, "image/webp")],
    )
    # A name with no useful extension falls back to the bytes' format.
    assert to_upload_files(("blob.bin", JPEG), name="image") == ("image", [("blob.bin", JPEG, "image/jpeg")])
    assert to_upload_files((None, io.BytesIO(WEBP), None), name="image") == (
        "image",
        [("image.webp", WEBP, "image/webp")],
    )


def test_a_list_is_image_brackets_with_every_kind_mixed(tmp_path: Path) -> None:
    path = tmp_path / "one.png"
    path.write_bytes(PNG)
    part, files = to_upload_files([path, JPEG, ("three.webp", WEBP)], name="image")
    assert part == "image[]"
    assert files == [
        ("one.png", PNG, "image/png"),
        ("image.jpg", JPEG, "image/jpeg"),
        ("three.webp", WEBP, "image/webp"),
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (42, "image: expected a path, bytes"),
        (("a.png",), "a file tuple is"),
        (("a.png", "a.png"), "not str"),
        (("a.png", PNG, 3), "content type is a str"),
        (io.StringIO("text"), "open it in binary mode"),
    ],
)
def test_wrong_python_types_are_type_errors(value: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        to_upload_files(value, name="image")


def test_an_empty_list_is_refused() -> None:
    with pytest.raises(ValueError, match="list of images is empty"):
        to_upload_files([], name="image")


def test_missing_path_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        to_upload_files(tmp_path / "nope.png", name="image")


def test_form_fields_encoding() -> None:
    assert form_fields(
        {"prompt": "p", "n": 2, "stream": True, "partial_images": 0, "user": None, "svg": {"model": "m"}}
    ) == [("prompt", "p"), ("n", "2"), ("stream", "true"), ("partial_images", "0"), ("svg[model]", "m")]


_scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=8))
_value = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text("abc", min_size=1, max_size=3), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(deadline=None)  # no timing in tests: a slow first example is not a failure
@given(params=st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=6), _value, max_size=5))
def test_form_fields_match_the_openai_sdk_multipart_encoding(params: dict[str, object]) -> None:
    # The SDK serialises multipart fields with its querystring helper in "brackets" array format.
    assert form_fields(params) == Querystring().stringify_items(params, array_format="brackets")  # type: ignore[arg-type]  # the SDK types this loosely
