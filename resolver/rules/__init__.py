"""The compatibility rules: one implementation of each, returning values, never sentences.

Every consumer (the solver, the explanation, doctor, check and its fleet checks, the report and the
emitted install scripts) asks these modules and only words or prints what they return.

- :mod:`.platform`: OS and CPU names, the platform a target installs wheels for, which OS's
  driver table applies (WSL2 runs on the Windows driver), what the host machine is.
- :mod:`.driver`: driver floors of a build (full support and minor-version compatibility, per
  driver family) and the verdict for a driver: full, minor-version compatibility, no published
  floor, or below.
- :mod:`.kernels`: which kernels a build ships (SASS and PTX, catalogued or derived from its
  toolkit) and whether a GPU runs them natively, through PTX JIT, or not at all.
- :mod:`.wheels`: whether a wheel or a set of wheel tags serves a CPython version on a platform.
- :mod:`.libraries`: which distributions are GPU libraries, which CUDA major a library belongs
  to, and how CUDA-major libraries are named.
- :mod:`.builds`: facts of one framework build joined from the curated catalog and the harvested
  PyPI data: platforms, Pythons, requirements on the target, companions.
- :mod:`.cache`: a bounded cache of derived facts per catalog.

Layering: catalog -> rules -> solver -> explain / report / emit -> cli. Nothing here imports a
module above it.
"""
