# shellcheck shell=bash
# The original Python mockllm (PyPI `mockllm` 0.0.8), as the benchmark's reference.
# Source it, don't run it (it sources common.sh beside it for apt_install if need be). Safe under `set -euo pipefail`.
#
#   python_mockllm_install DIR                          venv at DIR with mockllm==0.0.8 (reused if there)
#   python_mockllm_start DIR RESPONSES_YML PORT LOGFILE sets PY_MOCK_PID, waits until it answers
#   python_mockllm_stop                                 stops what python_mockllm_start started
#
# How it is run, so that the comparison is fair:
# - `mockllm start` calls `uvicorn.run("mockllm.server:app", host, port, reload=True)`; its
#   `--reload` flag defaults to true and cannot be turned off. Reload adds a supervisor process
#   that re-scans every *.py under the working directory 4 times a second (uvicorn's StatReload,
#   as `watchfiles` is not installed) and serves from one child process. We run the same app with
#   the same uvicorn defaults but without that supervisor: `python -m uvicorn mockllm.server:app`,
#   ONE process, one worker, the responses file named by MOCKLLM_RESPONSES_FILE as `start` does.
# - mockllm depends on plain `uvicorn`, not `uvicorn[standard]`: no uvloop and no httptools, so
#   uvicorn's `auto` choices are the asyncio event loop and the h11 HTTP parser. We install
#   nothing more, as a user's `pip install mockllm` would not.
# - Access logging stays on (uvicorn's default, what users get), written to LOGFILE;
#   PY_MOCK_ACCESS_LOG=0 turns it off.
# - Lag: the original only lags when the YAML says `settings: lag_enabled: true` (default false),
#   so RESPONSES_YML should say `lag_enabled: false` or leave it out.
# - Beware its bug 1 (docs/MIGRATING.md): a stream looks the prompt up, then looks the REPLY up again as
#   a prompt, so it streams `defaults.unknown_response` (or "I don't know the answer to that.")
#   rather than the scripted reply. For equal work per stream, make the default reply the same
#   text as the scripted one.

# shellcheck source=scripts/lib/common.sh
declare -F apt_install >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PYTHON_MOCKLLM_VERSION=0.0.8
PY_MOCK_PID=""

# The mockllm version installed in the venv at $1, or nothing.
_python_mockllm_version() {
    [ -x "$1/bin/python" ] || return 0
    "$1/bin/python" -c 'import importlib.metadata as m; print(m.version("mockllm"))' 2>/dev/null || true
}

python_mockllm_install() {
    local dir=${1:?python_mockllm_install DIR}
    if [ "$(_python_mockllm_version "$dir")" = "$PYTHON_MOCKLLM_VERSION" ]; then
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || apt_install python3
    rm -rf "$dir"
    if ! python3 -m venv "$dir" >/dev/null 2>&1; then
        # Debian's python3 needs python3-venv (ensurepip) for `-m venv`.
        rm -rf "$dir"
        apt_install python3-venv
        python3 -m venv "$dir" || { echo "python_mockllm_install: cannot create a venv at $dir" >&2; return 1; }
    fi
    echo "installing mockllm==$PYTHON_MOCKLLM_VERSION into $dir (pip)" >&2
    "$dir/bin/python" -m pip install -q --disable-pip-version-check "mockllm==$PYTHON_MOCKLLM_VERSION" || {
        echo "python_mockllm_install: pip install mockllm==$PYTHON_MOCKLLM_VERSION failed" >&2
        return 1
    }
    if [ "$(_python_mockllm_version "$dir")" != "$PYTHON_MOCKLLM_VERSION" ]; then
        echo "python_mockllm_install: mockllm $PYTHON_MOCKLLM_VERSION is not importable from $dir" >&2
        return 1
    fi
}

python_mockllm_start() {
    local dir=${1:?python_mockllm_start DIR RESPONSES_YML PORT LOGFILE}
    local responses=${2:?python_mockllm_start DIR RESPONSES_YML PORT LOGFILE}
    local port=${3:?python_mockllm_start DIR RESPONSES_YML PORT LOGFILE}
    local log=${4:?python_mockllm_start DIR RESPONSES_YML PORT LOGFILE}
    [ -x "$dir/bin/python" ] || { echo "python_mockllm_start: no venv at $dir (python_mockllm_install first)" >&2; return 1; }
    [ -f "$responses" ] || { echo "python_mockllm_start: no responses file $responses" >&2; return 1; }
    responses=$(cd "$(dirname "$responses")" && pwd)/$(basename "$responses")
    local access_log=--access-log
    [ "${PY_MOCK_ACCESS_LOG:-1}" = 0 ] && access_log=--no-access-log

    # From the venv's directory, so nothing it imports comes from the current one.
    (cd "$dir" && MOCKLLM_RESPONSES_FILE="$responses" exec "$dir/bin/python" -m uvicorn mockllm.server:app \
        --host 127.0.0.1 --port "$port" --workers 1 --loop auto --http auto "$access_log" \
        </dev/null >"$log" 2>&1) &
    PY_MOCK_PID=$!

    local deadline=$((SECONDS + 30))
    while :; do
        if ! kill -0 "$PY_MOCK_PID" 2>/dev/null; then
            echo "python_mockllm_start: the Python mockllm exited at start; the end of $log:" >&2
            tail -n 20 "$log" >&2 || true
            PY_MOCK_PID=""
            return 1
        fi
        if "$dir/bin/python" - "$port" >/dev/null 2>&1 <<'EOF'
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/models", timeout=1) as r:
    r.read()
    sys.exit(0 if r.headers.get("server") == "uvicorn" else 1)  # not some other server on the port
EOF
        then
            kill -0 "$PY_MOCK_PID" 2>/dev/null && return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "python_mockllm_start: the Python mockllm did not answer on 127.0.0.1:$port within 30 s; the end of $log:" >&2
            tail -n 20 "$log" >&2 || true
            python_mockllm_stop
            return 1
        fi
        sleep 0.2
    done
}

# Stops the server python_mockllm_start started (SIGTERM, then SIGKILL after 5 s).
python_mockllm_stop() {
    [ -n "${PY_MOCK_PID:-}" ] || return 0
    local pid=$PY_MOCK_PID _
    PY_MOCK_PID=""
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
