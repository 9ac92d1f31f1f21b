# The scale scenarios of scripts/bench (issue 6). Sourced by scripts/bench after its helpers
# (log, die, start_mockllm, stop_pid, rss_of, run_wrk, free_port, PIDS, pinning); not run alone.
#
#   scale_python          Python mockllm 0.0.8 (PyPI, in a venv): streams/s, lag off, idle RSS
#   scale_load NAME N ITL_MS DURATION RAMP [WORKERS]   N concurrent paced streams of 50 tokens, measured by
#                         `mockllm bench` on the client CPU; the server's own lateness from
#                         /_mockllm/stats
#   scale_max_events      the most events/s one loop sustains with lateness p99 < 1 ms (20 ms ITL)
#   scale_idle            idle RSS, and RSS with SCALE_IDLE_CONNECTIONS idle keep-alive connections
#   scale_start           start to first answered request (hyperfine), mockllm and nginx

SCALE_TOKENS=50
SCALE_PROMPT="fifty"
SCALE_REPLY="$(for ((i = 1; i <= SCALE_TOKENS; i++)); do printf 'w%d ' "$i"; done)"
SCALE_REPLY="${SCALE_REPLY% }"   # 50 words: 50 content events with word chunking
SCALE_IDLE_CONNECTIONS="${SCALE_IDLE_CONNECTIONS:-10000}"
SCALE_VENV="${SCALE_VENV:-$ROOT/.venv-bench-python}"

json_get() {  # json_get FILE a.b.c: the value at that path ("null" if absent)
    python3 - "$1" "$2" <<'EOF'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    value = value.get(key) if isinstance(value, dict) else None
print("null" if value is None else value)
EOF
}

# --- Python mockllm: the reference for streams/s ----------------------------------------------

declare -A PY
scale_python() {
    . "$ROOT/scripts/lib/python-mockllm.sh"
    python_mockllm_install "$SCALE_VENV" || { PY[error]="install failed"; return 0; }
    PY[version]="$("$SCALE_VENV/bin/python" -c 'import importlib.metadata as m; print("mockllm", m.version("mockllm"), "uvicorn", m.version("uvicorn"))')"
    # Its bug 1 (docs/MIGRATING.md) streams the default reply: make that the benchmark reply, so each
    # stream carries the same text as ours.
    cat >"$TMP/responses-py.yml" <<EOF
responses:
  "$PROMPT": "$REPLY"
defaults:
  unknown_response: "$REPLY"
settings:
  lag_enabled: false
EOF
    local port; port="$(free_port)"
    PY_MOCK_ACCESS_LOG=0 python_mockllm_start "$SCALE_VENV" "$TMP/responses-py.yml" "$port" "$TMP/python-mockllm.log" \
        || { PY[error]="did not start"; return 0; }
    PIDS+=("$PY_MOCK_PID")
    if ((${#SERVER_PIN[@]})); then taskset -pc "$SERVER_CPU" "$PY_MOCK_PID" >/dev/null; fi
    sleep 1
    read -r PY[idle_rss] _ < <(rss_of "$PY_MOCK_PID")
    run_wrk python "http://$HOST:$port/v1/chat/completions" "$TMP/chat-stream.lua" "$PY_MOCK_PID"
    stop_pid "$PY_MOCK_PID"
    PY_MOCK_PID=""
}

# --- paced stream load, measured by mockllm bench ---------------------------------------------

declare -A LOAD
scale_load() {  # scale_load NAME STREAMS ITL_MS DURATION RAMP [WORKERS]
    local name="$1" streams="$2" itl="$3" duration="$4" ramp="$5" workers="${6:-1}" out="$TMP/bench-$1.json" rc=0
    local pin=("${CLIENT_PIN[@]}")
    [[ "$workers" == 1 ]] || pin=()   # several loops: server and client share every CPU
    start_mockllm "$name" "$workers"
    LOAD[$name.workers]="$(grep -o '[0-9]* workers' "$TMP/mockllm-$name.log" | head -1 | cut -d' ' -f1 || true)"
    LOAD[$name.workers]="${LOAD[$name.workers]:-1}"
    log "$name: $streams streams, ${itl} ms inter-token, $SCALE_TOKENS tokens each, ${duration}s (ramp-up ${ramp}s), ${LOAD[$name.workers]} worker(s)"
    "${pin[@]}" "$BIN" bench "$MOCK_URL" --concurrency "$streams" --ramp-up "$ramp" --duration "$duration" \
        --drain 60 --itl-ms "$itl" --ttft-ms "$itl" --prompt "$SCALE_PROMPT" --header 'x-mockllm-chunking: word' \
        --json >"$out" 2>"$TMP/bench-$name.err" || rc=$?
    if kill -0 "$MOCK_PID" 2>/dev/null; then
        read -r _ LOAD[$name.hwm] < <(rss_of "$MOCK_PID")
    else
        LOAD[$name.hwm]="-"; LOAD[$name.died]=1
    fi
    stop_pid "$MOCK_PID"
    mkdir -p "$RESULTS_DIR/raw"; cp "$out" "$RESULTS_DIR/raw/bench-$name.json"
    if [[ ! -s "$out" ]]; then cat "$TMP/bench-$name.err" >&2; die "mockllm bench printed no report for $name (exit $rc)"; fi
    LOAD[$name.streams]="$streams"
    LOAD[$name.completed]="$(json_get "$out" streams.completed)"
    LOAD[$name.failed]="$(json_get "$out" streams.failed)"
    LOAD[$name.events_s]="$(json_get "$out" events.per_second)"
    LOAD[$name.late_p50]="$(json_get "$out" latency_ms.server_lateness.p50)"
    LOAD[$name.late_p99]="$(json_get "$out" latency_ms.server_lateness.p99)"
    LOAD[$name.late_max]="$(json_get "$out" latency_ms.server_lateness.max)"
    LOAD[$name.itl_p50]="$(json_get "$out" latency_ms.itl.p50)"
    LOAD[$name.itlerr_p50]="$(json_get "$out" latency_ms.itl_error.p50)"
    LOAD[$name.itlerr_p99]="$(json_get "$out" latency_ms.itl_error.p99)"
    LOAD[$name.ttfterr_p99]="$(json_get "$out" latency_ms.ttft_error.p99)"
    log "$name: ${LOAD[$name.completed]} completed, ${LOAD[$name.failed]} failed, ${LOAD[$name.events_s]} events/s," \
        "lateness p50/p99/max ${LOAD[$name.late_p50]}/${LOAD[$name.late_p99]}/${LOAD[$name.late_max]} ms," \
        "client ITL error p99 ${LOAD[$name.itlerr_p99]} ms, server peak RSS ${LOAD[$name.hwm]} MB"
}

below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "null" && a != "" && a + 0 < b + 0) }'; }

SCALE_LEVELS="${SCALE_LEVELS:-250 500 750 1000 1500 2000 3000}"
MAX_LEVEL=""
scale_max_events() {  # raise the stream count at 20 ms until lateness p99 reaches 1 ms; 2000 always
    local n
    for n in $SCALE_LEVELS; do
        scale_load "max$n" "$n" 20 "${SCALE_STEP_DURATION:-15}" 2
        if [[ "${LOAD[max$n.failed]}" == 0 ]] && below "${LOAD[max$n.late_p99]}" 1; then
            MAX_LEVEL="$n"
        else
            break
        fi
    done
    [[ -n "${LOAD[max2000.streams]:-}" ]] || scale_load max2000 2000 20 "${SCALE_STEP_DURATION:-15}" 2
}

# --- memory of idle connections ---------------------------------------------------------------

declare -A IDLE
scale_idle() {
    local fifo="$TMP/idle.in" out="$TMP/idle.out" holder i
    start_mockllm idle
    sleep 1
    read -r IDLE[rss] _ < <(rss_of "$MOCK_PID")
    IDLE[kb]="$(awk '/^VmRSS:/ {print $2}' "/proc/$MOCK_PID/status")"
    mkfifo "$fifo"
    "${CLIENT_PIN[@]}" python3 "$ROOT/scripts/lib/idle-connections.py" "$HOST" "${MOCK_URL##*:}" \
        "$SCALE_IDLE_CONNECTIONS" 120 <"$fifo" >"$out" 2>"$TMP/idle.err" &
    holder=$!; PIDS+=("$holder")
    exec 4>"$fifo"
    for ((i = 0; i < 600; i++)); do
        grep -q '^ready' "$out" 2>/dev/null && break
        kill -0 "$holder" 2>/dev/null || break
        sleep 0.1
    done
    if grep -q '^ready' "$out"; then
        sleep 1
        IDLE[held_kb]="$(awk '/^VmRSS:/ {print $2}' "/proc/$MOCK_PID/status")"
        IDLE[held]="$(awk '{print $2}' "$out")"
        IDLE[per_conn]="$(awk -v a="${IDLE[held_kb]}" -v b="${IDLE[kb]}" -v n="${IDLE[held]}" 'BEGIN {printf "%.0f", (a - b) * 1024 / n}')"
        IDLE[held_mb]="$(awk -v a="${IDLE[held_kb]}" 'BEGIN {printf "%.1f", a / 1024}')"
    else
        cat "$TMP/idle.err" >&2
        IDLE[error]="the idle connections could not be opened"
    fi
    exec 4>&-
    wait "$holder" 2>/dev/null || true
    forget_pid "$holder"
    stop_pid "$MOCK_PID"
}

# --- start to first answered request ----------------------------------------------------------

free_low_port() {
    local i p
    for ((i = 0; i < 100; i++)); do
        p=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

declare -A START
scale_start() {
    local port
    command -v hyperfine >/dev/null || apt_install hyperfine
    cat >"$TMP/first-answer.sh" <<'EOF'
#!/usr/bin/env bash
# first-answer.sh PORT PATH CMD...: starts CMD, polls PORT without forking (bash /dev/tcp)
# until GET PATH answers 200, then stops CMD (SIGTERM) and waits for it. Exit 0 only if the answer was 200.
port=$1 path=$2; shift 2
"$@" >/dev/null 2>&1 &
pid=$!
until exec 3<>"/dev/tcp/127.0.0.1/$port"; do kill -0 "$pid" 2>/dev/null || exit 1; done 2>/dev/null
printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$path" >&3
read -r status <&3
kill -TERM "$pid"; wait "$pid" 2>/dev/null   # TERM: nginx stops its worker too
[[ "$status" == *" 200"* ]]
EOF
    chmod +x "$TMP/first-answer.sh"
    # Ports below the ephemeral range (32768+): after the idle scenario, thousands of closed
    # client sockets still hold ephemeral ports in TIME_WAIT.
    port="$(free_low_port)"
    # The reference: nginx (the same configuration as the throughput rounds) started the same way.
    local nport; nport="$(free_low_port)"
    sed "s/listen $HOST:[0-9]*;/listen $HOST:$nport;/" "$TMP/nginx.conf" >"$TMP/nginx-start.conf"
    local cmds=(-n mockllm "$TMP/first-answer.sh $port /health ${SERVER_PIN[*]} $BIN serve --host $HOST --port $port --responses $TMP/responses.yml --no-reload"
                -n nginx "$TMP/first-answer.sh $nport /v1/chat/completions ${SERVER_PIN[*]} $NGINX -p $TMP -e $TMP/nginx-error.log -c $TMP/nginx-start.conf")
    log "start: hyperfine, first answered request"
    "${CLIENT_PIN[@]}" hyperfine -N --warmup 3 --min-runs 10 --max-runs 30 --export-json "$TMP/start.json" "${cmds[@]}" >&2 \
        || { START[error]="hyperfine failed (see the log)"; return 0; }
    cp "$TMP/start.json" "$RESULTS_DIR/raw/hyperfine-start.json"
    read -r START[mockllm] START[nginx] < <(python3 - "$TMP/start.json" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
ms = [f"{r['median'] * 1000:.1f}" for r in results] + ["-"]
print(ms[0], ms[1])
EOF
)
}

# --- the targets table --------------------------------------------------------------------------

TARGET_ROWS=()
target_row() {  # target_row WHAT FIGURE REFERENCE TARGET MET(yes/no/-)
    TARGET_ROWS+=("$1|$2|$3|$4|$5")
}

met() { if "$@"; then echo yes; else echo NO; fi; }
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "-" && a != "" && a + 0 >= b + 0) }'; }

collect_targets() {
    TARGET_ROWS=()
    target_row "non-stream req/s, one loop, vs nginx" "${RPS[chat]} req/s ($(printf '%.2f' "$CHAT_RATIO")x)" \
        "nginx ${RPS[nginx]} req/s" ">= 0.70x" "$(met at_least "$CHAT_RATIO" 0.70)"
    if [[ -n "${RPS[python]:-}" ]]; then
        local r; r="$(ratio_of "${RPS[stream]}" "${RPS[python]}")"
        target_row "streams/s, lag off, vs Python mockllm" "${RPS[stream]} streams/s (${r}x)" \
            "${PY[version]}: ${RPS[python]} streams/s" ">= 30x" "$(met at_least "$r" 30)"
    elif [[ " $SCENARIOS " == *" python "* ]]; then
        target_row "streams/s, lag off, vs Python mockllm" "${RPS[stream]} streams/s" "${PY[error]:-not measured}" ">= 30x" "-"
    fi
    local run n w
    for run in load1 load; do
        [[ -n "${LOAD[$run.streams]:-}" ]] || continue
        n="${LOAD[$run.streams]}"; w="${LOAD[$run.workers]}"
        local label="$n streams at 200 ms, $w loop$([[ $w == 1 ]] || echo s)"
        target_row "$label: server lateness p99" "${LOAD[$run.late_p99]} ms (p50 ${LOAD[$run.late_p50]}, max ${LOAD[$run.late_max]})" \
            "pacing asked: 200 ms" "< 1 ms" "$(met below "${LOAD[$run.late_p99]}" 1)"
        target_row "$label: client ITL error p99" "${LOAD[$run.itlerr_p99]} ms (ITL p50 ${LOAD[$run.itl_p50]} ms)" \
            "pacing asked: 200 ms" "< 5 ms" "$(met below "${LOAD[$run.itlerr_p99]}" 5)"
        target_row "$label: server peak RSS" "${LOAD[$run.hwm]} MB" "idle: ${IDLE[rss]:--} MB" "< 100 MB" \
            "$(met below "${LOAD[$run.hwm]}" 100)"
        target_row "$label: streams completed" "${LOAD[$run.completed]} of $((LOAD[$run.completed] + LOAD[$run.failed]))" \
            "${LOAD[$run.events_s]} events/s" "all" "$(met test "${LOAD[$run.failed]}" = 0)"
    done
    if [[ -n "${LOAD[max2000.streams]:-}" ]]; then
        local best="${MAX_LEVEL:-}" fig="none passed" ev=0
        if [[ -n "$best" ]]; then ev="${LOAD[max$best.events_s]}"; fig="$ev events/s ($best streams, p99 ${LOAD[max$best.late_p99]} ms)"; fi
        target_row "most events/s, one loop, lateness p99 < 1 ms" "$fig" "levels: $SCALE_LEVELS streams at 20 ms" \
            ">= 100k/s" "$(met at_least "$ev" 100000)"
        if [[ -n "${LOAD[max2000.streams]:-}" ]]; then
            target_row "2000 streams at 20 ms: lateness p99" "${LOAD[max2000.late_p99]} ms (${LOAD[max2000.events_s]} events/s)" \
                "client ITL error p99 ${LOAD[max2000.itlerr_p99]} ms" "< 1 ms" "$(met below "${LOAD[max2000.late_p99]}" 1)"
        fi
    fi
    if [[ -n "${IDLE[rss]:-}" ]]; then
        target_row "idle RSS" "${IDLE[rss]} MB" "Python mockllm idle: ${PY[idle_rss]:--} MB" "< 10 MB" "$(met below "${IDLE[rss]}" 10)"
        if [[ -n "${IDLE[per_conn]:-}" ]]; then
            target_row "RSS with ${IDLE[held]} idle keep-alive connections" "${IDLE[held_mb]} MB (${IDLE[per_conn]} B each)" \
                "idle: ${IDLE[rss]} MB" "< 2 KB each" "$(met below "${IDLE[per_conn]}" 2048)"
        fi
    fi
    if [[ -n "${START[error]:-}" ]]; then
        target_row "start to first answered request (median)" "not measured: ${START[error]}" "-" "< 50 ms" "-"
    elif [[ -n "${START[mockllm]:-}" ]]; then
        target_row "start to first answered request (median)" "${START[mockllm]} ms" "nginx: ${START[nginx]} ms" \
            "< 50 ms" "$(met below "${START[mockllm]}" 50)"
    fi
}

targets_table() {  # targets_table text|markdown
    collect_targets
    local row what fig ref target ok
    if [[ "$1" == markdown ]]; then
        echo "| target | measured | reference (same run) | goal | met |"
        echo "|---|---|---|---|---|"
        for row in "${TARGET_ROWS[@]}"; do
            IFS='|' read -r what fig ref target ok <<<"$row"
            echo "| $what | $fig | $ref | $target | $ok |"
        done
    else
        printf '%-48s %-44s %-36s %-10s %s\n' "target" "measured" "reference (same run)" "goal" "met"
        for row in "${TARGET_ROWS[@]}"; do
            IFS='|' read -r what fig ref target ok <<<"$row"
            printf '%-48s %-44s %-36s %-10s %s\n' "$what" "$fig" "$ref" "$target" "$ok"
        done
    fi
}
