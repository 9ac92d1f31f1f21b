# Shared by the scripts: installs what a fresh Debian machine lacks. Source it, don't run it.

# Runs a command as root (directly when already root, else through sudo).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages that are not installed yet; refreshes the index only if needed.
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing ${missing[*]} (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
        as_root apt-get update -q >/dev/null
        as_root apt-get install -y -q "${missing[@]}" >/dev/null
    }
}

# What building the server needs beyond the Swift toolchain.
ensure_build_deps() {
    apt_install libuv1-dev libcurl4-openssl-dev zlib1g-dev pkg-config
}

# A venv at $1 with the pinned requirements file $2 installed: python3 and its venv module are
# installed (apt-get) when missing, a venv whose interpreter no longer runs is rebuilt, and the
# requirements are reinstalled only when the file (or the Python version) changes. $3 names the
# caller in messages.
ensure_python_venv() {
    local venv="$1" requirements="$2" who="${3:-venv}"
    local stamp="$venv/.requirements.sha256"
    command -v python3 >/dev/null 2>&1 || apt_install python3
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        apt_install python3-venv
    fi
    if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import pip' >/dev/null 2>&1; then
        echo "$who: rebuilding the broken venv at $venv" >&2
        rm -rf "$venv"
    fi
    if [ ! -d "$venv" ]; then
        echo "$who: creating $venv" >&2
        if ! python3 -m venv "$venv"; then
            rm -rf "$venv"
            apt_install python3-venv
            python3 -m venv "$venv"
        fi
    fi
    local wanted
    wanted="$( (sha256sum "$requirements"; "$venv/bin/python" --version) | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
        echo "$who: installing ${requirements#"$PWD/"}" >&2
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
        echo "$wanted" > "$stamp"
    fi
}
