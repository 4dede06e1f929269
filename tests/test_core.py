"""The core's pieces on their own: the resolvelib provider, building a request, the fact cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from resolvelib import BaseReporter, Resolver

from resolver import catalog
from resolver.candidates import candidates
from resolver.errors import UsageError
from resolver.provider import CUDA_MAJOR, EnvironmentProvider, LibraryPin, MajorChoice, Requirement
from resolver.request import Host, build_request
from resolver.rules.cache import FactCache
from resolver.rules.target import Request, StackItem, Target

MINI = Path(__file__).parent / "fixtures" / "mini"
LINUX = Target("linux", "x86_64", "3.12", (), None)


@pytest.fixture(scope="module")
def cat():
    return catalog.load(MINI)


def _pools(cat, request):
    return {item.framework: candidates(cat, item, request, LINUX)[0] for item in request.stack}


def test_provider_prefers_requested_frameworks_in_order_then_the_cuda_major_then_libraries(cat):
    request = Request((StackItem("tensorflow", SpecifierSet(), "tf"), StackItem("pytorch", SpecifierSet(), "torch")),
                      "cuda", None, None)
    provider = EnvironmentProvider(cat, _pools(cat, request), ["tensorflow", "pytorch"], LINUX)
    ranks = sorted(["nvidia-nccl-cu12", CUDA_MAJOR, "pytorch", "nvidia-cudnn-cu12", "tensorflow"],
                   key=lambda i: provider.get_preference(i, {}, {}, {}, []))
    assert ranks == ["tensorflow", "pytorch", CUDA_MAJOR, "nvidia-cudnn-cu12", "nvidia-nccl-cu12"]


def test_provider_offers_published_library_versions_newest_first_within_every_demand(cat):
    provider = EnvironmentProvider(cat, {}, [], LINUX)
    reqs = [Requirement("nvidia-nccl-cu12", SpecifierSet(">=2.20"), None),
            Requirement("nvidia-nccl-cu12", SpecifierSet("<2.27"), None)]
    matches = list(provider.find_matches("nvidia-nccl-cu12", {"nvidia-nccl-cu12": iter(reqs)}, {"nvidia-nccl-cu12": iter(())}))
    versions = [m.version for m in matches if isinstance(m, LibraryPin)]
    assert versions and versions == sorted(versions, reverse=True)
    assert all(SpecifierSet(">=2.20,<2.27").contains(v) for v in versions)
    two = [Requirement(CUDA_MAJOR, None, "12"), Requirement(CUDA_MAJOR, None, "13")]
    assert list(provider.find_matches(CUDA_MAJOR, {CUDA_MAJOR: iter(two)}, {CUDA_MAJOR: iter(())})) == []
    one = [Requirement(CUDA_MAJOR, None, "12")]
    assert list(provider.find_matches(CUDA_MAJOR, {CUDA_MAJOR: iter(one)}, {CUDA_MAJOR: iter(())})) == [MajorChoice("12")]


def test_provider_drives_resolvelib_on_its_own(cat):
    request = Request((StackItem("pytorch", SpecifierSet(), "torch"),), "cuda", None, None)
    provider = EnvironmentProvider(cat, _pools(cat, request), ["pytorch"], LINUX)
    result = Resolver(provider, BaseReporter()).resolve([Requirement("pytorch", None, None)])
    assert result.mapping["pytorch"].describe() == "torch 2.8.0 (cu128)"
    assert result.mapping[CUDA_MAJOR] == MajorChoice("12")
    assert result.mapping["nvidia-cudnn-cu12"] == LibraryPin("nvidia-cudnn-cu12", "9.10.2.21")


def test_build_request_is_pure_and_uses_the_host_for_defaults(cat):
    arm_mac = Host("macos", "aarch64", "3.13")
    request, target = build_request(cat, "torch", accelerator="gpu", os_name="windows", host=arm_mac)
    assert (request.accelerator, target.os, target.arch, target.python) == ("cuda", "windows", "x86_64", "3.13")
    request, target = build_request(cat, "torch", accelerator="gpu", host=arm_mac)
    assert (request.accelerator, target.platform) == ("mps", "macos-arm64")
    _, target = build_request(cat, "torch", gpu_models=["V100"], host=Host("linux", "x86_64", "3.12", "550.54.15"),
                              detect=True)
    assert target.driver == "550.54.15" and target.gpus[0].compute_capability == "7.0"
    with pytest.raises(UsageError, match="AMD ROCm builds exist on linux only, not on windows"):
        build_request(cat, "torch", rocm="any", os_name="windows", host=arm_mac)
    with pytest.raises(UsageError, match="envsolve knows windows on x86_64 only, not arm64"):
        build_request(cat, "torch", os_name="windows", arch="arm64", host=arm_mac)


def test_fact_cache_is_bounded_and_keyed_on_values():
    cache = FactCache(max_entries=10)
    calls = []
    for i in range(25):
        assert cache.get(("key", i), lambda: calls.append(i) or i) == i
    assert len(cache) <= 10
    assert cache.get(("key", 24), lambda: -1) == 24  # the newest answers are kept
    assert len(calls) == 25
