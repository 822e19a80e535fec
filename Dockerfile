# One image for the user code server, the webserver and the daemon.
FROM python:3.11-slim
WORKDIR /opt/dagster/app
COPY pyproject.toml README.md ./
COPY helio_pipeline ./helio_pipeline
COPY sql ./sql
COPY deploy ./deploy
RUN pip install --no-cache-dir -e .
COPY dagster_home/dagster.postgres.yaml /opt/dagster/dagster_home/dagster.yaml
ENV DAGSTER_HOME=/opt/dagster/dagster_home
