"""envsolve explore: a self-contained page of the solver's answers.

The page solves GPUs by compute capability and drivers by floor bracket; the tests here prove those
class answers equal direct solves, then drive the page in headless Chromium the way a person
would (typing a GPU name and a driver, clicking grid cells, Tab and Space), at desktop and phone
width, and save screenshots (in $ENVSOLVE_ARTIFACTS when set)."""

from __future__ import annotations

import json
import os
import random
import re
import shlex
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from resolver import catalog, explore
from resolver.candidates import DriverBelow, candidates
from resolver.explain import answer, command_line
from resolver.report import manifest
from resolver.rules.driver import driver_key, verdict
from resolver.rules.target import GpuTarget, Request, StackItem, Target

from browser import CHROMIUM, Browser

MINI = Path(__file__).parent / "fixtures" / "mini"
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package chromium)")


def _data(page: Path) -> dict:
    text = page.read_text()
    return json.loads(re.search(r'<script id="data" type="application/json">(.*?)</script>', text, re.S).group(1))


def _artifacts(tmp_path: Path) -> Path:
    return Path(os.environ.get("ENVSOLVE_ARTIFACTS", tmp_path))


@pytest.fixture(scope="module")
def mini_page(tmp_path_factory):
    from resolver.cli import main

    out = tmp_path_factory.mktemp("mini-site")
    assert main(["--catalog-dir", str(MINI), "--quiet", "explore", "--os", "linux", "--python", "3.12",
                 "--out", str(out)]) == 0
    return out / "index.html"


@pytest.fixture(scope="module")
def real_page(tmp_path_factory):
    """The shipped catalog, Linux and Windows, two Pythons: the default choice and real GPUs."""
    from resolver.cli import main

    out = tmp_path_factory.mktemp("real-site")
    assert main(["--quiet", "explore", "--os", "linux", "--os", "windows", "--python", "3.12", "--python", "3.13",
                 "--out", str(out)]) == 0
    return out / "index.html"


def lookup(data: dict, stack: str, target: str, accel: str, python: str, cc: str | None = None,
           driver: str | None = None) -> dict:
    """What the page shows, as the page looks it up: the answer with the GPU and driver filled in."""
    cell = data["cells"][f"{stack}|{target}|{accel}|{python}"]
    fam = next(t["family"] for t in data["targets"] if t["id"] == target)
    g = 0 if cc is None else 1 + data["ccs"].index(cc)
    d = 0
    if driver is not None:
        d = 1 + explore.bracket_of([explore.Bracket(*b) for b in data["brackets"][fam]], driver)
    found = cell["a"] if (g, d) == (0, 0) else cell["plane"][g][d]
    assert found >= 0, "not computed on this page"
    a = data["answers"][found]
    parts = data["parts"]
    text = json.dumps({k: ([parts[i] for i in v] if k in ("warnings", "install", "causes", "suggestions") else
                           parts[v] if k in ("packages", "system") else v) for k, v in a.items()})
    return json.loads(text.replace(explore.GPU_TOKEN, "GPU").replace(explore.DRIVER_TOKEN, driver or ""))


# ---- the data -------------------------------------------------------------------------------------

def test_the_page_embeds_the_solvers_answers(mini_page):
    data = _data(mini_page)
    assert data["schema"] == "envsolve.explore/2"
    a = lookup(data, "pytorch", "linux-x86_64", "cuda", "3.12", "7.0", "470.57.02")
    assert a["ok"] and ["torch", "2.4.1", "cu118", "framework"] == a["packages"][0][:4]
    assert a["system"]["driver_min"]["linux"] == {"full": "520.61.05", "minor_compat": "450.80.02"}
    assert a["system"]["driver_relies_on"] == {"pytorch": "minor-version compatibility"}
    assert any("minor-version compatibility" in w for w in a["warnings"])
    blocked = lookup(data, "pytorch", "linux-x86_64", "cuda", "3.12", "12.0", "470.57.02")
    assert not blocked["ok"] and any(kind == "driver" for kind, _ in blocked["causes"])


def test_every_catalogued_gpu_is_offered_by_architecture_and_compute_capability(mini_page):
    data = _data(mini_page)
    cat = catalog.load(MINI)
    assert [g[0] for g in data["gpus"]] == [g.name for g in cat.gpus]
    assert data["ccs"] == ["3.7", "7.0", "8.0", "8.6", "9.0", "12.0"]
    assert data["architectures"] == ["Kepler", "Volta", "Ampere", "Hopper", "Blackwell"]
    assert ["GeForce RTX 3090", "8.6", "Ampere", ["RTX 3090", "NVIDIA GeForce RTX 3090"]] in data["gpus"]


def test_driver_brackets_come_from_the_catalogs_floors():
    cat = catalog.load(MINI)
    linux = explore.driver_brackets(cat, "linux")
    assert [b.low for b in linux] == [None, "450.80.02", "520.61.05", "525.60.13", "550.54.14", "570.26",
                                      "580.65.06"]
    assert linux[0].rep == "449.0" and driver_key(linux[0].rep) < driver_key(linux[1].low)
    assert linux[2].what == ("CUDA 11.8",)
    assert linux[1].what == ("CUDA 11.x (minor-version compatibility)",)
    windows = explore.driver_brackets(cat, "windows")
    assert [b.low for b in windows] == [None, "452.39", "520.06", "527.41", "551.61", "570.65"]
    assert explore.bracket_of(linux, "535.104.05") == 3 and explore.bracket_of(linux, "440.33.01") == 0
    assert explore.bracket_of(linux, "570.26") == 5 and explore.bracket_of(linux, "999.1") == 6


def test_python_defaults_to_the_newest_that_works(real_page):
    data = _data(real_page)
    assert data["defaults"]["pytorch+tensorflow|linux-x86_64|cuda"] == "3.13"
    assert lookup(data, "pytorch+tensorflow", "linux-x86_64", "cuda", "3.13")["ok"]


def test_the_page_is_small_and_fetches_nothing(real_page, mini_page):
    assert real_page.stat().st_size < 1_500_000
    for page in (real_page, mini_page):
        text = page.read_text()
        assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
        assert "default-src 'none'" in text  # and its content security policy forbids it


# ---- equivalence classes: class answers are the direct solves' answers --------------------------------

def _inside(brackets: list[explore.Bracket], i: int) -> str:
    """A driver of bracket ``i`` other than the one the page solved."""
    if i == 0:
        return f"{int(brackets[1].low.split('.')[0]) - 10}.33.01"
    parts = brackets[i].low.split(".")
    bumped = ".".join(parts[:-1] + [str(int(parts[-1]) + 1)]) if len(parts) > 1 else parts[0] + ".1"
    if i + 1 < len(brackets) and driver_key(bumped) >= driver_key(brackets[i + 1].low):
        return brackets[i].low
    return bumped


def _direct(cat, request: Request, target: Target, suggest: bool) -> str:
    return json.dumps(explore.compact(manifest(answer(cat, request, target, suggest=suggest), cat.digest)),
                      sort_keys=True)


def _filled(text: str, gpu: str, driver: str | None) -> str:
    return text.replace(explore.GPU_TOKEN, gpu).replace(explore.DRIVER_TOKEN, driver or "")


@pytest.mark.parametrize("stack,os_name", [("pytorch+tensorflow", "linux"), ("jax", "linux"),
                                           ("pytorch", "wsl2"), ("tensorflow", "windows")])
def test_class_answers_are_the_answers_of_direct_solves(stack, os_name):
    """For a sample of GPUs (each not the class's stand-in) and drivers (each not the bracket's
    solved driver), the page's class answer, filled in, is exactly the direct solve's answer:
    every bracket of three GPU columns, and a random sample of the rest."""
    from resolver.request import parse_stack

    cat = catalog.load()
    request = Request(parse_stack(cat, stack), "cuda", None, None)
    base = Target(os_name, "x86_64", "3.12", (), None)
    fam = "linux" if os_name == "linux" else "windows"
    brackets = explore.driver_brackets(cat, fam)
    rng = random.Random(f"{stack}-{os_name}")
    ccs = explore.gpu_classes(cat)
    full = set(rng.sample(ccs, 3))
    for cc in [None, *ccs]:
        gpus = [g for g in cat.gpus if g.compute_capability == cc]
        real = GpuTarget(gpus[-1].name, cc) if cc else None  # the last GPU of the class
        stand_in = base._replace(gpus=(explore.class_gpu(cc),) if cc else ())
        per, _ = explore.walk_brackets(cat, request, stand_in, brackets, fam,
                                       lambda t: manifest(answer(cat, request, t, suggest=False), cat.digest))
        assert len(per) == len(brackets)
        picks = range(len(brackets)) if cc in full or cc is None else rng.sample(range(len(brackets)), 4)
        for i in picks:
            drv = _inside(brackets, i)
            direct = _direct(cat, request, base._replace(gpus=(real,) if real else (), driver=drv), False)
            assert _filled(per[i], real.name if real else "", drv) == direct, (cc, brackets[i].low, drv)
        if cc is not None:  # without a driver: the full answer with its ways out
            plain = _direct(cat, request, stand_in, True)
            assert _filled(plain, real.name, None) == _direct(cat, request, base._replace(gpus=(real,)), True)


def test_the_grids_driver_verdicts_are_the_per_build_checks():
    """The grid marks a build that passes without a driver as running from the first bracket
    whose driver passes its floor: the same verdict candidates() gives with that driver."""
    cat = catalog.load()
    rng = random.Random(7)
    for name, os_name, cc in [("pytorch", "linux", "8.6"), ("jax", "linux", "5.2"), ("tensorflow", "wsl2", "9.0")]:
        fam = "linux" if os_name == "linux" else "windows"
        brackets = explore.driver_brackets(cat, fam)
        target = Target(os_name, "x86_64", "3.12", (explore.class_gpu(cc),), None)
        codes = explore.grid_codes(cat, explore.GridTask(name, "cuda", target, fam), brackets)
        item = StackItem(name, SpecifierSet(), name)
        for i in rng.sample(range(len(brackets)), 6):
            drv = _inside(brackets, i)
            pool, rejected = candidates(cat, item, Request((item,), "cuda", None, None), target._replace(driver=drv))
            passing = {f"{c.release.version} {c.variant.name}" for c in pool}
            below = {f"{r.build.version} {r.build.variant}" for r in rejected if isinstance(r.reason, DriverBelow)}
            for key, ((kind, _), first) in codes.items():
                if kind in ("ok", "jit"):
                    runs = first != -1 and first <= i
                    assert (key in passing) == runs and (key in below) == (not runs), (name, key, drv)
                else:
                    assert key not in passing


def test_driver_verdicts_are_monotone_in_the_bracket():
    """A build that runs on a bracket's drivers runs on every newer one (the grid stores only the first)."""
    cat = catalog.load()
    for fam in ("linux", "windows"):
        brackets = explore.driver_brackets(cat, fam)
        from resolver.rules.driver import floor_of

        for fw in cat.frameworks.values():
            for release in fw.releases:
                for v in release.variants:
                    for jit in (False, True):
                        runs = [verdict(floor_of(cat, v, fam), b.rep, jit).ok for b in brackets]
                        assert runs == sorted(runs), (fw.name, release.version, v.name, fam, jit)


def test_the_page_command_is_the_command_line(mini_page):
    data = _data(mini_page)
    cell = data["cells"]["pytorch|linux-x86_64|cuda|3.12"]
    request = Request((StackItem("pytorch", SpecifierSet(), "pytorch"),), "cuda", None, None)
    target = Target("linux", "x86_64", "3.12", (GpuTarget("Tesla V100", "7.0"),), "535.104.05")
    assert cell["cmd"] + " --gpu-model sm_70 --driver 535.104.05" == command_line(request, target)


# ---- the page in a real browser ---------------------------------------------------------------------

@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    yield b
    b.close()


def _text(b: Browser, selector: str = "#out") -> str:
    return b.js(f"document.querySelector({json.dumps(selector)}).innerText")


@needs_chromium
def test_the_default_choice_shows_the_complete_answer(real_page, browser, tmp_path):
    browser.open(real_page.as_uri())
    out = _text(browser)
    assert browser.js("location.hash").startswith("#stack=pytorch%2Btensorflow&target=linux-x86_64&accel=cuda&python=3.13")
    assert re.search(r"Works: torch [\d.]+ \(cu\d+\) \+ tensorflow [\d.]+ \(cuda\)", out)
    for fact in (r"\nCUDA\n12\.\d+ \(pytorch 12\.\d+, tensorflow 12\.\d+\)", r"\ncuDNN\n9\.[\d.]+\n", r"\nNCCL\n2\.[\d.]+\n",
                 r"\nLinux\t>= [\d.]+\t>= [\d.]+\n", r"\nWindows \(and WSL2\)\t>= [\d.]+\t>= [\d.]+\n",
                 r"minor-version compatibility", r"\nKernels \(SASS\)\nsm_\d+", r"\nPTX\n",
                 r"\nRuns natively on\ncompute capability ", r"\nWarnings\n", r"\nUNVERIFIED: torch",
                 r"\nInstall\npip install ", r"--python 3\.13 --out lockfiles\n"):
        assert re.search(fact, out), fact
    assert "envsolve pytorch+tensorflow --gpu --os linux --arch x86_64 --python 3.13\n" in out + "\n"
    grids = browser.js("[...document.querySelectorAll('#grids table')].map((t) => t.dataset.framework)")
    assert grids == ["pytorch", "tensorflow"]
    assert browser.js("document.querySelectorAll('#grids td.chosen').length") == 2  # both frameworks' builds marked
    browser.screenshot(_artifacts(tmp_path) / "explore-default.png")
    assert browser.requests() == [real_page.as_uri()]  # nothing else was fetched


@needs_chromium
def test_picking_a_gpu_and_a_driver_changes_the_answer(real_page, browser, tmp_path):
    browser.open(real_page.as_uri())
    browser.click("#gpuq")
    browser.type("NVIDIA GeForce RTX 3090")
    assert browser.js("document.getElementById('gpu').selectedOptions[0].textContent") == "GeForce RTX 3090 (sm_86)"
    assert "GeForce RTX 3090 (compute capability 8.6) runs it natively." in _text(browser)
    browser.click("#drivertext")
    browser.type("470.57.02")
    out = _text(browser)
    assert out.startswith("No working environment") and "driver 470.57.02 is below" in out
    assert "with driver 5" in out  # the nearest driver bracket that works, from the page's own answers
    browser.screenshot(_artifacts(tmp_path) / "explore-gpu-driver-conflict.png")
    browser.click("#out button.use-driver")
    out = _text(browser)
    assert out.startswith("Works:") and "Driver 5" in out
    assert "--gpu-model sm_86 --driver 5" in out
    shared = browser.js("location.href")
    assert "gpu=GeForce+RTX+3090" in shared and "driver=5" in shared
    # the choice lives in the URL: opening it again shows the same answer
    browser.open(shared)
    assert _text(browser) == out
    browser.screenshot(_artifacts(tmp_path) / "explore-gpu-driver.png")


@needs_chromium
def test_a_conflict_shows_its_causes_and_every_checked_way_out(mini_page, browser, tmp_path):
    browser.open(mini_page.as_uri() + "#stack=pytorch%2Btensorflow&target=linux-x86_64&accel=cuda&python=3.12")
    out = _text(browser)
    assert out.startswith("No working environment")
    assert "torch 2.8.0 (cu128) pins" in out
    data = _data(mini_page)
    ways = lookup(data, "pytorch+tensorflow", "linux-x86_64", "cuda", "3.12")["suggestions"]
    assert ways and all(w[2] in out for w in ways if w[2])  # every way out, each with its command
    assert any(kind == "split" for kind, _, _ in ways)
    browser.screenshot(_artifacts(tmp_path) / "explore-conflict.png")


@needs_chromium
def test_the_grid_shows_every_build_and_a_cell_selects_it(mini_page, browser, tmp_path):
    browser.open(mini_page.as_uri() + "#stack=pytorch&target=linux-x86_64&accel=cuda&python=3.12&gpu=Tesla+V100"
                                      "&driver=470.57.02")
    cells = browser.js("Object.fromEntries([...document.querySelectorAll('#grids tr')].slice(1).map((tr) => "
                       "[tr.cells[0].textContent, [...tr.cells].slice(1).map((c) => c.textContent)]))")
    head = browser.js("[...document.querySelectorAll('#grids tr:first-of-type th')].map((th) => th.textContent)")
    col = {name: i for i, name in enumerate(head[1:])}
    assert cells["2.8.0"][col["cu128"]] == "✗ driver"
    assert cells["2.4.1"][col["cu118"]] == "★ ✓"
    assert cells["2.4.0"][col["cu124"]] == "✗ driver"
    browser.click("#grids tr:nth-of-type(2) td:nth-of-type(1) button")  # the first version's first build
    first = head[1]
    info = _text(browser, "#buildinfo")
    version = list(cells)[0]
    assert f"torch {version} ({first})" in info
    request = Request((StackItem("pytorch", SpecifierSet(f"=={version}"), "pytorch"),), "cuda", None,
                      {"cu128": "12.8", "cu124": "12.4", "cu118": "11.8"}[first])
    expected = command_line(request, Target("linux", "x86_64", "3.12", (GpuTarget("V100", "7.0"),), "470.57.02"))
    assert expected in info
    assert f"build=pytorch%3A{version}%3A{first}" in browser.js("location.hash")
    browser.screenshot(_artifacts(tmp_path) / "explore-grid.png")


@needs_chromium
def test_the_page_works_from_the_keyboard(mini_page, browser):
    browser.open(mini_page.as_uri() + "#stack=pytorch&target=linux-x86_64&accel=cuda&python=3.12")
    order = []
    for _ in range(12):
        browser.tab()
        order.append(browser.js("document.activeElement.id || document.activeElement.tagName"))
    assert order[:3] == ["fw-jax", "fw-pytorch", "fw-tensorflow"] if "fw-jax" in order else order[:2] == ["fw-pytorch", "fw-tensorflow"]
    assert {"target", "accel", "python", "gpuq", "gpu", "driver", "drivertext"} <= set(order)
    # Space on a focused checkbox changes the stack, and the answer with it
    browser.js("document.getElementById('fw-tensorflow').focus()")
    browser.key(" ", "Space", 32, text=" ")
    assert "stack=pytorch%2Btensorflow" in browser.js("location.hash")
    # every grid cell is a button: Enter on one selects that build
    browser.js("document.getElementById('fw-tensorflow').focus()")
    browser.key(" ", "Space", 32, text=" ")
    browser.js("document.querySelector('#grids td button').focus()")
    browser.key("Enter", "Enter", 13, text="\r")
    assert "build=" in browser.js("location.hash")
    assert browser.js("document.querySelectorAll('label[for]').length") >= 8
    unlabelled = browser.js("[...document.querySelectorAll('select, input')].filter((e) => !e.labels || !e.labels.length)"
                            ".map((e) => e.id)")
    assert unlabelled == []


@needs_chromium
def test_the_page_is_readable_at_phone_width(real_page, browser, tmp_path):
    browser.open(real_page.as_uri())
    browser.viewport(390, 844, mobile=True)
    browser.wait_for("visualViewport.width === 390")
    width = browser.js("document.documentElement.scrollWidth")
    assert width <= 390, width  # wide tables scroll inside their own box, not the page
    assert browser.js("getComputedStyle(document.querySelector('form')).gridTemplateColumns.split(' ').length") == 1
    browser.screenshot(_artifacts(tmp_path) / "explore-phone.png")


def test_explore_options(envsolve, tmp_path):
    result = envsolve("--catalog-dir", MINI, "explore", "--os", "linux", "--python", "3.12", "--gpu-model", "V100",
                      "--gpu-model", "RTX 5090", "--out", tmp_path)
    assert result.code == 0, result
    data = _data(tmp_path / "index.html")
    assert data["ccs"] == ["7.0", "12.0"]
    assert re.match(r"wrote .*index.html \(0\.\d\d MB: 15 choices without GPU or driver, \d+ GPU x driver choices",
                    result.out)
    assert shlex.split(data["cells"]["pytorch|linux-x86_64|cuda|3.12"]["cmd"])[0] == "envsolve"


def test_the_page_offers_linux_editions(tmp_path):
    """An edition is a target of its own: linux with that glibc, answered for every stack and
    Python (amazonlinux-2's glibc 2.26 keeps torch below 2.7 in the shipped catalog)."""
    from resolver.cli import main

    assert main(["--quiet", "explore", "--os", "linux", "--os", "amazonlinux-2", "--python", "3.12",
                 "--gpu-model", "sm_90", "--out", str(tmp_path)]) == 0
    data = _data(tmp_path / "index.html")
    labels = {t["id"]: t["label"] for t in data["targets"]}
    assert labels["amazonlinux-2-x86_64"] == "amazonlinux-2 (glibc 2.26) x86_64"
    old = lookup(data, "pytorch", "amazonlinux-2-x86_64", "cuda", "3.12")
    assert ["torch", "2.6.0", "cu124", "framework"] == old["packages"][0][:4]
    assert any("need glibc 2.28 or newer" in w for w in old["warnings"])
    assert lookup(data, "pytorch", "linux-x86_64", "cuda", "3.12")["packages"][0][1] != "2.6.0"
