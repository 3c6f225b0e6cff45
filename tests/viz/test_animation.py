"""The step-through saved as an animation (GIF, MP4): one picture per frame, read back."""

from __future__ import annotations

from pathlib import Path

import pytest

import viz
from tests.browser import CHROMIUM

from .conftest import micrograd_example

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="animations need Chromium (.ci/run installs it)")


def test_a_gif_has_one_picture_per_frame_with_its_caption(tmp_path: Path) -> None:
    from PIL import Image, ImageChops

    player = viz.step_through(micrograd_example())
    path = player.save(tmp_path / "backprop.gif", seconds_per_frame=0.8)
    with Image.open(path) as gif:
        assert gif.n_frames == len(player) == 15
        assert 600 <= gif.width <= 3000 and 150 <= gif.height <= 2000
        assert gif.info["duration"] == 800 and gif.info.get("loop") == 0
        pictures = []
        for k in range(gif.n_frames):
            gif.seek(k)
            pictures.append(gif.convert("RGB"))
    # Every step changes the picture (a value appears, a gradient is filled in, ...).
    for before, after in zip(pictures, pictures[1:]):
        assert ImageChops.difference(before, after).getbbox() is not None


def test_an_mp4_has_one_frame_per_step(tmp_path: Path) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    player = viz.step_through(micrograd_example())
    path = player.save(tmp_path / "backprop.mp4", seconds_per_frame=1.0)
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == len(player) and seconds == pytest.approx(len(player), abs=0.1)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    assert 600 <= width <= 3000 and 150 <= height <= 2000
    reader.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial file


def test_an_animation_is_a_gif_or_an_mp4_at_a_sane_pace(tmp_path: Path) -> None:
    player = viz.step_through(micrograd_example())
    with pytest.raises(ValueError, match=r"an HTML page \(.html\) or an animation "
                                         r"\(.gif, .mp4\); got 'steps.avi'"):
        player.save(tmp_path / "steps.avi")
    with pytest.raises(ValueError, match=r"seconds_per_frame must be between 0\.02 and 60"):
        player.save(tmp_path / "steps.gif", seconds_per_frame=0)
    assert list(tmp_path.iterdir()) == []
