"""The README's picture of every case: the scripted expert's needle at the target.

``python -m simulator.readme_gallery [OUT_DIR]`` runs ``jointsim demo`` (the scripted expert,
seed 0, with its report) on each shipped scenario and keeps the report's key frame of the
moment the needle reached the target, scaled to ``HEIGHT_PX`` high, as
``OUT_DIR/case_<scenario>.png`` (default ``.github/readme``). The frames are the ones a
session report shows, from real runs of the simulator; nothing is drawn for the picture.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from simulator.paths import shipped_scenarios

HEIGHT_PX = 256
KEY_MOMENT = "target_reached"


def case_picture(scenario: Path, out_dir: Path) -> Path:
    """Run the expert's demo of ``scenario`` and save its target-reached key frame."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "simulator", "demo", "--scenario", str(scenario),
                        "--out", tmp], check=True, stdout=subprocess.DEVNULL)
        frames = sorted(Path(tmp).glob(f"keyframe_{KEY_MOMENT}_*.png"))
        if not frames:
            raise SystemExit(f"{scenario.stem}: the expert's demo has no '{KEY_MOMENT}' key "
                             "frame; run `jointsim demo --scenario` on it to see why")
        image = Image.open(frames[0]).convert("L")
        box = image.getbbox() or (0, 0, *image.size)   # the image area, without the black margin
        image = image.crop(box)
        width_px = round(image.width * HEIGHT_PX / image.height)
        target = out_dir / f"case_{scenario.stem}.png"
        image.resize((width_px, HEIGHT_PX), Image.LANCZOS).save(target, optimize=True)
    return target


def main(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for scenario in shipped_scenarios():
        written.append(case_picture(scenario, out_dir))
        print(written[-1])
    return written


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".github/readme"))
