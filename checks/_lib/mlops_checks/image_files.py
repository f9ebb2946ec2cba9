"""Whether a file is the image its name says, read for real with the standard library: a PNG's
chunks (each CRC, the pixel data inflated to the size its header declares), a JPEG's segments up
to a frame header and its end marker, an SVG parsed as XML with an <svg> root that draws.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from xml.etree import ElementTree

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 20_000_000
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
DRAWING = {"rect", "circle", "ellipse", "line", "polyline", "polygon", "path", "text", "image",
           "use", "g"}  # fmt: skip
KINDS = ("PNG", "JPEG", "SVG")


def problem(path: Path) -> str | None:
    """Why ``path`` is not a readable PNG, JPEG or SVG image (None when it is one)."""
    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        return f"it cannot be read ({exc.strerror})"
    if len(data) > MAX_BYTES:
        return f"it is over {MAX_BYTES // 1_000_000} MB, too large for a README's diagram"
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) or b"<svg" in head:
        return _svg(data)
    start = data[:40].decode("utf-8", errors="replace").strip().splitlines()
    shown = repr(start[0][:30]) if start else "nothing"
    return f"its bytes are not a PNG, JPEG or SVG image (it starts with {shown})"


def _png(data: bytes) -> str | None:
    pos, chunks, idat = 8, [], b""
    header: tuple[int, ...] = ()
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length] or b"\0\0\0\0")
        if len(body) != length or zlib.crc32(kind + body) != crc:
            return f"the PNG's {kind.decode('latin-1')!r} chunk is damaged (bad length or CRC)"
        chunks.append(kind)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if not chunks or chunks[0] != b"IHDR" or chunks[-1] != b"IEND" or not idat:
        return "the PNG is incomplete (no header, no pixel data or no end chunk)"
    width, height, depth, colour = header[:4]
    if not width or not height or colour not in CHANNELS:
        return f"the PNG's header declares {width}x{height} pixels of colour type {colour}"
    try:
        pixels = zlib.decompress(idat)
    except zlib.error as exc:
        return f"the PNG's pixel data does not inflate ({exc})"
    row = (width * CHANNELS[colour] * depth + 7) // 8 + 1
    if header[6] == 0 and len(pixels) != row * height:
        return f"the PNG holds {len(pixels)} bytes of pixels, not the {row * height} it declares"
    return None


def _jpeg(data: bytes) -> str | None:
    pos, frame = 2, False
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            frame = width > 0 and height > 0
        pos += 2 + length
    if not frame:
        return "the JPEG has no frame header with a size"
    if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return "the JPEG is cut short (no end-of-image marker)"
    return None


def _svg(data: bytes) -> str | None:
    if b"<!ENTITY" in data:
        return "the SVG declares XML entities, which the check does not expand"
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        return f"the SVG is not well-formed XML ({exc})"
    if root.tag.rsplit("}", 1)[-1] != "svg":
        return f"the XML's root is <{root.tag.rsplit('}', 1)[-1]}>, not <svg>"
    if not any(e.tag.rsplit("}", 1)[-1] in DRAWING for e in root.iter()):
        return "the SVG draws nothing (no shape, path or text)"
    return None
