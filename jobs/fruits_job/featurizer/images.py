"""Decode one image file's bytes into a 224x224 RGB array, or say why it cannot be used.

The one decoder for the job (featurize) and classify alike, so a phone photo gives the
same pixels in both:
  - JPEGs are decoded at reduced scale (libjpeg draft: 1/2..1/8) when much larger than 224,
    BEFORE the pixel guard, so a 108-megapixel phone photo is cheap and accepted;
  - one pixel guard (--max-image-pixels) on the size actually decoded stops decompression
    bombs (PIL's own check is switched off so there is one limit and one message);
  - EXIF orientation is applied (portrait phone photos are stored sideways);
  - HEIC/HEIF (iPhone default) through pillow-heif.

Never raises for bad input (any Exception, not only the expected ones): every problem
becomes a short reason string that ends up in summary.json, so one broken file cannot
crash the job.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .. import IMAGE_SIZE
from ..errors import one_line

# Truncated files must fail loudly, not decode as half-grey images.
ImageFile.LOAD_TRUNCATED_IMAGES = False

try:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pillow-heif is pinned in requirements.txt; without it HEIC files fail per file
    HEIF_SUPPORTED = False


def preprocess(batch_uint8: np.ndarray) -> np.ndarray:
    """keras.applications.mobilenet_v2.preprocess_input ('tf' mode): [0, 255] -> [-1, 1]."""
    return batch_uint8.astype(np.float32) / np.float32(127.5) - np.float32(1.0)


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any PIL mode -> RGB. Transparent pixels become white (Fruits-360 backgrounds are white)."""
    if img.mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit/float greyscale: scale the real range to 8 bits instead of clipping at 255.
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = np.zeros_like(arr) if hi <= lo else (arr - lo) * (255.0 / (hi - lo))
        return Image.fromarray(arr.astype(np.uint8), "L").convert("RGB")
    if img.mode != "RGB":
        return img.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
    return img


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (phone photos are stored sideways with a tag saying how to
    turn them). Broken EXIF is not a reason to lose the photo: it is then used as stored."""
    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001 - malformed EXIF blocks raise all sorts of errors
        return img


def decode_image(content: bytes | None, max_pixels: int) -> tuple[np.ndarray | None, str | None]:
    """(uint8 array 224x224x3, None) or (None, reason)."""
    if content is None or len(content) == 0:
        return None, "empty file (0 bytes)"
    # Our guard below is the only one: PIL's would refuse a big JPEG before the draft
    # decode makes it small, and quote a second limit (callers may have set it).
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(content))
            width, height = img.size
            if img.format == "JPEG":
                # Let libjpeg decode at a reduced scale when the photo is much larger than 224;
                # img.size becomes the size that will really be decoded.
                img.draft("RGB", (IMAGE_SIZE, IMAGE_SIZE))
            dw, dh = img.size
            if dw * dh > max_pixels:
                scaled = f" (decoded at reduced scale: {dw}x{dh})" if (dw, dh) != (width, height) else ""
                return None, (f"image too large: {width}x{height}{scaled} = {dw * dh} pixels to decode "
                              f"> --max-image-pixels {max_pixels}")
            img.load()  # the real decode: truncated or corrupt data fails here
            img = _upright(img)
            rgb = _to_rgb(img)
            if rgb.size != (IMAGE_SIZE, IMAGE_SIZE):
                # Squash to 224x224 without cropping (Fruits-360 photos are square).
                rgb = rgb.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR)
            arr = np.asarray(rgb, dtype=np.uint8)
    except UnidentifiedImageError:
        return None, "not an image PIL can identify"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        return None, f"image too large: over --max-image-pixels {max_pixels} (decompression-bomb guard: {one_line(e, 200)})"
    except (OSError, SyntaxError, ValueError, TypeError, MemoryError, EOFError) as e:
        # MemoryError stays per-file: one image too big to allocate should not end the run
        # (the pixel limit above already stops decompression bombs before this point).
        return None, f"cannot decode: {one_line(e, 200)}"
    except Exception as e:  # noqa: BLE001 - crafted files make PIL raise struct.error, IndexError, ...
        # Never fail the whole task for one file; KeyboardInterrupt/SystemExit still propagate.
        detail = " ".join(str(e).split())[:200]
        return None, f"cannot decode: {type(e).__name__}" + (f": {detail}" if detail else "")
    if arr.shape != (IMAGE_SIZE, IMAGE_SIZE, 3):
        return None, f"unexpected decoded shape {arr.shape}"
    return arr, None

