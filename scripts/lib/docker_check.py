"""Helpers of scripts/docker-check: reads the Dockerfile so the script runs the Dockerfile's own
steps rather than a copy of them, keeps the build-context copy in sync, and cross-checks the
compose file and the Kubernetes manifest against the Dockerfile.

    docker_check.py plan Dockerfile            shell assignments describing both stages
    docker_check.py sync REPO CONTEXT SRC...   copies COPY sources into CONTEXT (honours .dockerignore)
    docker_check.py prune REPO CONTEXT SRC...  removes from CONTEXT what no COPY source takes
    docker_check.py crosscheck REPO            compose + manifest consistency (needs PyYAML)
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import sys


def instructions(path):
    """(stage, instruction, argument) for each instruction; stage -1 is before the first FROM."""
    lines, current = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.lstrip().startswith("#"):
                continue  # comments, also inside a continued instruction
            if line.endswith("\\"):
                current += line[:-1] + " "
                continue
            current += line
            if current.strip():
                lines.append(current.strip())
            current = ""
    stage, out = -1, []
    for line in lines:
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            stage += 1
        out.append((stage, word, rest.strip()))
    return out


def apt_packages(command):
    """The packages of every `apt-get install` in a RUN command."""
    packages = []
    for part in re.split(r"&&|;|\|\|", command):
        words = shlex.split(part)
        if len(words) >= 2 and words[0] == "apt-get" and "install" in words:
            packages += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return packages


def env_pairs(argument):
    """ENV k=v k2=v2 (quoted values allowed), or the legacy ENV k v."""
    words = shlex.split(argument)
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [tuple(w.split("=", 1)) for w in words]


def plan(dockerfile):
    args, stages = {}, []
    for stage, word, rest in instructions(dockerfile):
        if stage < 0:
            if word == "ARG" and "=" in rest:
                name, value = rest.split("=", 1)
                args[name] = value
            continue
        if word == "FROM":
            image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest.split()[0])
            stages.append({"image": image, "steps": []})
        else:
            stages[-1]["steps"].append((word, rest))
    if len(stages) != 2:
        sys.exit(f"docker-check: expected two stages (build, runtime) in {dockerfile}, found {len(stages)}")
    build, runtime = stages

    out = {"BUILD_IMAGE": build["image"], "RUNTIME_IMAGE": runtime["image"]}
    build_apt, build_steps, workdir = [], [], "/"
    for word, rest in build["steps"]:
        if word == "RUN" and "apt-get" in rest:
            build_apt += apt_packages(rest)
        elif word == "RUN":
            build_steps.append("RUN\t" + rest)
        elif word == "COPY":
            if rest.startswith("--"):
                sys.exit(f"docker-check: COPY flags in the build stage are not emulated: {rest}")
            *sources, dest = shlex.split(rest)
            build_steps.append("COPY\t" + " ".join(sources) + "\t" + dest)
        elif word == "WORKDIR":
            workdir = rest
        else:
            sys.exit(f"docker-check: build-stage instruction {word} is not emulated")
    out["BUILD_APT"] = build_apt
    out["BUILD_WORKDIR"] = workdir
    out["BUILD_STEPS"] = build_steps

    runtime_apt, copies, env, emulated = [], [], [], []
    single = {}
    for word, rest in runtime["steps"]:
        if word == "RUN":
            runtime_apt += apt_packages(rest)
            for part in re.split(r"&&", rest):
                words = shlex.split(part)
                if words and words[0] not in ("apt-get", "rm"):
                    emulated.append(" ".join(words[:1]))
        elif word == "COPY":
            words = shlex.split(rest)
            source_stage = ""
            if words[0].startswith("--from="):
                source_stage = words.pop(0).split("=", 1)[1]
            *sources, dest = words
            for source in sources:
                copies.append(f"{source_stage}|{source}|{dest}")
        elif word == "ENV":
            env += [f"{k}={v}" for k, v in env_pairs(rest)]
        elif word in ("USER", "EXPOSE", "STOPSIGNAL", "ENTRYPOINT", "CMD", "HEALTHCHECK"):
            single[word] = rest
        else:
            sys.exit(f"docker-check: runtime-stage instruction {word} is not emulated")
    out["RUNTIME_APT"] = runtime_apt
    out["RUNTIME_COPIES"] = copies
    out["RUNTIME_ENV"] = env
    out["RUNTIME_EMULATED"] = sorted(set(emulated))
    user = single.get("USER", "0:0")
    if not re.fullmatch(r"\d+(:\d+)?", user):
        sys.exit(f"docker-check: USER must be numeric (uid[:gid]), got {user}")
    uid, _, gid = user.partition(":")
    out["RUN_UID"], out["RUN_GID"] = uid, gid or uid
    out["EXPOSE"] = single.get("EXPOSE", "").split("/")[0]
    out["STOPSIGNAL"] = single.get("STOPSIGNAL", "SIGTERM")
    exec_form = lambda text: json.loads(text) if text.startswith("[") else ["/bin/sh", "-c", text]
    out["ENTRYPOINT"] = exec_form(single["ENTRYPOINT"]) if "ENTRYPOINT" in single else []
    out["CMD"] = exec_form(single["CMD"]) if "CMD" in single else []
    health = single.get("HEALTHCHECK", "")
    match = re.search(r"\bCMD\s+(.*)$", health)
    out["HEALTHCHECK_CMD"] = exec_form(match.group(1)) if match else []

    for name, value in out.items():
        if isinstance(value, list):
            print(f"{name}=(" + " ".join(shlex.quote(v) for v in value) + ")")
        else:
            print(f"{name}={shlex.quote(value)}")


def ignore_patterns(repo):
    path = os.path.join(repo, ".dockerignore")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.strip().rstrip("/") for l in f if l.strip() and not l.lstrip().startswith("#")]


def ignored(relative, patterns):
    for pattern in patterns:
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatchcase(part, tail) for part in relative.split("/")) or fnmatch.fnmatchcase(relative, tail):
                return True
        parts = relative.split("/")
        # A pattern naming a directory excludes everything under it.
        for i in range(1, len(parts) + 1):
            if fnmatch.fnmatchcase("/".join(parts[:i]), pattern):
                return True
    return False


def context_files(repo, sources):
    """{relative path: absolute path} of what COPY SOURCES takes from the build context: globs
    expanded, directories walked, .dockerignore applied."""
    import glob

    patterns = ignore_patterns(repo)
    wanted = {}
    for source in sources:
        matches = glob.glob(os.path.join(repo, source))
        if not matches:
            if any(c in source for c in "*?["):
                continue  # Docker skips a wildcard that matches nothing
            sys.exit(f"docker-check: COPY source {source} is not in the build context")
        for match in matches:
            relative = os.path.relpath(match, repo)
            if ignored(relative, patterns):
                continue
            if os.path.isdir(match):
                for root, dirs, files in os.walk(match):
                    for name in files:
                        path = os.path.relpath(os.path.join(root, name), repo)
                        if not ignored(path, patterns):
                            wanted[path] = os.path.join(root, name)
            else:
                wanted[relative] = match
    return wanted


def sync(repo, context, sources):
    """Copies what COPY SOURCES takes into CONTEXT, each keeping its path (as `COPY X X` and
    `COPY files ./` do), writing only files that changed: the build tree under CONTEXT/.build
    stays incremental (SwiftPM's change detection sees inodes too)."""
    copied = 0
    wanted = context_files(repo, sources)
    for relative, source in wanted.items():
        target = os.path.join(context, relative)
        if os.path.exists(target):
            with open(source, "rb") as a, open(target, "rb") as b:
                if a.read() == b.read():
                    continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target)
        copied += 1
    print(f"context: {len(wanted)} files ({copied} copied)")


def prune(repo, context, sources):
    """Removes from CONTEXT what no COPY SOURCES takes any more (left by an earlier run), but
    not the build tree (.build)."""
    wanted = context_files(repo, sources)
    removed = 0
    for root, dirs, files in os.walk(context):
        if root == context:
            dirs[:] = [d for d in dirs if d != ".build"]
        for name in files:
            relative = os.path.relpath(os.path.join(root, name), context)
            if relative not in wanted:
                os.remove(os.path.join(root, name))
                removed += 1
    print(f"context: {removed} stale files removed")


def crosscheck(repo):
    """What no schema checks: the compose file and the manifest agree with the Dockerfile, with
    the CLI's environment variables and with config/responses.yml."""
    import yaml

    problems = []
    check = lambda ok, message: ok or problems.append(message)
    assignments = {}
    for stage, word, rest in instructions(os.path.join(repo, "Dockerfile")):
        if word == "ENV":
            assignments.update(env_pairs(rest))
        if word in ("USER", "EXPOSE", "HEALTHCHECK"):
            assignments[word] = rest
    port = int(assignments["EXPOSE"].split("/")[0])
    uid, _, gid = assignments["USER"].partition(":")
    health = json.loads(re.search(r"\bCMD\s+(.*)$", assignments["HEALTHCHECK"]).group(1))
    config_dir = os.path.dirname(assignments["MOCKLLM_RESPONSES_FILE"])
    with open(os.path.join(repo, "Sources/mockllm/main.swift")) as f:
        honoured = set(re.findall(r"MOCKLLM_[A-Z_]+", f.read()))
    with open(os.path.join(repo, "config/responses.yml")) as f:
        script = f.read()

    with open(os.path.join(repo, "docker-compose.yml")) as f:
        compose = yaml.safe_load(f)
    services = compose["services"]
    mock, app = services["mockllm"], services["app"]
    check(mock["healthcheck"]["test"] == ["CMD"] + health, "compose: mockllm healthcheck differs from the Dockerfile's HEALTHCHECK")
    check(any(v.split(":")[1] == config_dir for v in mock.get("volumes", [])), f"compose: nothing mounted at {config_dir}")
    check(app["depends_on"]["mockllm"]["condition"] == "service_healthy", "compose: app does not wait for service_healthy")
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        check(app["environment"].get(name, "").startswith(f"http://mockllm:{port}"), f"compose: {name} does not point at mockllm:{port}")
    check(set(mock.get("environment", {})) <= honoured, "compose: mockllm sets a variable the CLI does not read")

    with open(os.path.join(repo, "deploy/kubernetes/mockllm.yaml")) as f:
        documents = {d["kind"]: d for d in yaml.safe_load_all(f) if d}
    check(set(documents) == {"ConfigMap", "Deployment", "Service"}, f"manifest: kinds {sorted(documents)}")
    config_map, deployment, service = documents["ConfigMap"], documents["Deployment"], documents["Service"]
    check(config_map["data"].get("responses.yml") == script, "manifest: the ConfigMap's responses.yml differs from config/responses.yml")
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    check(all(labels.get(k) == v for k, v in deployment["spec"]["selector"]["matchLabels"].items()), "manifest: selector does not match the pod labels")
    check(all(labels.get(k) == v for k, v in service["spec"]["selector"].items()), "manifest: Service selector matches no pod")
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    check(port in ports.values(), f"manifest: containerPort is not the image's {port}")
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        check(get["path"] == "/health" and (get["port"] in ports or get["port"] == port), f"manifest: {probe} is not GET /health on the container port")
    for p in service["spec"]["ports"]:
        check(p["targetPort"] in ports or p["targetPort"] == port, f"manifest: Service targetPort {p['targetPort']} names no container port")
    security = {**pod["spec"].get("securityContext", {}), **container.get("securityContext", {})}
    check(security.get("runAsNonRoot") is True and str(security.get("runAsUser")) == uid and str(security.get("runAsGroup")) == (gid or uid),
          f"manifest: not running as the image's user {uid}:{gid}")
    check(security.get("readOnlyRootFilesystem") is True, "manifest: root filesystem is writable")
    check({e["name"] for e in container.get("env", [])} <= honoured, "manifest: sets a variable the CLI does not read")
    mounts = [m for m in container["volumeMounts"] if m["mountPath"] == config_dir]
    check(len(mounts) == 1 and "subPath" not in mounts[0], f"manifest: {config_dir} must be the ConfigMap directory (a subPath mount never updates)")
    quantity = re.compile(r"^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
    for kind, values in container["resources"].items():
        for name, value in values.items():
            check(bool(quantity.match(str(value))), f"manifest: resources.{kind}.{name} '{value}' is not a quantity")
    workers = next((e["value"] for e in container.get("env", []) if e["name"] == "MOCKLLM_WORKERS"), "1")
    check(str(container["resources"]["requests"]["cpu"]) == workers, "manifest: cpu request should equal MOCKLLM_WORKERS (one core per loop)")
    drain = float(next((e["value"] for e in container.get("env", []) if e["name"] == "MOCKLLM_DRAIN_TIMEOUT"), "10"))
    check(pod["spec"].get("terminationGracePeriodSeconds", 30) > drain + 5, "manifest: the grace period does not cover preStop + drain")

    for problem in problems:
        print(f"crosscheck: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"crosscheck: compose and manifest agree with the Dockerfile (port {port}, user {uid}, {config_dir}, {' '.join(health)})")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "plan":
        plan(sys.argv[2])
    elif command == "sync":
        sync(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif command == "prune":
        prune(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif command == "crosscheck":
        crosscheck(sys.argv[2])
    else:
        sys.exit(__doc__)
