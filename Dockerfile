# reader: the "Få siden oplæst" service. Build: docker build -t reader .
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng ffmpeg \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /srv/reader --uid 10001 reader
WORKDIR /srv/reader

COPY pyproject.toml README.md ./
COPY reader ./reader
RUN pip install --no-cache-dir . && rm -rf /root/.cache

# A Piper voice baked in: docker build --build-arg PIPER_VOICE=da_DK-talesyntese-medium .
# Piper (GPL-3.0) is then installed too; reader runs it as separate worker processes. The voice
# lives outside the data volume, so a volume mounted over var/ does not hide it.
ARG PIPER_VOICE=
RUN if [ -n "$PIPER_VOICE" ]; then \
      pip install --no-cache-dir ".[piper]" && rm -rf /root/.cache \
      && READER_DATA_DIR=/srv/reader/baked reader voices install "$PIPER_VOICE"; \
    fi

# Editors publish pages and edit the lexicon through the API, so content/ belongs to reader.
COPY --chown=reader:reader content ./content
RUN mkdir -p /srv/reader/var && chown reader:reader /srv/reader/var

USER reader
ENV READER_PIPER_VOICE=${PIPER_VOICE:+/srv/reader/baked/voices/$PIPER_VOICE/$PIPER_VOICE.onnx}
ENV READER_CONTENT_DIR=/srv/reader/content \
    READER_DATA_DIR=/srv/reader/var \
    PYTHONUNBUFFERED=1
VOLUME ["/srv/reader/var", "/srv/reader/content"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(0)"

CMD ["reader", "serve", "--host", "0.0.0.0", "--port", "8000"]
