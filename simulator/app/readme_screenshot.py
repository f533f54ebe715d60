"""The README's screenshot of the trainer window.

``xvfb-run -s "-screen 0 1280x720x24" python -m simulator.app.readme_screenshot [OUT_DIR]``
opens the real window on the ultrasound hip scenario in learning mode, lets the scripted expert
take the needle to within ``STOP_MM`` of the target (through the same session the keyboard
would drive), waits for the imaging and 3D views to show that state and saves
``OUT_DIR/app_window.png`` (default ``.github/readme``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SCENARIO = "hip_anterior_us"
SEED = 3
STOP_MM = 5.0          # tip-to-target distance at which the picture is taken
SETTLE_S = 60.0        # longest wait for the views to catch up


def main(out_dir: Path) -> Path:
    from simulator.app.loop import App
    from simulator.loading import load_world
    from simulator.paths import scenario_path
    from simulator.policies import make_policy

    path = scenario_path(SCENARIO)
    world = load_world(path)
    with tempfile.TemporaryDirectory() as results:
        app = App(world, scenario_path=path, mode="learning", results=Path(results), seed=SEED)
        try:
            policy, session = make_policy("expert", world, SEED), app.session
            while not session.ended:
                needle = session.state.needle
                if needle.in_skin and np.linalg.norm(
                        np.asarray(needle.tip_mm) - world.target_point) < STOP_MM:
                    break
                session.step(policy(world, session.state))
            app.frame(0.0)  # hands the views this state (no time passes: no new ticks)
            drawn = app.scene.latest()
            serial = drawn[1] if drawn is not None else 0
            end = time.perf_counter() + SETTLE_S
            while time.perf_counter() < end:
                app.frame(0.0)
                drawn = app.scene.latest()
                if (app.imaging.shown_ticks.get("ultrasound") == app.state.tick
                        and drawn is not None and drawn[1] > serial):
                    break
                time.sleep(0.02)
            app.frame(0.0)
            return app.screenshot(out_dir / "app_window.png")
        finally:
            app.close("screenshot taken")


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".github/readme")))
