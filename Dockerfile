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
ENV KVAR_BIND=0.0.0.0:8080 KVAR_DATA_DIR=/var/lib/kvar/data LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["kvar"]
CMD ["serve"]
