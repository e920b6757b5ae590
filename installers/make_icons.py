"""Make the Windows and macOS icons from the one SVG (resources/icons/privacycrm.svg).

    .venv/bin/python installers/make_icons.py

writes installers/windows/privacycrm.ico (16-256 px) and installers/macos/privacycrm.icns
(16-1024 px), which installers/privacycrm.spec and the Inno Setup script use. Run it again
after changing the SVG; Qt draws the SVG, Pillow (a reportlab dependency) writes the files.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "privacycrm.svg"


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    """The SVG drawn on a transparent square of *size* pixels."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main() -> None:
    _app = QGuiApplication([])
    renderer = QSvgRenderer(str(SVG))
    ico_sizes = [16, 24, 32, 48, 64, 128, 256]
    largest = render(renderer, 256)
    largest.save(
        ROOT / "installers" / "windows" / "privacycrm.ico",
        sizes=[(size, size) for size in ico_sizes],
        append_images=[render(renderer, size) for size in ico_sizes[:-1]],
    )
    render(renderer, 1024).save(ROOT / "installers" / "macos" / "privacycrm.icns")
    print("wrote installers/windows/privacycrm.ico and installers/macos/privacycrm.icns")


if __name__ == "__main__":
    main()
