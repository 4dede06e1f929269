"""The HTML, CSS and JavaScript of the ``envsolve explore`` page (no logic of envsolve's own: the
script reads the embedded answers, looks up the one for the controls' values and shows it)."""

PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>envsolve: which GPU deep-learning environments work</title>
<style>
:root{--ok:#185c1d;--no:#8a1c1c;--warn:#7a4b00;--line:#d0d0d0;--soft:#f3f4f6;--focus:#1d4ed8}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1rem;max-width:78rem;color:#1b1b1b}
h1{font-size:1.35rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1rem 0 .4rem}h3{font-size:1rem;margin:.9rem 0 .3rem}
p{margin:.3rem 0}small,.muted{color:#555}
form{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:.6rem 1rem;margin:.8rem 0}
fieldset{border:1px solid var(--line);border-radius:6px;margin:0;padding:.5rem .8rem;min-width:0}
legend{font-weight:600;padding:0 .3rem}
label{display:block;margin:.25rem 0}
label.inline{display:inline-block;margin-right:1rem}
select,input[type=search],input[type=text]{font:inherit;width:100%;padding:.3rem;border:1px solid #888;border-radius:4px;background:#fff}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.ok{color:var(--ok)}.no{color:var(--no)}.warn{color:var(--warn)}
.box{border:1px solid var(--line);border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.3rem 0}
td,th{border:1px solid var(--line);padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:var(--soft)}
.cmd{display:flex;gap:.4rem;align-items:flex-start;margin:.25rem 0}
.cmd code{flex:1;background:var(--soft);padding:.3rem .5rem;border-radius:4px;white-space:pre-wrap;word-break:break-all;font-size:.9em}
button{font:inherit;cursor:pointer;border:1px solid #888;border-radius:4px;background:#fff;padding:.15rem .5rem}
.kind{display:inline-block;font-size:.8em;border:1px solid var(--line);border-radius:3px;padding:0 .3rem;margin-right:.3rem;background:var(--soft)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.3rem 0}dt{font-weight:600}dd{margin:0}
#grids table{font-size:.85em}
#grids td{padding:0;text-align:center;white-space:nowrap}
#grids th[scope=row]{white-space:nowrap}
#grids td button{border:0;border-radius:0;width:100%;padding:.2rem .35rem;background:transparent;min-width:3.2rem}
#grids td.pass{background:#e3f4e4}#grids td.jit{background:#f1f6d8}#grids td.fail{background:#fbe9e9}
#grids td.none{color:#999}#grids td.chosen{outline:3px solid var(--ok);outline-offset:-3px}
#grids td.selected{outline:3px solid var(--focus);outline-offset:-3px}
.legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem}.legend span{white-space:nowrap}
@media (max-width:40rem){body{padding:.5rem;font-size:14px}dl{grid-template-columns:1fr}}
</style></head><body>
<header>
<h1>Which GPU deep-learning environments work?</h1>
<p><small>Every answer on this page was computed by envsolve's solver from catalog <code>__DIGEST__</code>;
the page looks answers up and fetches nothing. <span id="coverage"></span></small></p>
</header>
<main>
<form id="f" aria-describedby="coverage" onsubmit="return false">
<fieldset><legend>Frameworks</legend><div id="fw"></div></fieldset>
<fieldset><legend>Target</legend>
<label for="target">Operating system and CPU</label><select id="target"></select>
<label for="accel">Accelerator</label><select id="accel"></select>
<label for="python">Python</label><select id="python" aria-describedby="pyhint"></select>
<small id="pyhint"></small>
</fieldset>
<fieldset id="gpubox"><legend>NVIDIA GPU</legend>
<label for="gpuq">Search by the name <code>nvidia-smi</code> prints</label>
<input id="gpuq" type="search" list="gpunames" autocomplete="off" placeholder="e.g. NVIDIA GeForce RTX 3090" aria-describedby="gpuhint">
<datalist id="gpunames"></datalist>
<label for="gpu">GPU (by architecture)</label><select id="gpu"></select>
<small id="gpuhint" aria-live="polite"></small>
</fieldset>
<fieldset id="driverbox"><legend>NVIDIA driver</legend>
<label for="driver">Driver (brackets between the catalog's driver floors)</label><select id="driver"></select>
<label for="drivertext">or type your driver version (<code>nvidia-smi</code>)</label>
<input id="drivertext" type="text" inputmode="decimal" autocomplete="off" placeholder="e.g. 535.104.05" aria-describedby="driverhint">
<small id="driverhint" aria-live="polite"></small>
</fieldset>
</form>
<section id="out" aria-live="polite" aria-label="The answer"></section>
<section id="gridsec" aria-labelledby="gridhead">
<h2 id="gridhead">Overview: every build, on this target</h2>
<p class="legend muted"><span class="ok">✓ works</span><span>✓ JIT: only through PTX JIT</span><span class="no">✗ why not</span>
<span>— no such build</span><span>? not computed on this page</span><span>★ the answer above</span></p>
<p class="muted">Each cell is envsolve's verdict on that build alone (its wheels for this OS, CPU and Python, its
kernels and cuDNN for the GPU, its driver floor); the answer above holds for the whole environment.
Choose a cell to see it and the command that asks envsolve for exactly that build.</p>
<div id="grids"></div>
<div id="buildinfo" class="box" hidden aria-live="polite"></div>
</section>
</main>
<script id="data" type="application/json">__DATA__</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
const part = (i) => D.parts[i];
const S = {build: null};

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}
function opt(sel, value, label) { sel.append(el("option", {value: value, text: label})); }
const vkey = (v) => v.split(".").map(Number);
function cmp(a, b) { for (let i = 0; i < Math.max(a.length, b.length); i++) { const d = (a[i] || 0) - (b[i] || 0); if (d) return d < 0 ? -1 : 1; } return 0; }
const norm = (s) => s.toLowerCase().replace(/\s+/g, " ").trim().replace(/^(nvidia|tesla|geforce|quadro) /, "");

// ---- controls -----------------------------------------------------------------------------------
for (const fw of D.frameworks) {
  const c = el("input", {type: "checkbox", value: fw, name: "fw", id: "fw-" + fw});
  $("fw").append(el("label", {class: "inline", for: "fw-" + fw}, c, " " + fw));
}
for (const t of D.targets) opt($("target"), t.id, t.label);
const names = new Map();
opt($("gpu"), "", "any (no GPU given)");
for (const arch of D.architectures) {
  const idx = D.gpus.map((g, i) => i).filter((i) => D.gpus[i][2] === arch);
  const ccs = [...new Set(idx.map((i) => D.gpus[i][1]))];
  const group = el("optgroup", {label: arch + " (compute capability " + ccs.join(", ") + ")"});
  for (const i of idx) group.append(el("option", {value: String(i), text: D.gpus[i][0] + " (" + D.sm[D.gpus[i][1]] + ")"}));
  $("gpu").append(group);
}
D.gpus.forEach((g, i) => {
  for (const n of [g[0], ...g[3]]) { if (!names.has(norm(n))) { names.set(norm(n), i); $("gpunames").append(el("option", {value: n})); } }
});
const target = () => D.targets.find((t) => t.id === $("target").value);
const brackets = () => D.brackets[target().family] || [];
function bracketLabel(b, i) {
  if (b[0] === null) return "older than " + brackets()[1][0];
  return b[0] + " or newer (" + b[2].join("; ") + ")";
}
function fillDrivers() {
  const keep = $("driver").value; $("driver").innerHTML = "";
  opt($("driver"), "", "not given");
  brackets().forEach((b, i) => opt($("driver"), String(i), bracketLabel(b, i)));
  if ([...$("driver").options].some((o) => o.value === keep)) $("driver").value = keep;
}
function accels() {
  const t = target(); const keep = $("accel").value; $("accel").innerHTML = "";
  for (const a of t.accelerators) opt($("accel"), a, {cuda: "NVIDIA CUDA", rocm: "AMD ROCm", mps: "Apple GPU (MPS/Metal)", cpu: "CPU only"}[a] || a);
  if (t.accelerators.includes(keep)) $("accel").value = keep;
  fillDrivers();
}
function pythons(reset) {
  const keep = $("python").value; $("python").innerHTML = "";
  const def = D.defaults[[stackId(), $("target").value, $("accel").value].join("|")];
  for (const p of D.pythons) opt($("python"), p, p + (p === def ? " (newest that works)" : ""));
  $("python").value = (!reset && D.pythons.includes(keep)) ? keep : (def || D.pythons[D.pythons.length - 1]);
  $("pyhint").textContent = def ? "Default: " + def + ", the newest Python this stack works with here." : "";
}
const stackId = () => [...document.querySelectorAll("input[name=fw]:checked")].map((c) => c.value).sort().join("+");
function typedDriver() {
  const v = $("drivertext").value.trim();
  return /^\d{2,4}(\.\d{1,3}){1,2}$/.test(v) ? v : null;
}
function bracketOf(version) {  // the bracket a driver falls in: the last whose lower end it reaches
  let found = 0; const k = vkey(version);
  brackets().forEach((b, i) => { if (b[0] !== null && cmp(vkey(b[0]), k) <= 0) found = i; });
  return found;
}

// ---- the choice ---------------------------------------------------------------------------------
function choice() {
  const cuda = $("accel").value === "cuda";
  const gi = cuda && $("gpu").value !== "" ? Number($("gpu").value) : null;
  const cc = gi === null ? null : D.gpus[gi][1];
  const b = cuda && $("driver").value !== "" ? Number($("driver").value) : null;
  const typed = b === null ? null : typedDriver();
  const br = b === null ? null : brackets()[b];
  return {
    stack: stackId(), target: $("target").value, accel: $("accel").value, python: $("python").value, cuda: cuda,
    gi: gi, cc: cc, g: cc === null ? 0 : 1 + D.ccs.indexOf(cc), b: b, d: b === null ? 0 : b + 1,
    gpuName: gi === null ? null : D.gpus[gi][0],
    driverText: br === null ? null : (typed || (br[0] === null ? "< " + brackets()[1][0] : br[1])),
    driverCmd: br === null ? null : (typed || br[1]),
  };
}
function lookup(c) {
  const cell = D.cells[[c.stack, c.target, c.accel, c.python].join("|")];
  if (!cell) return {cell: null};
  if (!c.cuda || (c.g === 0 && c.d === 0)) return {cell: cell, id: cell.a, ways: true};
  if (!cell.plane) return {cell: cell, missing: "python"};
  const id = cell.plane[c.g][c.d];
  if (id < 0) return {cell: cell, missing: "pair"};
  return {cell: cell, id: id, ways: c.d === 0 && target().plane};
}
function fill(text, c, forCommand) {
  if (text === null || text === undefined) return "";
  let out = text.split(D.tokens.gpu).join(c.gpuName || "the GPU");
  return out.split(D.tokens.driver).join((forCommand ? c.driverCmd : c.driverText) || "");
}
function command(c, cell) {
  let cmd = cell.cmd;
  if (c.cuda && c.cc !== null) cmd += " --gpu-model " + D.sm[c.cc];
  if (c.cuda && c.driverCmd) cmd += " --driver " + c.driverCmd;
  return cmd;
}

// ---- the answer ---------------------------------------------------------------------------------
function copyable(text, label) {
  const code = el("code", {text: text});
  const b = el("button", {type: "button", "aria-label": "Copy " + label, text: "Copy", onclick: () => {
    const done = () => { b.textContent = "Copied"; setTimeout(() => { b.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => select(code));
    else { select(code); try { document.execCommand("copy"); done(); } catch (e) { /* selected: copy by hand */ } }
  }});
  return el("div", {class: "cmd"}, code, b);
}
function select(node) { const r = document.createRange(); r.selectNodeContents(node); const s = getSelection(); s.removeAllRanges(); s.addRange(r); }
function list(items) { const ul = el("ul"); for (const i of items) ul.append(i instanceof Node ? el("li", {}, i) : el("li", {text: i})); return ul; }

function renderAnswer(c, found) {
  const out = $("out"); out.innerHTML = "";
  if (!c.stack) { out.append(el("p", {text: "Pick one or more frameworks."})); return null; }
  if (!found.cell) {
    out.append(el("p", {class: "no", text: "The stack " + c.stack + " is not on this page (it holds each framework alone and each pair)."}));
    return null;
  }
  if (found.missing) {
    const why = found.missing === "python"
      ? "GPU and driver answers are on this page for the newest Python that works with this stack here (" + D.defaults[[c.stack, c.target, c.accel].join("|")] + ")."
      : "On this page a GPU and a driver together are answered for " + D.targets.filter((t) => t.plane).map((t) => t.label).join(", ") + "; here, a GPU or a driver.";
    out.append(el("h2", {text: "Not computed for this page"}), el("p", {text: why + " This command answers it, with every checked way out:"}),
      copyable(command(c, found.cell), "the envsolve command"));
    if (found.missing === "python") out.append(el("p", {}, el("button", {type: "button", text: "Use Python " + D.defaults[[c.stack, c.target, c.accel].join("|")], onclick: () => { $("python").value = D.defaults[[c.stack, c.target, c.accel].join("|")]; update(); }})));
    return null;
  }
  const a = D.answers[found.id];
  if (a.ok) renderSolution(out, a, c, found); else renderConflict(out, a, c, found);
  return a;
}
function renderSolution(out, a, c, found) {
  const pk = part(a.packages), sys = part(a.system);
  const fws = pk.filter((p) => p[3] === "framework").map((p) => p[0] + " " + p[1] + (p[2] ? " (" + p[2] + ")" : ""));
  out.append(el("h2", {class: "ok", text: "Works: " + fws.join(" + ")}));
  const table = el("table", {}, el("caption", {class: "muted", text: "Packages (install them with the commands below)"}));
  table.append(el("tr", {}, ...["package", "version", "build", "role", "from", ""].map((h) => el("th", {scope: "col", text: h}))));
  for (const p of pk.filter((p) => p[3] !== "gpu-library"))
    table.append(el("tr", {class: "pkg"}, el("td", {text: p[0] + (p[5] ? "[" + p[5] + "]" : "")}), el("td", {text: p[1]}), el("td", {text: p[2]}),
      el("td", {text: p[3]}), el("td", {text: p[4] || "PyPI"}), el("td", {class: p[6] ? "" : "warn", text: p[6] ? "" : "unverified"})));
  out.append(el("div", {class: "scroll"}, table));
  const libs = pk.filter((p) => p[3] === "gpu-library");
  if (libs.length) out.append(el("details", {}, el("summary", {text: "GPU libraries (" + libs.length + ")"}),
    list(libs.map((p) => p[0] + " " + p[1] + (p[6] ? "" : " (unverified)")))));
  if (c.accel === "cuda") {
    out.append(el("h3", {text: "CUDA, cuDNN, NCCL"}));
    const per = Object.entries(sys.cuda_per_framework || {}).map(([k, v]) => k + " " + v).join(", ");
    const dl = el("dl", {},
      el("dt", {text: "CUDA"}), el("dd", {text: (sys.cuda || "?") + (per ? " (" + per + ")" : "") + (sys.system_cuda_required ? "; needs a system CUDA install" : "; brought by the wheels")}),
      el("dt", {text: "cuDNN"}), el("dd", {text: sys.cudnn || "?"}),
      el("dt", {text: "NCCL"}), el("dd", {text: sys.nccl || "?"}));
    out.append(dl);
    out.append(el("h3", {text: "NVIDIA driver"}));
    const dt = el("table", {}, el("tr", {}, ...["driver", "full support", "minor-version compatibility (no PTX JIT)"].map((h) => el("th", {scope: "col", text: h}))));
    for (const [fam, f] of Object.entries(sys.driver_min || {}))
      dt.append(el("tr", {}, el("th", {scope: "row", text: fam === "linux" ? "Linux" : "Windows (and WSL2)"}), el("td", {text: f.full ? ">= " + f.full : "none published"}), el("td", {text: f.minor_compat ? ">= " + f.minor_compat : "none published"})));
    out.append(el("div", {class: "scroll"}, dt));
    const relies = Object.entries(sys.driver_relies_on || {});
    if (relies.length) out.append(el("p", {text: "Driver " + c.driverText + ": " + relies.map(([k, v]) => k + " runs with " + (v === "unchecked" ? "no published floor (unchecked)" : v + " support")).join("; ") + "."}));
    else out.append(el("p", {class: "muted", text: "No driver given: pick yours above to check it."}));
    out.append(el("h3", {text: "GPU kernels"}));
    const gs = sys.gpu_support || {sass: [], ptx: []};
    const kl = el("dl", {},
      el("dt", {text: "Kernels (SASS)"}), el("dd", {text: (sys.compute_capabilities || []).join(" ") || "not catalogued"}),
      el("dt", {text: "PTX"}), el("dd", {text: (sys.ptx || []).join(" ") || "none"}),
      el("dt", {text: "Runs natively on"}), el("dd", {text: gs.sass.length ? "compute capability " + gs.sass.join(", ") : "none known"}),
      el("dt", {text: "Only through PTX JIT"}), el("dd", {text: gs.ptx.length ? gs.ptx.join(", ") : "none"}));
    out.append(kl);
    if (c.cc !== null) {
      const how = gs.sass.includes(c.cc) ? "runs it natively" : gs.ptx.includes(c.cc) ? "runs it only through PTX JIT (slow first start; needs the full driver floor)" : "is not in either list";
      out.append(el("p", {text: c.gpuName + " (compute capability " + c.cc + ") " + how + "."}));
    }
  }
  const warnings = a.warnings.map((i) => fill(part(i), c, false));
  if (warnings.length) {
    out.append(el("h3", {class: "warn", text: "Warnings"}));
    out.append(list(warnings.map((w) => el("span", {class: w.startsWith("UNVERIFIED") ? "warn" : "", text: w}))));
  }
  out.append(el("h3", {text: "Install"}));
  for (const i of a.install) out.append(copyable(part(i), "the install command"));
  renderCommands(out, c, found);
}
function renderConflict(out, a, c, found) {
  out.append(el("h2", {class: "no", text: "No working environment"}));
  if (!a.causes.length || part(a.causes[0])[1] !== a.summary) out.append(el("p", {text: fill(a.summary, c, false)}));
  out.append(el("h3", {text: "Why"}));
  out.append(list(a.causes.map((i) => { const k = part(i); return el("span", {}, el("span", {class: "kind", text: k[0]}), fill(k[1], c, false)); })));
  out.append(el("h3", {text: "Ways out"}));
  const ways = a.suggestions.map((i) => part(i));
  const items = ways.map((w) => el("div", {class: "way"}, el("p", {}, el("span", {class: "kind", text: w[0]}), fill(w[1], c, false)),
    w[2] ? copyable(fill(w[2], c, true), "the command of this way out") : null));
  if (c.d > 0 && found.cell.plane) {  // a newer driver: the nearest bracket of this row with a working answer
    const row = found.cell.plane[c.g];
    for (let d = c.d + 1; d < row.length; d++) {
      if (row[d] >= 0 && D.answers[row[d]].ok) {
        const b = brackets()[d - 1];
        const fws = part(D.answers[row[d]].packages).filter((p) => p[3] === "framework").map((p) => p[0] + " " + p[1] + (p[2] ? " (" + p[2] + ")" : ""));
        items.push(el("div", {class: "way"}, el("p", {}, el("span", {class: "kind", text: "driver"}),
          "with driver " + b[0] + " or newer (" + b[2].join("; ") + "): " + fws.join(" + ") + " works. ",
          el("button", {type: "button", class: "use-driver", text: "Show it", onclick: () => { $("drivertext").value = ""; $("driver").value = String(d - 1); update(); }}))));
        break;
      }
    }
  }
  if (!items.length) out.append(el("p", {class: "muted", text: found.ways ? "envsolve found no way out that works." :
    "Ways out were not computed for this choice on this page; the command below prints them, each checked."}));
  for (const i of items) out.append(i);
  renderCommands(out, c, found);
}
function renderCommands(out, c, found) {
  out.append(el("h3", {text: "The envsolve command for this choice"}));
  const cmd = command(c, found.cell);
  out.append(copyable(cmd, "the envsolve command"));
  out.append(el("p", {class: "muted", text: "Write its lock set (requirements with hashes, pylock, conda-lock, install script, Dockerfile):"}));
  out.append(copyable(cmd + " --out lockfiles", "the lock set command"));
}

// ---- the overview grid --------------------------------------------------------------------------
const cls = {ok: "pass", jit: "jit"};
function verdict(fw, i, c) {  // [class, short label, full text] of build i of fw for the choice
  const B = D.builds[fw]; const b = B.builds[i]; const ctx = D.contexts[b[2]] || b[2];
  const row = D.grids[[fw, c.target, ctx, c.python, ctx === "cuda" && c.cc !== null ? c.cc : ""].join("|")];
  if (row === undefined) return ["none", "?", "not computed on this page for this choice"];
  const code = D.rows[row][B.pos[ctx][i]];
  if (!code) return ["none", "?", "not computed on this page for this choice"];
  const r = D.reasons[Math.floor(code / 64)], first = code % 64 - 1;
  if (r[0] === "ok" || r[0] === "jit") {
    if (ctx === "cuda" && c.b !== null && (first < 0 || first > c.b)) {
      const need = first < 0 ? "no catalogued driver runs it" : "driver below " + brackets()[first][0];
      return ["fail", "✗ driver", need];
    }
    return [cls[r[0]], r[0] === "ok" ? "✓" : "✓ JIT", r[0] === "ok" ? "passes every check of this build" : fill(r[1], c, false)];
  }
  const short = {platform: "✗ OS/CPU", python: "✗ Python", gpu: "✗ kernels", cudnn: "✗ cuDNN", driver: "✗ driver", broken: "✗ broken", package: "✗ wheels"}[r[0]] || "✗";
  return ["fail", short, fill(r[1], c, false)];
}
function renderGrids(c, answer) {
  const box = $("grids"); box.innerHTML = "";
  if (!c.stack || !D.cells[[c.stack, c.target, c.accel, c.python].join("|")]) return;
  const chosen = new Set(answer && answer.ok ? part(answer.packages).filter((p) => p[3] === "framework").map((p) => p[0] + " " + p[1] + " " + p[2]) : []);
  for (const fw of c.stack.split("+")) {
    const B = D.builds[fw];
    if (!B.pos) { B.pos = {}; for (const [ctx, idx] of Object.entries(B.contexts)) { B.pos[ctx] = {}; idx.forEach((bi, j) => { B.pos[ctx][bi] = j; }); } B.at = new Map(B.builds.map((b, i) => [b[0] + " " + b[1], i])); }
    const cols = B.columns.filter((col) => B.versions.some((v) => { const i = B.at.get(v + " " + col); return i !== undefined && verdict(fw, i, c)[0] !== "none" && verdict(fw, i, c)[1] !== "✗ OS/CPU"; }));
    const t = target();
    const caption = fw + " builds for " + t.label + ", Python " + c.python + (c.cuda && c.gpuName ? ", " + c.gpuName : "") + (c.cuda && c.driverText ? ", driver " + c.driverText : "");
    box.append(el("h3", {text: caption}));
    if (!cols.length) { box.append(el("p", {class: "muted", text: "No build of " + fw + " has wheels for " + t.label + "."})); continue; }
    const table = el("table", {class: "grid", "data-framework": fw}, el("caption", {class: "muted", text: "Rows: " + fw + " versions; columns: builds"}));
    table.append(el("tr", {}, el("th", {scope: "col", text: "version"}), ...cols.map((col) => el("th", {scope: "col", text: col}))));
    for (const v of B.versions) {
      const tr = el("tr", {}, el("th", {scope: "row", text: v}));
      for (const col of cols) {
        const i = B.at.get(v + " " + col);
        if (i === undefined) { tr.append(el("td", {class: "none", text: "—", title: "no " + col + " build of " + fw + " " + v})); continue; }
        const [k, label, full] = verdict(fw, i, c);
        const star = chosen.has(B.distribution + " " + v + " " + col);
        const id = fw + ":" + v + ":" + col;
        const td = el("td", {class: k + (star ? " chosen" : "") + (S.build === id ? " selected" : "")});
        td.append(el("button", {type: "button", title: full, "aria-label": fw + " " + v + " " + col + ": " + (star ? "the answer above; " : "") + full,
          "aria-pressed": S.build === id ? "true" : "false", text: (star ? "★ " : "") + label, onclick: () => { S.build = id; update(); }}));
        tr.append(td);
      }
      table.append(tr);
    }
    box.append(el("div", {class: "scroll"}, table));
  }
  renderBuild(c);
}
function renderBuild(c) {
  const box = $("buildinfo"); box.innerHTML = "";
  if (!S.build) { box.hidden = true; return; }
  const [fw, v, col] = S.build.split(":"); const B = D.builds[fw];
  const i = B && B.at ? B.at.get(v + " " + col) : undefined;
  if (i === undefined || !c.stack.split("+").includes(fw)) { box.hidden = true; return; }
  const b = B.builds[i]; const [k, label, full] = verdict(fw, i, c);
  box.hidden = false;
  box.append(el("h3", {text: B.distribution + " " + v + " (" + col + ")"}));
  box.append(el("p", {class: k === "fail" ? "no" : k === "none" ? "muted" : "ok", text: (k === "fail" ? "Does not work here: " : k === "none" ? "" : "Works here: ") + full}));
  const floors = Object.entries(b[7]).map(([fam, f]) => fam + " >= " + (f[0] || "?") + (f[1] && f[1] !== f[0] ? " (" + f[1] + " with minor-version compatibility)" : "")).join("; ");
  box.append(el("dl", {},
    el("dt", {text: "accelerator"}), el("dd", {text: b[2] + (b[3] ? ", CUDA " + b[3] : "")}),
    el("dt", {text: "cuDNN / NCCL"}), el("dd", {text: (b[4] || "—") + " / " + (b[5] || "—")}),
    el("dt", {text: "driver floors"}), el("dd", {text: floors || "—"}),
    el("dt", {text: "from"}), el("dd", {text: b[6] || "PyPI"})));
  const cell = D.cells[[c.stack, c.target, c.accel, c.python].join("|")];
  const where = cell.cmd.slice(cell.cmd.indexOf(" --os "));
  let cmd = "envsolve " + b[8][0] + " " + b[8][1] + where;
  if (b[2] === "cuda" && c.cc !== null) cmd += " --gpu-model " + D.sm[c.cc];
  if (b[2] === "cuda" && c.driverCmd) cmd += " --driver " + c.driverCmd;
  if (b[8][2]) cmd += " " + b[8][2];
  box.append(el("p", {text: "Ask envsolve for exactly this build (alone):"}), copyable(cmd, "the command for this build"));
}

// ---- state <-> URL --------------------------------------------------------------------------------
let shown = null;
function update() {
  const c = choice();
  const state = JSON.stringify([c, $("drivertext").value, S.build]);
  if (state === shown) return;  // nothing changed: keep the page as it is (and the element under the pointer)
  shown = state;
  $("gpubox").disabled = $("driverbox").disabled = !c.cuda;
  $("gpuhint").textContent = c.cc !== null ? c.gpuName + ": compute capability " + c.cc + " (" + D.sm[c.cc] + ")" : "";
  const raw = $("drivertext").value.trim();
  $("driverhint").textContent = raw && !typedDriver() ? "Not a driver version like 535.104.05." :
    c.b !== null ? "Answers for every driver from " + (brackets()[c.b][0] || "the oldest") + (c.b + 1 < brackets().length ? " up to " + brackets()[c.b + 1][0] : " up") + " are the same." : "";
  const found = lookup(c);
  const answer = renderAnswer(c, found);
  renderGrids(c, answer);
  const h = new URLSearchParams({stack: c.stack, target: c.target, accel: c.accel, python: c.python});
  if (c.gpuName) h.set("gpu", c.gpuName);
  if (c.b !== null) h.set("driver", typedDriver() || (brackets()[c.b][0] === null ? "below" : brackets()[c.b][0]));
  if (S.build) h.set("build", S.build);
  history.replaceState(null, "", "#" + h.toString());
}
function fromHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  const stack = (h.get("stack") || (D.frameworks.includes("pytorch") && D.frameworks.includes("tensorflow") ? "pytorch+tensorflow" : D.frameworks[0])).split("+");
  for (const c of document.querySelectorAll("input[name=fw]")) c.checked = stack.includes(c.value);
  if (h.get("target") && D.targets.some((t) => t.id === h.get("target"))) $("target").value = h.get("target");
  accels();
  if (h.get("accel") && target().accelerators.includes(h.get("accel"))) $("accel").value = h.get("accel");
  else if (!h.get("accel") && target().accelerators.includes("cuda")) $("accel").value = "cuda";
  pythons(true);
  if (h.get("python") && D.pythons.includes(h.get("python"))) $("python").value = h.get("python");
  const gpu = h.get("gpu"); $("gpu").value = "";
  if (gpu !== null && names.has(norm(gpu))) { $("gpu").value = String(names.get(norm(gpu))); $("gpuq").value = gpu; }
  const drv = h.get("driver"); $("driver").value = ""; $("drivertext").value = "";
  if (drv === "below") $("driver").value = "0";
  else if (drv && /^\d{2,4}(\.\d{1,3}){1,2}$/.test(drv)) {
    const b = bracketOf(drv); $("driver").value = String(b);
    if (brackets()[b][0] !== drv) $("drivertext").value = drv;
  }
  S.build = h.get("build");
}
$("f").addEventListener("change", (e) => {
  const id = e.target.id;
  if (id === "gpuq" || id === "drivertext") return;  // handled as they are typed
  if (id === "target") { accels(); pythons(true); }
  else if (id === "accel" || e.target.name === "fw") pythons(true);
  else if (id === "gpu") $("gpuq").value = $("gpu").value === "" ? "" : D.gpus[Number($("gpu").value)][0];
  else if (id === "driver") $("drivertext").value = "";
  update();
});
$("gpuq").addEventListener("input", () => {
  const q = norm($("gpuq").value);
  if (!q) return;
  if (names.has(q)) { $("gpu").value = String(names.get(q)); update(); return; }
  const hits = D.gpus.map((g, i) => i).filter((i) => [D.gpus[i][0], ...D.gpus[i][3]].some((n) => norm(n).includes(q)));
  $("gpuhint").textContent = hits.length ? hits.length + " match(es): " + hits.slice(0, 6).map((i) => D.gpus[i][0]).join(", ") + (hits.length > 6 ? ", ..." : "") : "No catalogued GPU matches.";
  if (hits.length === 1) { $("gpu").value = String(hits[0]); update(); }
});
$("drivertext").addEventListener("input", () => {
  const v = typedDriver();
  if (v) $("driver").value = String(bracketOf(v));
  update();
});
window.addEventListener("hashchange", () => { fromHash(); update(); });
const cov = D.targets.filter((t) => t.plane).map((t) => t.label);
$("coverage").textContent = "GPU and driver answers: " + (D.every_python ? "every Python" : "the newest Python that works with each stack") + "; every GPU x every driver bracket on " + cov.join(", ") +
  (D.targets.some((t) => t.columns) ? ", a GPU or a driver elsewhere" : "") + ". GPUs of one compute capability, and drivers between two catalogued driver floors, get the same answer.";
fromHash(); update();
</script></body></html>
"""
