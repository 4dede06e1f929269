"""envsolve explore: a self-contained page of the solver's answers, checked in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

MINI = Path(__file__).parent / "fixtures" / "mini"
ARGS = ["--catalog-dir", MINI, "explore", "--os", "linux", "--python", "3.12", "--gpu-model", "V100",
        "--gpu-model", "RTX 5090", "--driver", "470.57.02", "--driver", "575.57.08"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def page(tmp_path, envsolve):
    result = envsolve(*ARGS, "--out", tmp_path / "site")
    assert result.code == 0, result
    return tmp_path / "site" / "index.html"


def _data(page: Path) -> dict:
    text = page.read_text()
    return json.loads(re.search(r'<script id="data" type="application/json">(.*?)</script>', text, re.S).group(1))


def test_the_page_embeds_the_solvers_answers(page):
    data = _data(page)
    assert data["schema"] == "envsolve.explore/1"
    answer = data["answers"][data["cells"]["pytorch|linux-x86_64|cuda|3.12|7.0|470.57.02"]]
    assert answer["ok"] and ["torch", "2.4.1", "cu118", "framework"] in answer["packages"]
    blocked = data["answers"][data["cells"]["pytorch|linux-x86_64|cuda|3.12|12.0|470.57.02"]]
    assert not blocked["ok"] and blocked["causes"]


def test_the_page_fetches_nothing(page):
    text = page.read_text()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
    assert "default-src 'none'" in text  # and its content security policy forbids it


def _dom(page: Path, tmp_path: Path, selection: str, screenshot: Path | None = None) -> str:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    url = f"{page.as_uri()}#{selection}"
    if screenshot is not None:
        subprocess.run(args + ["--window-size=1200,900", f"--screenshot={screenshot}", url], capture_output=True, timeout=120)
    run = subprocess.run(args + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-1000:]
    return re.search(r'<div id="out"[^>]*>(.*?)</div>', run.stdout, re.S).group(1)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package chromium)")
def test_choosing_a_gpu_and_a_driver_shows_the_answer(page, tmp_path):
    out = _dom(page, tmp_path, "stack=pytorch&target=linux-x86_64&accel=cuda&python=3.12&gpu=7.0&driver=470.57.02",
               screenshot=Path(os.environ.get("ENVSOLVE_ARTIFACTS", tmp_path)) / "explore.png")
    rows = re.findall(r'<tr class="pkg"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>', out)
    assert ("torch", "2.4.1", "cu118") in rows and ("torchvision", "0.19.1", "cu118") in rows
    assert "pip install --index-url https://download.pytorch.org/whl/cu118 torch==2.4.1 torchvision==0.19.1" in out
    shot = Path(os.environ.get("ENVSOLVE_ARTIFACTS", tmp_path)) / "explore.png"
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package chromium)")
def test_an_impossible_choice_says_why(page, tmp_path):
    out = _dom(page, tmp_path, "stack=pytorch&target=linux-x86_64&accel=cuda&python=3.12&gpu=12.0&driver=470.57.02")
    assert "No working environment" in out
    assert "<li>" in out and "driver 470.57.02" in out
