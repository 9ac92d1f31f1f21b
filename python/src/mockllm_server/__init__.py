"""mockllm-server: the mockllm mock LLM API server as a Python package.

- the `mockllm` command (and `python -m mockllm_server`) runs the bundled binary;
- `MockLLMServer` starts one on a free port from Python (unittest, scripts);
- the pytest plugin (registered on install) gives the `mockllm` and `mockllm_server` fixtures.

Docs: docs/TESTING.md in the repository.
"""

from ._binary import binary_path
from .scope import MockLLMTest, make_test_id
from .server import MockLLMError, MockLLMServer, ScopesUnavailable

try:
    from importlib.metadata import PackageNotFoundError, version as _version

    __version__ = _version("mockllm-server")
except PackageNotFoundError:  # imported from a source tree, not installed
    __version__ = "0+unknown"

__all__ = [
    "MockLLMError",
    "MockLLMServer",
    "MockLLMTest",
    "ScopesUnavailable",
    "binary_path",
    "make_test_id",
    "__version__",
]
