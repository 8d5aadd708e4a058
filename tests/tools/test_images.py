"""Cover art against Apple's rules: each bad image gets one clear ArtError
line naming the file and the rule; fixable images come out compliant,
deterministic, and under a content-hashed name."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from pipeline.tools.images import ArtInfo, art_set, check_art, prepare_art, tag_cover
from pipeline.errors import ArtError


def draw(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A cover with shapes and a gradient, so JPEG sizes are realistic."""
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    pen = ImageDraw.Draw(image)
    for i in range(0, width, max(1, width // 12)):
        pen.ellipse((i, i * height // width, i + width // 5, i * height // width + height // 5),
                    fill=(200, (i * 7) % 255, 60), outline=(0, 0, 0), width=6)
    pen.text((width // 10, height // 2), "castline", fill=(255, 255, 255))
    if mode == "RGBA":
        image = image.convert("RGBA")
        alpha = Image.new("L", size, 255)
        ImageDraw.Draw(alpha).rectangle((0, 0, width // 4, height // 4), fill=0)
        image.putalpha(alpha)
    elif mode != "RGB":
        image = image.convert(mode)
    return image


def save(image: Image.Image, path: Path, fmt: str | None = None, **options) -> Path:
    image.save(path, fmt, **options)
    return path


@pytest.fixture
def good_jpeg(tmp_path: Path) -> Path:
    return save(draw((1400, 1400)), tmp_path / "cover.jpg", quality=90)


# --- the errors: one line, the file, the rule ---------------------------------


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("wide.jpg", lambda p: save(draw((1600, 1200)), p),
         "{path}: is 1600x1200 px; Apple requires a square image; "
         "crop it to a square of 1400 to 3000 px"),
        ("small.png", lambda p: save(draw((1000, 1000)), p),
         "{path}: is 1000x1000 px; Apple requires at least 1400x1400 px; "
         "use a larger original (1400 to 3000 px square)"),
        ("print.jpg", lambda p: save(draw((1400, 1400), "CMYK"), p),
         "{path}: uses the CMYK colour model; Apple requires RGB; "
         "export it as RGB (sRGB), e.g. JPEG from your image editor"),
        ("actually-png.jpg", lambda p: save(draw((1400, 1400)), p, "PNG"),
         "{path}: is a PNG file named .jpg; apps trust the extension; "
         "rename it to actually-png.png or save it as JPEG"),
        ("cover.gif", lambda p: save(draw((1400, 1400)).convert("P"), p, "GIF"),
         "{path}: is a GIF image; Apple accepts JPEG or PNG; save it as JPEG or PNG"),
        ("cover.webp", lambda p: save(draw((1400, 1400)), p, "JPEG"),
         "{path}: has the extension '.webp'; Apple accepts .jpg or .png; name it cover.jpg"),
        ("missing.jpg", lambda p: p,
         "{path}: art file not found; put the image there or correct the art path"),
    ],
)
def test_bad_art_gives_one_clear_line(tmp_path: Path, name: str, make, expected: str) -> None:
    path = make(tmp_path / name)
    with pytest.raises(ArtError) as err:
        check_art(path)
    assert str(err.value) == expected.format(path=path)
    assert "\n" not in str(err.value)


def test_truncated_jpeg_is_corrupt(tmp_path: Path, good_jpeg: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(good_jpeg.read_bytes()[:20_000])
    with pytest.raises(ArtError) as err:
        check_art(broken)
    message = str(err.value)
    assert message.startswith(f"{broken}: cannot be read: is corrupt or truncated (")
    assert message.endswith("; export the image again as JPEG or PNG")


def test_text_file_named_jpg_is_not_an_image(tmp_path: Path) -> None:
    fake = tmp_path / "cover.jpg"
    fake.write_text("not an image at all")
    with pytest.raises(ArtError, match=r"cover\.jpg: cannot be read: is not an image file; "):
        check_art(fake)


# --- compliant and fixable ---------------------------------------------------


def test_compliant_art_passes_unchanged(tmp_path: Path, good_jpeg: Path) -> None:
    info = check_art(good_jpeg)
    assert info == ArtInfo(good_jpeg, 1400, 1400, "JPEG", "image/jpeg", "RGB", ())
    prepared = prepare_art(good_jpeg, tmp_path / "public")
    sha = hashlib.sha256(good_jpeg.read_bytes()).hexdigest()
    assert prepared.name == f"cover-{sha[:12]}.jpg"
    assert prepared.sha256 == sha
    assert prepared.path.read_bytes() == good_jpeg.read_bytes()  # copied as-is
    assert (prepared.width, prepared.height, prepared.mime) == (1400, 1400, "image/jpeg")


def test_large_square_is_scaled_down_to_3000(tmp_path: Path) -> None:
    big = save(draw((3600, 3600)), tmp_path / "Big Cover.jpg", quality=90)
    assert check_art(big).fixes == ("scaled down from 3600 to 3000 px",)
    prepared = prepare_art(big, tmp_path / "public")
    with Image.open(prepared.path) as out:
        assert (out.format, out.size, out.mode) == ("JPEG", (3000, 3000), "RGB")
    assert prepared.name == f"big-cover-{hashlib.sha256(prepared.path.read_bytes()).hexdigest()[:12]}.jpg"
    check_art(prepared.path)  # the published file itself meets the rules


def test_transparent_png_is_flattened_onto_white(tmp_path: Path) -> None:
    png = save(draw((1500, 1500), "RGBA"), tmp_path / "logo.png")
    assert check_art(png).fixes == ("transparency flattened onto white", "converted from RGBA to RGB")
    prepared = prepare_art(png, tmp_path / "public")
    with Image.open(prepared.path) as out:
        assert (out.format, out.mode, out.size) == ("PNG", "RGB", (1500, 1500))
        assert out.getpixel((10, 10)) == (255, 255, 255)  # was fully transparent
    assert prepared.mime == "image/png" and prepared.name.endswith(".png")


def test_palette_and_grey_images_become_rgb(tmp_path: Path) -> None:
    for mode in ("P", "L"):
        path = save(draw((1400, 1400), mode), tmp_path / f"{mode}.png")
        prepared = prepare_art(path, tmp_path / "public")
        with Image.open(prepared.path) as out:
            assert out.mode == "RGB"


def test_prepared_art_is_deterministic_and_changes_name_with_content(tmp_path: Path) -> None:
    png = save(draw((1500, 1500), "RGBA"), tmp_path / "cover.png")
    first = prepare_art(png, tmp_path / "a")
    second = prepare_art(png, tmp_path / "b")
    assert first.name == second.name
    assert first.path.read_bytes() == second.path.read_bytes()
    changed = draw((1500, 1500), "RGBA")
    ImageDraw.Draw(changed).rectangle((700, 700, 800, 800), fill=(0, 255, 0, 255))
    save(changed, png)
    assert prepare_art(png, tmp_path / "a").name != first.name


def test_tag_cover_is_a_compact_1400px_jpeg(tmp_path: Path) -> None:
    big = save(draw((3000, 3000), "RGBA"), tmp_path / "cover.png")
    data, mime = tag_cover(big)
    assert mime == "image/jpeg"
    assert len(data) <= 300_000
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size, image.mode) == ("JPEG", (1400, 1400), "RGB")
    assert tag_cover(big) == (data, mime)  # deterministic


def test_tag_cover_of_noisy_art_still_fits(tmp_path: Path) -> None:
    noise = Image.effect_noise((1400, 1400), 120).convert("RGB")
    noisy = save(Image.merge("RGB", [noise.getchannel(0), noise.getchannel(0).rotate(90),
                                     noise.getchannel(0).rotate(180)]), tmp_path / "noise.png")
    data, _ = tag_cover(noisy)
    assert len(data) <= 300_000
    with Image.open(io.BytesIO(data)) as image:
        assert image.width == image.height >= 600


def test_tag_cover_refuses_bad_art(tmp_path: Path) -> None:
    wide = save(draw((1600, 1200)), tmp_path / "wide.jpg")
    with pytest.raises(ArtError, match="1600x1200 px"):
        tag_cover(wide)


def test_tag_cover_embeds_a_small_1400px_jpeg_as_is(good_jpeg: Path) -> None:
    assert len(good_jpeg.read_bytes()) <= 300_000
    assert tag_cover(good_jpeg) == (good_jpeg.read_bytes(), "image/jpeg")
    assert tag_cover(str(good_jpeg))[0] == good_jpeg.read_bytes()  # str paths too


def test_art_set_lists_the_original_smaller_squares_and_a_social_card(tmp_path: Path) -> None:
    source = save(draw((3000, 3000)), tmp_path / "Show Cover.png")
    images = art_set(source, tmp_path / "out")
    assert [(i.width, i.height, i.purpose, i.original) for i in images] == [
        (3000, 3000, "artwork", True), (1400, 1400, "artwork", False), (600, 600, "artwork", False),
        (1200, 630, "social", False)]
    assert images[0].name == prepare_art(source, tmp_path / "again").name  # the published art itself
    for image in images[1:]:
        data = image.path.read_bytes()
        assert image.name == f"{image.name.rsplit('-', 1)[0]}-{hashlib.sha256(data).hexdigest()[:12]}.jpg"
        with Image.open(io.BytesIO(data)) as opened:
            assert (opened.format, opened.mode, opened.size) == ("JPEG", "RGB", (image.width, image.height))
    assert [i.name.rsplit("-", 1)[0] for i in images[1:]] == ["show-cover-1400", "show-cover-600",
                                                             "show-cover-social"]
    assert images[-1].aspect_ratio == "1200/630" and images[1].aspect_ratio == "1/1"


def test_social_card_shows_the_whole_square_art_in_the_middle(tmp_path: Path) -> None:
    red = save(Image.new("RGB", (1400, 1400), (220, 20, 20)), tmp_path / "red.jpg", quality=95)
    (original, small, social) = art_set(red, tmp_path / "out")
    assert (original.width, small.width) == (1400, 600)  # no 1400 copy of a 1400 original
    with Image.open(social.path) as card:
        middle = card.getpixel((600, 315))
        side = card.getpixel((30, 315))
    assert middle[0] > 200 and middle[1] < 50  # the art itself, undimmed
    assert side[0] < middle[0] - 50  # the widened sides are darkened


def test_art_set_is_deterministic_and_remembered(tmp_path: Path) -> None:
    source = save(draw((1600, 1600)), tmp_path / "cover.jpg", quality=90)
    first = art_set(source, tmp_path / "a")
    second = art_set(source, tmp_path / "b")
    assert [i.name for i in first] == [i.name for i in second]
    assert [i.path.read_bytes() for i in first] == [i.path.read_bytes() for i in second]
    for image in first:
        image.path.chmod(0o444)
    assert art_set(source, tmp_path / "a") == first  # from its index: no image opened
    save(draw((1600, 1600)).rotate(90), source, quality=90)
    changed = art_set(source, tmp_path / "a")
    assert {i.name for i in changed}.isdisjoint({i.name for i in first})
