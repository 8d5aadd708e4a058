"""Cover art: checked against Apple's rules, fixed where no guess is needed.

Apple Podcasts (and the apps that follow it) require show and episode art
to be a square JPEG or PNG of 1400 to 3000 px, in the RGB colour model,
without transparency, and of the type its extension says. castline checks
every rule and sorts what it finds into two kinds:

* **fixed without guessing**: a square image larger than 3000 px is scaled
  down to 3000; transparency is flattened onto white; palette and greyscale
  images become RGB; an EXIF rotation is applied to the pixels.
* **errors**, because any fix would be a guess about what the host wants:
  not square (where to crop?), smaller than 1400 px (upscaling blurs),
  CMYK or another colour model (the colours would shift), a type that does
  not match its extension (which one is right?), an unreadable file.

Published art gets a content-hashed name (``cover-3f2a9c01b4de.jpg``):
apps cache art by URL, so a changed cover must be a new URL (Apple's rule).
Everything here is deterministic: the same input gives the same bytes and
the same name on every run and every machine.

``art_set`` makes the sizes the feed lists as ``podcast:image``: the art as
published, smaller squares for app lists and watches, and a 1200x630
"social" image (the landscape card Open Graph and the namespace's
``social`` purpose ask for) that shows the square art whole, centred on a
blurred, darkened widening of itself, so nothing is cropped away.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter, ImageOps, UnidentifiedImageError

from pipeline.errors import ArtError

MIN_PX = 1400
MAX_PX = 3000
TAG_COVER_PX = 1400  # embedded cover: the smallest size Apple accepts
TAG_COVER_MAX_BYTES = 300_000
_MIMES = {"JPEG": "image/jpeg", "PNG": "image/png"}
_EXTENSIONS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
_FIXABLE_MODES = {"RGBA", "LA", "P", "PA", "L", "1", "RGBa", "La"}  # become RGB exactly
_ORIENTATION = 0x0112  # EXIF tag
SQUARE_SIZES = (1400, 600)  # smaller artwork beside the published original (when it is larger)
SOCIAL_SIZE = (1200, 630)  # Open Graph / podcast:image purpose="social"
ART_SET_VERSION = 1  # bump when the set's pixels change: every size gets a new name
# Quality / size steps for the embedded cover, tried in order until it fits.
_TAG_COVER_STEPS = ((1400, 85), (1400, 75), (1400, 65), (1000, 75), (800, 70), (600, 70))


@dataclass(frozen=True)
class ArtInfo:
    """An image that meets Apple's rules, or will once ``fixes`` are made.

    ``format`` is the real type ("JPEG" or "PNG") read from the bytes,
    ``mode`` Pillow's colour mode ("RGB", "RGBA", ...).
    """

    path: Path
    width: int
    height: int
    format: str
    mime: str
    mode: str
    fixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreparedArt:
    """The art as published beside the feed and pages, under its content
    hash: ``name`` changes exactly when the bytes change."""

    path: Path
    name: str
    sha256: str
    width: int
    height: int
    mime: str


def check_art(path: Path) -> ArtInfo:
    """Check ``path`` against Apple's art rules; raise ArtError naming the
    file and the rule broken, or return what it is and what will be fixed."""
    path = Path(path)
    with _open(path) as image:
        fmt, mode = image.format, image.mode
        width, height = image.size
        has_alpha = "transparency" in image.info
        orientation = image.getexif().get(_ORIENTATION, 1)
    if fmt not in _MIMES:
        raise ArtError(f"is a {fmt} image; Apple accepts JPEG or PNG", path=path,
                       fix="save it as JPEG or PNG")
    expected = _EXTENSIONS.get(path.suffix.lower())
    if expected is None:
        raise ArtError(f"has the extension {path.suffix or '(none)'!r}; Apple accepts .jpg or .png",
                       path=path, fix=f"name it {path.stem}{'.jpg' if fmt == 'JPEG' else '.png'}")
    if expected != fmt:
        real_ext = ".jpg" if fmt == "JPEG" else ".png"
        raise ArtError(
            f"is a {fmt} file named {path.suffix}; apps trust the extension", path=path,
            fix=f"rename it to {path.stem}{real_ext} or save it as {expected}")
    if mode != "RGB" and mode not in _FIXABLE_MODES:
        raise ArtError(f"uses the {mode} colour model; Apple requires RGB", path=path,
                       fix="export it as RGB (sRGB), e.g. JPEG from your image editor")
    if width != height:
        raise ArtError(f"is {width}x{height} px; Apple requires a square image", path=path,
                       fix=f"crop it to a square of {MIN_PX} to {MAX_PX} px")
    if width < MIN_PX:
        raise ArtError(f"is {width}x{height} px; Apple requires at least {MIN_PX}x{MIN_PX} px",
                       path=path, fix=f"use a larger original ({MIN_PX} to {MAX_PX} px square)")
    fixes = []
    if width > MAX_PX:
        fixes.append(f"scaled down from {width} to {MAX_PX} px")
    if _alpha(mode, has_alpha):
        fixes.append("transparency flattened onto white")
    if mode != "RGB":
        fixes.append(f"converted from {mode} to RGB")
    if orientation not in (0, 1):
        fixes.append("rotated as its EXIF orientation says")
    return ArtInfo(path, width, height, fmt, _MIMES[fmt], mode, tuple(fixes))


def prepare_art(path: Path, out_dir: Path) -> PreparedArt:
    """Write the published version of the art into ``out_dir`` under a
    content-hashed name: the file itself when it already meets the rules,
    otherwise the fixed image in the same format."""
    info = check_art(path)
    if info.fixes:
        with _open(path) as image:
            fixed = _fixed_rgb(image, MAX_PX)
        data = _encode(fixed, info.format, quality=90)
        width = height = fixed.width
    else:
        data = Path(path).read_bytes()
        width, height = info.width, info.height
    sha = hashlib.sha256(data).hexdigest()
    stem = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-") or "cover"
    name = f"{stem}-{sha[:12]}{'.jpg' if info.format == 'JPEG' else '.png'}"
    target = Path(out_dir) / name
    _write_once(target, data)
    return PreparedArt(target, name, sha, width, height, info.mime)


def tag_cover(path: Path) -> tuple[bytes, str]:
    """A compact JPEG of the art to embed in the episode file (ID3 APIC, MP4
    covr, Vorbis picture): 1400 px at quality 85 when that fits in
    ~300 KB, smaller steps otherwise, since the cover is downloaded with
    every episode. A compliant 1400 px JPEG that small is embedded as is."""
    info = check_art(path)
    original = Path(path).read_bytes()
    if (info.format, info.width, info.fixes) == ("JPEG", TAG_COVER_PX, ()) and (
        len(original) <= TAG_COVER_MAX_BYTES
    ):
        return original, "image/jpeg"  # already right: no second generation loss
    with _open(path) as image:
        rgb = _fixed_rgb(image, TAG_COVER_PX)
    data = b""
    for size, quality in _TAG_COVER_STEPS:
        step = rgb if size == rgb.width else rgb.resize((size, size), Image.Resampling.LANCZOS)
        data = _encode(step, "JPEG", quality=quality)
        if len(data) <= TAG_COVER_MAX_BYTES:
            break
    return data, "image/jpeg"


def _open(path: Path) -> Image.Image:
    """Open and fully decode the image, so a truncated file fails here."""
    path = Path(path)
    if not path.is_file():
        raise ArtError("art file not found", path=path,
                       fix="put the image there or correct the art path")
    try:
        image = Image.open(path)
        image.load()
    except Image.DecompressionBombError as exc:
        raise ArtError("is too large to open safely", path=path,
                       fix=f"scale it to {MAX_PX}x{MAX_PX} px") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = "is not an image file" if isinstance(exc, UnidentifiedImageError) else (
            f"is corrupt or truncated ({exc})")
        raise ArtError(f"cannot be read: {reason}", path=path,
                       fix="export the image again as JPEG or PNG") from exc
    return image


def _alpha(mode: str, has_transparency: bool) -> bool:
    return has_transparency or mode in ("RGBA", "LA", "PA", "RGBa", "La")


def _fixed_rgb(image: Image.Image, max_px: int) -> Image.Image:
    """Upright, opaque RGB of at most ``max_px`` square: transparency is
    composited onto white, the usual background behind a podcast cover."""
    image = ImageOps.exif_transpose(image)
    if _alpha(image.mode, "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    image = image.convert("RGB")
    if image.width > max_px:
        image = image.resize((max_px, max_px), Image.Resampling.LANCZOS)
    return image


def _encode(image: Image.Image, fmt: str, *, quality: int) -> bytes:
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=False, **extra)
    else:
        image.save(out, "PNG", optimize=True, **extra)
    return out.getvalue()


def _write_once(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically; same name means same bytes,
    so an existing file is left alone."""
    if target.is_file() and target.stat().st_size == len(data):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


@dataclass(frozen=True)
class ArtImage:
    """One published image of an art set: ``purpose`` is "artwork" (square)
    or "social" (1200x630); ``original`` marks the published art itself
    (``prepare_art``'s file, already uploaded as the show or episode art)."""

    path: Path
    name: str
    sha256: str
    width: int
    height: int
    mime: str
    purpose: str
    original: bool = False

    @property
    def aspect_ratio(self) -> str:
        return "1/1" if self.width == self.height else f"{self.width}/{self.height}"


def art_set(path: Path, out_dir: Path) -> tuple[ArtImage, ...]:
    """The published sizes of the art at ``path``, largest square first:
    the art as ``prepare_art`` publishes it, a JPEG square at each of
    ``SQUARE_SIZES`` below its size, and the social image. Files go to
    ``out_dir`` under content-hashed names; the set is remembered by the
    source file's size and modification time, so a publish that finds it
    made already opens no image."""
    path = Path(path)
    if not path.is_file():
        _open(path)  # raises the ArtError that names the missing file
    stat = path.stat()
    key = hashlib.sha256(f"{ART_SET_VERSION}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    index = Path(out_dir) / f"set-{key.hexdigest()[:20]}.json"
    cached = _read_set(index, Path(out_dir))
    if cached is not None:
        return cached
    original = prepare_art(path, out_dir)
    stem = original.name.rsplit("-", 1)[0]
    images = [ArtImage(original.path, original.name, original.sha256, original.width, original.height,
                       original.mime, "artwork", True)]
    with _open(original.path) as image:
        rgb = _fixed_rgb(image, MAX_PX)
    for size in SQUARE_SIZES:
        if size < rgb.width:
            square = rgb.resize((size, size), Image.Resampling.LANCZOS)
            images.append(_publish(square, f"{stem}-{size}", out_dir, "artwork"))
    images.append(_publish(_social(rgb), f"{stem}-social", out_dir, "social"))
    _write_once(index, json.dumps([{**asdict(i), "path": i.path.name} for i in images], indent=1).encode())
    return tuple(images)


def _social(square: Image.Image) -> Image.Image:
    """The square art whole, centred on a 1200x630 card whose sides are the
    art itself widened, blurred and darkened (so the card keeps its colours)."""
    width, height = SOCIAL_SIZE
    wide = square.resize((width, width), Image.Resampling.LANCZOS)
    top = (width - height) // 2
    card = wide.crop((0, top, width, top + height)).filter(ImageFilter.GaussianBlur(radius=36))
    card = ImageEnhance.Brightness(card).enhance(0.6)
    front = square.resize((height, height), Image.Resampling.LANCZOS)
    card.paste(front, ((width - height) // 2, 0))
    return card


def _publish(image: Image.Image, stem: str, out_dir: Path, purpose: str) -> ArtImage:
    data = _encode(image, "JPEG", quality=85)
    sha = hashlib.sha256(data).hexdigest()
    name = f"{stem}-{sha[:12]}.jpg"
    target = Path(out_dir) / name
    _write_once(target, data)
    return ArtImage(target, name, sha, image.width, image.height, "image/jpeg", purpose)


def _read_set(index: Path, out_dir: Path) -> tuple[ArtImage, ...] | None:
    try:
        raw = json.loads(index.read_text())
        images = tuple(ArtImage(**{**entry, "path": out_dir / entry["path"]}) for entry in raw)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not all(i.path.is_file() and i.path.stat().st_size > 0 for i in images):
        return None
    return images
