"""Hatchling build hook: puts the mockllm binary into the wheel and tags the wheel for the
platform that binary runs on.

The binary is not in the source tree: scripts/wheel builds it (Swift runtime and libuv linked in
statically, stripped) and names it in MOCKLLM_WHEEL_BINARY. The wheel's tag is
`py3-none-manylinux_2_<minor>_<arch>`: any Python 3 (the package is Python code around a
program, with no extension module), for the glibc this build machine has. What the binary still
loads (libc, libm, libstdc++, libgcc_s) is what every glibc Linux has, and a program linked
against glibc 2.N runs on 2.N and later.
MOCKLLM_WHEEL_PLATFORM overrides the computed tag: scripts/wheel sets it to the older
manylinux tag auditwheel finds the binary's symbol versions allow.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def glibc_platform_tag() -> str:
    """`manylinux_2_36_x86_64` on a machine with glibc 2.36; fails elsewhere (musl, macOS)."""
    libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    if not libc or not libc.startswith("glibc "):
        raise RuntimeError(
            f"cannot compute a manylinux tag: this machine's C library is {libc or 'not glibc'}; "
            "set MOCKLLM_WHEEL_PLATFORM to the wheel's platform tag"
        )
    major, minor = libc.split()[1].split(".")[:2]
    machine = platform.machine()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine.lower(), machine)
    return f"manylinux_{int(major)}_{int(minor)}_{arch}"


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        configured = os.environ.get("MOCKLLM_WHEEL_BINARY")
        if not configured:
            raise RuntimeError(
                "MOCKLLM_WHEEL_BINARY is not set: build the wheel with scripts/wheel, which builds "
                "the static mockllm binary and names it here"
            )
        binary = Path(configured).resolve()
        if not binary.is_file() or not os.access(binary, os.X_OK):
            raise RuntimeError(f"MOCKLLM_WHEEL_BINARY={configured} is not an executable file")
        build_data["force_include"][str(binary)] = "mockllm_server/bin/mockllm"
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{os.environ.get('MOCKLLM_WHEEL_PLATFORM') or glibc_platform_tag()}"
