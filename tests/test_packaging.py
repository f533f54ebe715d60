"""An installed wheel (not a checkout) finds its scenarios, meshes and bindings."""

import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_carries_data_and_finds_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path / "dist"), str(REPO)], check=True,
                   capture_output=True)
    wheel = next((tmp_path / "dist").glob("jointsim-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "simulator/_data/scenarios/hip_anterior_us.yaml" in names
    assert "simulator/_data/meshes/hip/manifest.yaml" in names
    assert "simulator/app/default_bindings.yaml" in names
    assert "scoring/store/migrations/env.py" in names  # the results store's schema
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import simulator.paths as p, simulator.scenario as s\n"
            "assert 'site' in str(p.data_root('scenarios')), p.data_root('scenarios')\n"
            "print(len(p.shipped_scenarios()))\n"
            "for path in p.shipped_scenarios():\n"
            "    assert s.parse_scenario(path)[1] == [], path\n"
            "import scoring.store as st\n"
            "assert 'site' in st.__file__, st.__file__\n"
            "st.Store('sqlite:///results.sqlite').close()\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) >= 2
