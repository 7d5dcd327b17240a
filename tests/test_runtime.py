"""Runtime resolution: ``precision = "auto"`` picks bf16 only where the device computes it natively."""

from __future__ import annotations

import pytest
import torch

from archgen import device as device_module
from archgen.errors import ConfigError
from archgen.runtime import Runtime


@pytest.mark.parametrize(("native", "expected"), [(True, "bf16"), (False, "fp32")])
def test_auto_precision_on_cpu_follows_native_bf16(monkeypatch, native, expected):
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: native)
    runtime = Runtime.resolve("cpu", 1, "auto")
    assert runtime.precision == expected
    assert runtime.autocast_dtype == (torch.bfloat16 if native else None)


def test_cpuinfo_flags_decide_native_bf16(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    original = device_module.Path

    def fake_path(name):
        return cpuinfo if name == "/proc/cpuinfo" else original(name)

    monkeypatch.setattr(device_module, "Path", fake_path)
    for flags, native in (("fpu avx512f avx512_bf16", True), ("fpu amx_bf16 amx_tile", True), ("fpu avx2 avx512f", False)):
        cpuinfo.write_text(f"flags\t\t: {flags}\n")
        device_module.cpu_has_native_bf16.cache_clear()
        assert device_module.cpu_has_native_bf16() is native
    cpuinfo.unlink()
    device_module.cpu_has_native_bf16.cache_clear()
    assert device_module.cpu_has_native_bf16() is False
    device_module.cpu_has_native_bf16.cache_clear()


def test_explicit_precisions_are_kept_and_unknown_ones_named():
    assert Runtime.resolve("cpu", 1, "bf16").precision == "bf16"
    assert Runtime.resolve("cpu", 1, "fp32").precision == "fp32"
    with pytest.raises(ConfigError, match=r"unknown precision 'int8'; expected one of \['bf16', 'fp16', 'fp32', 'auto'\]"):
        Runtime.resolve("cpu", 1, "int8")
