"""The image: hadolint-clean, multi-stage, non-root, health-checked, and its uv recipe really installs."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), line continuations joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for word, rest in _instructions():
        if word == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((word, rest))
    return stages


def test_hadolint_finds_nothing(tool: Callable[[str], str]) -> None:
    result = subprocess.run(
        [tool("hadolint"), "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_really_lints(tool: Callable[[str], str]) -> None:
    """The lint above could pass vacuously if hadolint ignored the file: a bad Dockerfile must fail."""
    bad = "FROM python\nRUN apt-get install curl\nUSER root\n"
    result = subprocess.run(
        [tool("hadolint"), "-"],
        input=bad,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image


def test_final_stage_is_slim_non_root_and_health_checked() -> None:
    stages = _stages()
    assert len(stages) >= 3, "expected a multi-stage build (uv, build, runtime)"
    final = stages[-1]
    args = dict(re.findall(r"ARG (\w+)=(\S+)", DOCKERFILE.read_text()))
    base = final[0][1].split()[0]
    base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
    assert base.startswith("python:3.11-slim")
    users = [rest for word, rest in final if word == "USER"]
    assert users, "the final stage must switch to a non-root user"
    assert users[-1].split(":")[0] not in {"root", "0"}
    health = [rest for word, rest in final if word == "HEALTHCHECK"]
    assert health
    assert "storelink_kit.healthcheck" in health[0]
    assert "curl" not in health[0]
    assert "wget" not in health[0]
    # No build tools and no package manager runs in the final stage: only what the build made.
    runs = " ".join(rest for word, rest in final if word == "RUN")
    for forbidden in ("apt-get", "pip ", "uv ", "gcc", "build-essential"):
        assert forbidden not in runs
    copies = [rest for word, rest in final if word == "COPY"]
    assert any("--from=build" in c and "/app/.venv" in c for c in copies)
    assert not any("/usr/local/bin/uv" in c for c in copies), "uv must stay in the build stage"
    cmd = [rest for word, rest in final if word == "CMD"]
    assert cmd
    assert "storelink_kit.launch" in cmd[-1]


def test_build_stage_uses_the_lockfile_without_dev_dependencies() -> None:
    syncs = [rest for word, rest in _instructions() if word == "RUN" and "uv sync" in rest]
    assert syncs
    for run in syncs:
        assert "--frozen" in run
        assert "--no-dev" in run
        assert "--all-packages" in run


def test_dockerignore_keeps_the_context_to_the_sources() -> None:
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()]
    assert "**" in lines  # everything excluded by default ...
    for needed in ("!pyproject.toml", "!uv.lock", "!libs/", "!services/", "!simulators/"):
        assert needed in lines  # ... except what the build copies
    copied = [rest.split()[-2] for word, rest in _instructions() if word == "COPY" and "--from" not in rest]
    for src in copied:
        src_name = src.rstrip("/")
        assert any(line.lstrip("!").rstrip("/") == src_name for line in lines if line.startswith("!")), src


def test_uv_recipe_of_the_dockerfile_installs_every_workspace_package(tmp_path: Path) -> None:
    """Run the Dockerfile's own `uv sync` lines (no Docker engine here) the way the build stage does."""
    uv = ROOT / ".tools" / "bin" / "uv"
    if not uv.exists():
        pytest.fail(f"{uv} missing: run `make install`")
    src = tmp_path / "src"
    src.mkdir()
    venv = tmp_path / "venv"
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_LINK_MODE": "copy",
        "UV_NO_PROGRESS": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    syncs = [rest for word, rest in _instructions() if word == "RUN" and "uv sync" in rest]
    # Stage 1 sees only the root pyproject and the lock (bind mounts); stage 2 the whole workspace.
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "uv.lock", src)
    for i, run in enumerate(syncs):
        if i == 1:
            for folder in ("libs", "services", "simulators"):
                if (ROOT / folder).is_dir():
                    shutil.copytree(
                        ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "tests")
                    )
        command = shlex.split(run[run.index("uv sync") :])
        command[0] = str(uv)
        result = subprocess.run(command, cwd=src, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
    # Every workspace package is installed, not editable, and importable without the source tree.
    shutil.rmtree(src)
    packages = sorted(p.name for p in (ROOT / "libs").glob("*/src/storelink_*"))
    packages += sorted(p.name for p in (ROOT / "services").glob("*/src/storelink_*"))
    packages += sorted(p.name for p in (ROOT / "simulators").glob("*/src/storelink_*"))
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\n"
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, *packages], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    assert installed.returncode != 0, "pip is not a runtime dependency; a dev tool slipped in"
    assert not (venv / "bin" / "pytest").exists(), "dev dependencies must not be in the image"
