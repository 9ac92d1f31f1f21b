"""`python -m mockllm_server ARGS` runs `mockllm ARGS`."""

from ._cli import main

main()
