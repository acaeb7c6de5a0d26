"""Builds the extension fmi._fmi with CMake for `pip install .` (see
pyproject.toml for the package metadata).

The extension is the CMake target fmi_python_module (python/CMakeLists.txt);
it links the static C++ library, so the wheel needs nothing of fmi at run
time besides the system libraries the library uses (libhiredis, libcurl,
libcrypto when those channels are built).

Environment knobs:
  FMI_CMAKE_BUILD_TYPE     CMake build type (default Release)
  FMI_CMAKE_ARGS           extra CMake arguments, space separated
  CMAKE_BUILD_PARALLEL_LEVEL  build jobs (default: the number of CPUs)
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def version():
    text = (ROOT / "include" / "fmi" / "version.hpp").read_text()
    match = re.search(r'version\s*=\s*"([0-9][^"]*)"', text)
    if not match:
        raise RuntimeError("cannot find the version in include/fmi/version.hpp")
    return match.group(1)


class CMakeExtension(Extension):
    """An extension whose sources CMake knows; setuptools compiles nothing."""

    def __init__(self, name, target):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        destination = Path(self.get_ext_fullpath(ext.name)).resolve()
        build_dir = Path(self.build_temp).resolve() / "cmake"
        package_dir = build_dir / "package"
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            f"-DCMAKE_BUILD_TYPE={os.environ.get('FMI_CMAKE_BUILD_TYPE', 'Release')}",
            f"-DPython3_EXECUTABLE={sys.executable}",
            f"-DFMI_PYTHON_BUILD_DIR={package_dir}",
            "-DFMI_BUILD_PYTHON=ON", "-DFMI_BUILD_TESTS=OFF", "-DFMI_BUILD_TOOLS=OFF",
            "-DFMI_BUILD_EXAMPLES=OFF", "-DFMI_BUILD_BENCH=OFF",
            *shlex.split(os.environ.get("FMI_CMAKE_ARGS", "")),
        ]
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", ext.target, "-j", jobs], check=True)
        built = sorted((package_dir / "fmi").glob("_fmi*.so"))
        if not built:
            raise RuntimeError(f"CMake did not produce fmi/_fmi*.so under {package_dir}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], destination)


setup(
    version=version(),
    ext_modules=[CMakeExtension("fmi._fmi", target="fmi_python_module")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
