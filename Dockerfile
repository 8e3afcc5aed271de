# Tonegate with its embedded defaults: Apertium engines, a private redis-server, lingua.
#   docker build -t tonegate .
#   docker run -p 8000:8000 -v tonegate-data:/data tonegate
FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv redis-server \
      apertium apertium-eng-spa apertium-fr-es apertium-es-pt apertium-spa-ita apertium-eng-cat \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway gateway
COPY models models
COPY glossary glossary
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .
# For neural engines, build with: --build-arg EXTRAS=neural (installs the CPU torch first).
ARG EXTRAS=""
RUN if [ -n "$EXTRAS" ]; then /opt/venv/bin/pip install --no-cache-dir "torch==2.13.0" ".[$EXTRAS]"; fi

ENV PATH=/opt/venv/bin:$PATH \
    TONEGATE_DATA_DIR=/data \
    TONEGATE_HOST=0.0.0.0 \
    TONEGATE_PORT=8000
VOLUME /data
EXPOSE 8000
RUN useradd --system --home /data tonegate && mkdir -p /data && chown tonegate /data
USER tonegate
HEALTHCHECK --interval=30s --timeout=5s CMD python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/readyz')" || exit 1
CMD ["tonegate", "serve"]
