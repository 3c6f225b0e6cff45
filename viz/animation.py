"""The step-through player as an animation for slides: an animated GIF or an MP4 video, one
picture per step with its caption.

Each picture is the player itself, as a learner sees it on its page, photographed by headless
Chromium step by step (its buttons hidden): the same drawing, the same highlighting, the same
caption. Pillow (matplotlib's own dependency) writes the GIF; the MP4 needs the ffmpeg that
the PyPI package imageio-ffmpeg ships.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from autograd_core import write_file

from .browser import page_of

__all__ = ["frames_of", "save_animation", "FORMATS"]

FORMATS = (".gif", ".mp4")
# The player without its controls and its list of captions: the drawing and the caption.
_CLEAN = ".agc-controls, .agc-steps, .agc-why { display: none !important; }"


def frames_of(page: str, count: int) -> list[Any]:
    """The player on `page` at each of its `count` frames, as Pillow images of equal size."""
    from PIL import Image

    shots = []
    with page_of(page, "an animation of the player") as tab:
        tab.add_style_tag(content=_CLEAN)
        player = tab.locator(".agc-player")
        tab.wait_for_function("() => document.querySelector('.agc-player[data-ready]')")
        tab.evaluate("() => document.querySelector('.agc-player [data-step=first]').click()")
        for k in range(count):
            if k:
                tab.evaluate("() => document.querySelector('.agc-player [data-step=next]')"
                             ".click()")
            tab.wait_for_function("k => document.querySelector('.agc-player')"
                                  ".getAttribute('data-frame') === String(k)", arg=k)
            shots.append(Image.open(io.BytesIO(player.screenshot())).convert("RGB"))
    # A long caption makes a frame taller: every frame gets the largest size, on white.
    width = max(shot.width for shot in shots)
    height = max(shot.height for shot in shots)
    width, height = width + width % 2, height + height % 2  # even: what video encoders need
    frames = []
    for shot in shots:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(shot, (0, 0))
        frames.append(canvas)
    return frames


def save_animation(page: str, count: int, path: str | os.PathLike[str],
                   seconds_per_frame: float = 1.5) -> Path:
    """Write the player on `page` (with `count` frames) as an animated GIF or an MP4."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"an animation is a .gif or an .mp4 file, got {target.name!r}")
    if not (isinstance(seconds_per_frame, (int, float)) and 0.02 <= seconds_per_frame <= 60):
        raise ValueError(f"seconds_per_frame must be between 0.02 and 60, got "
                         f"{seconds_per_frame!r}")
    frames = frames_of(page, count)
    if suffix == ".gif":
        buffer = io.BytesIO()
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                       duration=round(seconds_per_frame * 1000), loop=0, optimize=True)
        return write_file(target, buffer.getvalue())
    return _write_mp4(frames, target, seconds_per_frame)


def _write_mp4(frames: list[Any], target: Path, seconds_per_frame: float) -> Path:
    """An H.264 video, one frame per step, through imageio-ffmpeg's ffmpeg."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise RuntimeError("an MP4 needs imageio-ffmpeg (pip install imageio-ffmpeg), which "
                           "ships ffmpeg; a .gif needs nothing more") from exc
    width, height = frames[0].size
    with tempfile.TemporaryDirectory() as folder:  # one of its own for each save
        temporary = Path(folder) / "video.mp4"
        writer = imageio_ffmpeg.write_frames(str(temporary), (width, height),
                                             fps=1 / seconds_per_frame, codec="libx264",
                                             pix_fmt_out="yuv420p", quality=8,
                                             macro_block_size=2, ffmpeg_log_level="error")
        try:
            writer.send(None)  # start ffmpeg
            for frame in frames:
                writer.send(frame.tobytes())
        finally:
            writer.close()  # ffmpeg ends here, also after an error
        return write_file(target, temporary.read_bytes())
