# mockllm as a container image (docs/DEPLOYING.md).
#
#   docker build -t mockllm .
#   docker run --rm -p 8000:8000 mockllm
#   docker run --rm -p 8000:8000 -v "$PWD/my-config:/config:ro" mockllm   # your responses.yml, hot-reloaded
#
# Two stages: the Swift toolchain builds a release binary with the Swift runtime linked in
# (--static-swift-stdlib), stripped, and a slim Debian with libuv1, libcurl4 and ca-certificates
# runs it as a non-root user. The binary's other run-time needs (glibc, libstdc++, libgcc_s, libm)
# are in debian:bookworm-slim.
# scripts/docker-check runs these same steps on a machine without Docker.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
# libuv1-dev (header, pkg-config file, the library linked), zlib1g-dev (crc32, for the AWS event
# stream) and libcurl4-openssl-dev (curl's header only: libcurl is not linked) are all the server
# needs beyond the toolchain.
# Unpinned on purpose: Debian stable only takes security and bug fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libuv1-dev libcurl4-openssl-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest and Package.resolved first: dependencies are fetched in their own layer, reused
# while only the sources change, at exactly the pinned versions (a stale pin fails the build).
COPY Package.swift Package.resolved ./
RUN swift package resolve --force-resolved-versions
COPY CLibUV CLibUV
COPY CCurl CCurl
COPY CZlib CZlib
COPY Sources Sources
# Not built, but the manifest names the test targets and SwiftPM refuses a package whose
# target directories are missing.
COPY Tests Tests
RUN swift build -c release --static-swift-stdlib --force-resolved-versions --product mockllm \
    && install -D -s -m 0755 .build/release/mockllm /out/mockllm

FROM ${RUNTIME_IMAGE}
# libcurl4 and ca-certificates are for record mode alone (proxying to a real API): the binary does
# not link libcurl but opens libcurl.so.4 at run time, on the first request it forwards, and
# verifies upstreams against ca-certificates' store. Without them everything else still runs.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libuv1 libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 mockllm \
    && useradd --system --uid 10001 --gid mockllm --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin mockllm
COPY --from=build /out/mockllm /usr/local/bin/mockllm
# The script lives in a directory of its own: mount yours over /config (the directory, not the
# file, so an editor's save-by-rename on the host reaches the container; see docs/DEPLOYING.md).
COPY config/responses.yml /config/responses.yml
ENV MOCKLLM_HOST=0.0.0.0 \
    MOCKLLM_PORT=8000 \
    MOCKLLM_RESPONSES_FILE=/config/responses.yml
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
EXPOSE 8000
# `mockllm health` reads MOCKLLM_HOST/MOCKLLM_PORT: no curl in the image, no arguments here.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["mockllm", "health"]
# SIGTERM drains: streams in progress get MOCKLLM_DRAIN_TIMEOUT seconds (default 10) to finish.
STOPSIGNAL SIGTERM
ENTRYPOINT ["mockllm"]
CMD ["serve"]
