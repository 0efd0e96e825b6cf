# syntax=docker/dockerfile:1
#
# The ANIP trust registry image: `registry-server` (the entrypoint), with the `registry` command line and
# `registry-keygen` beside it in /usr/local/bin.
#
#   docker build -t anip-trust-registry:local .          # or: docker compose build (see compose.yaml)
#   docker run --rm -p 127.0.0.1:8200:8200 anip-trust-registry:local
#       dev mode, public dev key, embedded SQLite in /var/lib/anip-registry (mount a volume there to keep it)
#   docker run --rm --entrypoint registry-keygen anip-trust-registry:local --key-id registry-2026-q4
#       a real signing key for production mode (prints the ANIP_REGISTRY_* lines; keep them secret)
#
# Needs BuildKit (the default builder of Docker 23+ and of `docker compose`): the build step uses cache mounts for
# Cargo's registry and target directory, so a rebuild after a source change recompiles only the changed crates.
# scripts/check-compose.sh checks, without a Docker engine, that every path copied below exists and that every file
# the crates embed at compile time (include_str!, sqlx::migrate!, ...) is inside what is copied.

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------------- builder
FROM ${RUST_IMAGE} AS builder
WORKDIR /build

# Only what `cargo build` reads: the workspace manifest and lock, the four member crates (Cargo loads every member,
# benches and tests included, even when building three of them), the SQL migrations that sqlx::migrate! embeds from
# registry-server (../migrations/{postgres,sqlite}), and the demo definition that registry-server/src/demo.rs embeds
# with include_str!("../../tests/fixtures/anip/work-item-fronting-definition.json").
# The browser UI's templates and assets are embedded with include_str! from ui/templates and ui/assets (ui/tests, the
# browser test, is not needed to build).
COPY Cargo.toml Cargo.lock ./
COPY verifier/ verifier/
COPY registry-keygen/ registry-keygen/
COPY registry-server/ registry-server/
COPY registry-cli/ registry-cli/
COPY migrations/ migrations/
COPY ui/templates/ ui/templates/
COPY ui/assets/ ui/assets/
COPY tests/fixtures/anip/work-item-fronting-definition.json tests/fixtures/anip/work-item-fronting-definition.json

# `--version` names this commit (the context has no .git): docker build --build-arg \
# ANIP_REGISTRY_GIT_COMMIT=$(git rev-parse --short=12 HEAD) .; without it the binaries say "unknown".
ARG ANIP_REGISTRY_GIT_COMMIT=
# The target directory is a cache mount (not part of the layer), so the binaries are copied out in the same step.
RUN --mount=type=cache,id=anip-registry-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=anip-registry-target,sharing=locked,target=/build/target \
    cargo build --release --locked -p registry-server -p registry-cli -p registry-keygen \
    && install -d /out \
    && install -m 0755 target/release/registry-server target/release/registry target/release/registry-keygen /out/

# ---------------------------------------------------------------------------------------------------- runtime
FROM ${RUNTIME_IMAGE}

LABEL org.opencontainers.image.title="anip-trust-registry" \
      org.opencontainers.image.description="ANIP trust registry: validates, signs and serves ANIP packages" \
      org.opencontainers.image.licenses="Apache-2.0"

# ca-certificates (ANIP_REGISTRY_CA_FILE=/etc/ssl/certs/ca-certificates.crt adds the system store to the built-in roots); curl for the HEALTHCHECK.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid so volume ownership is predictable across rebuilds and hosts.
RUN groupadd --gid 10001 anip \
    && useradd --uid 10001 --gid anip --home-dir /var/lib/anip-registry --no-create-home \
        --shell /usr/sbin/nologin anip \
    && install -d -o anip -g anip -m 0750 /var/lib/anip-registry

COPY --from=builder /out/ /usr/local/bin/

# The embedded SQLite store (used when ANIP_REGISTRY_DATABASE_URL is unset) lives in the data directory; the server's
# default is `.data` under the working directory, so both point at the anip-owned directory. ANIP_REGISTRY_ADDR=:8200
# listens on every interface of the container: without it a dev-mode registry would listen on 127.0.0.1 only, out of
# reach of the published port (scripts/check-compose.sh checks it).
WORKDIR /var/lib/anip-registry
ENV ANIP_REGISTRY_ADDR=:8200 \
    ANIP_REGISTRY_DATA_DIR=/var/lib/anip-registry

EXPOSE 8200

# /readyz: the store answers and no migration is pending (503 otherwise), so a container is healthy only when it can
# serve. It checks port 8200: keep ANIP_REGISTRY_ADDR on that port (publish another host port instead).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=6 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:8200/registry-api/v1/readyz"]

# anip (uid 10001), by number so that Kubernetes' runAsNonRoot can verify it without an explicit runAsUser.
USER 10001:10001
ENTRYPOINT ["registry-server"]
