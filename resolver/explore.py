"""``envsolve explore``: a static, self-contained HTML page of the solver's answers.

The page embeds the matrix results as JSON (computed by :mod:`resolver.matrix` with the real
solver) and only looks answers up: picking frameworks, OS, accelerator, Python, GPU and driver
selects a precomputed cell. It makes no network request and reimplements no rule.
"""

from __future__ import annotations

import html
import json

from .catalog import Catalog
from .matrix import Cell, cells
from .rules.driver import driver_key
from .rules.platform import arch_label
from .rules.target import GpuTarget


def default_drivers(cat: Catalog) -> list[str]:
    """Drivers to offer, from the catalog's Linux floors: each CUDA major's minor-version floor and
    the full floor of its newest toolkit (the steps where answers change most)."""
    found = set()
    for major in cat.majors.values():
        toolkits = [t for t in cat.toolkits.values() if t.major == major.major and "linux" in t.driver_min]
        if "linux" in major.minor_compat_driver:
            found.add(major.minor_compat_driver["linux"])
        if toolkits:
            newest = max(toolkits, key=lambda t: tuple(int(x) for x in t.version.split(".")))
            found.add(newest.driver_min["linux"])
    return sorted(found, key=driver_key)


def default_gpus(cat: Catalog) -> list[GpuTarget]:
    """One GPU per architecture and compute-capability major in the catalog, the first listed."""
    seen: dict[tuple, GpuTarget] = {}
    for gpu in cat.gpus:
        key = (gpu.architecture, gpu.compute_capability.split(".")[0])
        seen.setdefault(key, GpuTarget(gpu.name, gpu.compute_capability))
    return sorted(seen.values(), key=lambda g: tuple(int(x) for x in g.compute_capability.split(".")))


def _key(cell: Cell) -> str:
    t = cell.target
    gpu = t.gpus[0].compute_capability if t.gpus else ""
    return "|".join(["+".join(i.framework for i in cell.request.stack), f"{t.os}-{t.arch}", cell.request.accelerator,
                     t.python, gpu, t.driver or ""])


def _compact(m: dict) -> dict:
    if m["status"] == "ok":
        return {"ok": True,
                "packages": [[p["name"], p["version"], p["variant"] or "", p["role"]] for p in m["packages"]],
                "cuda": (m["system"] or {}).get("cuda"), "install": m["install"], "warnings": m["warnings"]}
    return {"ok": False, "causes": [c["text"] for c in m["conflict"]["causes"]]}


def page_data(cat: Catalog, stacks, targets, pythons, gpus, drivers, jobs=None, progress=None) -> dict:
    from .matrix import solve_all

    todo: list[Cell] = []
    for cell in cells(stacks, targets, pythons):
        if cell.request.accelerator != "cuda":
            todo.append(cell)
            continue
        for gpu in [None, *gpus]:
            for driver in [None, *drivers]:
                todo.append(Cell(cell.request, cell.target._replace(gpus=(gpu,) if gpu else (), driver=driver)))
    manifests = solve_all(cat, todo, jobs, progress)
    answers: list[dict] = []
    index: dict[str, int] = {}
    cells_out: dict[str, int] = {}
    for cell, m in zip(todo, manifests):
        text = json.dumps(_compact(m), sort_keys=True)
        if text not in index:
            index[text] = len(answers)
            answers.append(json.loads(text))
        cells_out[_key(cell)] = index[text]
    return {
        "schema": "envsolve.explore/1",
        "catalog_digest": cat.digest,
        "frameworks": sorted(cat.frameworks),
        "stacks": sorted({"+".join(i.framework for i in s) for s in stacks}),
        "targets": [{"id": f"{o}-{a}", "label": f"{o} {arch_label(o, a)}",
                     "accelerators": list(acc)} for o, a, acc in targets],
        "pythons": list(pythons),
        "gpus": [{"cc": g.compute_capability, "label": f"{g.name} (sm_{g.compute_capability.replace('.', '')})"}
                 for g in gpus],
        "drivers": list(drivers),
        "answers": answers,
        "cells": cells_out,
    }


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>envsolve: which GPU environments work</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1b1b1b}
h1{font-size:1.4rem}fieldset{border:1px solid #ccc;margin:0 0 1rem;padding:.6rem 1rem}
label{margin-right:1rem}select{margin-right:1rem}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}th{background:#f4f4f4}
.no{color:#8a1c1c}.ok{color:#185c1d}code{background:#f4f4f4;padding:.1rem .3rem;display:block;margin:.2rem 0}
small{color:#555}
</style></head><body>
<h1>Which GPU deep-learning environments work?</h1>
<p><small>Answers computed by envsolve's solver from catalog __DIGEST__; nothing is fetched.</small></p>
<form id="f">
<fieldset><legend>Frameworks</legend><span id="fw"></span></fieldset>
<fieldset><legend>Target</legend>
<label>OS <select id="target"></select></label>
<label>Accelerator <select id="accel"></select></label>
<label>Python <select id="python"></select></label><br>
<label>GPU <select id="gpu"><option value="">any</option></select></label>
<label>NVIDIA driver <select id="driver"><option value="">not given</option></select></label>
</fieldset></form>
<div id="out" aria-live="polite"></div>
<script id="data" type="application/json">__DATA__</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
function opt(sel, value, label) { const o = document.createElement("option"); o.value = value; o.textContent = label; sel.appendChild(o); }
for (const fw of D.frameworks) {
  const l = document.createElement("label"); const c = document.createElement("input");
  c.type = "checkbox"; c.value = fw; c.name = "fw"; l.appendChild(c); l.append(" " + fw); $("fw").appendChild(l);
}
for (const t of D.targets) opt($("target"), t.id, t.label);
for (const p of D.pythons) opt($("python"), p, p);
for (const g of D.gpus) opt($("gpu"), g.cc, g.label);
for (const d of D.drivers) opt($("driver"), d, d);
function accels() {
  const t = D.targets.find((x) => x.id === $("target").value); const keep = $("accel").value;
  $("accel").innerHTML = ""; for (const a of t.accelerators) opt($("accel"), a, a);
  if (t.accelerators.includes(keep)) $("accel").value = keep;
}
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function render() {
  const fws = [...document.querySelectorAll("input[name=fw]:checked")].map((c) => c.value).sort();
  const out = $("out"); out.innerHTML = "";
  if (!fws.length) { out.appendChild(el("p", "Pick one or more frameworks.")); return; }
  const stack = fws.join("+"); const cuda = $("accel").value === "cuda";
  $("gpu").disabled = $("driver").disabled = !cuda;
  const key = [stack, $("target").value, $("accel").value, $("python").value, cuda ? $("gpu").value : "", cuda ? $("driver").value : ""].join("|");
  location.hash = new URLSearchParams({stack, target: $("target").value, accel: $("accel").value, python: $("python").value, gpu: $("gpu").value, driver: $("driver").value}).toString();
  if (!(key in D.cells)) { out.appendChild(el("p", "This combination was not computed for this page (" + stack + ").", "no")); return; }
  const a = D.answers[D.cells[key]];
  if (!a.ok) {
    out.appendChild(el("h2", "No working environment", "no"));
    const ul = el("ul"); for (const c of a.causes) ul.appendChild(el("li", c)); out.appendChild(ul); return;
  }
  out.appendChild(el("h2", "Works" + (a.cuda ? " (CUDA " + a.cuda + ")" : ""), "ok"));
  const table = el("table"); const head = el("tr");
  for (const h of ["package", "version", "build", "role"]) head.appendChild(el("th", h));
  table.appendChild(head);
  for (const p of a.packages) { const tr = el("tr"); tr.className = "pkg"; for (const v of p) tr.appendChild(el("td", v)); table.appendChild(tr); }
  out.appendChild(table);
  out.appendChild(el("h3", "Install"));
  for (const c of a.install) out.appendChild(el("code", c));
  if (a.warnings.length) { const ul = el("ul"); for (const w of a.warnings) ul.appendChild(el("li", w)); out.appendChild(ul); }
}
function fromHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  const stack = (h.get("stack") || D.frameworks[0]).split("+");
  for (const c of document.querySelectorAll("input[name=fw]")) c.checked = stack.includes(c.value);
  if (h.get("target")) $("target").value = h.get("target");
  accels();
  for (const k of ["accel", "python", "gpu", "driver"]) if (h.get(k) !== null) $(k).value = h.get(k);
}
$("f").addEventListener("change", (e) => { if (e.target.id === "target") accels(); render(); });
fromHash(); render();
</script></body></html>
"""


def render_page(data: dict) -> str:
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).replace("</", "<\\/")
    return PAGE.replace("__DATA__", payload).replace("__DIGEST__", html.escape(data["catalog_digest"][:12]))
