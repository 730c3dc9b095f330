# kvar: a static-ish binary (SQLite and libpq built in) on a slim base.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/kvar

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/kvar --create-home kvar
COPY --from=build /src/target/release/kvar /usr/local/bin/kvar
USER kvar
WORKDIR /var/lib/kvar
# MALLOC_MMAP_THRESHOLD_: glibc returns argon2id's 19 MiB blocks to the OS instead of keeping
# them in per-thread arenas (RSS stays tens of MB instead of hundreds after a login storm).
ENV KVAR_BIND=0.0.0.0:8080 KVAR_DATA_DIR=/var/lib/kvar/data LOG_FORMAT=json \
    MALLOC_MMAP_THRESHOLD_=131072
EXPOSE 8080
ENTRYPOINT ["kvar"]
CMD ["serve"]
