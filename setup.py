"""What ``pip install .`` installs (the project's metadata is in pyproject.toml), and its dependencies, read
from requirements.txt: the one list of them.

Installed are the package rnncore (with its C++ sources) and the package ``rnnlab``: the app's files at the
repository's root (app.py, navigation.py, ui/, views/, the samples, rnnlab.toml, .streamlit/config.toml,
docs/icon.png), so that Streamlit, running the installed app.py, finds ui/ beside it. Nothing else of the
checkout (tests/, benchmarks/, data/, deploy/). rnncore.home says where each is, installed or in a checkout.
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent


def requirements(path: Path) -> list[str]:
    """The requirements of a pip requirements file: its lines without comments and without pip's own options
    (an index URL is for pip, not for the package's metadata)."""
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-")]


setup(
    script_name=__file__,  # this file (a PEP 517 build names its own): build_py leaves it out of rnnlab
    install_requires=requirements(ROOT / "requirements.txt"),
    packages=[*find_packages(include=["rnncore", "rnncore.*"]), "rnnlab", "rnnlab.views",
              *(f"rnnlab.{name}" for name in find_packages(include=["ui", "ui.*"]))],
    package_dir={"rnnlab": "."},
    package_data={"rnncore.nn": ["*.cpp"],
                  "rnnlab": ["rnnlab.toml", ".streamlit/config.toml", "docs/icon.png", "sample_data/*"]},
    include_package_data=False,
)
